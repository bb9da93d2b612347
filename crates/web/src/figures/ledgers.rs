//! 台账 on the web: the catalogue's ledgers of a node for a chosen period, listed on one page
//! and downloaded as .xlsx; the API lists the definitions for scripts.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Serialize;
use shequ_store::StoreError;
use shequ_store::access::scope::RecordKind;
use shequ_store::ledger::catalogue;
use shequ_store::registry::tree::Node;
use utoipa::ToSchema;

use crate::access::{Need, Routes, Target, rule};
use crate::api::ApiResult;
use crate::auth::{ApiUser, PageUser, url_encode};
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::pages::{Layout, PageError, PageResult};
use crate::state::AppState;

use super::{Choice, asked_period, choices};

pub fn api_routes() -> Routes {
    Routes::new().get(
        "/api/v1/ledgers",
        rule(Need::ViewArea, Target::None),
        list_ledgers,
    )
}

pub fn pages() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/ledgers", node(Need::ViewArea), page)
        // The store decides per ledger: one with residents' data needs the export permission,
        // the second factor and the people scope; 巡查记录 needs only the area.
        .get("/nodes/{id}/ledgers/{code}", node(Need::ViewArea), download)
}

/// One column of a ledger's sheet.
#[derive(Serialize, ToSchema)]
pub struct LedgerColumn {
    header: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerSheet {
    name: String,
    title: String,
    /// The indicator counting the sheet's rows (the same records, by the same rule).
    figure: Option<&'static str>,
    columns: Vec<LedgerColumn>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerInfo {
    code: String,
    name: String,
    line: &'static str,
    /// Holds residents' personal data: exporting it needs the export permission and the
    /// second factor.
    personal: bool,
    sheets: Vec<LedgerSheet>,
}

/// Every ledger a node can export (`/nodes/{id}/ledgers/{code}?period=` downloads one).
#[utoipa::path(get, path = "/api/v1/ledgers", responses((status = 200, body = Vec<LedgerInfo>)))]
pub(crate) async fn list_ledgers(_user: ApiUser) -> ApiResult<Vec<LedgerInfo>> {
    Ok(Json(
        catalogue::all()
            .into_iter()
            .map(|l| LedgerInfo {
                sheets: l
                    .sheets
                    .iter()
                    .map(|s| LedgerSheet {
                        name: s.name.clone(),
                        title: s.title.clone(),
                        figure: s.figure,
                        columns: s
                            .columns
                            .iter()
                            .map(|c| LedgerColumn { header: c.header })
                            .collect(),
                    })
                    .collect(),
                code: l.code,
                name: l.name,
                line: l.line,
                personal: l.personal,
            })
            .collect(),
    ))
}

struct Row {
    code: String,
    name: String,
    sheets: String,
    personal: bool,
}

#[derive(Template)]
#[template(path = "figures/ledgers.html")]
struct LedgersPage {
    l: Layout,
    node: Node,
    period: String,
    period_label: String,
    choices: Vec<Choice>,
    rows: Vec<Row>,
    /// Whether the viewer may take residents' data out at this node.
    exports_people: bool,
    error: Option<String>,
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let actor = user.actor.clone();
    let node = st
        .db(move |c| shequ_store::registry::tree::get(c, &actor, id))
        .await?;
    let (period, error) = super::period_or_default(&q);
    let mut l = Layout::new(format!("{} 台账", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    let page = LedgersPage {
        l,
        exports_people: user.actor.role.exports_people() && user.actor.sees_people_at(&node.path),
        period: period.to_string(),
        period_label: period.label(),
        choices: choices(shequ_store::today()),
        rows: catalogue::all()
            .into_iter()
            .map(|l| Row {
                sheets: l
                    .sheets
                    .iter()
                    .map(|s| s.title.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                code: l.code,
                name: l.name,
                personal: l.personal,
            })
            .collect(),
        node,
        error: error.clone(),
    };
    super::render_period_page(&page, error.is_some())
}

async fn download(
    State(st): State<AppState>,
    user: PageUser,
    Path((id, code)): Path<(i64, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let period = asked_period(&q).map_err(|e| PageError(AppError::from(e)))?;
    let actor = user.actor.clone();
    let made = st
        .db(move |c| shequ_ledgers::book::ledger(c, &actor, id, &period, &code))
        .await;
    let (book, _) = match made {
        Ok(made) => made,
        Err(AppError::Store(StoreError::SecondFactor)) => {
            let next = url_encode(&format!("/nodes/{id}/ledgers?period={period}"));
            return Ok(Redirect::to(&format!("/account?next={next}")).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    crate::ledger::download(Ok(book))
}
