//! Finding the header of a ledger and recognising what each column holds.
//!
//! Offices keep their own templates: a title row or two ("阳光社区第3网格居民花名册",
//! "填报单位：…") above the header, group titles merged over several columns ("基本信息"),
//! and their own words for the same column ("名字", "身份证号码", "门牌号"). Recognition is by
//! exact synonym after normalisation, never by substring: "户主姓名" is not the person's name
//! and "户籍地址" is not where they live.

pub(crate) mod text;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::table::{Cell, Merge, Row, Table};
use text::{halfwidth, is_blank};

/// Title rows above the header rarely number more than a handful; a header further down is
/// not a header but data that happens to look like one.
const SCAN_ROWS: usize = 20;

/// Real ledgers have well under a hundred columns; the cap bounds the work a hostile file
/// with a 16,384-column row can cause.
const MAX_COLUMNS: usize = 256;

/// Merges in the header area of a real ledger number in the tens; more is a hostile file,
/// and the rest are ignored rather than searched for every cell.
const MAX_HEADER_MERGES: usize = 2_000;

/// What a column holds, for persons (more kinds later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 编号/序号: only the office's own numbering, ignored.
    Seq,
    Name,
    IdNumber,
    DocType,
    DocNo,
    Sex,
    BirthDate,
    Phone,
    Ethnicity,
    Relation,
    Address,
    Building,
    Unit,
    Room,
    PersonType,
    RegisteredHere,
    Employment,
    /// 登记日期/迁入日期/入住日期.
    MovedInOn,
    Notes,
    /// 户号/户编号: which household the row belongs to, when the ledger says.
    HouseholdNo,
    /// 年龄: derived from the ID number; only checked against it, never stored.
    Age,
    /// 文化程度, kept in the notes in the national standard's words.
    Education,
    /// 政治面貌, kept in the notes in the national standard's words.
    Political,
    Ignore,
}

impl Field {
    pub const ALL: [Field; 24] = [
        Field::Seq,
        Field::Name,
        Field::IdNumber,
        Field::DocType,
        Field::DocNo,
        Field::Sex,
        Field::BirthDate,
        Field::Phone,
        Field::Ethnicity,
        Field::Relation,
        Field::Address,
        Field::Building,
        Field::Unit,
        Field::Room,
        Field::PersonType,
        Field::RegisteredHere,
        Field::Employment,
        Field::MovedInOn,
        Field::Notes,
        Field::HouseholdNo,
        Field::Age,
        Field::Education,
        Field::Political,
        Field::Ignore,
    ];

    /// The Chinese name shown where the user checks or edits the mapping.
    pub fn label(self) -> &'static str {
        match self {
            Field::Seq => "编号",
            Field::Name => "姓名",
            Field::IdNumber => "公民身份号码",
            Field::DocType => "证件类型",
            // Not plain "证件号码": many ledgers title their ID column that way, and the two
            // must be told apart when the user picks from a list.
            Field::DocNo => "其他证件号码",
            Field::Sex => "性别",
            Field::BirthDate => "出生日期",
            Field::Phone => "联系电话",
            Field::Ethnicity => "民族",
            Field::Relation => "与户主关系",
            Field::Address => "住址",
            Field::Building => "楼栋",
            Field::Unit => "单元",
            Field::Room => "房号",
            Field::PersonType => "人员类型",
            Field::RegisteredHere => "人户一致",
            Field::Employment => "就业状况",
            Field::MovedInOn => "登记日期",
            Field::Notes => "备注",
            Field::HouseholdNo => "户号",
            Field::Age => "年龄",
            Field::Education => "文化程度",
            Field::Political => "政治面貌",
            Field::Ignore => "不导入",
        }
    }

    /// The serde name, e.g. `id_number`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Seq => "seq",
            Field::Name => "name",
            Field::IdNumber => "id_number",
            Field::DocType => "doc_type",
            Field::DocNo => "doc_no",
            Field::Sex => "sex",
            Field::BirthDate => "birth_date",
            Field::Phone => "phone",
            Field::Ethnicity => "ethnicity",
            Field::Relation => "relation",
            Field::Address => "address",
            Field::Building => "building",
            Field::Unit => "unit",
            Field::Room => "room",
            Field::PersonType => "person_type",
            Field::RegisteredHere => "registered_here",
            Field::Employment => "employment",
            Field::MovedInOn => "moved_in_on",
            Field::Notes => "notes",
            Field::HouseholdNo => "household_no",
            Field::Age => "age",
            Field::Education => "education",
            Field::Political => "political",
            Field::Ignore => "ignore",
        }
    }

    /// Reads a field back from its key (`id_number`) or its label (`公民身份号码`), as a
    /// mapping form posts it. Column titles go through [`recognise`] instead.
    pub fn parse(s: &str) -> Option<Field> {
        let s = s.trim();
        Field::ALL
            .into_iter()
            .find(|f| f.key() == s || f.label() == s)
    }
}

