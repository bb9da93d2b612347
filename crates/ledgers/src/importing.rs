//! From an uploaded file to an import plan, shared by the pages and `shequ import`: read the
//! file safely (`shequ_ingest::read`), find each data sheet's header, map its columns (the
//! recognised ones, or a mapping the user corrected), parse the rows, and turn the people found
//! into `ImportRow`s for the store's `plan`.

use serde::Serialize;
use sha2::{Digest, Sha256};
use shequ_domain::registry::tags::TagKind;
use shequ_ingest::{Field, Header, Limits, Mapping, Problem, RowOutcome, Table, tags};
use shequ_store::imports::mediation::CaseRow;
use shequ_store::imports::patrols::PatrolRow;
use shequ_store::imports::rentals::{RentalPlan, RentalRow, RentalVerdict};
use shequ_store::imports::tags::{TagPlan, TagRow, TagVerdict};
use shequ_store::imports::tickets::TicketRow;
use shequ_store::imports::units::{UnitPlan, UnitRow, UnitVerdict};
use shequ_store::imports::visits::VisitRow;
use shequ_store::imports::{Counts, ImportRow, Kind as _, Past, Plan, Verdict};
use shequ_store::registry::people::PersonInput;

/// What a file holds, before it is compared with the registry.
#[derive(Debug, Clone)]
pub struct Reading {
    pub file_name: String,
    pub sha256: String,
    /// Data sheets found (sheets of notes such as 填表说明 are not data).
    pub sheets: Vec<SheetInfo>,
    pub rows: Vec<ImportRow>,
    /// Rows refused while reading (bad ID number, no name, twice in the file …).
    pub rejected: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// Data rows seen: people found plus rows refused.
    pub data_rows: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SheetInfo {
    pub name: String,
    pub header: Header,
    pub mapping: Mapping,
    pub signature: String,
    /// The first rows after the header, as shown, for the mapping page's preview.
    pub preview: Vec<Vec<String>>,
}

/// The mapping a user corrected before in this community for a header, if any: what
/// `read_persons` is given by the upload page and the command line alike.
pub fn remembered(
    pool: &shequ_store::Pool,
    community: i64,
) -> impl Fn(&str) -> Option<Mapping> + '_ {
    move |signature: &str| {
        let mut c = pool.get().ok()?;
        let json =
            shequ_store::imports::remembered_mapping(&mut c, community, signature).ok()??;
        serde_json::from_str(&json).ok()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    shequ_text::hex(&Sha256::digest(bytes))
}

/// Reads and maps a persons ledger. `mapping`: a corrected mapping for sheets with this header
/// signature (from the mapping page, or remembered from an earlier file).
pub fn read_persons(
    bytes: &[u8],
    file_name: &str,
    mapping_for: &dyn Fn(&str) -> Option<Mapping>,
) -> Result<Reading, String> {
    read_persons_mapped(bytes, file_name, mapping_for, &[])
}

/// One "原列名=住址" of `shequ import --map`: a column's title (or letter) and the field it
/// holds. The field is named as the mapping page names it (住址, 户号, 不导入 …), by its key
/// (address), or by any title the reader knows for it (现住址).
pub fn parse_map(raw: &str) -> Result<(String, Field), String> {
    let Some((title, field)) = raw.split_once(['=', '＝']) else {
        return Err(format!(
            "--map “{raw}”应写成“原列名=字段”，如 --map \"实际居住地址=住址\""
        ));
    };
    let (title, field) = (title.trim(), field.trim());
    if title.is_empty() {
        return Err(format!("--map “{raw}”缺少等号前的原列名"));
    }
    let found = Field::parse(field).or_else(|| shequ_ingest::header::recognise(field));
    match found {
        Some(f) => Ok((title.to_string(), f)),
        None => Err(format!(
            "--map “{raw}”：不认识字段“{field}”，可以写：{}",
            Field::ALL.map(Field::label).join("、")
        )),
    }
}

/// Whether `wanted` (from `--map`) names this column: its title as shown, its own title under
/// a group title, or its letter.
fn names_column(wanted: &str, c: &shequ_ingest::header::Column) -> bool {
    use shequ_ingest::header::normalise_title;
    let wanted_norm = normalise_title(wanted);
    let own = c.title.rsplit('/').next().unwrap_or(&c.title);
    normalise_title(&c.title) == wanted_norm
        || normalise_title(own) == wanted_norm
        || wanted
            .trim()
            .eq_ignore_ascii_case(&shequ_ingest::table::column_name(c.index))
}

/// The mapping with the user's `--map` choices laid over it. A column mapped this way comes
/// first, so it wins over a column recognised for the same field.
fn apply_overrides(header: &Header, mapping: Mapping, overrides: &[(String, Field)]) -> Mapping {
    let mut chosen: Mapping = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (wanted, field) in overrides {
        for c in header.columns.iter().filter(|c| names_column(wanted, c)) {
            taken.insert(c.index);
            if *field != Field::Ignore {
                chosen.push((c.index, *field));
            }
        }
    }
    chosen.extend(mapping.into_iter().filter(|(col, _)| !taken.contains(col)));
    chosen
}

/// [`read_persons`] with columns mapped by hand (`shequ import --map`), as the mapping page
/// does. A title that names no column of any sheet is an error, so a typo is not silently
/// ignored.
pub fn read_persons_mapped(
    bytes: &[u8],
    file_name: &str,
    mapping_for: &dyn Fn(&str) -> Option<Mapping>,
    overrides: &[(String, Field)],
) -> Result<Reading, String> {
    let tables =
        shequ_ingest::read(bytes, file_name, &Limits::default()).map_err(|e| e.to_string())?;
    let mut reading = Reading {
        file_name: file_name.to_string(),
        sha256: sha256_hex(bytes),
        sheets: Vec::new(),
        rows: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
        data_rows: 0,
    };
    for t in &tables {
        let Some(header) = shequ_ingest::find_header(t) else {
            continue;
        };
        let signature = shequ_ingest::signature(&header);
        let mapping = mapping_for(&signature).unwrap_or_else(|| header.mapping());
        let mapping = apply_overrides(&header, mapping, overrides);
        let problems = shequ_ingest::persons::check_mapping(&mapping);
        if !problems.is_empty() {
            return Err(format!("工作表“{}”：{}", t.sheet, problems.join("；")));
        }
        reading.sheets.push(SheetInfo {
            name: t.sheet.clone(),
            preview: preview(t, &header),
            header: header.clone(),
            mapping: mapping.clone(),
            signature,
        });
        for outcome in shequ_ingest::parse_table(t, &header, &mapping) {
            match outcome {
                RowOutcome::Person(c) => {
                    reading.data_rows += 1;
                    reading.warnings.extend(c.warnings.iter().cloned());
                    match import_row(c) {
                        Ok(r) => reading.rows.push(r),
                        Err(p) => reading.rejected.push(*p),
                    }
                }
                RowOutcome::Rejected(ps) => {
                    reading.data_rows += 1;
                    reading.rejected.extend(ps);
                }
                RowOutcome::Skip(_) => {}
            }
        }
    }
    if reading.sheets.is_empty() {
        return Err(
            "找不到表头：请确认表格里有“姓名”“身份证号码”等列名（标题行、填表说明可以保留）".into(),
        );
    }
    for (wanted, _) in overrides {
        let found = reading
            .sheets
            .iter()
            .any(|s| s.header.columns.iter().any(|c| names_column(wanted, c)));
        if !found {
            let titles: Vec<&str> = reading
                .sheets
                .iter()
                .flat_map(|s| s.header.columns.iter().map(|c| c.title.as_str()))
                .collect();
            return Err(format!(
                "--map 指定的列“{wanted}”在表头中找不到：表头有“{}”",
                titles.join("”“")
            ));
        }
    }
    Ok(reading)
}

fn preview(t: &Table, h: &Header) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .skip(h.row_index + 1)
        .take(5)
        .map(|r| r.cells.iter().map(|c| c.display()).collect())
        .collect()
}

