//! File exports (.xlsx). Each one is permitted by its route's rule, audited with its row
//! count (in the store), and carries who exported it and when in the file's properties.
//! Text that a spreadsheet would take for a formula is written as plain text by
//! `shequ_office`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use shequ_office::xlsx::{self, Cell, Column, FileMeta, Sheet};
use shequ_store::access::audit;
use shequ_store::{StoreError, ledger};

use crate::auth::{PageUser, url_encode};
use crate::error::AppError;
use crate::layout::{PageError, PageResult};
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn meta(user: &PageUser, title: &str, rows: usize) -> FileMeta {
    let created = shequ_store::clock::now_fixed();
    let who = format!("{}（{}）", user.actor.display_name, user.actor.role.label());
    FileMeta {
        title: title.to_string(),
        comment: format!(
            "导出：{who} {}，共 {rows} 行。含个人信息，请妥善保管，用后删除。",
            created.format("%Y-%m-%d %H:%M:%S %:z")
        ),
        author: who,
        created,
        company: "社区工作台".into(),
    }
}

/// A ledger as one sheet under its title, with "截至 date · 共 n 人" below it, downloaded as
/// "title-date.xlsx". `what`: (sheet name, title, the counting word: 人, 家, 套).
fn ledger(
    user: &PageUser,
    what: (&str, &str, &str),
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
) -> PageResult {
    let (name, title, word) = what;
    let count = rows.len();
    let sheet = Sheet {
        name: name.into(),
        title: title.to_string(),
        note: Some(format!(
            "截至 {} · 共 {count} {word}",
            shequ_store::today().format("%Y年%m月%d日")
        )),
        columns,
        rows,
    };
    let bytes = write(&[sheet], &meta(user, title, count))?;
    Ok(download(
        bytes,
        &format!("{title}-{}.xlsx", shequ_store::today()),
    ))
}

/// The file as a download: the Chinese file name in RFC 5987 form, never cached.
fn download(bytes: Vec<u8>, filename: &str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let ascii = "export.xlsx";
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_encode(filename)
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

fn write(sheets: &[Sheet], meta: &FileMeta) -> Result<Vec<u8>, PageError> {
    xlsx::write(sheets, meta)
        .map_err(|e| PageError(AppError::Internal(format!("生成 Excel 文件失败：{e}"))))
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
    let title = format!("{place}实有人口台账");
    let columns = [
        ("序号", 6.0),
        ("社区", 12.0),
        ("住址", 16.0),
        ("与户主关系", 10.0),
        ("姓名", 10.0),
        ("性别", 6.0),
        ("出生日期", 12.0),
        ("年龄", 6.0),
        ("公民身份号码", 21.0),
        ("其他证件", 18.0),
        ("联系电话", 14.0),
        ("民族", 8.0),
        ("人员类型", 9.0),
        ("人户一致", 9.0),
        ("迁入日期", 12.0),
        ("重点人群", 18.0),
    ];
    let count = rows.len();
    let sheet = Sheet {
        name: "实有人口".into(),
        title: title.clone(),
        note: Some(format!(
            "截至 {} · 共 {count} 人",
            shequ_store::today().format("%Y年%m月%d日")
        )),
        columns: columns.iter().map(|(h, w)| Column::new(*h, *w)).collect(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    Cell::Int(i as i64 + 1),
                    Cell::from(r.community),
                    Cell::from(r.address),
                    Cell::from(r.relation),
                    Cell::from(r.name),
                    Cell::from(r.sex),
                    Cell::Date(r.birth_date),
                    Cell::Int(r.age),
                    Cell::from(r.id_number),
                    Cell::from(r.document),
                    Cell::from(r.phone),
                    Cell::from(r.ethnicity),
                    Cell::from(r.person_type),
                    Cell::from(if r.registered_here { "是" } else { "否" }),
                    Cell::Date(r.moved_in_on),
                    Cell::from(r.groups),
                ]
            })
            .collect(),
    };
    let bytes = write(&[sheet], &meta(&user, &title, count))?;
    Ok(download(
        bytes,
        &format!("{title}-{}.xlsx", shequ_store::today()),
    ))
}

