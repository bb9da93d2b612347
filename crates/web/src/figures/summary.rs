//! 工作总结 on the web: the summary of a node for a period, previewed on a page and downloaded
//! as the same .docx `shequ report --format docx` writes; the wording a community head edits
//! (page and API), refused line by line when a placeholder names no figure.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use shequ_domain::figures::Period;
use shequ_ledgers::summary::{self, Summary};
use shequ_store::access::scope::RecordKind;
use shequ_store::indicators::wording;
use shequ_store::registry::tree::Node;
use utoipa::ToSchema;

use super::{Choice, asked_period, choices};
use crate::access::{Need, Routes, Target, rule};
use crate::api::ApiResult;
use crate::auth::{ApiUser, PageUser};
use crate::error::{AppError, ErrorBody};
use crate::extract::{Form, Path, Query};
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

pub fn api_routes() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get(
            "/api/v1/nodes/{id}/summary-wording",
            node(Need::ViewArea),
            get_wording,
        )
        .put(
            "/api/v1/nodes/{id}/summary-wording",
            node(Need::WordSummary),
            put_wording,
        )
}

pub fn pages() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/summary", node(Need::ViewArea), page)
        .get(
            "/nodes/{id}/summary/download",
            node(Need::ViewArea),
            download,
        )
        .get("/me/summary", rule(Need::ViewArea, Target::None), my_page)
        .get(
            "/me/summary/download",
            rule(Need::ViewArea, Target::None),
            my_download,
        )
        .get(
            "/nodes/{id}/summary/wording",
            node(Need::ViewArea),
            wording_page,
        )
        .post(
            "/nodes/{id}/summary/wording",
            node(Need::WordSummary),
            save_wording,
        )
}

/// A community's wording of its work summary.
#[derive(Serialize, ToSchema)]
pub struct WordingState {
    community_id: i64,
    /// The text, with the figures as `{指标编号}` placeholders.
    body: String,
    /// Whether it is still the default wording.
    default: bool,
    updated_by: Option<String>,
    updated_at: Option<String>,
}

