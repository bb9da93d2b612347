//! File downloads (.xlsx) over HTTP. Each one is permitted by its route's rule, audited with
//! its row count (in the store), and laid out by `shequ_ledgers::export`; here only what is
//! HTTP's: the second factor asked for first, and the download's headers.

use std::collections::HashMap;

use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use shequ_ledgers::export::{self, Book};
use shequ_store::access::audit;
use shequ_store::{StoreError, ledger};

use crate::auth::{PageUser, url_encode};
use crate::error::AppError;
use crate::pages::{PageError, PageResult};
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file as a download: the Chinese file name in RFC 5987 form, never cached.
pub(crate) fn download(book: Result<Book, String>) -> PageResult {
    let book = book.map_err(|e| PageError(AppError::Internal(e)))?;
    Ok(attachment(book.bytes, &book.file_name, XLSX))
}

/// Any generated file (.xlsx, .docx) as a download named `file_name`, never cached.
pub(crate) fn attachment(bytes: Vec<u8>, file_name: &str, content_type: &'static str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // An ASCII name for old clients; the real one in RFC 5987 form.
    let ascii = match file_name.rsplit_once('.') {
        Some((_, ext)) if ext.is_ascii() => format!("export.{ext}"),
        _ => "export".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_encode(file_name)
    )) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    r
}

/// Full values need the second factor: to the account page to pass it, then back to the node.
fn second_factor_first(node: i64) -> Response {
    let next = url_encode(&format!("/nodes/{node}"));
    Redirect::to(&format!("/account?next={next}")).into_response()
}

/// 实有人口台账 of a node: full values, so it needs the second factor; without it the user is
/// sent to the account page and brought back.
pub async fn residents(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let actor = user.actor.clone();
    let found = st.db(move |c| ledger::residents(c, &actor, id)).await;
    let (place, rows) = match found {
        Ok(found) => found,
        Err(AppError::Store(StoreError::SecondFactor)) => return Ok(second_factor_first(id)),
        Err(e) => return Err(e.into()),
    };
    download(export::residents(&user.actor, &place, rows))
}

/// The audit log as filtered on the auditor's page.
pub async fn audit_log(st: AppState, user: PageUser, filter: audit::Filter) -> PageResult {
    let actor = user.actor.clone();
    let rows = st
        .db(move |c| {
            let rows = audit::search(c, &actor, &filter)?;
            ledger::record_export(c, &actor, "audit_log", rows.len())?;
            Ok(rows)
        })
        .await?;
    download(export::audit_log(&user.actor, rows))
}

/// The refused rows of an upload as they were in the file, with the reason in a last column.
/// Audited as an export (the rows hold personal data).
pub async fn rejected_rows(
    st: AppState,
    user: PageUser,
    id: i64,
    upload: &crate::uploads::Upload,
    report: &shequ_ledgers::importing::Report,
) -> PageResult {
    let (sheets, count) =
        export::rejected_sheets(&upload.bytes, &report.file_name, &report.rejected)
            .map_err(|e| PageError(AppError::BadRequest(e)))?;
    let actor = user.actor.clone();
    let what = format!("import-upload:{id}");
    st.db(move |c| ledger::record_export(c, &actor, &what, count))
        .await?;
    download(export::rejected_book(
        &user.actor,
        &report.file_name,
        &sheets,
        count,
    ))
}

/// A special group's ledger (低保台账, 残疾人档案 …) of a node. `?kind=dibao`.
pub async fn group_list(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let kind = q.get("kind").cloned().unwrap_or_default();
    let actor = user.actor.clone();
    let found = st
        .db(move |c| ledger::group_list(c, &actor, id, &kind))
        .await;
    let (place, spec, rows) = match found {
        Ok(found) => found,
        Err(AppError::Store(StoreError::SecondFactor)) => return Ok(second_factor_first(id)),
        Err(e) => return Err(e.into()),
    };
    download(export::group_list(&user.actor, &place, spec, rows))
}

/// 辖区单位台账 of a node.
pub async fn units(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (place, list, proof) = match st.db(move |c| ledger::units(c, &actor, id)).await {
        Ok(found) => found,
        Err(AppError::Store(StoreError::SecondFactor)) => return Ok(second_factor_first(id)),
        Err(e) => return Err(e.into()),
    };
    download(export::units(&user.actor, &place, list, &proof))
}

/// 出租房屋台账 of a node.
pub async fn rentals(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let actor = user.actor.clone();
    let (place, list, proof) = match st.db(move |c| ledger::rentals(c, &actor, id)).await {
        Ok(found) => found,
        Err(AppError::Store(StoreError::SecondFactor)) => return Ok(second_factor_first(id)),
        Err(e) => return Err(e.into()),
    };
    download(export::rentals(&user.actor, &place, list, &proof))
}