fn import_row(c: shequ_ingest::Candidate) -> Result<ImportRow, Box<Problem>> {
    let Some(address) = c.address.clone() else {
        return Err(Box::new(Problem {
            sheet: c.sheet.clone(),
            row: c.row,
            column: String::new(),
            title: Field::Address.label().into(),
            value: String::new(),
            code: "bad_address",
            message: "缺少住址：请填写“13幢2单元501”这样的门牌号，系统据此把人放进对应的房屋"
                .into(),
        }));
    };
    let has_id = c.id_number.is_some();
    // The registry has no fields of its own for these; the notes keep them, in the standards'
    // words, so nothing the office recorded is lost.
    let extra: Vec<String> = [
        ("文化程度", c.education.as_deref()),
        ("政治面貌", c.political.as_deref()),
    ]
    .into_iter()
    .filter_map(|(label, v)| v.map(|v| format!("{label}：{v}")))
    .collect();
    let notes = if extra.is_empty() {
        c.notes
    } else {
        let mut all: Vec<String> = c.notes.into_iter().collect();
        all.extend(extra);
        Some(all.join("；"))
    };
    Ok(ImportRow {
        sheet: c.sheet,
        row: c.row,
        person: PersonInput {
            name: c.name,
            id_number: c.id_number,
            doc_type: c.doc_type,
            doc_no: c.doc_no,
            // With an ID number both come from it; typed values were only checked against it.
            sex: if has_id { None } else { c.sex },
            birth_date: if has_id { None } else { c.birth_date },
            phone: c.phone,
            ethnicity: c.ethnicity,
            person_type: c.person_type,
            registered_here: c.registered_here,
            employment: c.employment,
            notes,
        },
        building: address.building,
        unit: address.unit,
        room: address.room,
        relation: c.relation,
        moved_in_on: c.moved_in_on,
        household_no: c.household_no,
    })
}

/// One row of a report: a refused row, a warning, or an update to accept.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub title: String,
    pub value: String,
    pub code: String,
    pub reason: String,
}

/// What an import did (or, on a dry run, would do): counts, every refused or warned row,
/// every update offered.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file_name: String,
    pub sha256: String,
    pub data_rows: usize,
    pub counts: Counts,
    pub rejected: Vec<ReportRow>,
    pub warnings: Vec<ReportRow>,
    pub updates: Vec<UpdateRow>,
    /// Each titled column of a persons ledger and what it was read as (`None`: not
    /// recognised, not imported), so a column the reader missed is seen before committing.
    pub columns: Vec<ColumnReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub sheet: String,
    /// Column letter, "G".
    pub column: String,
    pub title: String,
    /// The field's Chinese name (住址, 户号 …), or `None` when the column is not imported.
    pub field: Option<&'static str>,
}

impl Report {
    /// The columns read as nothing.
    pub fn unrecognised(&self) -> impl Iterator<Item = &ColumnReport> {
        self.columns.iter().filter(|c| c.field.is_none())
    }

