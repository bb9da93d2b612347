//! 一表通 on the web: a street uploads the form it already sends out, binds its cells to
//! indicators and publishes it for a period; each community opens its copy filled from its
//! records, types what no record holds and submits (again after a correction: a new version);
//! the street's copy adds up the latest submissions and names who has not submitted. Every
//! copy downloads as .xlsx in the form's own layout.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Serialize;
use shequ_domain::forms::{Binding, Value};
use shequ_domain::registry::org::NodeKind;
use shequ_ledgers::forms as files;
use shequ_store::access::scope::RecordKind;
use shequ_store::forms::{self, Copy, CopyKind, Listed, Standing, Version};
use shequ_store::indicators::catalogue;
use shequ_store::registry::tree::Node;
use utoipa::ToSchema;

use super::{Choice, choices};
use crate::access::{Need, Routes, Target, rule};
use crate::api::ApiResult;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::extract::{Form, Multipart, Path};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// A form's file is a page or two: far below this.
const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

pub fn api_routes() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/api/v1/nodes/{id}/forms", node(Need::ViewArea), api_list)
        .get(
            "/api/v1/nodes/{id}/forms/{form}",
            node(Need::ViewArea),
            api_copy,
        )
}

/// One cell of a copy: what fills it and what it holds.
#[derive(Serialize, ToSchema)]
pub struct CopyCell {
    /// An indicator's code, `#` (a number typed by the community), `文字` (typed text) or
    /// nothing (a cell that takes nothing).
    binding: String,
    value: Value,
    /// As the page shows it (90.0%, 12).
    shown: String,
}

#[derive(Serialize, ToSchema)]
pub struct CopyRow {
    labels: Vec<String>,
    cells: Vec<CopyCell>,
}

/// A form's copy at a node: a community's (its figures now; what it last submitted), the sum of
/// the communities below (their latest submissions added up), or a draft's bindings.
#[derive(Serialize, ToSchema)]
pub struct FormCopy {
    form_id: i64,
    title: String,
    /// The node that sent the form.
    from: String,
    node_id: i64,
    node_name: String,
    /// 2026年上半年; none while a draft.
    period: Option<String>,
    /// draft | community | sum
    kind: &'static str,
    /// The header rows, each as wide as the form.
    heads: Vec<Vec<String>>,
    rows: Vec<CopyRow>,
    /// A community's copy: the cells as last submitted.
    submitted: Option<Vec<Vec<Value>>>,
    /// A community's submissions, latest first.
    versions: Vec<Version>,
    /// Above the communities: each community and its latest submission.
    communities: Vec<Standing>,
}

