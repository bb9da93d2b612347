//! What every page is drawn in, and the error page: below `access`, `auth` and the pages, so
//! the guard and the extractors can answer with a Chinese page without importing the pages.

use askama::Template;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use shequ_store::StoreError;

use crate::error::AppError;

/// What every page shows around its content.
pub struct Layout {
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub query: String,
    pub crumbs: Vec<(String, String)>,
    pub flash: Option<String>,
    /// The search box is shown only to whom `/search` would answer (the same `Need`).
    pub search: bool,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.into(),
            user: None,
            csrf: String::new(),
            query: String::new(),
            crumbs: vec![],
            flash: None,
            search: false,
        }
    }
}

/// Renders a template; personal pages must not sit in shared caches or the back/forward cache
/// of a borrowed phone.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = Html(html).into_response();
            r.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => error_page(&AppError::Internal(format!("模板渲染失败：{e}"))),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: String,
    message: String,
    link: Option<(String, String)>,
}

pub fn error_page(e: &AppError) -> Response {
    let link = match e {
        AppError::Store(StoreError::DuplicatePerson { existing, .. }) => {
            Some(("打开已有档案".to_string(), format!("/people/{existing}")))
        }
        _ => None,
    };
    error_page_with(e.status(), e.message(), link)
}

pub(crate) fn error_page_with(
    status: StatusCode,
    message: String,
    link: Option<(String, String)>,
) -> Response {
    let heading = match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::NOT_FOUND => "找不到",
        StatusCode::CONFLICT => "操作未完成",
        StatusCode::UNPROCESSABLE_ENTITY => "填写有误",
        StatusCode::PAYLOAD_TOO_LARGE => "文件太大",
        _ => "出错了",
    };
    let page = ErrorPage {
        l: Layout::anonymous(heading),
        heading: heading.into(),
        message,
        link,
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    r
}

/// Page handlers return this: errors become an error page, not JSON.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&self.0)
    }
}

pub type PageResult = Result<Response, PageError>;