/// The titles each field is known by, after [`normalise_title`] (so lower-case, no spaces).
const SYNONYMS: &[(Field, &[&str])] = &[
    (Field::Seq, &["编号", "序号", "no", "序", "顺序号"]),
    (
        Field::Name,
        &["姓名", "名字", "居民姓名", "人员姓名", "成员姓名"],
    ),
    (
        Field::IdNumber,
        &[
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "证件号",
            "身份证",
            "身份证件号码",
            "身份证件号",
            "公民身份证号码",
            "公民身份证号",
            "居民身份证号码",
            "居民身份证号",
            "身份号码",
        ],
    ),
    (
        Field::DocType,
        &["证件类型", "证件种类", "证件名称", "身份证件种类"],
    ),
    (Field::DocNo, &["其他证件号码", "护照号码", "护照号"]),
    (Field::Sex, &["性别"]),
    (
        Field::BirthDate,
        &["出生日期", "出生年月", "生日", "出生年月日", "出生时间"],
    ),
    (
        Field::Phone,
        &[
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系方式",
            "电话号码",
            "移动电话",
            "联系号码",
            "本人电话",
            "本人联系电话",
            "联系手机",
        ],
    ),
    (Field::Ethnicity, &["民族", "族别"]),
    (
        Field::Relation,
        &[
            "户主关系",
            "与户主关系",
            "与户主的关系",
            "关系",
            "家庭关系",
            "成员关系",
        ],
    ),
    (
        Field::Address,
        &[
            "住址",
            "地址",
            "现住址",
            "居住地址",
            "门牌号",
            "房号",
            "门牌",
            "门牌号码",
            "现居住地址",
            "现居地址",
            "家庭住址",
            "居住地",
            "实际居住地址",
            "实际居住地",
            "现住地址",
            "暂住地址",
            "现暂住地址",
            "暂住地",
            "暂住地址详址",
            "详细地址",
            "居住详址",
            "居住地详址",
            "现居住详址",
            "房屋地址",
            "居住房屋地址",
        ],
    ),
    (
        Field::Building,
        &["楼栋", "楼号", "幢", "栋", "楼栋号", "幢号", "栋号", "楼幢"],
    ),
    (Field::Unit, &["单元", "单元号"]),
    // Not "户号": in a 户籍 ledger that is the household's number, not its room.
    (Field::Room, &["房间", "室", "房间号", "室号"]),
    (
        Field::HouseholdNo,
        &[
            "户号",
            "户编号",
            "户编码",
            "户口编号",
            "户口号",
            "公安户口编号",
            "户口簿编号",
            "户口本编号",
            "户口簿号",
            "家庭户号",
            "户籍户号",
        ],
    ),
    (Field::Age, &["年龄", "周岁", "实足年龄"]),
    (
        Field::Education,
        &[
            "文化程度",
            "学历",
            "文化水平",
            "受教育程度",
            "教育程度",
            "最高学历",
        ],
    ),
    (Field::Political, &["政治面貌", "政治身份", "党派"]),
    (
        Field::PersonType,
        &[
            "人员类别",
            "人员类型",
            "户籍类别",
            "户口性质",
            "户籍性质",
            "户籍类型",
            "人口类型",
            "人口类别",
            "人员属性",
            "人口属性",
        ],
    ),
    (
        Field::RegisteredHere,
        &[
            "人户一致",
            "人户分离",
            "是否人户一致",
            "是否人户分离",
            "人户状态",
            "人户情况",
            "人户状况",
            "人户关系",
            "人户分离情况",
        ],
    ),
    (
        Field::Employment,
        &["就业状况", "就业情况", "职业", "就业状态", "工作状况"],
    ),
    (
        Field::MovedInOn,
        &[
            "登记日期",
            "迁入日期",
            "入住日期",
            "居住起始日期",
            "登记时间",
            "迁入时间",
            "入住时间",
            "入户日期",
            "迁入本址日期",
            "迁入本址时间",
            "来本地日期",
            "来本地时间",
            "来本市日期",
            "来本市时间",
            "暂住日期",
            "居住登记日期",
            "辖区暂住入住时间",
        ],
    ),
    (Field::Notes, &["备注", "说明"]),
];

