//! “我的账号”: the second factor. A user binds an authenticator app by scanning a QR code and
//! typing its first code; later codes let a session reveal and export personal data.

use std::collections::HashMap;

use crate::extract::{Form, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_store::access::second_factor::{self, Status};

use super::form::{Text, typed};
use super::{Layout, PageResult, check_csrf, render};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::state::AppState;

pub fn routes() -> Routes {
    let me = rule(Need::LoggedIn, Target::None);
    Routes::new()
        .get("/account", me, page)
        .post("/account/totp/begin", me, begin)
        .post("/account/totp/verify", me, verify)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    role: &'static str,
    status: Status,
    mfa: bool,
    /// Shown once, right after a new secret is made.
    qr_svg: Option<String>,
    /// The same `otpauth://` address the QR code holds, as a link: on the phone that runs the
    /// authenticator there is nothing to scan it with, and the system opens the app from it.
    otpauth: Option<String>,
    secret: Option<String>,
    error: Option<String>,
    next: String,
    bind_hours: i64,
}

/// Only a path of this site: never an absolute or protocol-relative address.
fn safe_next(next: &str) -> String {
    if crate::auth::is_local_path(next) {
        next.to_string()
    } else {
        "/account".into()
    }
}

async fn render_page(
    st: &AppState,
    user: &PageUser,
    new_secret: Option<(String, String)>,
    error: Option<String>,
    next: String,
) -> PageResult {
    let uid = user.actor.user_id;
    let status = st.db(move |c| second_factor::status(c, uid)).await?;
    let (qr_svg, otpauth, secret) = match new_secret {
        Some((uri, secret)) => (
            shequ_domain::access::totp::qr_svg(&uri).ok(),
            Some(uri),
            Some(secret),
        ),
        None => (None, None, None),
    };
    Ok(render(&AccountPage {
        l: Layout::new("我的账号", user),
        role: user.actor.role.label(),
        status,
        mfa: user.actor.mfa,
        qr_svg,
        otpauth,
        secret,
        error,
        next,
        bind_hours: second_factor::BIND_CODE_HOURS,
    }))
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let next = safe_next(q.get("next").map_or("/account", String::as_str));
    render_page(&st, &user, None, None, next).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BeginForm {
    binding_code: Text,
    next: Text,
}

async fn begin(
    State(st): State<AppState>,
    user: PageUser,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: BeginForm = typed(&raw);
    let actor = user.actor.clone();
    let username = actor.username.clone();
    let binding_code = form.binding_code.get();
    let made = st
        .db(move |c| second_factor::begin(c, &actor, &binding_code))
        .await;
    let next = safe_next(&form.next.get());
    match made {
        Ok(secret) => {
            let shown = (second_factor::uri(&secret, &username), secret.to_base32());
            render_page(&st, &user, Some(shown), None, next).await
        }
        Err(e) => render_page(&st, &user, None, Some(e.message()), next).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VerifyForm {
    code: Text,
    next: Text,
}

async fn verify(
    State(st): State<AppState>,
    mut user: PageUser,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: VerifyForm = typed(&raw);
    let (actor, token, code) = (user.actor.clone(), user.token.clone(), form.code.get());
    let next = safe_next(&form.next.get());
    match st
        .db(move |c| second_factor::verify(c, &actor, &token, &code))
        .await
    {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(e) => {
            user.actor.mfa = false;
            render_page(&st, &user, None, Some(e.message()), next).await
        }
    }
}