impl From<wording::Kept> for WordingState {
    fn from(k: wording::Kept) -> Self {
        let (updated_by, updated_at) = k.changed.clone().unzip();
        WordingState {
            community_id: k.community.id,
            default: k.changed.is_none(),
            body: k.body,
            updated_by,
            updated_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/summary-wording", params(("id" = i64, Path)),
    responses((status = 200, body = WordingState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_wording(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<WordingState> {
    Ok(Json(
        st.db(move |c| wording::kept(c, &user.actor, id))
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WordingInput {
    /// The whole text (see the default for the form of each line).
    body: String,
}

#[utoipa::path(put, path = "/api/v1/nodes/{id}/summary-wording", params(("id" = i64, Path)), request_body = WordingInput,
    responses((status = 200, body = WordingState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn put_wording(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<WordingInput>,
) -> ApiResult<WordingState> {
    Ok(Json(
        st.db(move |c| wording::save(c, &user.actor, id, &input.body))
            .await?
            .into(),
    ))
}

/// The summary of a node for a period, in its community's wording.
async fn written(
    st: &AppState,
    user: &PageUser,
    id: i64,
    period: Period,
) -> Result<(Node, Summary), AppError> {
    let actor = user.actor.clone();
    st.db(move |c| {
        let node = shequ_store::registry::tree::get(c, &actor, id)?;
        let w = wording::of_node(c, &actor, id)?;
        let g = summary::gather(c, &actor, id, &period, &w)?;
        Ok((node, summary::compose(&w, &g)))
    })
    .await
}

/// A numbered line of the preview.
struct Para {
    heading: bool,
    text: String,
}

/// The opening and the numbered sections, as the preview shows them.
fn paras_of(s: &Summary) -> Vec<Para> {
    s.opening
        .iter()
        .map(|t| Para {
            heading: false,
            text: t.clone(),
        })
        .chain(
            summary::outline(s)
                .into_iter()
                .map(|(heading, text)| Para { heading, text }),
        )
        .collect()
}

#[derive(Template)]
#[template(path = "figures/summary.html")]
struct SummaryPage {
    l: Layout,
    node: Node,
    period: String,
    choices: Vec<Choice>,
    title: String,
    paras: Vec<Para>,
    table: Vec<[String; 4]>,
    charts: Vec<String>,
    author: Vec<String>,
    can_edit: bool,
    error: Option<String>,
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let (period, error) = super::period_or_default(&q);
    let (node, s) = written(&st, &user, id, period).await?;
    let paras = paras_of(&s);
    let mut l = Layout::new(format!("{} 工作总结", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    let page = SummaryPage {
        l,
        can_edit: wording::may_edit(&user.actor, &node),
        period: period.to_string(),
        choices: choices(shequ_store::today()),
        title: s.title.clone(),
        paras,
        table: s.table.clone(),
        charts: s.charts.iter().map(|c| c.title.clone()).collect(),
        author: s.author.clone(),
        node,
        error: error.clone(),
    };
    super::render_period_page(&page, error.is_some())
}

async fn download(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let period = asked_period(&q).map_err(|e| PageError(AppError::from(e)))?;
    let (_, s) = written(&st, &user, id, period).await?;
    docx_download(&s, &user)
}

/// A summary as a .docx download named by its title.
fn docx_download(s: &Summary, user: &PageUser) -> PageResult {
    let bytes = summary::docx(s, &user.actor).map_err(|e| PageError(AppError::from(e)))?;
    Ok(crate::ledger::attachment(
        bytes,
        &format!("{}.docx", s.title),
        DOCX,
    ))
}

#[derive(Template)]
#[template(path = "figures/summary_wording.html")]
struct WordingPage {
    l: Layout,
    community: Node,
    body: String,
    changed: Option<(String, String)>,
    can_edit: bool,
    error: Option<String>,
}

async fn wording_view(
    st: &AppState,
    user: &PageUser,
    id: i64,
    typed_body: Option<String>,
    error: Option<String>,
) -> Result<WordingPage, PageError> {
    let actor = user.actor.clone();
    let k = st.db(move |c| wording::kept(c, &actor, id)).await?;
    let mut l = Layout::new(format!("{} 工作总结模板", k.community.name), user);
    l.crumbs = vec![(
        k.community.name.clone(),
        format!("/nodes/{}", k.community.id),
    )];
    Ok(WordingPage {
        l,
        can_edit: wording::may_edit(&user.actor, &k.community),
        body: typed_body.unwrap_or(k.body),
        changed: k.changed,
        community: k.community,
        error,
    })
}

async fn wording_page(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    Ok(render(&wording_view(&st, &user, id, None, None).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WordingForm {
    body: Text,
}

async fn save_wording(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: WordingForm = typed(&raw);
    let body = form.body.get();
    let actor = user.actor.clone();
    let typed_body = body.clone();
    match st.db(move |c| wording::save(c, &actor, id, &body)).await {
        Ok(k) => Ok(Redirect::to(&format!("/nodes/{}/summary", k.community.id)).into_response()),
        Err(e) if e.status().as_u16() == 422 => {
            let mut r =
                render(&wording_view(&st, &user, id, Some(typed_body), Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// The logged-in worker's own summary: their records, their area's registry.
async fn mine(st: &AppState, user: &PageUser, period: Period) -> Result<Summary, AppError> {
    let actor = user.actor.clone();
    st.db(move |c| {
        let w = wording::parse(wording::PERSONAL_DEFAULT)?;
        let g = summary::gather_personal(c, &actor, &period, &w)?;
        Ok(summary::compose(&w, &g))
    })
    .await
}

#[derive(Template)]
#[template(path = "figures/my_summary.html")]
struct MySummaryPage {
    l: Layout,
    period: String,
    choices: Vec<Choice>,
    title: String,
    paras: Vec<Para>,
    error: Option<String>,
}

async fn my_page(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let (period, error) = super::period_or_default(&q);
    let s = mine(&st, &user, period).await?;
    let paras = paras_of(&s);
    let page = MySummaryPage {
        l: Layout::new("我的工作总结", &user),
        period: period.to_string(),
        choices: choices(shequ_store::today()),
        title: s.title,
        paras,
        error: error.clone(),
    };
    super::render_period_page(&page, error.is_some())
}

async fn my_download(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let period = asked_period(&q).map_err(|e| PageError(AppError::from(e)))?;
    let s = mine(&st, &user, period).await?;
    docx_download(&s, &user)
}
