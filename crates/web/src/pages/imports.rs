//! Importing a ledger on the web: upload under a grid, see what the file holds compared with
//! the registry (the dry run), correct the column mapping if needed, accept or skip each
//! update, download the refused rows to fix them, then commit — in the background, with a
//! progress bar and a cancel button. Nothing is written before the commit, and the commit is
//! all or nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::extract::{Form, Multipart, Path};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use shequ_ingest::{Field, Mapping};
use shequ_store::imports::{self, FileInfo, Kind as _, Plan, Progress};
use shequ_store::{Actor, StoreError, registry::tree};

use super::{Layout, PageError, PageResult, check_csrf, render};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::uploads::{Stage, Upload, lock, new_id};
use shequ_ledgers::importing::{self, Reading, Report};
use shequ_store::access::scope::RecordKind;

/// The largest file taken (the reader's own limit is the same).
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

pub fn routes() -> Routes {
    let node = rule(Need::WritePeople, Target::Record(RecordKind::Node));
    let upload = rule(Need::WritePeople, Target::Upload);
    Routes::new()
        .get("/nodes/{id}/import", node, form)
        .upload("/nodes/{id}/import", node, UPLOAD_LIMIT, receive)
        .get("/imports/{id}", upload, show)
        .post("/imports/{id}/mapping", upload, remap)
        .post("/imports/{id}/commit", upload, commit)
        .post("/imports/{id}/cancel", upload, cancel)
        .get("/imports/{id}/rejected.xlsx", upload, rejected_rows)
}