/// The audit log as filtered on the auditor's page (the page reads the filter).
pub async fn audit_log(st: AppState, user: PageUser, filter: audit::Filter) -> PageResult {
    let actor = user.actor.clone();
    let rows = st
        .db(move |c| {
            let rows = audit::search(c, &actor, &filter)?;
            ledger::record_export(c, &actor, "audit_log", rows.len())?;
            Ok(rows)
        })
        .await?;
    let count = rows.len();
    let columns = [
        ("序号", 8.0),
        ("时间", 26.0),
        ("用户", 12.0),
        ("角色", 14.0),
        ("辖区", 14.0),
        ("操作", 14.0),
        ("操作代码", 14.0),
        ("对象", 16.0),
        ("结果", 8.0),
        ("详情", 60.0),
    ];
    let sheet = Sheet {
        name: "审计日志".into(),
        title: "审计日志".into(),
        note: Some(format!("共 {count} 条（按序号倒序）")),
        columns: columns.iter().map(|(h, w)| Column::new(*h, *w)).collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Int(r.seq),
                    Cell::from(r.at),
                    Cell::from(r.username),
                    Cell::from(r.role),
                    Cell::from(r.area),
                    Cell::from(audit::action_label(&r.action)),
                    Cell::from(r.action),
                    Cell::from(r.target),
                    Cell::from(r.outcome),
                    Cell::from(r.detail),
                ]
            })
            .collect(),
    };
    let bytes = write(&[sheet], &meta(&user, "审计日志", count))?;
    Ok(download(
        bytes,
        &format!("审计日志-{}.xlsx", shequ_store::today()),
    ))
}

/// The refused rows of an upload as they were in the file — same headers, same cells — with
/// the reason in a last column, so the office can fix them and upload just this file again.
/// Audited as an export (the rows hold personal data).
/// The titles of a sheet's columns as its header shows them, for a persons, units or rentals
/// ledger alike; "基本信息/名字" in a two-row header gives "名字", which is what reads back.
fn header_titles(t: &shequ_ingest::Table) -> Option<Vec<String>> {
    let titled: Vec<(usize, String)> = match shequ_ingest::find_header(t) {
        Some(h) => h
            .columns
            .iter()
            .map(|c| (c.index, c.title.clone()))
            .collect(),
        None => {
            let h =
                shequ_ingest::labelled::find_labelled(t, crate::importing::UNIT_COLUMNS, "name")
                    .or_else(|| {
                        shequ_ingest::labelled::find_labelled(
                            t,
                            crate::importing::RENTAL_COLUMNS,
                            "address",
                        )
                    })?;
            let row = t.rows.get(h.row_index)?;
            row.cells
                .iter()
                .enumerate()
                .map(|(i, c)| (i, c.display()))
                .collect()
        }
    };
    let width = titled.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    Some(
        (0..width)
            .map(|i| {
                titled
                    .iter()
                    .find(|(c, _)| *c == i)
                    .and_then(|(_, title)| title.rsplit('/').next())
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .collect(),
    )
}

/// The refused rows of an upload the import page found to be the user's own.
pub async fn rejected_rows(
    st: AppState,
    user: PageUser,
    id: i64,
    upload: &crate::uploads::Upload,
    report: &crate::importing::Report,
) -> PageResult {
    let mut reasons: HashMap<(String, u32), Vec<String>> = HashMap::new();
    for r in &report.rejected {
        reasons
            .entry((r.sheet.clone(), r.row))
            .or_default()
            .push(r.reason.clone());
    }
    let tables = shequ_ingest::read(&upload.bytes, &report.file_name, &Default::default())
        .map_err(|e| PageError(AppError::BadRequest(e.to_string())))?;
    let mut sheets = Vec::new();
    let mut count = 0;
    for t in &tables {
        let Some(titles) = header_titles(t) else {
            continue;
        };
        let width = titles.len();
        let mut columns: Vec<Column> = titles
            .into_iter()
            .map(|title| Column::new(title, 14.0))
            .collect();
        columns.push(Column::new("原因", 60.0));
        let mut rows = Vec::new();
        for row in &t.rows {
            if let Some(why) = reasons.get(&(t.sheet.clone(), row.number)) {
                // Cells go back as they came: a number stays a number, so an ID number Excel
                // rounded is refused for the same reason when the file comes back unfixed.
                let mut cells: Vec<Cell> = (0..width)
                    .map(|i| match row.cells.get(i) {
                        Some(shequ_ingest::Cell::Number(n)) => Cell::Number(*n),
                        Some(shequ_ingest::Cell::Date(d)) => Cell::Date(*d),
                        Some(c) => Cell::from(c.display()),
                        None => Cell::Empty,
                    })
                    .collect();
                cells.push(Cell::from(why.join("；")));
                rows.push(cells);
            }
        }
        if rows.is_empty() {
            continue;
        }
        count += rows.len();
        sheets.push(Sheet {
            name: t.sheet.clone(),
            title: format!("{}（被拒绝的行）", t.sheet),
            note: Some("改正后删除“原因”列或保留均可，再上传本文件".into()),
            columns,
            rows,
        });
    }
    let actor = user.actor.clone();
    let what = format!("import-upload:{id}");
    st.db(move |c| ledger::record_export(c, &actor, &what, count))
        .await?;
    let title = format!("{} 被拒绝的行", report.file_name);
    let bytes = write(&sheets, &meta(&user, &title, count))?;
    Ok(download(bytes, &format!("{title}.xlsx")))
}

/// A special group's ledger (低保台账, 残疾人档案 …) of a node: the residents' columns the
/// residents ledger has, then the group's own fields. `?kind=dibao`.
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
    let title = format!("{place}{}台账", spec.label);
    let mut columns: Vec<Column> = [
        ("序号", 6.0),
        ("社区", 12.0),
        ("住址", 16.0),
        ("姓名", 10.0),
        ("性别", 6.0),
        ("出生日期", 12.0),
        ("公民身份号码", 21.0),
        ("联系电话", 14.0),
    ]
    .iter()
    .map(|(h, w)| Column::new(*h, *w))
    .collect();
    if let Some((label, _)) = spec.category {
        columns.push(Column::new(label, 12.0));
    }
    if let Some((label, _, _)) = spec.grade {
        columns.push(Column::new(label, 10.0));
    }
    for f in spec.fields {
        columns.push(Column::new(f.label, 14.0));
    }
    columns.push(Column::new("开始日期", 12.0));
    let data = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![
                Cell::Int(i as i64 + 1),
                Cell::from(r.person.community),
                Cell::from(r.person.address),
                Cell::from(r.person.name),
                Cell::from(r.person.sex),
                Cell::Date(r.person.birth_date),
                Cell::from(r.person.id_number.or(r.person.document)),
                Cell::from(r.person.phone),
            ];
            if spec.category.is_some() {
                cells.push(Cell::from(r.category));
            }
            if spec.grade.is_some() {
                cells.push(r.grade.map_or(Cell::Empty, Cell::Int));
            }
            for f in spec.fields {
                cells.push(Cell::from(r.details.get(f.key).cloned()));
            }
            cells.push(Cell::Date(r.started_on));
            cells
        })
        .collect();
    ledger(&user, (spec.label, &title, "人"), columns, data)
}