impl From<Copy> for FormCopy {
    fn from(copy: Copy) -> FormCopy {
        let layout = &copy.form.layout;
        let empty = vec![vec![Value::Empty; layout.columns()]; layout.rows.len()];
        let (kind, cells, submitted, versions, communities) = match copy.kind {
            CopyKind::Draft => ("draft", empty, None, Vec::new(), Vec::new()),
            CopyKind::Community {
                live,
                submitted,
                versions,
            } => (
                "community",
                live,
                submitted.map(|(_, cells)| cells),
                versions,
                Vec::new(),
            ),
            CopyKind::Sum { cells, communities } => ("sum", cells, None, Vec::new(), communities),
        };
        FormCopy {
            form_id: copy.form.id,
            title: copy.form.title.clone(),
            from: copy.form.node_name.clone(),
            node_id: copy.node.id,
            node_name: copy.node.name.clone(),
            period: copy.form.period.map(|p| p.label()),
            kind,
            heads: layout.heads.clone(),
            rows: layout
                .rows
                .iter()
                .zip(cells)
                .map(|(row, values)| CopyRow {
                    labels: row.labels.clone(),
                    cells: row
                        .cells
                        .iter()
                        .zip(values)
                        .map(|(b, value)| CopyCell {
                            binding: b.written(),
                            shown: value.shown(),
                            value,
                        })
                        .collect(),
                })
                .collect(),
            submitted,
            versions,
            communities,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/forms", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Listed>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn api_list(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Listed>> {
    Ok(Json(st.db(move |c| forms::list(c, &user.actor, id)).await?))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/forms/{form}",
    params(("id" = i64, Path), ("form" = i64, Path)),
    responses((status = 200, body = FormCopy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn api_copy(
    State(st): State<AppState>,
    user: ApiUser,
    Path((id, form)): Path<(i64, i64)>,
) -> ApiResult<FormCopy> {
    Ok(Json(
        st.db(move |c| forms::open(c, &user.actor, id, form))
            .await?
            .into(),
    ))
}

pub fn pages() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/forms", node(Need::ViewArea), list_page)
        .post("/nodes/{id}/forms/import", node(Need::PublishForms), upload)
        .get("/nodes/{id}/forms/{form}", node(Need::ViewArea), copy_page)
        .get(
            "/nodes/{id}/forms/{form}/download",
            node(Need::ViewArea),
            download,
        )
        .post(
            "/nodes/{id}/forms/{form}/bindings",
            node(Need::PublishForms),
            save_bindings,
        )
        .post(
            "/nodes/{id}/forms/{form}/publish",
            node(Need::PublishForms),
            publish,
        )
        .post(
            "/nodes/{id}/forms/{form}/submit",
            node(Need::FillForms),
            submit,
        )
}

#[derive(Template)]
#[template(path = "figures/forms.html")]
struct ListPage {
    l: Layout,
    node: Node,
    forms: Vec<Listed>,
    can_upload: bool,
    error: Option<String>,
}

async fn list_view(
    st: &AppState,
    user: &crate::auth::PageUser,
    id: i64,
    error: Option<String>,
) -> Result<ListPage, PageError> {
    let actor = user.actor.clone();
    let (node, forms) = st
        .db(move |c| {
            let node = shequ_store::registry::tree::get(c, &actor, id)?;
            Ok((node, forms::list(c, &actor, id)?))
        })
        .await?;
    let mut l = Layout::new(format!("{} 一表通", node.name), user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(ListPage {
        l,
        can_upload: user.actor.role.publishes_forms() && node.kind < NodeKind::Community,
        node,
        forms,
        error,
    })
}

async fn list_page(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    Ok(render(&list_view(&st, &user, id, None).await?))
}

async fn upload(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path(id): Path<i64>,
    Multipart(mut multipart): Multipart,
) -> PageResult {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::info!("form upload broken off: {}", e.body_text());
                return Err(AppError::BadRequest(
                    "上传的内容无法读取（可能网络中断），请重新选择文件上传".into(),
                )
                .into());
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("一表通.xlsx").to_string();
                crate::pages::files::refuse_nul_in("文件名", &name)?;
                let bytes = field.bytes().await.map_err(|e| {
                    tracing::info!("form upload broken off: {}", e.body_text());
                    AppError::BadRequest("上传没有完成，请检查网络后重试".into())
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    check_csrf(&user, &HashMap::from([("csrf".to_string(), csrf)]))?;
    let again = |message: String| async {
        let mut r = render(&list_view(&st, &user, id, Some(message)).await?);
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<_, PageError>(r)
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return again("请选择街道下发的表格文件（.xlsx、.xls 或 .csv）".into()).await;
    };
    if bytes.len() > UPLOAD_LIMIT {
        return again(format!(
            "文件太大：一表通表格不能超过 {} MB",
            UPLOAD_LIMIT / (1024 * 1024)
        ))
        .await;
    }
    let read = tokio::task::spawn_blocking(move || files::read_layout(&bytes, &name))
        .await
        .map_err(|e| AppError::Internal(format!("读取文件的任务失败：{e}")))?;
    let layout = match read {
        Ok(l) => l,
        Err(message) => return again(message).await,
    };
    let actor = user.actor.clone();
    match st.db(move |c| forms::create(c, &actor, id, layout)).await {
        Ok(form) => Ok(Redirect::to(&format!("/nodes/{id}/forms/{form}")).into_response()),
        Err(e) if e.status().as_u16() == 422 => again(e.message()).await,
        Err(e) => Err(e.into()),
    }
}

/// One cell of the copy as the page shows it.
struct ShownCell {
    r: usize,
    c: usize,
    /// What is shown (a figure, a sum, a submitted value).
    text: String,
    /// For an input: its kind ("number", "text") and what it holds.
    input: Option<(&'static str, String)>,
    /// In the binding editor: what the cell is bound to.
    binding: String,
    /// The indicator behind a figure, for its name.
    title: String,
}

struct ShownRow {
    labels: Vec<String>,
    cells: Vec<ShownCell>,
}

/// A header cell with its span.
struct HeadCell {
    text: String,
    colspan: usize,
}

#[derive(Template)]
#[template(path = "figures/form.html")]
struct CopyPage {
    l: Layout,
    node: Node,
    form_id: i64,
    title: String,
    from: String,
    version: i64,
    period: String,
    /// "draft", "community", "sum".
    kind: &'static str,
    heads: Vec<Vec<HeadCell>>,
    rows: Vec<ShownRow>,
    versions: Vec<Version>,
    communities: Vec<Standing>,
    note: String,
    can_bind: bool,
    can_submit: bool,
    indicators: Vec<(&'static str, &'static str)>,
    choices: Vec<Choice>,
    error: Option<String>,
}

fn heads_of(layout: &shequ_domain::forms::Layout) -> Vec<Vec<HeadCell>> {
    layout
        .heads
        .iter()
        .map(|row| {
            let mut out: Vec<HeadCell> = Vec::new();
            for text in row {
                match out.last_mut() {
                    Some(last) if !text.is_empty() && last.text == *text => last.colspan += 1,
                    _ => out.push(HeadCell {
                        text: text.clone(),
                        colspan: 1,
                    }),
                }
            }
            out
        })
        .collect()
}

/// `typed`: what was just typed into the page, shown again with its error.
fn copy_view(
    copy: Copy,
    user: &crate::auth::PageUser,
    typed: Option<&HashMap<String, String>>,
    error: Option<String>,
) -> CopyPage {
    let layout = &copy.form.layout;
    let empty = vec![vec![Value::Empty; layout.columns()]; layout.rows.len()];
    let (kind, values, versions, communities, note) = match &copy.kind {
        CopyKind::Draft => (
            "draft",
            empty.clone(),
            Vec::new(),
            Vec::new(),
            "草稿：检查每个格子绑定的指标（# 表示由社区手填数字，“文字”表示手填文字，空着表示不填），然后选择期间下发。".to_string(),
        ),
        CopyKind::Community {
            live,
            submitted,
            versions,
        } => (
            "community",
            live.clone(),
            versions.clone(),
            Vec::new(),
            match submitted {
                Some((v, _)) => format!(
                    "已于 {} 由 {} 报送第{}版。下面的数字按当前记录生成；改正后再次报送会保存为新的版本。",
                    v.submitted_at, v.submitted_by, v.version
                ),
                None => "尚未报送。下面的数字由本社区的记录自动生成，请核对，补填空白格后报送。".to_string(),
            },
        ),
        CopyKind::Sum { cells, communities } => {
            let done = communities.iter().filter(|c| c.latest.is_some()).count();
            (
                "sum",
                cells.clone(),
                Vec::new(),
                communities.clone(),
                format!(
                    "汇总 {} 个社区最新报送的数字：已报送 {done} 个，未报送 {} 个。",
                    communities.len(),
                    communities.len() - done
                ),
            )
        }
    };
    let can_submit = kind == "community" && user.actor.role.fills_forms();
    let rows = layout
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| ShownRow {
            labels: row.labels.clone(),
            cells: row
                .cells
                .iter()
                .enumerate()
                .map(|(c, b)| {
                    let value = values
                        .get(r)
                        .and_then(|v| v.get(c))
                        .unwrap_or(&Value::Empty);
                    let key = format!("c_{r}_{c}");
                    let input = match b {
                        Binding::Number if can_submit => Some((
                            "number",
                            typed
                                .and_then(|t| t.get(&key).cloned())
                                .unwrap_or_else(|| value.shown()),
                        )),
                        Binding::Text if can_submit => Some((
                            "text",
                            typed
                                .and_then(|t| t.get(&key).cloned())
                                .unwrap_or_else(|| value.shown()),
                        )),
                        _ => None,
                    };
                    let binding = if kind == "draft" {
                        typed
                            .and_then(|t| t.get(&key).cloned())
                            .unwrap_or_else(|| b.written())
                    } else {
                        b.written()
                    };
                    let title = match b {
                        Binding::Figure { code } => {
                            catalogue::find(code).map_or(String::new(), |i| i.name.to_string())
                        }
                        Binding::Number | Binding::Text => "社区手填".into(),
                        Binding::Blank => String::new(),
                    };
                    ShownCell {
                        r,
                        c,
                        text: value.shown(),
                        input,
                        binding,
                        title,
                    }
                })
                .collect(),
        })
        .collect();
    let mut l = Layout::new(copy.form.title.clone(), user);
    l.crumbs = vec![
        (copy.node.name.clone(), format!("/nodes/{}", copy.node.id)),
        ("一表通".into(), format!("/nodes/{}/forms", copy.node.id)),
    ];
    CopyPage {
        l,
        form_id: copy.form.id,
        title: copy.form.title.clone(),
        from: copy.form.node_name.clone(),
        version: copy.form.version,
        period: copy.form.period.map(|p| p.label()).unwrap_or_default(),
        kind,
        heads: heads_of(layout),
        rows,
        versions,
        communities,
        note,
        can_bind: kind == "draft"
            && user.actor.role.publishes_forms()
            && copy.node.id == copy.form.node_id,
        can_submit,
        indicators: if kind == "draft" {
            catalogue::all().map(|(_, i)| (i.code, i.name)).collect()
        } else {
            Vec::new()
        },
        choices: choices(shequ_store::today()),
        node: copy.node,
        error,
    }
}

async fn opened(
    st: &AppState,
    user: &crate::auth::PageUser,
    id: i64,
    form: i64,
) -> Result<Copy, AppError> {
    let actor = user.actor.clone();
    st.db(move |c| forms::open(c, &actor, id, form)).await
}

async fn copy_page(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, form)): Path<(i64, i64)>,
) -> PageResult {
    let copy = opened(&st, &user, id, form).await?;
    Ok(render(&copy_view(copy, &user, None, None)))
}

async fn download(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, form)): Path<(i64, i64)>,
) -> PageResult {
    let copy = opened(&st, &user, id, form).await?;
    let name = format!("{}（{}）.xlsx", copy.form.title, copy.node.name);
    let actor = user.actor.clone();
    let bytes = tokio::task::spawn_blocking(move || files::xlsx(&copy, &actor))
        .await
        .map_err(|e| AppError::Internal(format!("生成表格的任务失败：{e}")))?
        .map_err(|e| AppError::Internal(format!("生成表格失败：{e}")))?;
    Ok(crate::ledger::attachment(bytes, &name, XLSX))
}

/// The cells a page sent: `c_{row}_{column}` → the text.
fn cells_of(raw: &HashMap<String, String>) -> HashMap<(usize, usize), String> {
    raw.iter()
        .filter_map(|(k, v)| {
            let (r, c) = k.strip_prefix("c_")?.split_once('_')?;
            Some(((r.parse().ok()?, c.parse().ok()?), v.clone()))
        })
        .collect()
}

fn version_of(raw: &HashMap<String, String>) -> Result<i64, PageError> {
    raw.get("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            PageError(AppError::BadRequest(
                "页面缺少表格的版本号，请刷新页面后重试".into(),
            ))
        })
}

