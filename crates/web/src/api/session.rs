//! The caller's session and account in the API: logging in and out, who am I, binding the
//! second factor and passing it for this session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shequ_store::access::{second_factor, users};
use utoipa::{OpenApi, ToSchema};

use super::{ApiJson, ApiResult};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Routes {
    use Need::*;
    let none = |need| rule(need, Target::None);
    Routes::new()
        .post("/api/v1/session", none(Public), login)
        .delete("/api/v1/session", none(LoggedIn), logout)
        .get("/api/v1/me", none(LoggedIn), me)
        .post("/api/v1/me/totp", none(LoggedIn), begin_totp)
        .post("/api/v1/session/totp", none(LoggedIn), verify_totp)
}

#[derive(OpenApi)]
#[openapi(
    paths(login, logout, me, begin_totp, verify_totp),
    components(schemas(
        LoginRequest,
        LoginResponse,
        Me,
        TotpEnrollment,
        TotpRequest,
        TotpBindRequest
    ))
)]
pub(crate) struct SessionDoc;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    token: String,
    user: Me,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    role_label: String,
    scope: Vec<i64>,
    /// This session passed the second factor (needed to reveal or export personal data).
    second_factor_passed: bool,
}

fn me_of(a: &shequ_store::Actor) -> Me {
    Me {
        id: a.user_id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.as_str().into(),
        role_label: a.role.label().into(),
        scope: a.nodes.iter().map(|n| n.id).collect(),
        second_factor_passed: a.mfa,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// The secret in base32, for typing into an authenticator app by hand.
    secret: String,
    /// otpauth:// URI (what the QR code on the account page holds).
    otpauth_uri: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpBindRequest {
    /// 安全管理员发放的一次性绑定码（12 位数字，`shequ user bind-code`）
    binding_code: String,
}

/// Starts binding an authenticator: a new secret, pending until a code confirms it
/// (POST /api/v1/session/totp). Needs the one-time binding code the security administrator
/// issued: the password alone never binds a second factor.
#[utoipa::path(post, path = "/api/v1/me/totp", request_body = TotpBindRequest,
    responses((status = 200, body = TotpEnrollment), (status = 409, body = ErrorBody, description = "已绑定，需安全管理员重置"),
        (status = 422, body = ErrorBody, description = "绑定码不正确、已过期，或输错次数过多")))]
async fn begin_totp(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<TotpBindRequest>,
) -> ApiResult<TotpEnrollment> {
    let username = user.actor.username.clone();
    let secret = st
        .db(move |c| second_factor::begin(c, &user.actor, &req.binding_code))
        .await?;
    Ok(Json(TotpEnrollment {
        secret: secret.to_base32(),
        otpauth_uri: second_factor::uri(&secret, &username),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpRequest {
    /// 手机验证器上的 6 位动态验证码
    code: String,
}

/// Passes the second factor for this session (and confirms a pending binding). A code is
/// accepted once.
#[utoipa::path(post, path = "/api/v1/session/totp", request_body = TotpRequest,
    responses((status = 200, body = Me), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn verify_totp(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<TotpRequest>,
) -> ApiResult<Me> {
    let mut actor = user.actor.clone();
    st.db(move |c| second_factor::verify(c, &user.actor, &user.token, &req.code))
        .await?;
    actor.mfa = true;
    Ok(Json(me_of(&actor)))
}

#[utoipa::path(post, path = "/api/v1/session", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 403, body = ErrorBody)))]
async fn login(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<LoginResponse> {
    let (session, actor) = crate::auth::login(&st, req.username, req.password).await?;
    Ok(Json(LoginResponse {
        token: session.token,
        user: me_of(&actor),
    }))
}

#[utoipa::path(delete, path = "/api/v1/session", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(st): State<AppState>, user: ApiUser) -> Result<StatusCode, AppError> {
    st.db(move |c| users::logout(c, &user.actor, &user.token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(user: ApiUser) -> ApiResult<Me> {
    Ok(Json(me_of(&user.actor)))
}
