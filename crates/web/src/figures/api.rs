//! The figures of a node for a period, each with the period before and the year before, and
//! the catalogue they come from.

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shequ_domain::figures::{Period, Unit};
use shequ_store::StoreError;
use shequ_store::access::scope::RecordKind;
use shequ_store::indicators::catalogue::{self, Figures, Shows};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::access::{Need, Routes, Target, rule};
use crate::api::ApiResult;
use crate::auth::ApiUser;
use crate::error::ErrorBody;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/api/v1/indicators",
            rule(Need::ViewArea, Target::None),
            list_indicators,
        )
        .get(
            "/api/v1/nodes/{id}/figures",
            rule(Need::ViewArea, Target::Record(RecordKind::Node)),
            node_figures,
        )
        .get(
            "/api/v1/nodes/{id}/breakdowns/{breakdown}",
            rule(Need::ViewArea, Target::Record(RecordKind::Node)),
            node_breakdown,
        )
        .get(
            "/api/v1/nodes/{id}/figures/{code}/records",
            rule(Need::ViewArea, Target::Record(RecordKind::Node)),
            figure_records,
        )
        .merge(super::locks::api_routes())
        .merge(super::ledgers::api_routes())
        .merge(super::summary::api_routes())
        .merge(super::forms::api_routes())
}

#[derive(OpenApi)]
#[openapi(paths(
    list_indicators,
    node_figures,
    node_breakdown,
    figure_records,
    super::locks::get_lock,
    super::locks::put_lock,
    super::locks::release_lock,
    super::ledgers::list_ledgers,
    super::summary::get_wording,
    super::summary::put_wording,
    super::forms::api_list,
    super::forms::api_copy
))]
pub struct FiguresDoc;

#[derive(Serialize, ToSchema)]
pub struct IndicatorInfo {
    code: &'static str,
    name: &'static str,
    unit: Unit,
    /// The line of work it belongs to (the work summary's section).
    line: &'static str,
    line_name: &'static str,
    /// For a rate: the indicators it divides.
    numerator: Option<&'static str>,
    denominator: Option<&'static str>,
}

#[utoipa::path(get, path = "/api/v1/indicators",
    responses((status = 200, body = Vec<IndicatorInfo>)))]
async fn list_indicators(_user: ApiUser) -> ApiResult<Vec<IndicatorInfo>> {
    Ok(Json(
        catalogue::all()
            .map(|(line, i)| {
                let (numerator, denominator) = match i.measure {
                    catalogue::Measure::Rate {
                        numerator,
                        denominator,
                    } => (Some(numerator), Some(denominator)),
                    _ => (None, None),
                };
                IndicatorInfo {
                    code: i.code,
                    name: i.name,
                    unit: i.unit,
                    line: line.code,
                    line_name: line.name,
                    numerator,
                    denominator,
                }
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// 2024, 2024H1, 2024Q3, 2024-05 or 2024-01-01..2024-03-31 (default: this year).
    period: Option<String>,
    /// Indicator codes, comma-separated (default: every indicator).
    codes: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/figures", params(("id" = i64, Path), FiguresQuery),
    responses((status = 200, body = Figures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn node_figures(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<FiguresQuery>,
) -> ApiResult<Figures> {
    let period = period_of(q.period.as_deref())?;
    let codes: Vec<String> = q
        .codes
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Json(
        st.db(move |c| {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            catalogue::figures(c, &user.actor, id, &period, &codes)
        })
        .await?,
    ))
}

/// The period asked for, this year when none is.
fn period_of(asked: Option<&str>) -> Result<Period, StoreError> {
    match asked {
        Some(p) => Period::parse(p).map_err(|e| StoreError::invalid("period", e.to_string())),
        None => Ok(Period::default_at(shequ_store::today())),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// 2024, 2024H1, 2024Q3, 2024-05 or 2024-01-01..2024-03-31 (default: this year).
    period: Option<String>,
}

/// One of the records behind a figure.
#[derive(Serialize, ToSchema)]
pub struct RecordRef {
    id: i64,
    /// Its page, where it has one.
    link: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FigureRecords {
    code: &'static str,
    name: &'static str,
    #[schema(value_type = String, example = "2024H1")]
    period: Period,
    shows: Shows,
    /// As many as the figure counts (for a sum or an average: the records it is taken over).
    total: usize,
    records: Vec<RecordRef>,
}

/// The records behind a figure (tap 213 → those 213 tickets), within the caller's scope:
/// personal records only where the caller may open people's data.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/figures/{code}/records",
    params(("id" = i64, Path), ("code" = String, Path, description = "指标编号，如 tickets.closed"), RecordsQuery),
    responses((status = 200, body = FigureRecords), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn figure_records(
    State(st): State<AppState>,
    user: ApiUser,
    Path((id, code)): Path<(i64, String)>,
    Query(q): Query<RecordsQuery>,
) -> ApiResult<FigureRecords> {
    let period = period_of(q.period.as_deref())?;
    Ok(Json(
        st.db(move |c| {
            let node = shequ_store::registry::tree::get(c, &user.actor, id)?;
            let found =
                catalogue::records(c, &user.actor, &node, &period, &code)?.ok_or_else(|| {
                    StoreError::invalid(
                        "指标",
                        format!("“{code}”是比率或网格·月数，没有自己的明细：请查看它的分子或分母"),
                    )
                })?;
            Ok(FigureRecords {
                code: found.code,
                name: found.name,
                period,
                shows: found.shows,
                total: found.ids.len(),
                records: found
                    .ids
                    .into_iter()
                    .map(|id| RecordRef {
                        id,
                        link: found.shows.link(id),
                    })
                    .collect(),
            })
        })
        .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BreakdownOut {
    code: &'static str,
    name: &'static str,
    unit: Unit,
    #[schema(value_type = String, example = "2024H1")]
    period: Period,
    parts: Vec<catalogue::Part>,
}

/// A breakdown of the catalogue (special groups by class, reports by category …) for a node
/// and a period.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/breakdowns/{breakdown}",
    params(("id" = i64, Path), ("breakdown" = String, Path, description = "分组统计编号，如 person_tags.by_class"), RecordsQuery),
    responses((status = 200, body = BreakdownOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn node_breakdown(
    State(st): State<AppState>,
    user: ApiUser,
    Path((id, code)): Path<(i64, String)>,
    Query(q): Query<RecordsQuery>,
) -> ApiResult<BreakdownOut> {
    let period = period_of(q.period.as_deref())?;
    Ok(Json(
        st.db(move |c| {
            user.actor
                .require(user.actor.role.views_area(), "查看统计")?;
            let node = shequ_store::registry::tree::get(c, &user.actor, id)?;
            let parts = catalogue::breakdown(c, &user.actor, &node, &period, &code)?;
            let b = catalogue::find_breakdown(&code).ok_or_else(|| {
                StoreError::invalid("分组统计", format!("没有编号为“{code}”的分组统计"))
            })?;
            Ok(BreakdownOut {
                code: b.code,
                name: b.name,
                unit: b.unit,
                period,
                parts,
            })
        })
        .await?,
    ))
}
