//! 矛盾纠纷调解 in the JSON API: the 排查 register, cases (parties, sessions, the labour flow's
//! hand-offs, the outcome), the 人民调解协议书 as .docx, and 排查率 / 调成率 for any period.

use crate::extract::{Path, Query};
use crate::figures::PeriodQuery;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shequ_domain::mediation::{HAND_OFFS, OUTCOMES, SOURCES, TYPES};
use shequ_store::mediation::{
    self, Case, CaseEvent, CaseInput, CloseInput, DisputeFound, HandOffInput, MediationRates,
    Party, PartyInput, Screening, ScreeningInput, Session, SessionInput,
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
        .get(
            "/api/v1/mediation-catalogue",
            rule(LoggedIn, Target::None),
            catalogue,
        )
        .post(
            "/api/v1/nodes/{id}/screenings",
            rule(WritePeople, Target::Record(RecordKind::Node)),
            screen,
        )
        .get(
            "/api/v1/nodes/{id}/screenings",
            rule(ReadPeople, Target::Record(RecordKind::Node)),
            register,
        )
        .post(
            "/api/v1/mediation-cases",
            rule(WritePeople, Target::None),
            open,
        )
        .get(
            "/api/v1/nodes/{id}/mediation-cases",
            rule(ReadPeople, Target::Record(RecordKind::Node)),
            list,
        )
        .get(
            "/api/v1/mediation-cases/{id}",
            rule(ReadPeople, Target::Record(RecordKind::Mediation)),
            get,
        )
        .post(
            "/api/v1/mediation-cases/{id}/sessions",
            rule(WritePeople, Target::Record(RecordKind::Mediation)),
            session,
        )
        .post(
            "/api/v1/mediation-cases/{id}/hand-offs",
            rule(WritePeople, Target::Record(RecordKind::Mediation)),
            hand_off,
        )
        .post(
            "/api/v1/mediation-cases/{id}/close",
            rule(WritePeople, Target::Record(RecordKind::Mediation)),
            close,
        )
        .get(
            "/api/v1/mediation-cases/{id}/agreement.docx",
            rule(WritePeople, Target::Record(RecordKind::Mediation)),
            agreement,
        )
        .get(
            "/api/v1/nodes/{id}/mediation-rates",
            rule(ViewArea, Target::Record(RecordKind::Node)),
            rates,
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        catalogue, screen, register, open, list, get, session, hand_off, close, agreement, rates
    ),
    components(schemas(
        MediationCatalogue,
        CodeLabel,
        DisputeFound,
        ScreeningInput,
        Screening,
        Screened,
        PartyInput,
        CaseInput,
        Party,
        Session,
        CaseEvent,
        Case,
        SessionInput,
        HandOffInput,
        CloseInput,
        MediationRates
    ))
)]
pub struct MediationDoc;

#[derive(Serialize, ToSchema)]
pub struct CodeLabel {
    code: &'static str,
    label: &'static str,
    /// Days allowed (dispute types only).
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MediationCatalogue {
    types: Vec<CodeLabel>,
    sources: Vec<CodeLabel>,
    outcomes: Vec<CodeLabel>,
    hand_offs: Vec<CodeLabel>,
}

fn pairs(list: &'static [(&'static str, &'static str)]) -> Vec<CodeLabel> {
    list.iter()
        .map(|(code, label)| CodeLabel {
            code,
            label,
            days: None,
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/mediation-catalogue", responses((status = 200, body = MediationCatalogue)))]
async fn catalogue(_user: ApiUser) -> Json<MediationCatalogue> {
    Json(MediationCatalogue {
        types: TYPES
            .iter()
            .map(|(code, label, days)| CodeLabel {
                code,
                label,
                days: Some(*days),
            })
            .collect(),
        sources: pairs(SOURCES),
        outcomes: pairs(OUTCOMES),
        hand_offs: pairs(HAND_OFFS),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Screened {
    /// The register entries made.
    ids: Vec<i64>,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/screenings", params(("id" = i64, Path)), request_body = ScreeningInput,
    responses((status = 201, body = Screened), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn screen(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ScreeningInput>,
) -> Result<(axum::http::StatusCode, Json<Screened>), AppError> {
    let ids = st
        .db(move |c| mediation::screen(c, &user.actor, id, &req))
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(Screened { ids })))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/screenings", params(("id" = i64, Path), PeriodQuery),
    responses((status = 200, body = Vec<Screening>), (status = 403, body = ErrorBody)))]
async fn register(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Vec<Screening>> {
    let (from, to) = q.period();
    Ok(Json(
        st.db(move |c| mediation::register(c, &user.actor, id, from, to))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/mediation-cases", request_body = CaseInput,
    responses((status = 201, body = crate::api::Created), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<CaseInput>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| {
            mediation::open(c, &user.actor, &req)
                .and_then(|id| crate::api::Created::of(c, RecordKind::Mediation, id))
        })
        .await?;
    Ok(created(id))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only cases still open (default true), most urgent first.
    #[serde(default)]
    open: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/mediation-cases", operation_id = "list_mediation_cases", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Vec<Case>), (status = 403, body = ErrorBody)))]
async fn list(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Vec<Case>> {
    let open = q.open.unwrap_or(true);
    Ok(Json(
        st.db(move |c| mediation::list(c, &user.actor, id, open))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/mediation-cases/{id}", operation_id = "get_mediation_case", params(("id" = i64, Path)),
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(State(st): State<AppState>, user: ApiUser, Path(id): Path<i64>) -> ApiResult<Case> {
    Ok(Json(
        st.db(move |c| mediation::get(c, &user.actor, id)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/mediation-cases/{id}/sessions", params(("id" = i64, Path)), request_body = SessionInput,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn session(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<SessionInput>,
) -> ApiResult<Case> {
    Ok(Json(
        st.db(move |c| mediation::add_session(c, &user.actor, id, &req))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/mediation-cases/{id}/hand-offs", params(("id" = i64, Path)), request_body = HandOffInput,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn hand_off(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<HandOffInput>,
) -> ApiResult<Case> {
    Ok(Json(
        st.db(move |c| mediation::hand_off(c, &user.actor, id, &req))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/mediation-cases/{id}/close", params(("id" = i64, Path)), request_body = CloseInput,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<CloseInput>,
) -> ApiResult<Case> {
    Ok(Json(
        st.db(move |c| mediation::close(c, &user.actor, id, &req))
            .await?,
    ))
}

/// The 人民调解协议书 of a case settled by agreement (调解成功), as .docx. Audited.
#[utoipa::path(get, path = "/api/v1/mediation-cases/{id}/agreement.docx", params(("id" = i64, Path)),
    responses((status = 200, description = "人民调解协议书",
            content((Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn agreement(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    crate::mediation::agreement::download(&st, user.actor, id).await
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/mediation-rates", operation_id = "mediation_rates", params(("id" = i64, Path), PeriodQuery),
    responses((status = 200, body = MediationRates), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rates(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<MediationRates> {
    let (from, to) = q.period();
    Ok(Json(
        st.db(move |c| mediation::rates(c, &user.actor, id, from, to))
            .await?,
    ))
}
