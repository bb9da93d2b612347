//! 走访 in the JSON API: the due list of a node (my visits), overdue counts per grid, the rules,
//! recording a visit (problems found become 事件), a person's past visits.

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shequ_store::field::visits::{
    self, DueVisit, GridOverdue, PastVisit, ProblemInput, Recorded, VisitInput, VisitRule,
};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::access::{Need, Routes, Target, rule};
use crate::api::{ApiJson, ApiResult};
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    use Need::*;
    Routes::new()
        .get(
            "/api/v1/nodes/{id}/due-visits",
            rule(ReadPeople, Target::Record(RecordKind::Node)),
            due,
        )
        .get(
            "/api/v1/nodes/{id}/overdue-visits",
            rule(ReadPeople, Target::Record(RecordKind::Node)),
            overdue,
        )
        .get(
            "/api/v1/nodes/{id}/visit-rules",
            rule(ViewArea, Target::Record(RecordKind::Node)),
            list_rules,
        )
        .post(
            "/api/v1/nodes/{id}/visit-rules",
            rule(ManageTree, Target::Record(RecordKind::Node)),
            set_rule,
        )
        .upload(
            "/api/v1/visits",
            rule(WritePeople, Target::None),
            crate::pages::files::PHOTO_BODY_LIMIT,
            record,
        )
        .get(
            "/api/v1/persons/{id}/visits",
            rule(ReadPeople, Target::Record(RecordKind::Person)),
            history,
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(due, overdue, list_rules, set_rule, record, history),
    components(schemas(
        DueVisit,
        GridOverdue,
        VisitRule,
        RuleRequest,
        VisitInput,
        ProblemInput,
        Recorded,
        PastVisit
    ))
)]
pub struct VisitsDoc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Also list those due within this many days (default 7).
    #[serde(default)]
    days: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/due-visits", params(("id" = i64, Path), DueQuery),
    responses((status = 200, body = Vec<DueVisit>), (status = 403, body = ErrorBody)))]
async fn due(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<DueQuery>,
) -> ApiResult<Vec<DueVisit>> {
    let days = q.days.unwrap_or(7);
    Ok(Json(
        st.db(move |c| visits::due(c, &user.actor, id, days))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/overdue-visits", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<GridOverdue>), (status = 403, body = ErrorBody)))]
async fn overdue(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<GridOverdue>> {
    Ok(Json(
        st.db(move |c| visits::overdue_by_grid(c, &user.actor, id))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/visit-rules", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VisitRule>), (status = 422, body = ErrorBody)))]
async fn list_rules(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<VisitRule>> {
    Ok(Json(
        st.db(move |c| {
            let node = shequ_store::registry::tree::get(c, &user.actor, id)?;
            let community = node.community_id.ok_or_else(|| {
                shequ_store::StoreError::invalid(
                    "社区",
                    "走访频次按社区设定，请选择社区或其下的节点",
                )
            })?;
            visits::rules(c, community)
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    /// A special group's code or label (correction, 登记失业 …).
    tag_kind: String,
    #[serde(default)]
    category: Option<String>,
    /// 低风险 | 中风险 | 高风险, for groups that assess risk.
    #[serde(default)]
    risk: Option<String>,
    every_days: i64,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/visit-rules", params(("id" = i64, Path)), request_body = RuleRequest,
    responses((status = 200, body = Vec<VisitRule>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_rule(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RuleRequest>,
) -> ApiResult<Vec<VisitRule>> {
    Ok(Json(
        st.db(move |c| {
            visits::set_rule(
                c,
                &user.actor,
                id,
                &req.tag_kind,
                req.category.as_deref(),
                req.risk.as_deref(),
                req.every_days,
            )?;
            visits::rules(c, id)
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/visits", request_body = VisitInput,
    responses((status = 201, body = Recorded), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<VisitInput>,
) -> Result<Response, AppError> {
    let done = st.db(move |c| visits::record(c, &user.actor, &req)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(done)).into_response())
}

#[utoipa::path(get, path = "/api/v1/persons/{id}/visits", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PastVisit>), (status = 403, body = ErrorBody)))]
async fn history(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<PastVisit>> {
    Ok(Json(
        st.db(move |c| visits::history(c, &user.actor, id, 20))
            .await?,
    ))
}
