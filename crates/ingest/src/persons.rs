//! One row of a 花名册 → one person candidate, with the problems that reject it and the
//! warnings that don't.
//!
//! What rejects a row is what would put a wrong person in the registry: no name, no usable
//! ID number (never guessed from a number Excel has rounded), a date that isn't one, a room
//! that can't be found. Everything else (a bad phone, an unknown 民族, a typed sex the ID
//! number contradicts) is a warning: the person is imported and the user is told what was
//! left out or overridden. The ID number wins over typed sex and birth date, because both
//! are derived from it and typed twice only by hand.

mod address;
#[cfg(test)]
mod sample_tests;
mod values;

pub use address::Address;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use shequ_domain::registry::normalize_doc_no;
use shequ_domain::{IdNumber, IdNumberError, NameError, Phone, Sex, normalize_name};

use crate::header::text::compact;
use crate::header::{Field, Header, find_header, normalise_title, recognise};
use crate::table::{Cell, Row, Table, column_name};
use values::{DateValue, DocKind, RelationValue};

pub use crate::header::Mapping;

/// One thing wrong with one cell, located as the office sees it in Excel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub sheet: String,
    /// Excel row number.
    pub row: u32,
    /// Column letter, "E".
    pub column: String,
    /// Column title.
    pub title: String,
    /// The value as shown.
    pub value: String,
    pub code: &'static str,
    /// Chinese, naming the column and value and what to do.
    pub message: String,
}

