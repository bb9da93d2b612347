//! Ledgers as .xlsx workbooks, from what the store hands out (already permitted, scoped and
//! audited there): the residents ledger, a special group's ledger, 辖区单位 and 出租房屋 (their
//! headers are the titles the imports read back), the audit log, and an upload's refused rows.
//! Each workbook carries who exported it and when in its properties; text a spreadsheet would
//! take for a formula is written as plain text by `shequ_office`.

use std::collections::HashMap;

use shequ_domain::registry::tags::TagKind;
use shequ_office::xlsx::{self, Cell, Column, FileMeta, Sheet};
use shequ_store::Actor;
use shequ_store::access::audit;
use shequ_store::access::personal::Revealed;
use shequ_store::ledger::{GroupRow, RentalLine, ResidentRow};
use shequ_store::registry::units::Unit;

use crate::importing::{RENTAL_COLUMNS, ReportRow, UNIT_COLUMNS};

/// A workbook and the name it is downloaded as.
pub struct Book {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// Who exported what and when, for the file's properties.
pub fn meta(actor: &Actor, title: &str, rows: usize) -> FileMeta {
    meta_saying(actor, title, &format!("共 {rows} 行。"))
}

/// The file's properties, `count` saying how much it holds (empty where the rows are counted
/// only as they are written: the sheets' notes say it).
pub(crate) fn meta_saying(actor: &Actor, title: &str, count: &str) -> FileMeta {
    let created = shequ_store::clock::now_fixed();
    let who = format!("{}（{}）", actor.display_name, actor.role.label());
    FileMeta {
        title: title.to_string(),
        comment: format!(
            "导出：{who} {}，{count}含个人信息，请妥善保管，用后删除。",
            created.format("%Y-%m-%d %H:%M:%S %:z")
        ),
        author: who,
        created,
        company: "社区工作台".into(),
    }
}

/// The workbook's bytes; the error is the message to show.
pub fn write(sheets: &[Sheet], meta: &FileMeta) -> Result<Vec<u8>, String> {
    xlsx::write(sheets, meta).map_err(|e| format!("生成 Excel 文件失败：{e}"))
}

/// A ledger as one sheet under its title, with "截至 date · 共 n 人" below it, downloaded as
/// "title-date.xlsx". `what`: (sheet name, title, the counting word: 人, 家, 套).
fn ledger(
    actor: &Actor,
    what: (&str, &str, &str),
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
) -> Result<Book, String> {
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
    let bytes = write(&[sheet], &meta(actor, title, count))?;
    Ok(Book {
        bytes,
        file_name: format!("{title}-{}.xlsx", shequ_store::today()),
    })
}

fn columns(list: &[(&str, f64)]) -> Vec<Column> {
    list.iter().map(|(h, w)| Column::new(*h, *w)).collect()
}

/// 实有人口台账 of a place, with full values.
pub fn residents(actor: &Actor, place: &str, rows: Vec<ResidentRow>) -> Result<Book, String> {
    let title = format!("{place}实有人口台账");
    let columns = columns(&[
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
    ]);
    let rows = rows
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
        .collect();
    ledger(actor, ("实有人口", &title, "人"), columns, rows)
}

/// The audit log as filtered on the auditor's page.
pub fn audit_log(actor: &Actor, rows: Vec<audit::Entry>) -> Result<Book, String> {
    let count = rows.len();
    let sheet = Sheet {
        name: "审计日志".into(),
        title: "审计日志".into(),
        note: Some(format!("共 {count} 条（按序号倒序）")),
        columns: columns(&[
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
        ]),
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
    let bytes = write(&[sheet], &meta(actor, "审计日志", count))?;
    Ok(Book {
        bytes,
        file_name: format!("审计日志-{}.xlsx", shequ_store::today()),
    })
}

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
            let h = shequ_ingest::labelled::find_labelled(t, UNIT_COLUMNS, "name")
                .or_else(|| shequ_ingest::labelled::find_labelled(t, RENTAL_COLUMNS, "address"))?;
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

/// The refused rows of an upload as they were in the file — same headers, same cells — with
/// the reason in a last column, so the office can fix them and upload just this file again;
/// with the number of rows. The error is the file's, as reading it says.
pub fn rejected_sheets(
    bytes: &[u8],
    file_name: &str,
    rejected: &[ReportRow],
) -> Result<(Vec<Sheet>, usize), String> {
    let mut reasons: HashMap<(String, u32), Vec<String>> = HashMap::new();
    for r in rejected {
        reasons
            .entry((r.sheet.clone(), r.row))
            .or_default()
            .push(r.reason.clone());
    }
    let tables =
        shequ_ingest::read(bytes, file_name, &Default::default()).map_err(|e| e.to_string())?;
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
    Ok((sheets, count))
}

/// The refused rows' workbook (`rejected_sheets`), named after the uploaded file.
pub fn rejected_book(
    actor: &Actor,
    file_name: &str,
    sheets: &[Sheet],
    count: usize,
) -> Result<Book, String> {
    let title = format!("{file_name} 被拒绝的行");
    let bytes = write(sheets, &meta(actor, &title, count))?;
    Ok(Book {
        bytes,
        file_name: format!("{title}.xlsx"),
    })
}

/// A special group's ledger (低保台账, 残疾人档案 …) of a place: the residents' columns the
/// residents ledger has, then the group's own fields.
pub fn group_list(
    actor: &Actor,
    place: &str,
    spec: &TagKind,
    rows: Vec<GroupRow>,
) -> Result<Book, String> {
    let title = format!("{place}{}台账", spec.label);
    let mut columns = columns(&[
        ("序号", 6.0),
        ("社区", 12.0),
        ("住址", 16.0),
        ("姓名", 10.0),
        ("性别", 6.0),
        ("出生日期", 12.0),
        ("公民身份号码", 21.0),
        ("联系电话", 14.0),
    ]);
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
    ledger(actor, (spec.label, &title, "人"), columns, data)
}

/// 辖区单位台账 of a place, with the headers the units import reads back (the first title of
/// each `UNIT_COLUMNS` entry). `proof`: the store's, for the contacts' full values.
pub fn units(
    actor: &Actor,
    place: &str,
    list: Vec<Unit>,
    proof: &Revealed,
) -> Result<Book, String> {
    let title = format!("{place}辖区单位台账");
    let mut columns = vec![Column::new("序号", 6.0)];
    columns.extend(
        UNIT_COLUMNS
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
                Cell::from(u.contact_name.as_ref().map(|n| n.full(proof).to_string())),
                Cell::from(u.contact_phone.as_ref().map(|p| p.full(proof).to_string())),
                u.employees.map_or(Cell::Empty, Cell::Int),
                day(u.safety_agreement_on),
                day(u.fire_agreement_on),
                Cell::from(u.notes),
            ]
        })
        .collect();
    ledger(actor, ("辖区单位", &title, "家"), columns, rows)
}

/// 出租房屋台账 of a place, with the headers the rentals import reads back.
pub fn rentals(
    actor: &Actor,
    place: &str,
    list: Vec<RentalLine>,
    proof: &Revealed,
) -> Result<Book, String> {
    let title = format!("{place}出租房屋台账");
    let mut columns = vec![Column::new("序号", 6.0)];
    columns.extend(
        RENTAL_COLUMNS
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
                        .map(|n| n.full(proof).to_string()),
                ),
                Cell::from(
                    r.housing
                        .landlord_phone
                        .as_ref()
                        .map(|p| p.full(proof).to_string()),
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
    ledger(actor, ("出租房屋", &title, "套"), columns, rows)
}