/// A refused change: the copy again, with what was typed and why.
async fn refused(
    st: &AppState,
    user: &crate::auth::PageUser,
    (id, form): (i64, i64),
    raw: &HashMap<String, String>,
    e: AppError,
) -> PageResult {
    let status = e.status();
    let copy = opened(st, user, id, form).await?;
    let mut r = render(&copy_view(copy, user, Some(raw), Some(e.message())));
    *r.status_mut() = status;
    Ok(r)
}

fn refusable(e: &AppError) -> bool {
    matches!(e.status().as_u16(), 409 | 422)
}

async fn save_bindings(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, form)): Path<(i64, i64)>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let version = version_of(&raw)?;
    let cells = cells_of(&raw);
    let actor = user.actor.clone();
    match st
        .db(move |c| forms::bind(c, &actor, id, form, version, &cells))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/nodes/{id}/forms/{form}#form-saved")).into_response()),
        Err(e) if refusable(&e) => refused(&st, &user, (id, form), &raw, e).await,
        Err(e) => Err(e.into()),
    }
}

async fn publish(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, form)): Path<(i64, i64)>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let version = version_of(&raw)?;
    let period = super::asked_period(&raw);
    let actor = user.actor.clone();
    let done = match period {
        Ok(p) => {
            st.db(move |c| forms::publish(c, &actor, id, form, version, &p))
                .await
        }
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/nodes/{id}/forms/{form}")).into_response()),
        Err(e) if refusable(&e) => refused(&st, &user, (id, form), &raw, e).await,
        Err(e) => Err(e.into()),
    }
}

async fn submit(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, form)): Path<(i64, i64)>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let cells = cells_of(&raw);
    let actor = user.actor.clone();
    match st
        .db(move |c| forms::submit(c, &actor, id, form, &cells))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/nodes/{id}/forms/{form}")).into_response()),
        Err(e) if refusable(&e) => refused(&st, &user, (id, form), &raw, e).await,
        Err(e) => Err(e.into()),
    }
}