    /// "G列“户籍地址”、H列“文化程度”", for the report page.
    pub fn unrecognised_list(&self) -> String {
        self.unrecognised()
            .map(|c| format!("{}列“{}”", c.column, c.title))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The columns of each sheet and what the mapping reads them as.
fn column_reports(sheets: &[SheetInfo]) -> Vec<ColumnReport> {
    sheets
        .iter()
        .flat_map(|s| {
            s.header.columns.iter().map(|c| ColumnReport {
                sheet: s.name.clone(),
                column: shequ_ingest::table::column_name(c.index),
                title: c.title.clone(),
                field: s
                    .mapping
                    .iter()
                    .find(|(col, _)| *col == c.index)
                    .map(|(_, f)| f.label()),
            })
        })
        .collect()
}

/// Rows refused while reading: one row refused for two reasons is one row.
pub fn rows_refused(problems: &[Problem]) -> usize {
    problems
        .iter()
        .map(|p| (p.sheet.as_str(), p.row))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateRow {
    /// Index into the plan's rows (what the page's checkboxes name).
    pub index: usize,
    pub sheet: String,
    pub row: u32,
    pub name: String,
    pub changes: Vec<shequ_store::imports::Change>,
}

fn report_row(p: &Problem) -> ReportRow {
    use shequ_domain::access::mask::mask_numbers_in;
    ReportRow {
        sheet: p.sheet.clone(),
        row: p.row,
        column: p.column.clone(),
        title: p.title.clone(),
        // What looks like an ID number or a phone is masked, in the cell and in the message
        // quoting it; the rejected rows' download, for correcting them, is built from the file.
        value: mask_numbers_in(&p.value),
        code: p.code.to_string(),
        reason: mask_numbers_in(&p.message),
    }
}

/// The reading's own refusals plus what the store refused, and the updates it offers.
pub fn report(reading: &Reading, plan: &Plan, counts: Counts) -> Report {
    let rows = plan.rows.iter().enumerate().map(|(i, (row, verdict))| {
        let judged = match verdict {
            Verdict::Rejected { field, message } => Judged::Refused(field, message),
            Verdict::Update { changes, .. } => Judged::Changes(changes),
            _ => Judged::Fine,
        };
        (
            i,
            row.sheet.as_str(),
            row.row,
            row.person.name.clone(),
            String::new(),
            judged,
        )
    });
    let mut report = assemble(
        (&reading.file_name, &reading.sha256, reading.data_rows),
        counts,
        (&reading.rejected, &reading.warnings),
        rows,
    );
    report.columns = column_reports(&reading.sheets);
    report
}

/// How a plan judged one row, for its report.
enum Judged<'a> {
    Refused(&'a str, &'a str),
    Changes(&'a [shequ_store::imports::Change]),
    Fine,
}

/// A report from what reading refused or warned about and how the plan judged each row:
/// (index, sheet, row, who, the value shown with a refusal, judgement).
fn assemble<'a>(
    (file_name, sha256, data_rows): (&str, &str, usize),
    counts: Counts,
    (refused, warned): (&[Problem], &[Problem]),
    rows: impl Iterator<Item = (usize, &'a str, u32, String, String, Judged<'a>)>,
) -> Report {
    let mut rejected: Vec<ReportRow> = refused.iter().map(report_row).collect();
    let mut updates = Vec::new();
    for (index, sheet, row, name, value, judged) in rows {
        match judged {
            Judged::Refused(field, message) => rejected.push(ReportRow {
                sheet: sheet.to_string(),
                row,
                column: String::new(),
                title: field.to_string(),
                value,
                code: "refused".into(),
                reason: message.to_string(),
            }),
            Judged::Changes(changes) => updates.push(UpdateRow {
                index,
                sheet: sheet.to_string(),
                row,
                name,
                changes: changes.to_vec(),
            }),
            Judged::Fine => {}
        }
    }
    rejected.sort_by(|a, b| (a.sheet.as_str(), a.row).cmp(&(b.sheet.as_str(), b.row)));
    let mut counts = counts;
    counts.rejected += rows_refused(refused);
    Report {
        file_name: file_name.to_string(),
        sha256: sha256.to_string(),
        data_rows,
        counts,
        rejected,
        warnings: warned.iter().map(report_row).collect(),
        updates,
        columns: Vec::new(),
    }
}

/// What a special-group list holds, before it is compared with the registry.
#[derive(Debug, Clone)]
pub struct TagReading {
    pub file_name: String,
    pub sha256: String,
    pub sheets: Vec<String>,
    pub rows: Vec<TagRow>,
    pub rejected: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub data_rows: usize,
}

/// Reads a list of one special group (the sheets whose header names a person and at least
/// one of the group's own columns).
pub fn read_tags(bytes: &[u8], file_name: &str, kind: &TagKind) -> Result<TagReading, String> {
    let tables =
        shequ_ingest::read(bytes, file_name, &Limits::default()).map_err(|e| e.to_string())?;
    let mut reading = TagReading {
        file_name: file_name.to_string(),
        sha256: sha256_hex(bytes),
        sheets: Vec::new(),
        rows: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
        data_rows: 0,
    };
    for t in &tables {
        let Some(header) = shequ_ingest::find_header(t) else {
            continue;
        };
        let cols = tags::tag_columns(&header, kind);
        if !tags::is_list_of(&header, &cols) {
            continue;
        }
        reading.sheets.push(t.sheet.clone());
        for outcome in tags::parse_tag_table(t, &header, kind, &cols) {
            match outcome {
                tags::TagOutcome::Row(c) => {
                    reading.data_rows += 1;
                    reading.warnings.extend(c.person.warnings.iter().cloned());
                    let c = *c;
                    let document = c.person.doc_type.zip(c.person.doc_no);
                    reading.rows.push(TagRow {
                        sheet: c.person.sheet,
                        row: c.person.row,
                        name: c.person.name,
                        id_number: c.person.id_number,
                        document,
                        values: c.values,
                        started_on: c.started_on,
                    });
                }
                tags::TagOutcome::Rejected(ps) => {
                    reading.data_rows += 1;
                    reading.rejected.extend(ps);
                }
                tags::TagOutcome::Skip => {}
            }
        }
    }
    if reading.sheets.is_empty() {
        let mut wanted: Vec<&str> = kind.category.iter().map(|c| c.0).collect();
        wanted.extend(kind.fields.iter().map(|f| f.label));
        return Err(format!(
            "找不到{}名单的表头：需要“公民身份号码”列，以及“{}”中至少一列",
            kind.label,
            wanted.join("”“")
        ));
    }
    Ok(reading)
}

/// A group list's report, in the same shape as a persons import's.
pub fn tag_report(reading: &TagReading, plan: &TagPlan) -> Report {
    let rows = plan.rows.iter().enumerate().map(|(i, (row, verdict))| {
        let judged = match verdict {
            TagVerdict::Rejected { field, message } => Judged::Refused(field, message),
            TagVerdict::Update { changes, .. } => Judged::Changes(changes),
            _ => Judged::Fine,
        };
        (
            i,
            row.sheet.as_str(),
            row.row,
            row.name.clone(),
            String::new(),
            judged,
        )
    });
    assemble(
        (&reading.file_name, &reading.sha256, reading.data_rows),
        plan.counts(),
        (&reading.rejected, &reading.warnings),
        rows,
    )
}

/// The columns of a 辖区单位 ledger: the first title is what `export::units` writes, the
/// others what offices' own ledgers call them.
pub const UNIT_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "name",
        &["单位名称", "名称", "单位", "企业名称", "商户名称"],
    ),
    ("kind", &["单位类别", "类别", "单位类型", "类型", "行业"]),
    (
        "credit_code",
        &["统一社会信用代码", "信用代码", "社会信用代码", "营业执照号"],
    ),
    ("address", &["地址", "单位地址", "经营地址", "详细地址"]),
    (
        "contact_name",
        &["负责人", "法定代表人", "联系人", "负责人姓名"],
    ),
    (
        "contact_phone",
        &["负责人电话", "联系电话", "电话", "手机", "联系方式"],
    ),
    (
        "employees",
        &["从业人数", "从业人员", "员工人数", "职工人数"],
    ),
    (
        "safety_agreement_on",
        &["安全生产责任书签订日期", "安全责任书签订日期", "安全责任书"],
    ),
    (
        "fire_agreement_on",
        &["消防安全责任书签订日期", "消防责任书签订日期", "消防责任书"],
    ),
    ("notes", &["备注"]),
];

