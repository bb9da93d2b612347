//! Who is asking. Pages use a session cookie plus a CSRF token in every form; the API uses the
//! same sessions as a bearer token (no cookies, so no CSRF exposure).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use shequ_store::{Actor, access::users};

use crate::error::AppError;
use crate::state::AppState;

/// The caller, resolved by the access guard and handed to the handler's extractor.
#[derive(Clone)]
pub struct Authed {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
}

pub const COOKIE_NAME: &str = "shequ_session";

pub fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

pub(crate) fn bearer_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?.trim();
    (!t.is_empty() && t.len() <= 128).then(|| t.to_string())
}

/// The session token a request carries: the API's bearer token, else the pages' cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    bearer_token(parts).or_else(|| cookie_token(parts))
}

pub(crate) async fn resolve(
    state: &AppState,
    token: String,
) -> Result<Option<(Actor, String)>, AppError> {
    let idle = Duration::from_std(state.inner.idle).unwrap_or(Duration::minutes(30));
    let read_token = token.clone();
    // Most requests come from a session seen within the minute: answered by reads alone,
    // here when it can be (`AppState::read_here`). Ending or touching a session is a write,
    // which waits for a database worker, without reading the session again.
    let resumed = state
        .point_read(move |c| users::resume_without_writing(c, &read_token, idle))
        .await?;
    match resumed {
        users::Resumed::Found(found) => Ok(found),
        users::Resumed::Expired => {
            state
                .db(move |c| users::end_idle_session(c, &token))
                .await?;
            Ok(None)
        }
        users::Resumed::DueTouch(found) => {
            state.db(move |c| users::touch_session(c, &token)).await?;
            Ok(Some(found))
        }
    }
}

/// Checks a login in three steps, so that hashing never blocks a writer: read the account
/// (a pooled connection, briefly), verify the password with no connection held and at most a
/// few verifications at a time, then settle it in one short write transaction.
pub async fn login(
    state: &AppState,
    username: String,
    password: String,
) -> Result<(users::Session, Actor), AppError> {
    let policy = state.inner.login;
    let candidate = state
        .db(move |c| users::login_candidate(c, &username))
        .await?;
    let ok = {
        let _permit = state
            .inner
            .login_hashing
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("登录排队失败：{e}")))?;
        let candidate = std::sync::Arc::new(candidate);
        let c = candidate.clone();
        let ok = tokio::task::spawn_blocking(move || c.verify(&password))
            .await
            .map_err(|e| AppError::Internal(format!("后台任务失败：{e}")))?;
        (ok, candidate)
    };
    let (ok, candidate) = ok;
    state
        .db(move |c| users::finish_login(c, &candidate, ok, policy))
        .await
}

/// A logged-in user on a page.
pub struct PageUser {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let next: String = url_encode(next);
            Redirect::to(&format!("/login?next={next}")).into_response()
        };
        if let Some(a) = parts.extensions.remove::<Authed>() {
            return Ok(PageUser {
                actor: a.actor,
                csrf: a.csrf,
                token: a.token,
            });
        }
        let Some(token) = cookie_token(parts) else {
            return Err(to_login());
        };
        match resolve(state, token.clone()).await {
            Ok(Some((actor, csrf))) => Ok(PageUser { actor, csrf, token }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(crate::layout::error_page(&e)),
        }
    }
}

/// A logged-in API client.
pub struct ApiUser {
    pub actor: Actor,
    pub token: String,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.remove::<Authed>() {
            return Ok(ApiUser {
                actor: a.actor,
                token: a.token,
            });
        }
        let token = bearer_token(parts).ok_or(AppError::NotLoggedIn)?;
        match resolve(state, token.clone()).await? {
            Some((actor, _)) => Ok(ApiUser { actor, token }),
            None => Err(AppError::NotLoggedIn),
        }
    }
}

/// Percent-encoded for a URL, slashes kept (a `next=` path, a file name in a header).
pub fn url_encode(s: &str) -> String {
    shequ_text::percent_encode(s, b"/")
}

/// The cookie is HttpOnly and SameSite=Lax; `Secure` is added when the request came over TLS
/// (see `secure` flag from the server setup).
pub fn session_cookie(token: &str, secure: bool) -> String {
    let s = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax{s}")
}

pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Is `next` (already percent-decoded) a path of this site to send a browser to after a form?
/// Only a single leading '/': browsers read `\` as `/` and drop tabs and line breaks inside a
/// URL, so `/\evil.example` and `/<TAB>/evil.example` would leave the site.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_local() {
        for ok in ["/", "/nodes/4?tab=visits", "/account"] {
            assert!(super::is_local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example/",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert!(!super::is_local_path(bad), "{bad:?}");
        }
    }
}