/// 辖区单位台账 of a node, with the headers the units import reads back (the first title of
/// each `importing::UNIT_COLUMNS` entry).
pub async fn units(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (place, list, proof) = match st.db(move |c| ledger::units(c, &actor, id)).await {
        Ok(found) => found,
        Err(AppError::Store(StoreError::SecondFactor)) => return Ok(second_factor_first(id)),
        Err(e) => return Err(e.into()),
    };
    let title = format!("{place}辖区单位台账");
    let mut columns = vec![Column::new("序号", 6.0)];
    columns.extend(
        crate::importing::UNIT_COLUMNS
            .iter()
            .map(|(_, titles)| Column::new(titles[0], 16.0)),
    );
    let day = |d: Option<chrono::NaiveDate>| d.map_or(Cell::Empty, Cell::Date);
    let rows = list
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                Cell::Int(i as i64 + 1),
                Cell::from(u.name),
                Cell::from(u.kind),
                Cell::from(u.credit_code),
                Cell::from(u.address),
                Cell::from(u.contact_name.as_ref().map(|n| n.full(&proof).to_string())),
                Cell::from(u.contact_phone.as_ref().map(|p| p.full(&proof).to_string())),
                u.employees.map_or(Cell::Empty, Cell::Int),
                day(u.safety_agreement_on),
                day(u.fire_agreement_on),
                Cell::from(u.notes),
            ]
        })
        .collect();
    ledger(&user, ("辖区单位", &title, "家"), columns, rows)
}

/// 出租房屋台账 of a node, with the headers the rentals import reads back.
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
    let title = format!("{place}出租房屋台账");
    let mut columns = vec![Column::new("序号", 6.0)];
    columns.extend(
        crate::importing::RENTAL_COLUMNS
            .iter()
            .map(|(_, titles)| Column::new(titles[0], 16.0)),
    );
    let rows = list
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::Int(i as i64 + 1),
                Cell::from(r.address),
                Cell::from(
                    r.housing
                        .landlord_name
                        .as_ref()
                        .map(|n| n.full(&proof).to_string()),
                ),
                Cell::from(
                    r.housing
                        .landlord_phone
                        .as_ref()
                        .map(|p| p.full(&proof).to_string()),
                ),
                r.housing
                    .agreement_signed_on
                    .map_or(Cell::Empty, Cell::Date),
                Cell::from(r.tenants.join("、")),
                Cell::Int(r.tenants.len() as i64),
                Cell::from(r.housing.notes),
            ]
        })
        .collect();
    ledger(&user, ("出租房屋", &title, "套"), columns, rows)
}