/// What a ledger of records other than people (units, rented homes) holds, before it is
/// compared with the registry.
#[derive(Debug, Clone)]
pub struct LabelledReading<R> {
    pub file_name: String,
    pub sha256: String,
    pub rows: Vec<R>,
    pub rejected: Vec<Problem>,
    pub data_rows: usize,
}

pub type UnitReading = LabelledReading<UnitRow>;
pub type RentalReading = LabelledReading<RentalRow>;
pub type VisitReading = LabelledReading<VisitRow>;
pub type PatrolReading = LabelledReading<PatrolRow>;
pub type CaseReading = LabelledReading<CaseRow>;
pub type TicketReading = LabelledReading<TicketRow>;

type LabelledRow = shequ_ingest::labelled::LabelledRow;
type LabelledHeader = shequ_ingest::labelled::LabelledHeader;

/// Reads every sheet whose header names `required` among `vocab`, one record per data row
/// (`row` refuses a row with its problem). `missing`: what to say when no sheet has a header.
fn read_labelled<R>(
    bytes: &[u8],
    file_name: &str,
    (vocab, required, missing): (&shequ_ingest::labelled::Vocabulary, &str, &str),
    row: fn(&LabelledRow, &LabelledHeader) -> Result<R, Box<Problem>>,
) -> Result<LabelledReading<R>, String> {
    use shequ_ingest::labelled::{find_labelled, labelled_rows};
    let tables =
        shequ_ingest::read(bytes, file_name, &Limits::default()).map_err(|e| e.to_string())?;
    let mut reading = LabelledReading {
        file_name: file_name.to_string(),
        sha256: sha256_hex(bytes),
        rows: Vec::new(),
        rejected: Vec::new(),
        data_rows: 0,
    };
    let mut found = false;
    for t in &tables {
        let Some(h) = find_labelled(t, vocab, required) else {
            continue;
        };
        found = true;
        for r in labelled_rows(t, &h) {
            reading.data_rows += 1;
            match row(&r, &h) {
                Ok(x) => reading.rows.push(x),
                Err(p) => reading.rejected.push(*p),
            }
        }
    }
    if !found {
        return Err(missing.to_string());
    }
    Ok(reading)
}