/// A person as read from one row, not yet compared with the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub sheet: String,
    pub row: u32,
    pub name: String,
    /// Normalised, 18 characters.
    pub id_number: Option<String>,
    pub doc_type: Option<String>,
    pub doc_no: Option<String>,
    /// "男"/"女": from the ID number when there is one, else as typed.
    pub sex: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub ethnicity: Option<String>,
    pub relation: Option<String>,
    pub address: Option<Address>,
    pub person_type: Option<String>,
    pub registered_here: Option<bool>,
    pub employment: Option<String>,
    pub moved_in_on: Option<NaiveDate>,
    pub notes: Option<String>,
    /// 户号 as shown: rows with the same number are one household.
    pub household_no: Option<String>,
    /// 文化程度 and 政治面貌 in the national standards' words.
    pub education: Option<String>,
    pub political: Option<String>,
    pub warnings: Vec<Problem>,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(
    clippy::large_enum_variant,
    reason = "almost every row is a Person; boxing it would only add an allocation per row"
)]
pub enum RowOutcome {
    Person(Candidate),
    /// Only the problems that reject the row; its warnings come back once it is fixed.
    Rejected(Vec<Problem>),
    /// Not data: a 合计/小计/总计 row, a note row ("填表说明", "注：…"), a repeated header row,
    /// a signature line, an empty or pre-numbered blank row. The reason is Chinese.
    Skip(&'static str),
}

/// A sheet that is only notes (e.g. "填表说明") has no header: the caller skips it.
pub fn is_data_sheet(t: &Table) -> bool {
    find_header(t).is_some()
}

/// What is wrong with a mapping before any row is read, in Chinese, for the mapping form.
pub fn check_mapping(mapping: &Mapping) -> Vec<String> {
    let mut out = Vec::new();
    let has = |f: Field| mapping.iter().any(|(_, g)| *g == f);
    if !has(Field::Name) {
        out.push("没有指定“姓名”列：请在列对应关系中选出姓名所在的列".to_string());
    }
    if !has(Field::IdNumber) && !has(Field::DocNo) {
        out.push(
            "没有指定“公民身份号码”列：请选出身份证号码所在的列（境外或未落户人员可选“其他证件号码”列）"
                .to_string(),
        );
    }
    let mut by_col: HashMap<usize, Field> = HashMap::new();
    for (col, f) in mapping {
        if let Some(prev) = by_col.insert(*col, *f)
            && prev != *f
        {
            out.push(format!(
                "{}列同时对应了“{}”和“{}”：一列只能对应一项，请改正",
                column_name(*col),
                prev.label(),
                f.label()
            ));
        }
    }
    out
}

/// Parses one data row. Rows that are not data come back as [`RowOutcome::Skip`].
pub fn parse_row(sheet: &str, row: &Row, header: &Header, mapping: &Mapping) -> RowOutcome {
    parse_keyed(sheet, row, header, mapping, &title_pieces(header)).0
}

/// Whole table: parses every row after the header, one outcome per row, in order
/// (`outcome[i]` is `t.rows[header.row_index + 1 + i]`), and rejects the second and later
/// rows with an ID number (or document) seen before in the file, naming the first row.
///
/// A cell merged down over several rows (a household's 门牌号 written once for all its
/// members) counts for each of those rows.
pub fn parse_table(t: &Table, header: &Header, mapping: &Mapping) -> Vec<RowOutcome> {
    let start = header.row_index.saturating_add(1);
    let rows = t.rows.get(start..).unwrap_or(&[]);
    let header_number = t.rows.get(header.row_index).map_or(0, |r| r.number);
    let fills = merged_fills(t, rows, header_number, mapping);
    let pieces = title_pieces(header);
    let parse = |i: usize, row: &Row| match fills.get(&i) {
        Some(cells) => parse_keyed(&t.sheet, &with_cells(row, cells), header, mapping, &pieces),
        None => parse_keyed(&t.sheet, row, header, mapping, &pieces),
    };
    // Rows parse independently, so a large sheet is split across the cores; only the
    // duplicate check below needs them in order.
    let parsed = shequ_domain::parallel::par_map(rows, 4000, |i, row| parse(i, row));
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for ((outcome, key), row) in parsed.into_iter().zip(rows) {
        let Some(key) = key else {
            out.push(outcome);
            continue;
        };
        let Some(&first) = seen.get(&key.key) else {
            seen.insert(key.key, row.number);
            out.push(outcome);
            continue;
        };
        let ctx = Ctx::new(&t.sheet, row, header, mapping);
        let dup = ctx.problem(
            Some(key.col),
            Field::IdNumber,
            "duplicate_in_file",
            format!(
                "“{}”列的“{}”与第{first}行重复：同一人只应登记一次，请核对是哪一行填错了，改正后再导入这一行",
                ctx.title(Some(key.col), Field::IdNumber),
                key.shown
            ),
        );
        out.push(match outcome {
            RowOutcome::Rejected(mut errors) => {
                errors.push(dup);
                RowOutcome::Rejected(errors)
            }
            _ => RowOutcome::Rejected(vec![dup]),
        });
    }
    if mapping.iter().any(|(_, f)| *f == Field::HouseholdNo) {
        household_addresses(&mut out);
    }
    out
}

/// Ledgers kept by household write the address once, on the head's row: a member with no
/// address of their own lives where the rest of their household (same 户号) does.
fn household_addresses(out: &mut [RowOutcome]) {
    let mut known: HashMap<String, Address> = HashMap::new();
    for o in out.iter() {
        if let RowOutcome::Person(c) = o
            && let (Some(no), Some(a)) = (&c.household_no, &c.address)
            && !known.contains_key(no)
        {
            known.insert(no.clone(), a.clone());
        }
    }
    if known.is_empty() {
        return;
    }
    for o in out.iter_mut() {
        if let RowOutcome::Person(c) = o
            && c.address.is_none()
            && let Some(a) = c.household_no.as_ref().and_then(|n| known.get(n))
        {
            c.address = Some(a.clone());
            c.warnings.retain(|w| w.code != "missing_address");
        }
    }
}

/// What identifies a person within one file.
struct Key {
    col: usize,
    shown: String,
    key: String,
}

static EMPTY: Cell = Cell::Empty;

/// The row being parsed and the problems found so far.
struct Ctx<'a> {
    sheet: &'a str,
    row: &'a Row,
    header: &'a Header,
    mapping: &'a Mapping,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> Ctx<'a> {
    fn new(sheet: &'a str, row: &'a Row, header: &'a Header, mapping: &'a Mapping) -> Self {
        Ctx {
            sheet,
            row,
            header,
            mapping,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn cell(&self, col: usize) -> &'a Cell {
        self.row.cells.get(col).unwrap_or(&EMPTY)
    }

    fn has_column(&self, f: Field) -> bool {
        self.mapping.iter().any(|(_, g)| *g == f)
    }

    fn first_column(&self, f: Field) -> Option<usize> {
        self.mapping.iter().find(|(_, g)| *g == f).map(|(c, _)| *c)
    }

    /// Non-empty cells of the columns mapped to `f`, in mapping order.
    fn values(&self, f: Field) -> Vec<(usize, &'a Cell)> {
        self.mapping
            .iter()
            .filter(|(_, g)| *g == f)
            .map(|(c, _)| (*c, self.cell(*c)))
            .filter(|(_, cell)| !cell.is_empty())
            .collect()
    }

    fn first(&self, f: Field) -> Option<(usize, &'a Cell)> {
        self.values(f).into_iter().next()
    }

    /// The column's title as the file shows it, or the field's name for a column the user
    /// mapped without a title.
    fn title(&self, col: Option<usize>, f: Field) -> String {
        col.and_then(|c| self.header.column(c))
            .map(|c| c.title.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| f.label().to_string())
    }

    fn shown(&self, col: usize) -> String {
        self.cell(col).display().trim().to_string()
    }

    fn problem(
        &self,
        col: Option<usize>,
        f: Field,
        code: &'static str,
        message: String,
    ) -> Problem {
        Problem {
            sheet: self.sheet.to_string(),
            row: self.row.number,
            column: col.map(column_name).unwrap_or_default(),
            title: self.title(col, f),
            value: col.map(|c| self.shown(c)).unwrap_or_default(),
            code,
            message,
        }
    }

    fn error(&mut self, col: Option<usize>, f: Field, code: &'static str, message: String) {
        let p = self.problem(col, f, code, message);
        self.errors.push(p);
    }

    fn warn(&mut self, col: Option<usize>, f: Field, code: &'static str, message: String) {
        let p = self.problem(col, f, code, message);
        self.warnings.push(p);
    }

    /// "“身份证号码”列的“…”" – how every message starts.
    fn at(&self, col: usize, f: Field) -> String {
        format!("“{}”列的“{}”", self.title(Some(col), f), self.shown(col))
    }
}

fn parse_keyed(
    sheet: &str,
    row: &Row,
    header: &Header,
    mapping: &Mapping,
    pieces: &HashSet<String>,
) -> (RowOutcome, Option<Key>) {
    if let Some(reason) = skip_reason(row, header, mapping, pieces) {
        return (RowOutcome::Skip(reason), None);
    }
    let mut ctx = Ctx::new(sheet, row, header, mapping);

    let name = parse_name(&mut ctx);
    let (id, doc_type, doc_no, key) = parse_identity(&mut ctx);
    let sex = parse_sex(&mut ctx, id.as_ref());
    let birth_date = parse_birth_date(&mut ctx, id.as_ref());
    parse_age(&mut ctx, id.as_ref());
    let phone = parse_phone(&mut ctx);
    let ethnicity = lookup(
        &mut ctx,
        Field::Ethnicity,
        "unknown_ethnicity",
        values::ethnicity,
    );
    let relation = parse_relation(&mut ctx, sex);
    let person_type = lookup(
        &mut ctx,
        Field::PersonType,
        "unknown_person_type",
        values::person_type,
    );
    let registered_here = parse_registered_here(&mut ctx);
    let employment = lookup(
        &mut ctx,
        Field::Employment,
        "unknown_employment",
        values::employment,
    );
    let address = parse_address(&mut ctx);
    let moved_in_on = parse_moved_in_on(&mut ctx);
    let household_no = ctx
        .first(Field::HouseholdNo)
        .map(|(c, _)| ctx.shown(c))
        .filter(|n| !n.is_empty());
    let education = lookup(
        &mut ctx,
        Field::Education,
        "unknown_education",
        values::education,
    );
    let political = lookup(
        &mut ctx,
        Field::Political,
        "unknown_political",
        values::political,
    );
    let notes = ctx
        .values(Field::Notes)
        .into_iter()
        .map(|(c, _)| ctx.shown(c))
        .collect::<Vec<_>>()
        .join("；");

    if !ctx.errors.is_empty() {
        return (RowOutcome::Rejected(ctx.errors), key);
    }
    let candidate = Candidate {
        sheet: sheet.to_string(),
        row: row.number,
        name: name.unwrap_or_default(),
        id_number: id.map(String::from),
        doc_type,
        doc_no,
        sex: sex.map(|s| s.label().to_string()),
        birth_date,
        phone,
        ethnicity,
        relation,
        address,
        person_type,
        registered_here,
        employment,
        moved_in_on,
        notes: (!notes.is_empty()).then_some(notes),
        household_no,
        education,
        political,
        warnings: ctx.warnings,
    };
    (RowOutcome::Person(candidate), key)
}

const TOTAL_PREFIXES: &[&str] = &["合计", "小计", "总计", "共计"];
const NOTE_PREFIXES: &[&str] = &["注:", "注1", "注意", "说明:", "备注:", "填表说明"];
/// The lines under a table where the people who filled and checked it sign.
const SIGNATURE_PREFIXES: &[&str] = &[
    "制表人",
    "制表:",
    "制表日期",
    "填表人",
    "填表日期",
    "填报人",
    "填报单位",
    "填报日期",
    "审核人",
    "审核:",
    "负责人",
    "单位负责人",
    "统计人",
    "经办人",
    "签字",
    "盖章",
    "联系人:",
];

/// The header's titles and group titles, normalised: what a repeated header row is made of.
fn title_pieces(header: &Header) -> HashSet<String> {
    header
        .columns
        .iter()
        .flat_map(|c| c.title.split('/'))
        .map(normalise_title)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A row whose first filled cell makes it a total, a note or a signature line, not data.
pub(crate) fn not_data(first: &Cell) -> Option<&'static str> {
    let first = compact(&first.display());
    if TOTAL_PREFIXES.iter().any(|p| first.starts_with(p)) {
        return Some("合计行");
    }
    if first.contains("填表说明") || NOTE_PREFIXES.iter().any(|p| first.starts_with(p)) {
        return Some("说明行");
    }
    if SIGNATURE_PREFIXES.iter().any(|p| first.starts_with(p)) {
        return Some("签名行");
    }
    None
}

fn skip_reason(
    row: &Row,
    header: &Header,
    mapping: &Mapping,
    pieces: &HashSet<String>,
) -> Option<&'static str> {
    let Some(first) = row.cells.iter().find(|c| !c.is_empty()) else {
        return Some("空行");
    };
    if let Some(reason) = not_data(first) {
        return Some(reason);
    }
    let data_cols = mapping
        .iter()
        .filter(|(_, f)| !matches!(f, Field::Seq | Field::Ignore));
    let mut data_cols = data_cols.map(|(c, _)| row.cells.get(*c).unwrap_or(&EMPTY));
    if data_cols.all(Cell::is_empty) {
        // Templates come pre-numbered down to row 100; a number alone is not a person.
        return Some("无可导入内容的行");
    }
    // Headers repeat on every printed page when the sheet was assembled from printouts, and
    // so do their group titles.
    let repeats = row
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .all(|(i, c)| {
            let shown = c.display();
            pieces.contains(&normalise_title(&shown))
                || header
                    .column(i)
                    .is_some_and(|col| col.field.is_some() && col.field == recognise(&shown))
        });
    repeats.then_some("重复的表头")
}

fn parse_name(ctx: &mut Ctx) -> Option<String> {
    let Some((col, cell)) = ctx.first(Field::Name) else {
        let col = ctx.first_column(Field::Name);
        let message = match col {
            Some(c) => format!(
                "“{}”列没有填写姓名：请补上姓名后重新导入这一行",
                ctx.title(Some(c), Field::Name)
            ),
            None => "没有指定姓名列：请在列对应关系中选出姓名所在的列".to_string(),
        };
        ctx.error(col, Field::Name, "missing_name", message);
        return None;
    };
    match normalize_name(&cell.display()) {
        Ok(name) => Some(name),
        Err(e) => {
            let code = match e {
                NameError::Empty => "missing_name",
                NameError::TooLong { .. } => "name_too_long",
            };
            let message = format!("{}：{e}", ctx.at(col, Field::Name));
            ctx.error(Some(col), Field::Name, code, message);
            None
        }
    }
}

/// An ID cell as Excel stores it. A number of 16 digits or more has already lost digits
/// (a double holds 15–17 significant digits, Excel shows 15), so no number that size is
/// trusted, even one whose check character happens to fit.
fn parse_id(cell: &Cell) -> Result<IdNumber, IdNumberError> {
    match cell {
        Cell::Number(n) if n.is_finite() && n.abs() >= 1e15 => Err(IdNumberError::PrecisionLost),
        Cell::Text(s) => IdNumber::parse(s),
        other => IdNumber::parse(&other.display()),
    }
}

type Identity = (
    Option<IdNumber>,
    Option<String>,
    Option<String>,
    Option<Key>,
);

/// The ID number, or for people without one the document type and number.
fn parse_identity(ctx: &mut Ctx) -> Identity {
    let kind = ctx
        .first(Field::DocType)
        .map(|(col, cell)| (col, values::doc_kind(&cell.display())));
    let doc_type = match &kind {
        Some((_, DocKind::Doc(d))) => Some((*d).to_string()),
        Some((col, DocKind::Unknown(m))) => {
            let message = format!(
                "“{}”列：{m}；本项已留空",
                ctx.title(Some(*col), Field::DocType)
            );
            ctx.warn(Some(*col), Field::DocType, "unknown_doc_type", message);
            None
        }
        _ => None,
    };
    let id_cell = ctx.first(Field::IdNumber);
    let doc_cell = ctx.first(Field::DocNo);
    // One 证件号码 column beside a 证件类型 column holds whatever document the type names.
    let (id_src, doc_src) = match &kind {
        Some((_, DocKind::Doc(_))) if doc_cell.is_none() => (None, id_cell),
        Some((_, DocKind::IdCard)) if id_cell.is_none() => (doc_cell, None),
        _ => (id_cell, doc_cell),
    };

    let mut key = None;
    let id = match id_src {
        Some((col, cell)) => match parse_id(cell) {
            Ok(id) => {
                key = Some(Key {
                    col,
                    shown: ctx.shown(col),
                    key: id.as_str().to_string(),
                });
                Some(id)
            }
            Err(e) => {
                let message = format!("{}有误：{e}", ctx.at(col, Field::IdNumber));
                ctx.error(Some(col), Field::IdNumber, e.code(), message);
                None
            }
        },
        None => None,
    };
    let doc_no = match doc_src {
        Some((col, cell)) => match normalize_doc_no(&cell.display()) {
            Ok(no) => {
                if key.is_none() {
                    key = Some(Key {
                        col,
                        shown: ctx.shown(col),
                        key: format!("{}:{no}", doc_type.as_deref().unwrap_or("")),
                    });
                }
                Some(no)
            }
            Err(m) => {
                let message = format!("{}有误：{m}", ctx.at(col, Field::DocNo));
                if id.is_some() {
                    ctx.warn(
                        Some(col),
                        Field::DocNo,
                        "bad_doc_no",
                        message + "；本项已留空",
                    );
                } else {
                    ctx.error(Some(col), Field::DocNo, "bad_doc_no", message);
                }
                None
            }
        },
        None => None,
    };
    if id_src.is_none() && doc_src.is_none() {
        let col = ctx.first_column(Field::IdNumber);
        let who = ctx
            .first(Field::Name)
            .map(|(c, _)| ctx.shown(c))
            .unwrap_or_else(|| "这一行".to_string());
        let message = format!(
            "{who}没有填写公民身份号码：户籍人口和流动人口都须登记18位公民身份号码，请补填；境外或未落户人员请在“证件类型”“证件号码”列填写所持证件"
        );
        ctx.error(col, Field::IdNumber, "missing_id", message);
    }
    (id, doc_type, doc_no, key)
}

fn parse_sex(ctx: &mut Ctx, id: Option<&IdNumber>) -> Option<Sex> {
    let typed = ctx
        .first(Field::Sex)
        .map(|(col, cell)| (col, values::sex(&cell.display())));
    if let Some(id) = id {
        let derived = id.sex();
        if let Some((col, Some(t))) = typed
            && t != derived
        {
            let message = format!(
                "{}与公民身份号码不符（号码第17位表示{}），已按身份证号码记为{}；如号码无误可忽略此提示，否则请核对号码",
                ctx.at(col, Field::Sex),
                derived.label(),
                derived.label()
            );
            ctx.warn(Some(col), Field::Sex, "contradicts_id", message);
        }
        if let Some((col, None)) = typed {
            let message = format!(
                "{}无法识别，已按公民身份号码记为{}",
                ctx.at(col, Field::Sex),
                derived.label()
            );
            ctx.warn(Some(col), Field::Sex, "bad_sex", message);
        }
        return Some(derived);
    }
    match typed {
        Some((_, Some(s))) => Some(s),
        Some((col, None)) => {
            let message = format!(
                "{}无法识别：请填写“男”或“女”；本项已留空",
                ctx.at(col, Field::Sex)
            );
            ctx.warn(Some(col), Field::Sex, "bad_sex", message);
            None
        }
        None => None,
    }
}

const DATE_FORMS: &str = "请写成2021-09-26、2021/9/26、2021.9.26、2021年9月26日或20210926";

/// With an ID number the typed birth date is only checked against it: one that contradicts
/// it or can't be read is a warning, and the ID number's date is recorded.
fn parse_birth_date(ctx: &mut Ctx, id: Option<&IdNumber>) -> Option<NaiveDate> {
    let typed = ctx.first(Field::BirthDate).map(|(col, cell)| {
        // "1985.03" in a 出生年月 column is a month, not the 3rd of anything.
        let value = match values::year_month(cell) {
            Some(ym) => Err(ym),
            None => Ok(values::date(cell)),
        };
        (col, value)
    });
    if let Some(id) = id {
        let derived = id.birth_date();
        let contradicts = |ctx: &mut Ctx, col: usize| {
            let message = format!(
                "{}与公民身份号码中的出生日期{}不符，已按身份证号码记录；如号码无误可忽略此提示，否则请核对号码",
                ctx.at(col, Field::BirthDate),
                derived.format("%Y-%m-%d")
            );
            ctx.warn(Some(col), Field::BirthDate, "contradicts_id", message);
        };
        match typed {
            Some((col, Ok(DateValue::Date(d)))) if d != derived => contradicts(ctx, col),
            Some((col, Err(ym))) if ym != (derived.year(), derived.month()) => {
                contradicts(ctx, col)
            }
            Some((col, Ok(DateValue::Bad))) => {
                let message = format!(
                    "{}无法识别为日期，已按公民身份号码记为{}；如需核对，{DATE_FORMS}",
                    ctx.at(col, Field::BirthDate),
                    derived.format("%Y-%m-%d")
                );
                ctx.warn(Some(col), Field::BirthDate, "bad_date", message);
            }
            _ => {}
        }
        return Some(derived);
    }
    let typed = typed.map(|(col, v)| (col, v.unwrap_or(DateValue::Bad)));
    match typed {
        Some((_, DateValue::Date(d))) => Some(d),
        Some((col, DateValue::Bad)) => {
            let message = format!(
                "{}不是有效日期：{DATE_FORMS}",
                ctx.at(col, Field::BirthDate)
            );
            ctx.error(Some(col), Field::BirthDate, "bad_date", message);
            None
        }
        _ => None,
    }
}

/// A ledger's ages are as of the day it was written, often years before it reaches us, and
/// some offices count only the difference of years: an age is taken to agree with the ID
/// number anywhere from five years younger to a year older than the person is today.
const AGE_SLACK: u32 = 5;

/// 年龄 is never stored (the ID number says it): it is only read and checked, and what is
/// wrong with it is a warning.
fn parse_age(ctx: &mut Ctx, id: Option<&IdNumber>) {
    let Some((col, cell)) = ctx.first(Field::Age) else {
        return;
    };
    let Some(typed) = values::age(cell) else {
        let message = format!(
            "{}不是年龄：年龄由公民身份号码推算，本项不导入，人员照常导入",
            ctx.at(col, Field::Age)
        );
        ctx.warn(Some(col), Field::Age, "bad_age", message);
        return;
    };
    let Some(id) = id else {
        return;
    };
    let now = id.age_on(shequ_domain::clock::today());
    if typed > now.saturating_add(1) || typed.saturating_add(AGE_SLACK) < now {
        let message = format!(
            "{}与公民身份号码不符（按号码今年{now}岁），年龄以身份证号码为准；如号码无误可忽略此提示，否则请核对号码",
            ctx.at(col, Field::Age)
        );
        ctx.warn(Some(col), Field::Age, "contradicts_id", message);
    }
}

fn parse_moved_in_on(ctx: &mut Ctx) -> Option<NaiveDate> {
    let (col, cell) = ctx.first(Field::MovedInOn)?;
    match values::date(cell) {
        DateValue::Date(d) => Some(d),
        DateValue::Empty => None,
        DateValue::Bad => {
            let message = format!(
                "{}不是有效日期：{DATE_FORMS}",
                ctx.at(col, Field::MovedInOn)
            );
            ctx.error(Some(col), Field::MovedInOn, "bad_date", message);
            None
        }
    }
}

/// Ledgers put two numbers in one cell ("139…/0871-…"); the first good one is kept and the
/// others are named in a warning so nothing is silently lost.
fn parse_phone(ctx: &mut Ctx) -> Option<String> {
    let mut good: Vec<(usize, String)> = Vec::new();
    for (col, cell) in ctx.values(Field::Phone) {
        let shown = cell.display();
        if let Ok(p) = Phone::parse(&shown) {
            good.push((col, p.as_str().to_string()));
            continue;
        }
        let pieces: Vec<&str> = shown
            .split(['/', '／', '、', ',', '，', ';', '；', '|', '｜'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let parsed: Vec<Result<Phone, _>> = pieces.iter().map(|p| Phone::parse(p)).collect();
        if pieces.len() > 1 && parsed.iter().any(Result::is_ok) {
            for (piece, p) in pieces.iter().zip(&parsed) {
                match p {
                    Ok(p) => good.push((col, p.as_str().to_string())),
                    Err(e) => {
                        let message =
                            format!("{}中的“{piece}”未导入：{e}", ctx.at(col, Field::Phone));
                        ctx.warn(Some(col), Field::Phone, "bad_phone", message);
                    }
                }
            }
            continue;
        }
        let e = match Phone::parse(&shown) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        let message = format!(
            "{}未导入：{e}。人员照常导入，请核对后补录电话",
            ctx.at(col, Field::Phone)
        );
        ctx.warn(Some(col), Field::Phone, "bad_phone", message);
    }
    let mut numbers = good.into_iter();
    let (col, first) = numbers.next()?;
    let extra: Vec<String> = numbers.map(|(_, n)| n).filter(|n| *n != first).collect();
    if !extra.is_empty() {
        let message = format!(
            "{}含有多个号码：已导入{first}，其余的（{}）请导入后在“联系电话”中补录",
            ctx.at(col, Field::Phone),
            extra.join("、")
        );
        ctx.warn(Some(col), Field::Phone, "extra_phone", message);
    }
    Some(first)
}

/// A vocabulary column: the value in the registry's spelling, or a warning and nothing.
fn lookup(
    ctx: &mut Ctx,
    f: Field,
    code: &'static str,
    read: fn(&str) -> Result<&'static str, String>,
) -> Option<String> {
    let (col, cell) = ctx.first(f)?;
    match read(&cell.display()) {
        Ok(v) => Some(v.to_string()),
        Err(m) => {
            let message = format!("“{}”列：{m}；本项已留空", ctx.title(Some(col), f));
            ctx.warn(Some(col), f, code, message);
            None
        }
    }
}

fn parse_relation(ctx: &mut Ctx, sex: Option<Sex>) -> Option<String> {
    let (col, cell) = ctx.first(Field::Relation)?;
    match values::relation(&cell.display(), sex) {
        RelationValue::Known(v) => Some(v.to_string()),
        RelationValue::NeedsSex => {
            let message = format!(
                "{}要按性别记为具体称谓（如“子女”记为“子”或“女”），但这一行没有身份证号码或性别；本项已留空，请导入后补选",
                ctx.at(col, Field::Relation)
            );
            ctx.warn(Some(col), Field::Relation, "relation_needs_sex", message);
            None
        }
        RelationValue::Unknown(m) => {
            let message = format!(
                "“{}”列：{m}；本项已留空",
                ctx.title(Some(col), Field::Relation)
            );
            ctx.warn(Some(col), Field::Relation, "unknown_relation", message);
            None
        }
    }
}

fn parse_registered_here(ctx: &mut Ctx) -> Option<bool> {
    let (col, cell) = ctx.first(Field::RegisteredHere)?;
    let Some(state) = values::registration(cell) else {
        let message = format!(
            "{}无法识别：请填写“是”或“否”（或“人户一致”“人在户不在”“户在人不在”）；本项已留空",
            ctx.at(col, Field::RegisteredHere)
        );
        ctx.warn(
            Some(col),
            Field::RegisteredHere,
            "bad_registered_here",
            message,
        );
        return None;
    };
    if state.lives_elsewhere {
        let message = format!(
            "{}：户口在本地但人不在此居住，已按人户分离导入；如此人已不在本辖区居住，请导入后办理迁出",
            ctx.at(col, Field::RegisteredHere)
        );
        ctx.warn(Some(col), Field::RegisteredHere, "lives_elsewhere", message);
    }
    // In a 人户分离 column "是" means *not* living where registered; the words 一致/分离
    // themselves say which they mean whatever the column.
    let value = compact(&cell.display());
    let explicit = state.explicit || value.contains("一致") || value.contains("分离");
    let separated_column = ctx.title(Some(col), Field::RegisteredHere).contains("分离");
    Some(if separated_column && !explicit {
        !state.registered_here
    } else {
        state.registered_here
    })
}

fn parse_address(ctx: &mut Ctx) -> Option<Address> {
    let has_parts = ctx.has_column(Field::Building)
        || ctx.has_column(Field::Unit)
        || ctx.has_column(Field::Room);
    let part = |ctx: &Ctx, f: Field| ctx.first(f).map(|(c, _)| (c, ctx.shown(c)));
    let building = part(ctx, Field::Building);
    let unit = part(ctx, Field::Unit);
    let room = part(ctx, Field::Room);
    if building.is_some() || room.is_some() {
        if let Some(a) =
            Address::from_parts(part_text(&building), part_text(&unit), part_text(&room))
        {
            return Some(a);
        }
        if ctx.first(Field::Address).is_none() {
            let col = building.as_ref().or(room.as_ref()).map(|(c, _)| *c);
            let message = format!(
                "楼栋、单元、房号“{}/{}/{}”不完整或无法识别：请在楼栋列写“13”或“13幢”，房号列写“501”；本项已留空",
                part_text(&building),
                part_text(&unit),
                part_text(&room)
            );
            ctx.warn(col, Field::Building, "bad_address", message);
            return None;
        }
    }
    let Some((col, cell)) = ctx.first(Field::Address) else {
        if has_parts || ctx.has_column(Field::Address) {
            let col = ctx
                .first_column(Field::Address)
                .or(ctx.first_column(Field::Building));
            let message =
                "没有填写住址：导入后请补录楼栋、单元和房号，否则无法按房屋查找此人".to_string();
            ctx.warn(col, Field::Address, "missing_address", message);
        }
        return None;
    };
    if let Some(a) = Address::parse(&cell.display()) {
        return Some(a);
    }
    let message = format!(
        "{}无法识别出楼栋和房号：请写成“13幢2单元501”“13栋501室”或“13-2-501”",
        ctx.at(col, Field::Address)
    );
    if has_parts {
        ctx.warn(
            Some(col),
            Field::Address,
            "bad_address",
            message + "；本项已留空",
        );
    } else {
        ctx.error(Some(col), Field::Address, "bad_address", message);
    }
    None
}

fn part_text(p: &Option<(usize, String)>) -> &str {
    p.as_ref().map_or("", |(_, s)| s.as_str())
}

/// Cells that merged regions show in data rows but the file stores only at the region's
/// top: row offset (into the data rows) → (column, value).
type Fills = HashMap<usize, Vec<(usize, Cell)>>;

/// Work allowed for filling merged cells; a hostile file with thousands of overlapping tall
/// merges stops being filled rather than stalling the import.
const FILL_BUDGET: usize = 1_000_000;

fn merged_fills(t: &Table, rows: &[Row], header_number: u32, mapping: &Mapping) -> Fills {
    let mut fills = Fills::new();
    let mapped: HashSet<usize> = mapping.iter().map(|(c, _)| *c).collect();
    let mut order: Vec<(u32, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.number, i))
        .collect();
    order.sort_unstable();
    let mut budget = FILL_BUDGET;
    for m in &t.merges {
        let col = m.first_col as usize;
        let top = m.first_row.saturating_add(1);
        let bottom = m.last_row.saturating_add(1);
        if bottom <= top || top <= header_number || !mapped.contains(&col) {
            continue;
        }
        let Ok(pos) = order.binary_search_by_key(&top, |(n, _)| *n) else {
            continue;
        };
        let Some(value) = order
            .get(pos)
            .and_then(|(_, i)| rows.get(*i))
            .and_then(|r| r.cells.get(col))
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        for (number, i) in order.iter().skip(pos + 1) {
            if *number > bottom || budget == 0 {
                break;
            }
            budget -= 1;
            let empty = rows
                .get(*i)
                .is_some_and(|r| r.cells.get(col).is_none_or(Cell::is_empty));
            if empty {
                fills.entry(*i).or_default().push((col, value.clone()));
            }
        }
        if budget == 0 {
            break;
        }
    }
    fills
}

fn with_cells(row: &Row, cells: &[(usize, Cell)]) -> Row {
    let mut row = row.clone();
    for (col, value) in cells {
        if row.cells.len() <= *col {
            row.cells.resize(col + 1, Cell::Empty);
        }
        if let Some(slot) = row.cells.get_mut(*col) {
            *slot = value.clone();
        }
    }
    row
}

#[cfg(test)]
mod tests;
