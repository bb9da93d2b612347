//! Server-rendered pages in Simplified Chinese. Handlers gather records through the store
//! (always with the acting user) and hand plain structs to askama templates.

pub(crate) mod account;
pub mod audit;
pub mod files;
pub mod form;
pub mod imports;

use std::collections::HashMap;

use crate::extract::{Form, Query};
use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_store::{StoreError, access::users, registry::search};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::{PageUser, clear_cookie, session_cookie};
use crate::error::AppError;
use crate::state::AppState;

/// The pages every line shares (start page, login, search, files), then each line's pages in
/// the order of `LINES`.
pub fn routes() -> Routes {
    Routes::new()
        .get("/login", rule(Need::Public, Target::None), login_page)
        .post("/login", rule(Need::Public, Target::None), login)
        .post("/logout", rule(Need::LoggedIn, Target::None), logout)
        .get("/search", rule(Need::ReadPeople, Target::None), search_page)
        .merge(files::routes())
}

/// A stored time (RFC 3339 UTC) as the office reads it: local, to the minute.
pub fn local_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| {
            shequ_domain::clock::local(&d)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_string())
}

pub use crate::layout::{Layout, PageError, PageResult, error_page, render};

/// The layout of a logged-in user's page (here, not in `layout`: it asks `access` whether to
/// show the search box, and the error page below `access` must not).
impl Layout {
    pub fn new(title: impl Into<String>, user: &PageUser) -> Layout {
        Layout {
            title: title.into(),
            user: Some(format!(
                "{}（{}）",
                user.actor.display_name,
                user.actor.role.label()
            )),
            csrf: user.csrf.clone(),
            query: String::new(),
            crumbs: vec![],
            flash: None,
            search: Need::ReadPeople.allows(&user.actor),
        }
    }
}

pub fn check_csrf(user: &PageUser, form: &HashMap<String, String>) -> Result<(), PageError> {
    match form.get("csrf") {
        Some(t) if *t == user.csrf => Ok(()),
        _ => Err(PageError(AppError::BadRequest(
            "页面已过期（安全校验失败），请刷新页面后重新提交".into(),
        ))),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    l: Layout,
    error: Option<String>,
    next: String,
    username: String,
    attempts: i64,
    minutes: i64,
}

fn safe_next(next: Option<&String>) -> String {
    // Only local paths: never bounce a fresh login to another site.
    next.filter(|n| crate::auth::is_local_path(n))
        .cloned()
        .unwrap_or_else(|| "/".into())
}

/// The login form before any session exists: a random token in a cookie of its own and the
/// same token in the form (double submit). Another site can make a browser post the form but
/// can neither read nor set the cookie, so it can't log the browser into its own account.
const LOGIN_COOKIE: &str = "shequ_login";

fn login_form(st: &AppState, mut page: Login, status: StatusCode) -> PageResult {
    let token = users::random_token(16).map_err(AppError::from)?;
    page.l.csrf = token.clone();
    let mut r = render(&page);
    *r.status_mut() = status;
    let secure = if st.inner.secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    Ok(r)
}

fn login_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

async fn login_page(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let page = Login {
        l: Layout::anonymous("登录"),
        error: None,
        next: safe_next(q.get("next")),
        username: String::new(),
        attempts: st.inner.login.attempts,
        minutes: st.inner.login.lock_minutes,
    };
    login_form(&st, page, StatusCode::OK)
}

/// The login form. Only the user name is trimmed: the password is checked exactly as typed,
/// and `next` and the token are compared as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    username: form::Text,
    password: String,
    next: String,
    csrf: String,
}

async fn login(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    let form: LoginForm = form::typed(&raw);
    let username = form.username.get();
    let password = form.password;
    let next = safe_next(Some(&form.next));
    let policy = st.inner.login;
    let page = |error: String| Login {
        l: Layout::anonymous("登录"),
        error: Some(error),
        next: next.clone(),
        username: username.clone(),
        attempts: policy.attempts,
        minutes: policy.lock_minutes,
    };
    let sent = form.csrf.as_str();
    let matches = login_cookie(&headers).is_some_and(|c| {
        c.len() == sent.len() && c.bytes().zip(sent.bytes()).fold(0, |a, (x, y)| a | (x ^ y)) == 0
    });
    if !matches {
        return login_form(
            &st,
            page("页面已过期（安全校验失败），请重新输入密码登录".into()),
            // As every other form without its token.
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let result = crate::auth::login(&st, username.clone(), password).await;
    match result {
        Ok((session, _)) => {
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&session.token, st.inner.secure)) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{LOGIN_COOKIE}=; Path=/login; HttpOnly; Max-Age=0"
            )) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(AppError::Store(StoreError::Forbidden(m))) => {
            login_form(&st, page(m), StatusCode::UNAUTHORIZED)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(st): State<AppState>,
    user: PageUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let (actor, token) = (user.actor.clone(), user.token.clone());
    st.db(move |c| users::logout(c, &actor, &token)).await?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    // Nothing of this user stays on the phone: the offline copies of the due list and its
    // forms, the outbox and the drafts (field.js clears them too, for browsers without this).
    r.headers_mut().insert(
        "clear-site-data",
        HeaderValue::from_static("\"cache\", \"storage\""),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "registry/search.html")]
struct SearchPage {
    l: Layout,
    hits: Vec<search::Hit>,
}

async fn search_page(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let query = q.get("q").cloned().unwrap_or_default();
    let actor = user.actor.clone();
    let qq = query.clone();
    let hits = st.db(move |c| search::search(c, &actor, &qq, 50)).await?;
    let mut l = Layout::new("搜索", &user);
    l.query = query;
    Ok(render(&SearchPage { l, hits }))
}