/// A refusal of one cell of a labelled row.
fn cell_problem(
    r: &LabelledRow,
    h: &LabelledHeader,
    (key, title): (&str, &str),
    value: String,
    message: String,
) -> Box<Problem> {
    let column = h
        .columns
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| shequ_ingest::table::column_name(*c))
        .unwrap_or_default();
    Box::new(Problem {
        sheet: r.sheet.clone(),
        row: r.row,
        column,
        title: title.into(),
        value,
        code: "bad_value",
        message,
    })
}

/// A date cell however it was typed (a date, an Excel serial, "2024年3月1日"); empty is None.
fn date_in(
    r: &LabelledRow,
    h: &LabelledHeader,
    (key, title): (&str, &str),
) -> Result<Option<chrono::NaiveDate>, Box<Problem>> {
    match r.get(key) {
        None => Ok(None),
        Some(shequ_ingest::Cell::Date(d)) => Ok(Some(*d)),
        Some(shequ_ingest::Cell::DateTime(t)) => Ok(Some(t.date())),
        Some(shequ_ingest::Cell::Number(n)) => shequ_domain::from_excel_serial(*n)
            .map(Some)
            .ok_or_else(|| {
                cell_problem(
                    r,
                    h,
                    (key, title),
                    n.to_string(),
                    format!("{title}不是有效日期"),
                )
            }),
        Some(other) => {
            let text = other.display();
            shequ_domain::parse_date(&text).map(Some).map_err(|_| {
                cell_problem(
                    r,
                    h,
                    (key, title),
                    text.clone(),
                    format!("{title}“{text}”不是有效日期：请写成 2024-03-01 或 2024年3月1日"),
                )
            })
        }
    }
}

pub fn read_units(bytes: &[u8], file_name: &str) -> Result<UnitReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            UNIT_COLUMNS,
            "name",
            "找不到辖区单位台账的表头：需要“单位名称”列，以及“单位类别”“统一社会信用代码”“负责人电话”等列中的至少一列",
        ),
        unit_row,
    )
}

fn unit_row(r: &LabelledRow, h: &LabelledHeader) -> Result<UnitRow, Box<Problem>> {
    let employees = match r.get("employees") {
        None => None,
        Some(shequ_ingest::Cell::Number(n)) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e9 => {
            Some(*n as i64)
        }
        Some(other) => {
            let text = other.display();
            let digits = text.trim().trim_end_matches('人');
            Some(digits.parse::<i64>().map_err(|_| {
                cell_problem(
                    r,
                    h,
                    ("employees", "从业人数"),
                    text.clone(),
                    format!("从业人数“{text}”应为整数"),
                )
            })?)
        }
    };
    Ok(UnitRow {
        sheet: r.sheet.clone(),
        row: r.row,
        present: h.columns.iter().map(|(k, _)| *k).collect(),
        input: shequ_store::registry::units::UnitInput {
            node_id: 0,
            name: r.text("name").unwrap_or_default(),
            kind: r.text("kind").unwrap_or_else(|| "其他".into()),
            credit_code: r.text("credit_code"),
            address: r.text("address"),
            contact_name: r.text("contact_name"),
            contact_phone: r.text("contact_phone"),
            employees,
            safety_agreement_on: date_in(r, h, ("safety_agreement_on", "安全生产责任书签订日期"))?,
            fire_agreement_on: date_in(r, h, ("fire_agreement_on", "消防安全责任书签订日期"))?,
            notes: r.text("notes"),
        },
    })
}

/// A units ledger's report, in the same shape as a persons import's.
pub fn unit_report(reading: &UnitReading, plan: &UnitPlan) -> Report {
    let rows = plan.rows.iter().enumerate().map(|(i, (row, verdict))| {
        let judged = match verdict {
            UnitVerdict::Rejected { field, message } => Judged::Refused(field, message),
            UnitVerdict::Update { changes, .. } => Judged::Changes(changes),
            _ => Judged::Fine,
        };
        (
            i,
            row.sheet.as_str(),
            row.row,
            row.input.name.clone(),
            String::new(),
            judged,
        )
    });
    assemble(
        (&reading.file_name, &reading.sha256, reading.data_rows),
        plan.counts(),
        (&reading.rejected, &[]),
        rows,
    )
}

/// The columns of a 出租房屋 ledger (first title: what `export::rentals` writes). 承租人 and
/// 承租人数 are written for reading; tenants come in with the persons ledger.
pub const RENTAL_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "address",
        &[
            "地址",
            "房屋地址",
            "出租房屋地址",
            "出租屋地址",
            "门牌号",
            "住址",
            "房号",
        ],
    ),
    (
        "landlord_name",
        &[
            "房东姓名",
            "房东",
            "出租人",
            "出租人姓名",
            "业主姓名",
            "房主姓名",
        ],
    ),
    (
        "landlord_phone",
        &[
            "房东电话",
            "出租人电话",
            "房东联系电话",
            "业主电话",
            "房主电话",
        ],
    ),
    (
        "agreement_signed_on",
        &[
            "治安责任书签订日期",
            "责任书签订日期",
            "治安责任书",
            "签订日期",
        ],
    ),
    ("tenants", &["承租人", "承租人姓名", "租户", "租客"]),
    ("tenant_count", &["承租人数", "租住人数", "居住人数"]),
    ("notes", &["备注"]),
];

pub fn read_rentals(bytes: &[u8], file_name: &str) -> Result<RentalReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            RENTAL_COLUMNS,
            "address",
            "找不到出租房屋台账的表头：需要“地址”（或“门牌号”）列，以及“房东姓名”“房东电话”等列中的至少一列",
        ),
        rental_row,
    )
}