/// A header: where it is and what each of its columns holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Index into `Table.rows` of the row holding the column names (the lower row of a
    /// two-row header). Data starts at the next row.
    pub row_index: usize,
    /// 2 when the row above holds group titles ("基本信息") merged over these columns.
    pub rows_used: usize,
    /// Columns with a title, in order.
    pub columns: Vec<Column>,
}

/// One titled column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// 0-based column index.
    pub index: usize,
    /// As shown, e.g. "居住信息/门牌号" for a two-row header.
    pub title: String,
    /// What the title was recognised as, if anything.
    pub field: Option<Field>,
}

/// Which column holds which field: from header recognition, possibly edited by the user.
pub type Mapping = Vec<(usize, Field)>;

impl Header {
    /// The recognised columns, as the default mapping to offer the user.
    pub fn mapping(&self) -> Mapping {
        self.columns
            .iter()
            .filter_map(|c| c.field.map(|f| (c.index, f)))
            .filter(|(_, f)| *f != Field::Ignore)
            .collect()
    }

    pub fn column(&self, index: usize) -> Option<&Column> {
        self.columns.iter().find(|c| c.index == index)
    }
}

/// Finds the header among the first 20 rows: the row with the most recognised names (at
/// least 2, one of them the name or the ID column). Rows above it (titles like
/// "阳光社区第3网格居民花名册", "填报单位：…") are skipped. A two-row header (group titles in
/// merged cells above, e.g. "基本信息" over 编号..手机号码) is combined; the field is recognised
/// from the lower (specific) title. `None` when no row qualifies, e.g. on a "填表说明" sheet.
pub fn find_header(t: &Table) -> Option<Header> {
    let scan = &t.rows[..t.rows.len().min(SCAN_ROWS)];
    let last_number = scan.last()?.number;
    let merges: Vec<Merge> = t
        .merges
        .iter()
        .filter(|m| m.first_row < last_number && m.first_row <= m.last_row)
        .take(MAX_HEADER_MERGES)
        .copied()
        .collect();
    let mut best: Option<(usize, Header)> = None;
    for i in 0..scan.len() {
        let header = header_at(scan, &merges, i);
        let fields: HashSet<Field> = header
            .columns
            .iter()
            .filter_map(|c| c.field)
            .filter(|f| *f != Field::Ignore)
            .collect();
        let has_key = fields.contains(&Field::Name) || fields.contains(&Field::IdNumber);
        let score = fields.len();
        // The top row of a two-row header can score as much as the combined header below it
        // (its titles merged down are counted in both); the combined one is the header, or
        // its sub-titles would be read as a row of data.
        let better = best.as_ref().is_none_or(|(s, b)| {
            score > *s || (score == *s && header.rows_used == 2 && b.row_index + 1 == i)
        });
        if score >= 2 && has_key && better {
            best = Some((score, header));
        }
    }
    best.map(|(_, h)| h)
}

