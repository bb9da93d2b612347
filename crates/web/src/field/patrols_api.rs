//! 巡查 in the JSON API: the types and their checklists, schedules, the due list, recording a
//! patrol (problems found become 事件).

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shequ_store::field::patrols::{
    self, DuePatrol, PatrolInput, PatrolRecorded, PatrolType, ScheduleInput,
};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::access::{Need, Routes, Target, rule};
use crate::api::{ApiJson, ApiResult, created};
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    use Need::*;
    Routes::new()
        .get("/api/v1/patrol-types", rule(LoggedIn, Target::None), types)
        .post(
            "/api/v1/patrol-types/checklist",
            rule(DistrictSettings, Target::None),
            set_checklist,
        )
        .post(
            "/api/v1/patrol-types/community-items",
            rule(Settings, Target::None),
            set_community_items,
        )
        .post(
            "/api/v1/patrol-schedules",
            rule(ManageTree, Target::None),
            add_schedule,
        )
        .get(
            "/api/v1/nodes/{id}/due-patrols",
            rule(WorkTickets, Target::Record(RecordKind::Node)),
            due,
        )
        .upload(
            "/api/v1/patrols",
            rule(WorkTickets, Target::None),
            crate::pages::files::PHOTO_BODY_LIMIT,
            record,
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(types, set_checklist, set_community_items, add_schedule, due, record),
    components(schemas(
        PatrolType,
        ChecklistRequest,
        ScheduleInput,
        DuePatrol,
        PatrolInput,
        PatrolRecorded
    ))
)]
pub struct PatrolsDoc;

#[utoipa::path(get, path = "/api/v1/patrol-types", responses((status = 200, body = Vec<PatrolType>)))]
async fn types(State(st): State<AppState>, user: ApiUser) -> ApiResult<Vec<PatrolType>> {
    // A user of one community sees its own checklist items too.
    let own = match user.actor.communities.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    Ok(Json(st.db(move |c| patrols::types_for(c, own)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistRequest {
    code: String,
    items: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/patrol-types/checklist", request_body = ChecklistRequest,
    responses((status = 200, body = PatrolType), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_checklist(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<ChecklistRequest>,
) -> ApiResult<PatrolType> {
    Ok(Json(
        st.db(move |c| patrols::set_checklist(c, &user.actor, &req.code, &req.items))
            .await?,
    ))
}

/// The community's own checklist items of a type (asked after the district's, in this
/// community only); an empty list removes them.
#[utoipa::path(post, path = "/api/v1/patrol-types/community-items", request_body = ChecklistRequest,
    responses((status = 200, body = PatrolType), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_community_items(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<ChecklistRequest>,
) -> ApiResult<PatrolType> {
    Ok(Json(
        st.db(move |c| patrols::set_community_items(c, &user.actor, &req.code, &req.items))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/patrol-schedules", request_body = ScheduleInput,
    responses((status = 201, body = crate::api::Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_schedule(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<ScheduleInput>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| patrols::add_schedule(c, &user.actor, &req))
        .await?;
    Ok(created(crate::api::Created::unversioned(id)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Also list those due within this many days (default 7).
    #[serde(default)]
    days: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/due-patrols", operation_id = "due_patrols", params(("id" = i64, Path), DueQuery),
    responses((status = 200, body = Vec<DuePatrol>), (status = 403, body = ErrorBody)))]
async fn due(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<DueQuery>,
) -> ApiResult<Vec<DuePatrol>> {
    let days = q.days.unwrap_or(7);
    Ok(Json(
        st.db(move |c| patrols::due(c, &user.actor, id, days))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/patrols", operation_id = "record_patrol", request_body = PatrolInput,
    responses((status = 201, body = PatrolRecorded), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<PatrolInput>,
) -> Result<Response, AppError> {
    let done = st
        .db(move |c| patrols::record(c, &user.actor, &req))
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(done)).into_response())
}