fn rental_row(r: &LabelledRow, h: &LabelledHeader) -> Result<RentalRow, Box<Problem>> {
    let address_text = r.text("address").unwrap_or_default();
    let Some(address) = shequ_ingest::Address::parse(&address_text) else {
        return Err(cell_problem(
            r,
            h,
            ("address", "地址"),
            address_text.clone(),
            format!("地址“{address_text}”无法识别：请写成“13幢2单元501”或“13-2-501”"),
        ));
    };
    Ok(RentalRow {
        sheet: r.sheet.clone(),
        row: r.row,
        building: address.building,
        unit: address.unit,
        room: address.room,
        address: address_text,
        landlord_name: r.text("landlord_name"),
        landlord_phone: r.text("landlord_phone"),
        agreement_signed_on: date_in(r, h, ("agreement_signed_on", "治安责任书签订日期"))?,
        notes: r.text("notes"),
        present: h.columns.iter().map(|(k, _)| *k).collect(),
    })
}

/// A rentals ledger's report, in the same shape as a persons import's.
pub fn rental_report(reading: &RentalReading, plan: &RentalPlan) -> Report {
    let rows = plan.rows.iter().enumerate().map(|(i, (row, verdict))| {
        let judged = match verdict {
            RentalVerdict::Rejected { field, message } => Judged::Refused(field, message),
            RentalVerdict::Update { changes, .. } => Judged::Changes(changes),
            _ => Judged::Fine,
        };
        let address = row.address.clone();
        (
            i,
            row.sheet.as_str(),
            row.row,
            address.clone(),
            address,
            judged,
        )
    });
    assemble(
        (&reading.file_name, &reading.sha256, reading.data_rows),
        plan.counts(),
        (&reading.rejected, &[]),
        rows,
    )
}

/// The columns of a 走访记录 ledger: the first title is what the catalogue's 走访记录台账
/// writes, the others what offices' own visit books call them.
pub const VISIT_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "visited_on",
        &[
            "走访日期",
            "走访时间",
            "日期",
            "时间",
            "入户日期",
            "入户时间",
            "回访日期",
        ],
    ),
    (
        "name",
        &[
            "被走访人",
            "走访对象",
            "被走访人姓名",
            "走访对象姓名",
            "姓名",
            "户主姓名",
            "对象",
        ],
    ),
    (
        "id_number",
        &["公民身份号码", "身份证号码", "身份证号", "身份证"],
    ),
    ("address", &["住址", "地址", "家庭住址", "现住址", "门牌号"]),
    ("kind", &["走访方式", "方式", "走访形式", "形式"]),
    (
        "findings",
        &[
            "走访情况",
            "走访内容",
            "主要内容",
            "情况记录",
            "走访记录",
            "反映问题",
            "情况",
            "内容",
        ],
    ),
    (
        "worker",
        &[
            "走访人",
            "走访人员",
            "走访干部",
            "网格员",
            "记录人",
            "走访者",
        ],
    ),
];

pub fn read_visits(bytes: &[u8], file_name: &str) -> Result<VisitReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            VISIT_COLUMNS,
            "visited_on",
            "找不到走访记录的表头：需要“走访日期”列，以及“被走访人”（或“姓名”）、“公民身份号码”“走访情况”等列中的至少一列",
        ),
        visit_row,
    )
}

fn visit_row(r: &LabelledRow, h: &LabelledHeader) -> Result<VisitRow, Box<Problem>> {
    let id_number = match r.text("id_number") {
        None => None,
        Some(text) => Some(
            shequ_domain::IdNumber::parse(&text)
                .map(|id| id.as_str().to_string())
                .map_err(|e| {
                    cell_problem(
                        r,
                        h,
                        ("id_number", "公民身份号码"),
                        shequ_domain::access::mask::mask_id(&text),
                        e.to_string(),
                    )
                })?,
        ),
    };
    Ok(VisitRow {
        sheet: r.sheet.clone(),
        row: r.row,
        name: r.text("name").unwrap_or_default(),
        id_number,
        address: r.text("address"),
        visited_on: date_in(r, h, ("visited_on", "走访日期"))?,
        kind: r.text("kind"),
        findings: r.text("findings"),
        worker: r.text("worker"),
    })
}

/// The columns of a 巡查 ledger: the first title is what the catalogue's 巡查记录台账 writes,
/// the others what offices' own patrol books call them.
pub const PATROL_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "patrolled_on",
        &[
            "巡查日期",
            "巡查时间",
            "检查日期",
            "检查时间",
            "日期",
            "时间",
        ],
    ),
    (
        "kind",
        &[
            "巡查类型",
            "巡查类别",
            "巡查内容",
            "检查类型",
            "类型",
            "类别",
        ],
    ),
    (
        "route",
        &[
            "巡查路线/部位",
            "巡查路线",
            "巡查部位",
            "巡查地点",
            "巡查区域",
            "检查地点",
            "地点",
            "部位",
        ],
    ),
    (
        "units",
        &["检查单位", "检查场所", "巡查单位", "被检查单位", "单位名称"],
    ),
    (
        "problems",
        &["发现问题数", "问题数", "隐患数", "发现隐患数", "问题个数"],
    ),
    (
        "findings",
        &[
            "问题及处理情况",
            "发现问题",
            "存在问题",
            "隐患情况",
            "巡查情况",
            "处理情况",
            "整改情况",
            "情况",
        ],
    ),
    (
        "worker",
        &[
            "巡查人",
            "巡查人员",
            "检查人",
            "检查人员",
            "网格员",
            "记录人",
        ],
    ),
];