#[derive(Template)]
#[template(path = "imports/import_form.html")]
struct FormPage {
    l: Layout,
    grid_id: i64,
    grid_name: String,
    error: Option<String>,
    /// What may be imported: ("persons", "实有人口") and each special group.
    kinds: Vec<(&'static str, String)>,
    kind: String,
}

fn kinds() -> Vec<(&'static str, String)> {
    let mut out = vec![("persons", "实有人口（花名册）".to_string())];
    out.extend(shequ_ledgers::checked::kinds());
    out
}

async fn grid_named(st: &AppState, actor: &Actor, id: i64) -> Result<tree::Node, PageError> {
    let actor = actor.clone();
    let node = st.db(move |c| tree::get(c, &actor, id)).await?;
    if node.kind != shequ_domain::registry::org::NodeKind::Grid {
        return Err(AppError::Store(StoreError::invalid(
            "导入位置",
            format!("请在网格页面导入（“{}”是{}）", node.name, node.kind.label()),
        ))
        .into());
    }
    Ok(node)
}

async fn form(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let grid = grid_named(&st, &user.actor, id).await?;
    let mut l = Layout::new("导入台账", &user);
    l.crumbs = vec![(grid.name.clone(), format!("/nodes/{id}"))];
    Ok(render(&FormPage {
        l,
        grid_id: id,
        grid_name: grid.name,
        error: None,
        kinds: kinds(),
        kind: "persons".into(),
    }))
}

async fn receive(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Multipart(mut multipart): Multipart,
) -> PageResult {
    let mut csrf = String::new();
    let mut kind = "persons".to_string();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                // axum's text is English: it goes to the log, the user reads what to do.
                tracing::info!("ledger upload broken off: {}", e.body_text());
                return Err(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge(format!(
                        "文件太大：台账文件不能超过 {} MB，请分成几个文件上传",
                        UPLOAD_LIMIT / (1024 * 1024)
                    ))
                } else {
                    AppError::BadRequest(
                        "上传的内容无法读取（可能网络中断），请重新选择文件上传".into(),
                    )
                }
                .into());
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("kind") => {
                kind = field.text().await.unwrap_or_default();
                super::files::refuse_nul_in("导入内容", &kind)?;
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("台账.xlsx").to_string();
                super::files::refuse_nul_in("文件名", &name)?;
                let bytes = field.bytes().await.map_err(|e| {
                    tracing::info!("ledger upload broken off: {}", e.body_text());
                    AppError::BadRequest("上传没有完成，请检查网络后重试".into())
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    check_csrf(&user, &HashMap::from([("csrf".to_string(), csrf)]))?;
    let grid = grid_named(&st, &user.actor, id).await?;
    let again = |message: String| {
        let mut l = Layout::new("导入台账", &user);
        l.crumbs = vec![(grid.name.clone(), format!("/nodes/{id}"))];
        render(&FormPage {
            l,
            grid_id: id,
            grid_name: grid.name.clone(),
            error: Some(message),
            kinds: kinds(),
            kind: kind.clone(),
        })
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(again("请选择要导入的 .xlsx、.xls 或 .csv 文件".into()));
    };
    let community = grid.community_id.unwrap_or_default();
    if kind != "persons" {
        return receive_other(&st, &user, &grid, (name, bytes), &kind)
            .await
            .or_else(|message| Ok(again(message)));
    }
    let (st2, actor) = (st.clone(), user.actor.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let reading = importing::read_persons(
            &bytes,
            &name,
            &importing::remembered(&st2.inner.pool, community),
        )?;
        let mut conn = st2.inner.pool.get().map_err(|e| e.to_string())?;
        let plan = imports::plan(&mut conn, &actor, id, reading.rows.clone())
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((bytes, reading, plan))
    })
    .await
    .map_err(|e| AppError::Internal(format!("读取文件的任务失败：{e}")))?;
    let (bytes, reading, plan) = match checked {
        Ok(x) => x,
        Err(message) => return Ok(again(message)),
    };
    let uid = new_id().ok_or_else(|| AppError::Internal("系统随机数不可用".into()))?;
    st.inner.uploads.put(Upload::new(
        uid,
        user.actor.user_id,
        id,
        grid.path.clone(),
        community,
        bytes,
        reading,
        plan,
    ));
    Ok(Redirect::to(&format!("/imports/{uid}")).into_response())
}

/// A units ledger or a special-group list: read and compared in the background, kept as the
/// user's upload. `Err` is a message for the form.
async fn receive_other(
    st: &AppState,
    user: &PageUser,
    grid: &tree::Node,
    (name, bytes): (String, Vec<u8>),
    kind: &str,
) -> Result<axum::response::Response, String> {
    let (st2, actor, node, kind) = (st.clone(), user.actor.clone(), grid.id, kind.to_string());
    let (bytes, other, file_name, sha256) = tokio::task::spawn_blocking(move || {
        let mut conn = st2.inner.pool.get().map_err(|e| e.to_string())?;
        let other = shequ_ledgers::checked::check(&mut conn, &actor, node, &kind, (&bytes, &name))?;
        let sha256 = importing::sha256_hex(&bytes);
        Ok::<_, String>((bytes, other, name, sha256))
    })
    .await
    .map_err(|e| format!("读取文件的任务失败：{e}"))??;
    let uid = new_id().ok_or("系统随机数不可用")?;
    let empty = Reading {
        file_name,
        sha256,
        sheets: Vec::new(),
        rows: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
        data_rows: 0,
    };
    let upload = Upload::new(
        uid,
        user.actor.user_id,
        grid.id,
        grid.path.clone(),
        grid.community_id.unwrap_or_default(),
        bytes,
        empty,
        Plan {
            grid_id: grid.id,
            rows: Vec::new(),
        },
    )
    .with_other(other);
    st.inner.uploads.put(upload);
    Ok(Redirect::to(&format!("/imports/{uid}")).into_response())
}

/// What the upload holds compared with the registry, whichever kind it is.
fn report_of(u: &Upload) -> Report {
    match &u.other {
        Some(other) => other.report(),
        None => {
            let reading = lock(&u.reading).clone();
            let plan = lock(&u.plan).clone();
            importing::report(&reading, &plan, plan.counts())
        }
    }
}

/// The owner's upload; anyone else gets "not found" (they may be in the same area, but an
/// upload is one person's unfinished work).
fn owned(st: &AppState, user: &PageUser, id: i64) -> Result<Arc<Upload>, PageError> {
    st.inner
        .uploads
        .get(id)
        .filter(|u| u.user_id == user.actor.user_id)
        .ok_or_else(|| {
            AppError::Store(StoreError::NotFound(
                "导入文件（上传后一小时内有效）".into(),
            ))
            .into()
        })
}

struct MappingRow {
    index: usize,
    column: String,
    title: String,
    samples: String,
    chosen: String,
}

struct SheetView {
    index: usize,
    name: String,
    columns: Vec<MappingRow>,
}

#[derive(Template)]
#[template(path = "imports/import_report.html")]
struct ReportPage {
    l: Layout,
    id: i64,
    grid_id: i64,
    report: Report,
    sheets: Vec<SheetView>,
    fields: Vec<(&'static str, &'static str)>,
    /// "checked", "writing", "done", "failed".
    stage: &'static str,
    written: usize,
    total: usize,
    outcome: Option<imports::Outcome>,
    failure: Option<String>,
}

fn sheet_views(reading: &Reading) -> Vec<SheetView> {
    reading
        .sheets
        .iter()
        .enumerate()
        .map(|(i, s)| SheetView {
            index: i,
            name: s.name.clone(),
            columns: s
                .header
                .columns
                .iter()
                .map(|c| MappingRow {
                    index: c.index,
                    column: shequ_ingest::table::column_name(c.index),
                    title: c.title.clone(),
                    samples: s
                        .preview
                        .iter()
                        .filter_map(|r| r.get(c.index))
                        .filter(|v| !v.trim().is_empty())
                        .take(3)
                        .map(|v| sample(v))
                        .collect::<Vec<_>>()
                        .join("、"),
                    chosen: s
                        .mapping
                        .iter()
                        .find(|(col, _)| *col == c.index)
                        .map(|(_, f)| f.key().to_string())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

async fn show(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let u = owned(&st, &user, id)?;
    let reading = lock(&u.reading).clone();
    let report = report_of(&u);
    let (written, total) = u.progress();
    let (stage, outcome, failure) = match u.stage() {
        Stage::Checked => ("checked", None, None),
        Stage::Writing => ("writing", None, None),
        Stage::Done(o) => ("done", Some(o), None),
        Stage::Failed(m) => ("failed", None, Some(m)),
    };
    let mut l = Layout::new(format!("导入 {}", report.file_name), &user);
    l.crumbs = vec![("网格".into(), format!("/nodes/{}", u.grid_id))];
    Ok(render(&ReportPage {
        l,
        id,
        grid_id: u.grid_id,
        sheets: sheet_views(&reading),
        report,
        fields: Field::ALL
            .iter()
            .filter(|f| **f != Field::Ignore)
            .map(|f| (f.key(), f.label()))
            .collect(),
        stage,
        written,
        total,
        outcome,
        failure,
    }))
}

/// A corrected mapping: remembered for the next file with the same header, then the file is
/// read and compared again.
async fn remap(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let u = owned(&st, &user, id)?;
    // Other ledgers' columns are found by their titles; they have no mapping to correct.
    if !matches!(u.stage(), Stage::Checked) || u.other.is_some() {
        return Ok(Redirect::to(&format!("/imports/{id}")).into_response());
    }
    let reading = lock(&u.reading).clone();
    let mut chosen: HashMap<String, Mapping> = HashMap::new();
    for (i, s) in reading.sheets.iter().enumerate() {
        let mut m: Mapping = Vec::new();
        for c in &s.header.columns {
            let key = format!("map_{i}_{}", c.index);
            if let Some(f) = form.get(&key).and_then(|v| Field::parse(v)) {
                m.push((c.index, f));
            }
        }
        chosen.insert(s.signature.clone(), m);
    }
    let (st2, actor, u2) = (st.clone(), user.actor.clone(), u.clone());
    let redone = tokio::task::spawn_blocking(move || {
        let mut conn = st2.inner.pool.get().map_err(|e| e.to_string())?;
        for (sig, m) in &chosen {
            let json = serde_json::to_string(m).map_err(|e| e.to_string())?;
            imports::remember_mapping(&mut conn, u2.community_id, sig, &json)
                .map_err(|e| e.to_string())?;
        }
        let reading = importing::read_persons(&u2.bytes, &reading.file_name, &|sig| {
            chosen.get(sig).cloned()
        })?;
        let plan = imports::plan(&mut conn, &actor, u2.grid_id, reading.rows.clone())
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((reading, plan))
    })
    .await
    .map_err(|e| AppError::Internal(format!("重新读取文件的任务失败：{e}")))?;
    match redone {
        Ok((reading, plan)) => {
            *lock(&u.reading) = reading;
            *lock(&u.plan) = plan;
            Ok(Redirect::to(&format!("/imports/{id}")).into_response())
        }
        Err(message) => Err(AppError::BadRequest(message).into()),
    }
}

/// Starts the commit in the background; the report page shows its progress.
async fn commit(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let u = owned(&st, &user, id)?;
    {
        let mut stage = lock(&u.stage);
        match *stage {
            Stage::Checked => *stage = Stage::Writing,
            // A second click, or the back button: the upload commits once.
            _ => return Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        }
    }
    let accepted: HashSet<usize> = form
        .iter()
        .filter(|(_, v)| v.as_str() == "1")
        .filter_map(|(k, _)| k.strip_prefix("accept_")?.parse().ok())
        .collect();
    let (pool, actor, u2) = (st.inner.pool.clone(), user.actor.clone(), u.clone());
    tokio::task::spawn_blocking(move || {
        let plan: Plan = lock(&u2.plan).clone();
        let file = {
            let r = lock(&u2.reading);
            FileInfo {
                file_name: r.file_name.clone(),
                sha256: r.sha256.clone(),
                idempotency_key: format!("web:{}", u2.id),
            }
        };
        let accept = |i| accepted.contains(&i);
        let on_row = |done: usize, total: usize| {
            u2.written.store(done, Ordering::Relaxed);
            u2.total.store(total, Ordering::Relaxed);
        };
        let progress = Progress {
            on_row: &on_row,
            cancel: &u2.cancel,
        };
        let result = pool
            .get()
            .map_err(StoreError::from)
            .and_then(|mut conn| match &u2.other {
                Some(other) => other.commit(&mut conn, &actor, &accept, &file, &progress),
                None => imports::commit(&mut conn, &actor, &plan, &accept, &file, &progress),
            });
        u2.set_stage(match result {
            Ok(o) => Stage::Done(o),
            Err(e) => Stage::Failed(e.to_string()),
        });
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

async fn cancel(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let u = owned(&st, &user, id)?;
    match u.stage() {
        Stage::Writing => u.cancel.store(true, Ordering::Relaxed),
        Stage::Checked => {
            let grid = u.grid_id;
            st.inner.uploads.remove(id);
            return Ok(Redirect::to(&format!("/nodes/{grid}")).into_response());
        }
        _ => {}
    }
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

async fn rejected_rows(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let u = owned(&st, &user, id)?;
    let report = report_of(&u);
    crate::ledger::rejected_rows(st, user, id, &u, &report).await
}

/// A preview value: numbers that look like an ID or a phone masked, anything else cut short.
fn sample(v: &str) -> String {
    let v = v.trim();
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    if digits >= 15 {
        shequ_domain::access::mask::mask_id(v)
    } else if digits == 11 {
        shequ_domain::access::mask::mask_phone(
            &v.chars().filter(|c| c.is_ascii_digit()).collect::<String>(),
        )
    } else {
        v.chars().take(20).collect()
    }
}
