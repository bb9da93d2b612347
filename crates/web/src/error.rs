//! One mapping from failures to HTTP: a status, a Chinese message that names the field and what
//! to do, and never a stack trace or SQL.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shequ_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    Store(StoreError),
    BadRequest(String),
    /// The body is over the size limit (413).
    TooLarge(String),
    NotLoggedIn,
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// invalid | not_found | forbidden | conflict | illegal_step | duplicate | unauthorized |
    /// bad_request | too_large | second_factor_required | internal
    pub code: &'static str,
    /// The field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// For a duplicate person: the existing record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<String>,
    /// For a step the record's state doesn't allow: the steps that are possible.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<&'static str>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Store(StoreError::Invalid { .. }) | AppError::BadRequest(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::TooLarge(_) | AppError::Store(StoreError::TooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Forbidden(_)) => StatusCode::FORBIDDEN,
            AppError::Store(
                StoreError::Conflict(_)
                | StoreError::DuplicatePerson { .. }
                | StoreError::IllegalStep { .. },
            ) => StatusCode::CONFLICT,
            // RFC 9470: a step-up challenge is a 401, not a refusal.
            AppError::NotLoggedIn | AppError::Store(StoreError::SecondFactor) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Store(StoreError::Db(_) | StoreError::Vault(_) | StoreError::Output(_))
            | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let (code, field, existing) = match self {
            AppError::Store(StoreError::Invalid { field, .. }) => {
                ("invalid", Some(field.clone()), None)
            }
            AppError::Store(StoreError::NotFound(_)) => ("not_found", None, None),
            AppError::Store(StoreError::Forbidden(_)) => ("forbidden", None, None),
            AppError::Store(StoreError::Conflict(_)) => ("conflict", None, None),
            AppError::Store(StoreError::IllegalStep { .. }) => ("illegal_step", None, None),
            AppError::Store(StoreError::DuplicatePerson { existing, what, .. }) => (
                "duplicate",
                Some(what.clone()),
                Some(format!("/people/{existing}")),
            ),
            AppError::BadRequest(_) => ("bad_request", None, None),
            AppError::TooLarge(_) => ("too_large", None, None),
            AppError::Store(StoreError::TooLarge { field, .. }) => {
                ("too_large", Some(field.clone()), None)
            }
            AppError::NotLoggedIn => ("unauthorized", None, None),
            AppError::Store(StoreError::SecondFactor) => ("second_factor_required", None, None),
            AppError::Store(StoreError::Db(_) | StoreError::Vault(_) | StoreError::Output(_))
            | AppError::Internal(_) => ("internal", None, None),
        };
        ErrorDetail {
            code,
            field,
            message: self.message(),
            existing,
            allowed: match self {
                AppError::Store(StoreError::IllegalStep { allowed, .. }) => allowed.clone(),
                _ => Vec::new(),
            },
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::Store(StoreError::Db(e)) => {
                // Database details go to the log, not to the user.
                tracing::error!("database error: {e}");
                "服务器处理出错，请稍后再试；如果反复出现，请联系系统管理员".into()
            }
            AppError::Internal(e) => {
                tracing::error!("internal error: {e}");
                "服务器处理出错，请稍后再试；如果反复出现，请联系系统管理员".into()
            }
            AppError::Store(e) => e.to_string(),
            AppError::BadRequest(m) | AppError::TooLarge(m) => m.clone(),
            AppError::NotLoggedIn => "请先登录".into(),
        }
    }
}

/// API errors are JSON; pages render their own error page (see `pages::render_error`).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            axum::Json(ErrorBody {
                error: self.detail(),
            }),
        )
            .into_response()
    }
}

/// Whose conventions an answer follows, decided by the request's path: the JSON API's error
/// shape, Open311's error list, or the Chinese error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Api,
    Open311 { xml: bool },
    Page,
}

impl Face {
    pub fn of(path: &str) -> Face {
        if path.starts_with("/api/") {
            Face::Api
        } else if path.starts_with("/open311/") {
            Face::Open311 {
                xml: path.ends_with(".xml"),
            }
        } else {
            Face::Page
        }
    }
}

/// The one way a refusal that is not an `AppError` (an unreadable request, a method or address
/// the router lacks) is answered, in the face of the route it was sent to.
pub fn answer(face: Face, status: StatusCode, message: String) -> Response {
    match face {
        Face::Api => {
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else if status == StatusCode::NOT_FOUND {
                "not_found"
            } else if status.is_server_error() {
                "internal"
            } else {
                "bad_request"
            };
            let body = ErrorBody {
                error: ErrorDetail {
                    code,
                    field: None,
                    message,
                    existing: None,
                    allowed: Vec::new(),
                },
            };
            (status, axum::Json(body)).into_response()
        }
        Face::Open311 { xml } => open311_errors(xml, status, &message),
        Face::Page => crate::layout::error_page_with(status, message, None),
    }
}

/// What a refusal known only by its status says: the router's 404 and 405, and any error a
/// layer answers before the handlers run.
pub fn status_message(face: Face, status: StatusCode, method: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => StoreError::NotFound("页面".into()).to_string(),
        StatusCode::METHOD_NOT_ALLOWED if face == Face::Page => {
            format!("此页面不接受这样打开（{method}）：请从页面上的链接或按钮操作")
        }
        StatusCode::METHOD_NOT_ALLOWED => format!("此地址不支持 {method} 请求"),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "提交的内容太大（上限 {} MB）：请精简或分几次提交",
            crate::BODY_LIMIT / (1024 * 1024)
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "提交的表单格式不对，没有保存：请刷新页面后重新填写提交".into()
        }
        s => format!("请求没有完成（错误 {}）：请刷新页面后重试", s.as_u16()),
    }
}

/// Open311's error list, `[{"code", "description"}]` or `<errors>…</errors>`.
pub fn open311_errors(xml: bool, status: StatusCode, description: &str) -> Response {
    let code = status.as_u16();
    if !xml {
        let body = serde_json::json!([{ "code": code, "description": description }]);
        return (status, axum::Json(body)).into_response();
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>{code}</code><description>{}</description></error></errors>",
        shequ_text::xml_escape(description)
    );
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The status the Open311 spec names for each kind of failure (its answers keep their own
/// body shape, `[{"code", "description"}]`, but the status is decided here like every other).
pub fn open311_status(kind: shequ_store::tickets::open311::Open311Kind) -> StatusCode {
    use shequ_store::tickets::open311::Open311Kind;
    match kind {
        Open311Kind::BadRequest => StatusCode::BAD_REQUEST,
        Open311Kind::Forbidden => StatusCode::FORBIDDEN,
        Open311Kind::NotFound => StatusCode::NOT_FOUND,
        Open311Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