pub fn read_patrols(bytes: &[u8], file_name: &str) -> Result<PatrolReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            PATROL_COLUMNS,
            "patrolled_on",
            "找不到巡查记录的表头：需要“巡查日期”列，以及“巡查类型”“巡查路线”“发现问题”等列中的至少一列",
        ),
        patrol_row,
    )
}

fn patrol_row(r: &LabelledRow, h: &LabelledHeader) -> Result<PatrolRow, Box<Problem>> {
    let problems = match r.get("problems") {
        None => None,
        Some(shequ_ingest::Cell::Number(n)) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e6 => {
            Some(*n as i64)
        }
        Some(other) => {
            let text = other.display();
            let digits = text.trim().trim_end_matches(['个', '处', '项', '条']);
            Some(digits.parse::<i64>().map_err(|_| {
                cell_problem(
                    r,
                    h,
                    ("problems", "发现问题数"),
                    text.clone(),
                    format!("发现问题数“{text}”应为整数"),
                )
            })?)
        }
    };
    Ok(PatrolRow {
        sheet: r.sheet.clone(),
        row: r.row,
        patrolled_on: date_in(r, h, ("patrolled_on", "巡查日期"))?,
        kind: r.text("kind"),
        route: r.text("route"),
        units: r.text("units"),
        problems,
        findings: r.text("findings"),
        worker: r.text("worker"),
    })
}

/// The columns of a 调解台账: the first title is what the catalogue's 矛盾纠纷调解台账 writes,
/// the others what offices' own mediation books call them.
pub const CASE_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "received_on",
        &["受理日期", "受理时间", "登记日期", "收案日期", "日期"],
    ),
    (
        "kind",
        &[
            "纠纷类型",
            "纠纷类别",
            "矛盾类型",
            "案件类型",
            "类型",
            "类别",
        ],
    ),
    ("source", &["来源", "案件来源", "纠纷来源"]),
    (
        "applicants",
        &["申请人", "当事人（申请人）", "申请方", "甲方", "当事人甲"],
    ),
    (
        "respondents",
        &[
            "被申请人",
            "当事人（被申请人）",
            "被申请方",
            "乙方",
            "当事人乙",
        ],
    ),
    ("employer", &["用人单位", "单位名称"]),
    (
        "summary",
        &[
            "纠纷简要情况",
            "纠纷简要",
            "简要案情",
            "纠纷事由",
            "主要事实",
            "纠纷情况",
            "案由",
        ],
    ),
    ("mediator", &["调解员", "调解人", "主持调解人", "承办人"]),
    (
        "outcome",
        &["调解结果", "调处结果", "调解情况", "结果", "是否成功"],
    ),
    ("closed_on", &["结案日期", "结案时间", "办结日期"]),
    ("agreement", &["协议内容", "调解协议", "协议主要内容"]),
    ("note", &["备注", "说明", "未成原因", "去向"]),
];

pub fn read_cases(bytes: &[u8], file_name: &str) -> Result<CaseReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            CASE_COLUMNS,
            "received_on",
            "找不到调解台账的表头：需要“受理日期”列，以及“纠纷类型”“申请人”“纠纷简要情况”等列中的至少一列",
        ),
        case_row,
    )
}

fn case_row(r: &LabelledRow, h: &LabelledHeader) -> Result<CaseRow, Box<Problem>> {
    Ok(CaseRow {
        sheet: r.sheet.clone(),
        row: r.row,
        received_on: date_in(r, h, ("received_on", "受理日期"))?,
        kind: r.text("kind"),
        source: r.text("source"),
        applicants: r.text("applicants"),
        respondents: r.text("respondents"),
        employer: r.text("employer"),
        summary: r.text("summary"),
        mediator: r.text("mediator"),
        outcome: r.text("outcome"),
        closed_on: date_in(r, h, ("closed_on", "结案日期"))?,
        agreement: r.text("agreement"),
        note: r.text("note"),
    })
}

/// A day with its time of day when the cell has one: a date cell, an Excel serial, or text.
fn day_time_in(
    r: &LabelledRow,
    h: &LabelledHeader,
    (key, title): (&str, &str),
) -> Result<Option<shequ_domain::DayTime>, Box<Problem>> {
    use shequ_domain::DayTime;
    match r.get(key) {
        None => Ok(None),
        Some(shequ_ingest::Cell::DateTime(t)) => Ok(Some(DayTime::at(*t))),
        Some(shequ_ingest::Cell::Date(d)) => Ok(Some(DayTime::day(*d))),
        Some(shequ_ingest::Cell::Number(_)) => Ok(date_in(r, h, (key, title))?.map(DayTime::day)),
        Some(other) => {
            let text = other.display();
            shequ_domain::parse_day_time(&text).map(Some).map_err(|e| {
                cell_problem(r, h, (key, title), text.clone(), format!("{title}：{e}"))
            })
        }
    }
}

