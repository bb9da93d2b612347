//! 事件 in the JSON API: report, list (open, overdue), one ticket with its timeline, a step of
//! the workflow (409 with the possible steps when the state doesn't allow it), the period's
//! rates, and the configuration (categories, time limits, the working-day calendar).

use crate::extract::{Path, Query};
use crate::figures::PeriodQuery;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_store::tickets::dispatch_targets::{self as targets, Target as DispatchTarget};
use shequ_store::tickets::{
    self, Category, ChannelRate, ListFilter, Rate, Rates, StepInput, Ticket, TicketEvent,
    TicketInput, TimeLimit,
};
use utoipa::{OpenApi, ToSchema};

use shequ_store::attachments::{Attachment, NewFile};
use shequ_store::tickets::settings::CategoryInput;

use crate::access::{Need, Routes, Target, rule};
use crate::api::{ApiJson, ApiResult, Created, created};
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::pages::files::{PHOTO_BODY_LIMIT, file_response};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    use Need::*;
    Routes::new()
        .get(
            "/api/v1/ticket-categories",
            rule(LoggedIn, Target::None),
            categories,
        )
        .post(
            "/api/v1/ticket-categories",
            rule(Settings, Target::None),
            set_category,
        )
        .post(
            "/api/v1/ticket-time-limits",
            rule(Settings, Target::None),
            set_time_limit,
        )
        .post(
            "/api/v1/calendar-days",
            rule(DistrictSettings, Target::None),
            set_calendar_day,
        )
        .upload(
            "/api/v1/tickets",
            rule(WorkTickets, Target::None),
            PHOTO_BODY_LIMIT,
            create,
        )
        .upload(
            "/api/v1/tickets/{id}/attachments",
            rule(WorkTickets, Target::Record(RecordKind::Ticket)),
            PHOTO_BODY_LIMIT,
            add_files,
        )
        .get(
            "/api/v1/attachments/{id}",
            rule(AttachedRecord, Target::Record(RecordKind::Attachment)),
            attachment,
        )
        .get(
            "/api/v1/nodes/{id}/tickets",
            rule(WorkTickets, Target::Record(RecordKind::Node)),
            list,
        )
        .get(
            "/api/v1/nodes/{id}/dispatch-targets",
            rule(WorkTickets, Target::Record(RecordKind::Node)),
            dispatch_targets,
        )
        .get(
            "/api/v1/nodes/{id}/ticket-rates",
            rule(ViewArea, Target::Record(RecordKind::Node)),
            rates,
        )
        .get(
            "/api/v1/tickets/{id}",
            rule(WorkTickets, Target::Record(RecordKind::Ticket)),
            get,
        )
        .post(
            "/api/v1/tickets/{id}/steps",
            rule(WorkTickets, Target::Record(RecordKind::Ticket)),
            step,
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        categories,
        set_category,
        set_time_limit,
        set_calendar_day,
        create,
        list,
        dispatch_targets,
        rates,
        get,
        step,
        add_files,
        attachment
    ),
    components(schemas(
        Category,
        TimeLimit,
        Catalogue,
        TimeLimitRequest,
        CategoryInput,
        CalendarDayRequest,
        TicketInput,
        NewFile,
        Attachment,
        FilesRequest,
        Ticket,
        TicketEvent,
        TicketDetail,
        StepInput,
        Rate,
        Rates,
        ChannelRate,
        DispatchTarget
    ))
)]
pub struct TicketsDoc;

#[derive(Serialize, ToSchema)]
pub struct Catalogue {
    categories: Vec<Category>,
    time_limits: Vec<TimeLimit>,
}

#[utoipa::path(get, path = "/api/v1/ticket-categories",
    responses((status = 200, body = Catalogue)))]
async fn categories(State(st): State<AppState>, user: ApiUser) -> ApiResult<Catalogue> {
    Ok(Json(
        st.db(move |c| {
            Ok(Catalogue {
                categories: tickets::categories(c, &user.actor.communities)?,
                time_limits: tickets::time_limits(c)?,
            })
        })
        .await?,
    ))
}