/// A stable signature of a header, to remember a user's mapping for the next file with the
/// same header. Column positions are part of it because a mapping is by position.
pub fn signature(h: &Header) -> String {
    h.columns
        .iter()
        .map(|c| format!("{}:{}", c.index, normalise_title(&c.title)))
        .collect::<Vec<_>>()
        .join("|")
}

/// Recognises one title by synonym. Spaces (also full-width), line breaks, brackets with
/// their content ("(必填)") and "*" marks are ignored; "手机/电话" is recognised when every
/// part names the same field.
pub fn recognise(title: &str) -> Option<Field> {
    let norm = normalise_title(title);
    if norm.is_empty() {
        return None;
    }
    if let Some(f) = lookup(&norm) {
        return Some(f);
    }
    let mut parts = norm.split(['/', '、', '|']).filter(|p| !p.is_empty());
    let first = lookup(parts.next()?)?;
    parts.all(|p| lookup(p) == Some(first)).then_some(first)
}

fn lookup(norm: &str) -> Option<Field> {
    SYNONYMS
        .iter()
        .find(|(_, words)| words.contains(&norm))
        .map(|(f, _)| *f)
}

/// The form titles are compared in: half-width, lower-case, no blanks, no bracketed
/// remarks, no required-field marks or trailing colon/full stop.
pub fn normalise_title(title: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in title.chars().map(halfwidth) {
        match c {
            '(' | '[' | '{' | '<' | '【' | '〔' | '《' | '〖' => {
                depth = depth.saturating_add(1)
            }
            ')' | ']' | '}' | '>' | '】' | '〕' | '》' | '〗' => {
                depth = depth.saturating_sub(1)
            }
            _ if depth > 0 => {}
            c if is_blank(c) => {}
            '*' | '※' | '★' | '☆' | ':' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out.trim_end_matches(['.', '。']).to_string()
}

/// The title text of a cell as shown, line breaks (layout only) removed.
fn cell_title(cell: Option<&Cell>) -> String {
    match cell {
        None | Some(Cell::Empty) => String::new(),
        Some(c) => c
            .display()
            .chars()
            .filter(|c| !matches!(c, '\n' | '\r'))
            .collect::<String>()
            .trim()
            .to_string(),
    }
}

fn covering(merges: &[Merge], row0: u32, col: usize) -> Option<&Merge> {
    let col = u32::try_from(col).ok()?;
    merges.iter().find(|m| {
        (m.first_row..=m.last_row).contains(&row0) && (m.first_col..=m.last_col).contains(&col)
    })
}

/// The text of the cell at the origin of `m`, if that row is among `rows`.
fn origin_text(rows: &[Row], m: &Merge) -> String {
    let Some(row) = rows
        .iter()
        .find(|r| r.number == m.first_row.saturating_add(1))
    else {
        return String::new();
    };
    cell_title(row.cells.get(m.first_col as usize))
}

/// Whether `upper` (right above the header row) holds group titles: merged across columns or
/// down into the header row, with at least two titles. A lone merged title row
/// ("填报单位：…" across the whole width) is not one.
fn is_group_row(upper: &Row, merges: &[Merge], width: usize) -> bool {
    let upper0 = upper.number.saturating_sub(1);
    let merged = merges.iter().any(|m| {
        m.first_row == upper0
            && (m.last_col > m.first_col || m.last_row > m.first_row)
            && (m.first_col as usize) < width
    });
    let titles = upper
        .cells
        .iter()
        .take(width)
        .filter(|c| !c.is_empty())
        .count();
    merged && titles >= 2
}

/// The header that row `i` would make.
pub(crate) fn header_at(rows: &[Row], merges: &[Merge], i: usize) -> Header {
    let Some(row) = rows.get(i) else {
        return Header {
            row_index: i,
            rows_used: 1,
            columns: Vec::new(),
        };
    };
    let row0 = row.number.saturating_sub(1);
    let above = i
        .checked_sub(1)
        .and_then(|j| rows.get(j))
        .filter(|u| u.number.checked_add(1) == Some(row.number));
    let width = row
        .cells
        .len()
        .max(above.map_or(0, |u| u.cells.len()))
        .min(MAX_COLUMNS);
    let group_row = above.filter(|u| is_group_row(u, merges, width));

    let mut columns = Vec::new();
    for col in 0..width {
        let mut lower = cell_title(row.cells.get(col));
        let mut group = String::new();
        let merge = covering(merges, row0, col);
        // A title merged down from the row above ("编号" over two rows) is the column's own
        // title, not a group title.
        let from_above = merge.filter(|m| m.first_row < row0 && m.first_col as usize == col);
        if lower.is_empty()
            && let Some(m) = from_above
        {
            lower = origin_text(rows, m);
        } else if let Some(upper) = group_row {
            let upper0 = upper.number.saturating_sub(1);
            group = match covering(merges, upper0, col) {
                Some(m) if m.first_row == upper0 && m.last_row == upper0 => origin_text(rows, m),
                Some(_) => String::new(),
                None => cell_title(upper.cells.get(col)),
            };
        }
        let title = if group.is_empty() || normalise_title(&group) == normalise_title(&lower) {
            if lower.is_empty() {
                group.clone()
            } else {
                lower.clone()
            }
        } else if lower.is_empty() {
            group.clone()
        } else {
            format!("{group}/{lower}")
        };
        if title.is_empty() {
            continue;
        }
        let field = recognise(if lower.is_empty() { &group } else { &lower });
        columns.push(Column {
            index: col,
            title,
            field,
        });
    }
    let rows_used = if group_row.is_some() { 2 } else { 1 };
    resolve_ambiguous(&mut columns);
    Header {
        row_index: i,
        rows_used,
        columns,
    }
}

/// Titles whose meaning depends on the other columns. "证件号码" beside both a 证件类型 and a
/// 身份证号 column is the other document's number; "房号"/"门牌号" beside a 楼栋 or 单元
/// column is the room, not a whole address.
fn resolve_ambiguous(columns: &mut [Column]) {
    let has = |cols: &[Column], f: Field| cols.iter().any(|c| c.field == Some(f));
    let is_generic_doc = |c: &Column| {
        matches!(
            normalise_title(last_part(&c.title)).as_str(),
            "证件号码" | "证件号"
        )
    };
    let specific_id = columns
        .iter()
        .any(|c| c.field == Some(Field::IdNumber) && !is_generic_doc(c));
    if has(columns, Field::DocType) && specific_id && !has(columns, Field::DocNo) {
        for c in columns.iter_mut() {
            if c.field == Some(Field::IdNumber) && is_generic_doc(c) {
                c.field = Some(Field::DocNo);
            }
        }
    }
    if (has(columns, Field::Building) || has(columns, Field::Unit)) && !has(columns, Field::Room) {
        for c in columns.iter_mut() {
            let t = normalise_title(last_part(&c.title));
            if c.field == Some(Field::Address) && matches!(t.as_str(), "房号" | "门牌号" | "门牌")
            {
                c.field = Some(Field::Room);
            }
        }
    }
}

/// The specific part of a combined "group/title".
fn last_part(title: &str) -> &str {
    title.rsplit('/').next().unwrap_or(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }

    fn row(number: u32, cells: &[&str]) -> Row {
        Row {
            number,
            cells: cells.iter().map(|s| text(s)).collect(),
        }
    }

    fn merge(first_row: u32, first_col: u32, last_row: u32, last_col: u32) -> Merge {
        Merge {
            first_row,
            first_col,
            last_row,
            last_col,
        }
    }

    #[test]
    fn every_synonym_is_recognised() {
        let expected: &[(Field, &[&str])] = &[
            (Field::Name, &["姓名", "名字", "居民姓名", "人员姓名"]),
            (
                Field::IdNumber,
                &[
                    "身份证号",
                    "身份证号码",
                    "公民身份号码",
                    "证件号码",
                    "身份证",
                    "身份证件号码",
                ],
            ),
            (Field::DocType, &["证件类型"]),
            (
                Field::Phone,
                &[
                    "联系电话",
                    "电话",
                    "手机",
                    "手机号",
                    "手机号码",
                    "联系方式",
                    "电话号码",
                ],
            ),
            (
                Field::Address,
                &[
                    "住址",
                    "地址",
                    "现住址",
                    "居住地址",
                    "门牌号",
                    "房号",
                    "门牌",
                ],
            ),
            (Field::Building, &["楼栋", "楼号", "幢"]),
            (Field::Unit, &["单元"]),
            (Field::Room, &["房间", "室"]),
            (Field::HouseholdNo, &["户号", "户编号"]),
            (Field::Sex, &["性别"]),
            (Field::BirthDate, &["出生日期", "出生年月", "生日"]),
            (Field::Ethnicity, &["民族", "族别"]),
            (
                Field::Relation,
                &["户主关系", "与户主关系", "与户主的关系", "关系"],
            ),
            (
                Field::PersonType,
                &["人员类别", "人员类型", "户籍类别", "户口性质", "户籍性质"],
            ),
            (Field::RegisteredHere, &["人户一致", "人户分离"]),
            (Field::Employment, &["就业状况", "就业情况", "职业"]),
            (
                Field::MovedInOn,
                &["登记日期", "迁入日期", "入住日期", "居住起始日期"],
            ),
            (Field::Notes, &["备注", "说明"]),
            (Field::Seq, &["编号", "序号", "No", "NO.", "no"]),
        ];
        for (field, titles) in expected {
            for t in *titles {
                assert_eq!(recognise(t), Some(*field), "{t}");
            }
        }
    }

    /// A title listed under two fields would be read as the first one only, and a title not
    /// in normalised form could never match: both are mistakes the list itself can't show.
    #[test]
    fn every_synonym_names_one_field_and_is_normalised() {
        let mut seen: std::collections::HashMap<&str, Field> = std::collections::HashMap::new();
        for (field, words) in SYNONYMS {
            for w in *words {
                assert_eq!(normalise_title(w), *w, "{w} is not in normalised form");
                if let Some(other) = seen.insert(w, *field) {
                    panic!("“{w}” is listed for both {other:?} and {field:?}");
                }
                assert_eq!(recognise(w), Some(*field), "{w}");
            }
        }
    }

    #[test]
    fn recognition_ignores_decoration() {
        for t in [
            " 姓 名 ",
            "姓\u{3000}名",
            "姓名(必填)",
            "姓名（必填）",
            "*姓名",
            "＊姓名：",
            "姓\n名",
            "【必填】姓名",
            "姓名\u{FEFF}",
        ] {
            assert_eq!(recognise(t), Some(Field::Name), "{t:?}");
        }
        assert_eq!(recognise("身份证号码\n（18位）"), Some(Field::IdNumber));
        assert_eq!(recognise("手机/电话"), Some(Field::Phone));
        assert_eq!(recognise("ＮＯ．"), Some(Field::Seq));
    }

    #[test]
    fn look_alikes_are_not_recognised() {
        for t in [
            "户主姓名",
            "户籍地址",
            "户籍所在地",
            "户口所在地",
            "户籍详址",
            "户籍地详址",
            "1. 身份证号码请以文本格式填写。",
            "2. 人员类别：户籍、流动、寄住。",
            "基本信息",
            "居住信息",
            "",
            "   ",
            "()",
            "姓名/身份证号",
        ] {
            assert_eq!(recognise(t), None, "{t:?}");
        }
    }

    #[test]
    fn field_labels_keys_and_parse() {
        let mut labels = HashSet::new();
        for f in Field::ALL {
            assert_eq!(Field::parse(f.key()), Some(f));
            assert_eq!(Field::parse(f.label()), Some(f));
            assert!(labels.insert(f.label()), "duplicate label {}", f.label());
        }
        assert_eq!(Field::parse("nonsense"), None);
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let f = Field::deserialize(IntoDeserializer::<Error>::into_deserializer("moved_in_on"));
        assert_eq!(f, Ok(Field::MovedInOn));
    }

    /// The layout of the real sample: two title rows, a group row merged A3:F3 and G3:J3,
    /// the header in row 4.
    fn sample_like() -> Table {
        Table {
            sheet: "花名册".into(),
            rows: vec![
                row(1, &["阳光社区第3网格居民花名册"]),
                row(
                    2,
                    &["填报单位：凤熙社区居委会\u{3000}\u{3000}填报人：网格员"],
                ),
                row(
                    3,
                    &[
                        "基本信息",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "居住信息",
                        "",
                        "",
                        "",
                        "备注",
                    ],
                ),
                row(
                    4,
                    &[
                        "编号",
                        "名字",
                        "性别",
                        "民族",
                        "身份证号码",
                        "手机号码",
                        "门牌号",
                        "户主关系",
                        "户籍类别",
                        "登记日期",
                        "备注",
                    ],
                ),
                row(
                    5,
                    &[
                        "1",
                        "石桂梅",
                        "女",
                        "汉族",
                        "32010619900106396X",
                        "19363387500",
                        "13幢2单元501",
                        "子女",
                        "户籍",
                        "2021-09-26",
                        "",
                    ],
                ),
            ],
            merges: vec![
                merge(0, 0, 0, 10),
                merge(1, 0, 1, 10),
                merge(2, 0, 2, 5),
                merge(2, 6, 2, 9),
            ],
        }
    }

    #[test]
    fn finds_the_two_row_header_of_the_sample_layout() {
        let t = sample_like();
        let h = find_header(&t).unwrap();
        assert_eq!(t.rows[h.row_index].number, 4);
        assert_eq!(h.rows_used, 2);
        let fields: Vec<Option<Field>> = h.columns.iter().map(|c| c.field).collect();
        use Field::*;
        assert_eq!(
            fields,
            [
                Seq, Name, Sex, Ethnicity, IdNumber, Phone, Address, Relation, PersonType,
                MovedInOn, Notes
            ]
            .map(Some)
        );
        let titles: Vec<&str> = h.columns.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles[0], "基本信息/编号");
        assert_eq!(titles[6], "居住信息/门牌号");
        assert_eq!(titles[10], "备注");
        assert_eq!(h.mapping().len(), 11);
        assert!(signature(&h).starts_with("0:基本信息/编号|1:基本信息/名字|"));
    }

    #[test]
    fn single_row_header_under_a_merged_title_is_not_combined() {
        let t = Table {
            sheet: "s".into(),
            rows: vec![
                row(1, &["居民花名册"]),
                row(2, &["序号", "姓名", "身份证号"]),
            ],
            merges: vec![merge(0, 0, 0, 2)],
        };
        let h = find_header(&t).unwrap();
        assert_eq!((h.row_index, h.rows_used), (1, 1));
        assert_eq!(h.columns[1].title, "姓名");
    }

    #[test]
    fn titles_merged_down_from_the_group_row_are_own_titles() {
        // 序号 and 姓名 span rows 1-2; 基本信息 spans C1:D1 over 性别 and 身份证号.
        let t = Table {
            sheet: "s".into(),
            rows: vec![
                row(1, &["序号", "姓名", "基本信息", ""]),
                row(2, &["", "", "性别", "身份证号"]),
                row(3, &["1", "张三", "男", "11010519491231002X"]),
            ],
            merges: vec![merge(0, 0, 1, 0), merge(0, 1, 1, 1), merge(0, 2, 0, 3)],
        };
        let h = find_header(&t).unwrap();
        assert_eq!((h.row_index, h.rows_used), (1, 2));
        let cols: Vec<(&str, Option<Field>)> = h
            .columns
            .iter()
            .map(|c| (c.title.as_str(), c.field))
            .collect();
        assert_eq!(
            cols,
            [
                ("序号", Some(Field::Seq)),
                ("姓名", Some(Field::Name)),
                ("基本信息/性别", Some(Field::Sex)),
                ("基本信息/身份证号", Some(Field::IdNumber)),
            ]
        );
    }

    #[test]
    fn the_combined_header_wins_over_its_own_top_row() {
        // 序号/姓名/身份证号 span rows 1-2; 联系方式 spans D1:E1 over 手机 and 座机.
        let t = Table {
            sheet: "s".into(),
            rows: vec![
                row(1, &["序号", "姓名", "身份证号", "联系方式", ""]),
                row(2, &["", "", "", "手机", "座机"]),
            ],
            merges: vec![
                merge(0, 0, 1, 0),
                merge(0, 1, 1, 1),
                merge(0, 2, 1, 2),
                merge(0, 3, 0, 4),
            ],
        };
        let h = find_header(&t).unwrap();
        assert_eq!((h.row_index, h.rows_used), (1, 2));
        let titles: Vec<&str> = h.columns.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            ["序号", "姓名", "身份证号", "联系方式/手机", "联系方式/座机"]
        );
        assert_eq!(h.columns[3].field, Some(Field::Phone));
        assert_eq!(h.columns[4].field, None);
    }

    #[test]
    fn no_header_on_a_notes_sheet_or_without_name_or_id() {
        let notes = Table {
            sheet: "填表说明".into(),
            rows: vec![
                row(1, &["1. 身份证号码请以文本格式填写。"]),
                row(2, &["2. 人员类别：户籍、流动、寄住。"]),
            ],
            merges: vec![],
        };
        assert_eq!(find_header(&notes), None);
        let no_key = Table {
            sheet: "s".into(),
            rows: vec![row(1, &["性别", "民族", "电话"])],
            merges: vec![],
        };
        assert_eq!(find_header(&no_key), None);
        let empty = Table {
            sheet: "s".into(),
            rows: vec![],
            merges: vec![],
        };
        assert_eq!(find_header(&empty), None);
    }

    #[test]
    fn header_below_row_20_is_not_found() {
        let mut rows: Vec<Row> = (1..=20).map(|n| row(n, &["标题"])).collect();
        rows.push(row(21, &["姓名", "身份证号"]));
        let t = Table {
            sheet: "s".into(),
            rows,
            merges: vec![],
        };
        assert_eq!(find_header(&t), None);
    }

    #[test]
    fn the_row_with_most_fields_wins() {
        let t = Table {
            sheet: "s".into(),
            rows: vec![
                row(1, &["姓名", "备注"]),
                row(2, &["姓名", "身份证号", "电话"]),
            ],
            merges: vec![],
        };
        assert_eq!(find_header(&t).unwrap().row_index, 1);
    }

    #[test]
    fn ambiguous_titles_are_resolved_by_their_neighbours() {
        let t = Table {
            sheet: "s".into(),
            rows: vec![row(
                1,
                &[
                    "姓名",
                    "身份证号",
                    "证件类型",
                    "证件号码",
                    "楼栋",
                    "单元",
                    "房号",
                ],
            )],
            merges: vec![],
        };
        let h = find_header(&t).unwrap();
        let fields: Vec<Field> = h.columns.iter().filter_map(|c| c.field).collect();
        use Field::*;
        assert_eq!(
            fields,
            [Name, IdNumber, DocType, DocNo, Building, Unit, Room]
        );
        // Alone, 证件号码 is the ID column and 房号 the address.
        let t = Table {
            sheet: "s".into(),
            rows: vec![row(1, &["姓名", "证件号码", "房号"])],
            merges: vec![],
        };
        let h = find_header(&t).unwrap();
        let fields: Vec<Field> = h.columns.iter().filter_map(|c| c.field).collect();
        assert_eq!(fields, [Name, IdNumber, Address]);
    }

    #[test]
    fn hostile_merges_and_widths_do_not_break_the_search() {
        let mut cells = vec!["姓名", "身份证号"];
        cells.extend(std::iter::repeat_n("x", 20_000));
        let t = Table {
            sheet: "s".into(),
            rows: vec![row(u32::MAX, &cells), row(1, &[]), row(0, &["姓名"])],
            merges: vec![
                merge(u32::MAX, u32::MAX, 0, 0),
                merge(0, 0, u32::MAX, u32::MAX),
                merge(5, 5, 1, 1),
            ],
        };
        let _ = find_header(&t);
    }
}