/// The columns of a 事件台账: the first title is what the catalogue's 事件台账 writes, the
/// others what offices' own books (and the 12345 and 网格化 systems' exports) call them.
pub const TICKET_COLUMNS: &shequ_ingest::labelled::Vocabulary = &[
    (
        "reported",
        &[
            "上报时间",
            "上报日期",
            "发现时间",
            "受理登记时间",
            "反映时间",
            "登记时间",
            "日期",
        ],
    ),
    (
        "category",
        &[
            "类别",
            "事件类别",
            "事件类型",
            "问题类型",
            "问题类别",
            "事件小类",
            "小类",
        ],
    ),
    ("urgency", &["紧急程度", "是否紧急", "缓急"]),
    ("title", &["事项", "事件名称", "事件标题", "标题", "问题"]),
    (
        "description",
        &[
            "情况描述",
            "事件描述",
            "问题描述",
            "反映内容",
            "诉求内容",
            "具体情况",
            "内容",
        ],
    ),
    (
        "location",
        &["地点", "事发地点", "发生地点", "具体位置", "位置", "地址"],
    ),
    ("source", &["来源", "事件来源", "问题来源", "反映渠道"]),
    (
        "reporter",
        &["上报人", "反映人", "诉求人", "来电人", "发现人"],
    ),
    ("reporter_phone", &["联系电话", "反映人电话", "电话"]),
    ("grid", &["网格", "所属网格", "网格名称"]),
    (
        "handler",
        &[
            "处置人/单位",
            "处置单位",
            "承办单位",
            "责任单位",
            "派遣对象",
            "处置人",
            "承办人",
        ],
    ),
    (
        "state",
        &[
            "状态（导出时）",
            "状态",
            "办理状态",
            "处置状态",
            "办结情况",
            "是否办结",
        ],
    ),
    ("accepted", &["受理时间", "受理日期", "立案时间"]),
    (
        "dispatched",
        &["派遣时间", "派遣日期", "交办时间", "转办时间"],
    ),
    (
        "answered",
        &["反馈时间", "处置完成时间", "处置时间", "回复时间"],
    ),
    (
        "closed",
        &["办结时间", "办结日期", "结案时间", "结案日期", "完成时间"],
    ),
    (
        "result",
        &[
            "处置情况",
            "处置结果",
            "办理情况",
            "处理结果",
            "办理结果",
            "不予受理理由",
        ],
    ),
    (
        "rating",
        &["群众评价", "评价", "满意度", "回访结果", "群众满意度"],
    ),
    ("rated_on", &["回访日期", "回访时间", "评价时间"]),
];

pub fn read_tickets(bytes: &[u8], file_name: &str) -> Result<TicketReading, String> {
    read_labelled(
        bytes,
        file_name,
        (
            TICKET_COLUMNS,
            "reported",
            "找不到事件台账的表头：需要“上报时间”列，以及“类别”“事项”“处置单位”等列中的至少一列",
        ),
        ticket_row,
    )
}

fn ticket_row(r: &LabelledRow, h: &LabelledHeader) -> Result<TicketRow, Box<Problem>> {
    Ok(TicketRow {
        sheet: r.sheet.clone(),
        row: r.row,
        reported: day_time_in(r, h, ("reported", "上报时间"))?,
        category: r.text("category"),
        urgency: r.text("urgency"),
        title: r.text("title"),
        description: r.text("description"),
        location: r.text("location"),
        source: r.text("source"),
        reporter: r.text("reporter"),
        reporter_phone: r.text("reporter_phone"),
        grid: r.text("grid"),
        handler: r.text("handler"),
        state: r.text("state"),
        accepted: day_time_in(r, h, ("accepted", "受理时间"))?,
        dispatched: day_time_in(r, h, ("dispatched", "派遣时间"))?,
        answered: day_time_in(r, h, ("answered", "反馈时间"))?,
        closed: day_time_in(r, h, ("closed", "办结时间"))?,
        result: r.text("result"),
        rating: r.text("rating"),
        rated_on: day_time_in(r, h, ("rated_on", "回访日期"))?,
    })
}

/// Where a row of past records is and what names it in a report: (sheet, row, who, its day).
pub trait PastRow {
    fn at(&self) -> (&str, u32, String, Option<chrono::NaiveDate>);
}

impl PastRow for VisitRow {
    fn at(&self) -> (&str, u32, String, Option<chrono::NaiveDate>) {
        (&self.sheet, self.row, self.name.clone(), self.visited_on)
    }
}

impl PastRow for PatrolRow {
    fn at(&self) -> (&str, u32, String, Option<chrono::NaiveDate>) {
        let kind = self.kind.clone().unwrap_or_default();
        (&self.sheet, self.row, kind, self.patrolled_on)
    }
}

impl PastRow for CaseRow {
    fn at(&self) -> (&str, u32, String, Option<chrono::NaiveDate>) {
        let who = self.applicants.clone().unwrap_or_default();
        (&self.sheet, self.row, who, self.received_on)
    }
}

impl PastRow for TicketRow {
    fn at(&self) -> (&str, u32, String, Option<chrono::NaiveDate>) {
        let what = self
            .title
            .clone()
            .or_else(|| self.description.clone())
            .unwrap_or_default();
        (&self.sheet, self.row, what, self.reported.map(|d| d.day))
    }
}

/// A ledger of past records' report (visits, patrols, cases, tickets), in the same shape as a persons
/// import's.
pub fn past_report<R: PastRow, T>(
    reading: &LabelledReading<R>,
    rows: &[(R, Past<T>)],
    counts: Counts,
) -> Report {
    let judged = rows.iter().enumerate().map(|(i, (row, verdict))| {
        let (sheet, n, who, day) = row.at();
        let judged = match verdict {
            Past::Rejected { field, message } => Judged::Refused(field, message),
            _ => Judged::Fine,
        };
        (
            i,
            sheet,
            n,
            who,
            day.map(|d| d.to_string()).unwrap_or_default(),
            judged,
        )
    });
    assemble(
        (&reading.file_name, &reading.sha256, reading.data_rows),
        counts,
        (&reading.rejected, &[]),
        judged,
    )
}