/// Adds or changes a category (a 大类 "07" or a 小类 "0703" with its time limits); retiring
/// one (active: false) keeps it on old tickets.
#[utoipa::path(post, path = "/api/v1/ticket-categories", request_body = CategoryInput,
    responses((status = 200, body = Catalogue), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_category(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<CategoryInput>,
) -> ApiResult<Catalogue> {
    Ok(Json(
        st.db(move |c| {
            shequ_store::tickets::settings::set_category(c, &user.actor, &req)?;
            Ok(Catalogue {
                categories: tickets::categories(c, &user.actor.communities)?,
                time_limits: tickets::time_limits(c)?,
            })
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeLimitRequest {
    code: String,
    amount: i64,
    /// hours | working_hours | working_days | days (or 小时/工作小时/工作日/天)
    unit: String,
}

#[utoipa::path(post, path = "/api/v1/ticket-time-limits", request_body = TimeLimitRequest,
    responses((status = 200, body = Catalogue), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_time_limit(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<TimeLimitRequest>,
) -> ApiResult<Catalogue> {
    Ok(Json(
        st.db(move |c| {
            tickets::set_time_limit(c, &user.actor, &req.code, req.amount, &req.unit)?;
            Ok(Catalogue {
                categories: tickets::categories(c, &user.actor.communities)?,
                time_limits: tickets::time_limits(c)?,
            })
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayRequest {
    day: NaiveDate,
    /// false: a holiday; true: a weekend day worked in exchange (调休).
    workday: bool,
    /// 国庆节, 国庆调休 …
    name: String,
}

#[utoipa::path(post, path = "/api/v1/calendar-days", request_body = CalendarDayRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn set_calendar_day(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<CalendarDayRequest>,
) -> Result<axum::http::StatusCode, AppError> {
    st.db(move |c| tickets::set_calendar_day(c, &user.actor, req.day, req.workday, &req.name))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/tickets", request_body = TicketInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<TicketInput>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| {
            tickets::create(c, &user.actor, &req)
                .and_then(|id| Created::of(c, RecordKind::Ticket, id))
        })
        .await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/tickets", params(("id" = i64, Path), ListFilter),
    responses((status = 200, body = Vec<Ticket>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(filter): Query<ListFilter>,
) -> ApiResult<Vec<Ticket>> {
    Ok(Json(
        st.db(move |c| tickets::list(c, &user.actor, id, &filter))
            .await?,
    ))
}

/// The 派遣对象 of the node's community: a dispatch names one of them (`target_id`).
#[utoipa::path(get, path = "/api/v1/nodes/{id}/dispatch-targets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DispatchTarget>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dispatch_targets(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<DispatchTarget>> {
    Ok(Json(
        st.db(move |c| targets::list(c, &user.actor, id)).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/ticket-rates", params(("id" = i64, Path), PeriodQuery),
    responses((status = 200, body = Rates), (status = 422, body = ErrorBody)))]
async fn rates(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Rates> {
    let (from, to) = q.period();
    Ok(Json(
        st.db(move |c| tickets::rates(c, &user.actor, id, from, to))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TicketDetail {
    ticket: Ticket,
    /// Every step, oldest first.
    timeline: Vec<TicketEvent>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<TicketDetail> {
    let (ticket, timeline) = st.db(move |c| tickets::get(c, &user.actor, id)).await?;
    Ok(Json(TicketDetail { ticket, timeline }))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/steps", params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn step(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<StepInput>,
) -> ApiResult<Ticket> {
    Ok(Json(
        st.db(move |c| tickets::step(c, &user.actor, id, &req))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesRequest {
    /// Photos or files, at most nine at a time.
    files: Vec<NewFile>,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", params(("id" = i64, Path)), request_body = FilesRequest,
    responses((status = 200, body = Vec<Attachment>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_files(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<FilesRequest>,
) -> ApiResult<Vec<Attachment>> {
    Ok(Json(
        st.db(move |c| {
            let files = shequ_store::attachments::gather(&req.files, &[])?;
            tickets::add_files(c, &user.actor, id, &files)?;
            Ok(tickets::get(c, &user.actor, id)?.0.attachments)
        })
        .await?,
    ))
}

/// The bytes of a photo or file, for a caller who may see the record it belongs to.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", params(("id" = i64, Path)),
    responses((status = 200, description = "The file, with the media type found from its content",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"),
                (Vec<u8> = "image/heic"), (Vec<u8> = "application/pdf"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn attachment(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (a, content) = st
        .db(move |c| shequ_store::attachments::open(c, &user.actor, id))
        .await?;
    Ok(file_response(&a, content))
}
