//! 期间锁定: a community head locks the periods already reported, so nothing more is back-dated
//! into them (`shequ_store::periods`); the page shows the lock and changes it, the API too.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_store::access::scope::RecordKind;
use shequ_store::periods::{self, PeriodLock};
use shequ_store::registry::tree::Node;
use utoipa::ToSchema;

use crate::access::{Need, Routes, Target, rule};
use crate::api::ApiResult;
use crate::auth::{ApiUser, PageUser};
use crate::error::{AppError, ErrorBody};
use crate::extract::{Form, Path};
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;

pub fn api_routes() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get(
            "/api/v1/nodes/{id}/period-lock",
            node(Need::ViewArea),
            get_lock,
        )
        .put(
            "/api/v1/nodes/{id}/period-lock",
            node(Need::Settings),
            put_lock,
        )
        .post(
            "/api/v1/nodes/{id}/period-lock/release",
            node(Need::Settings),
            release_lock,
        )
}

pub fn pages() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/period-lock", node(Need::ViewArea), page)
        .post("/nodes/{id}/period-lock", node(Need::Settings), change)
}

/// The community's lock, if any.
#[derive(Serialize, ToSchema)]
pub struct LockState {
    community_id: i64,
    lock: Option<PeriodLock>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/period-lock", params(("id" = i64, Path)),
    responses((status = 200, body = LockState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_lock(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<LockState> {
    Ok(Json(
        st.db(move |c| {
            let (community, lock) = periods::of_node(c, &user.actor, id)?;
            Ok(LockState {
                community_id: community.id,
                lock,
            })
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockInput {
    /// Records dated on or before this day can no longer be entered (a day before today).
    through_on: NaiveDate,
    /// Why (“2025年度工作总结已上报”).
    reason: String,
}

#[utoipa::path(put, path = "/api/v1/nodes/{id}/period-lock", params(("id" = i64, Path)), request_body = LockInput,
    responses((status = 200, body = PeriodLock), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_lock(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<LockInput>,
) -> ApiResult<PeriodLock> {
    Ok(Json(
        st.db(move |c| periods::lock(c, &user.actor, id, input.through_on, &input.reason))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// Why the lock is released (“补录上级反馈的漏报走访”).
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/period-lock/release", params(("id" = i64, Path)), request_body = ReleaseInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn release_lock(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<ReleaseInput>,
) -> Result<axum::http::StatusCode, AppError> {
    st.db(move |c| periods::release(c, &user.actor, id, &input.reason))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "figures/period_lock.html")]
struct LockPage {
    l: Layout,
    node: Node,
    lock: Option<PeriodLock>,
    can_change: bool,
    error: Option<String>,
    /// The latest day that may be locked (yesterday), for the date field.
    latest: NaiveDate,
}

async fn view(
    st: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<LockPage, PageError> {
    let actor = user.actor.clone();
    let (node, lock) = st.db(move |c| periods::of_node(c, &actor, id)).await?;
    let mut l = Layout::new(format!("{} 期间锁定", node.name), user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(LockPage {
        l,
        can_change: user.actor.role.manages_community_settings(),
        node,
        lock,
        error,
        latest: shequ_store::today() - chrono::Duration::days(1),
    })
}

async fn page(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    Ok(render(&view(&st, &user, id, None).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LockForm {
    /// "lock" or "release".
    action: Text,
    through_on: Text,
    reason: Text,
}

async fn change(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: LockForm = typed(&raw);
    let release = form.action.get() == "release";
    let through = if release {
        None
    } else {
        Some(form.through_on.date("锁定至")?.ok_or_else(|| {
            PageError(AppError::from(shequ_store::StoreError::invalid(
                "锁定至",
                "请选择锁定到哪一天",
            )))
        })?)
    };
    let reason = form.reason.get();
    let actor = user.actor.clone();
    let done = st
        .db(move |c| match through {
            Some(day) => periods::lock(c, &actor, id, day, &reason).map(|_| ()),
            None => periods::release(c, &actor, id, &reason),
        })
        .await;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/nodes/{id}/period-lock")).into_response()),
        Err(e) if matches!(e.status().as_u16(), 409 | 422) => {
            let mut r = render(&view(&st, &user, id, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
