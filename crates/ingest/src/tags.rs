//! Special-group lists (低保台账, 残疾人名册 …): each row names a person the registry already
//! holds, by ID number (or other document) and name, plus the group's own columns, found by
//! the labels the group's export uses ("低保类别", "保障人数", "开始日期" …). The person columns
//! are read exactly as in a persons ledger, so a bad ID number is refused with the same reason.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use shequ_domain::registry::tags::{FieldType, TagKind};

use crate::header::{Field, Header, normalise_title};
use crate::persons::{Candidate, Mapping, Problem, RowOutcome, parse_table};
use crate::table::{Cell, Row, Table, column_name};

/// Titles under which a list gives the date the person joined the group.
const STARTED_TITLES: &[&str] = &["开始日期", "登记日期", "纳入日期", "认定日期", "起始日期"];

/// Where a group's own columns are in a sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagColumns {
    pub category: Option<usize>,
    pub grade: Option<usize>,
    /// (field key, column).
    pub fields: Vec<(&'static str, usize)>,
    pub started_on: Option<usize>,
}

impl TagColumns {
    fn all(&self) -> impl Iterator<Item = usize> + '_ {
        self.category
            .iter()
            .chain(self.grade.iter())
            .chain(self.fields.iter().map(|(_, c)| c))
            .chain(self.started_on.iter())
            .copied()
    }
}

/// Finds the group's columns by their labels, with or without a two-row header's group title.
pub fn tag_columns(header: &Header, kind: &TagKind) -> TagColumns {
    let find = |label: &str| {
        let want = normalise_title(label);
        header
            .columns
            .iter()
            // Labels may hold a "/" themselves (释放/入矫日期), as may a two-row header's
            // "group/column" title.
            .find(|c| normalise_title(&c.title) == want || last_part(&c.title) == want)
            .map(|c| c.index)
    };
    TagColumns {
        category: kind.category.and_then(|(label, _)| find(label)),
        grade: kind.grade.and_then(|(label, _, _)| find(label)),
        fields: kind
            .fields
            .iter()
            .filter_map(|f| find(f.label).map(|c| (f.key, c)))
            .collect(),
        started_on: STARTED_TITLES.iter().find_map(|t| find(t)),
    }
}

fn last_part(title: &str) -> String {
    normalise_title(title.rsplit('/').next().unwrap_or(title))
}

/// The person columns of a group list: the header's own mapping, without the group's columns
/// (a column titled "类别" is the group's class here, not the person's 人员类别).
pub fn person_mapping(header: &Header, cols: &TagColumns) -> Mapping {
    let mut mapping = header.mapping();
    let own: Vec<usize> = cols.all().collect();
    mapping.retain(|(c, _)| !own.contains(c));
    mapping
}

/// One row of a group list: who, and the group's values as the store's `TagKind::validate`
/// takes them (keys "category", "grade" and the field keys; dates as 2024-03-01).
#[derive(Debug, Clone)]
pub struct TagCandidate {
    pub person: Candidate,
    pub values: BTreeMap<String, String>,
    pub started_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub enum TagOutcome {
    Row(Box<TagCandidate>),
    Rejected(Vec<Problem>),
    Skip,
}

/// Parses a group list sheet: the person columns as in a persons ledger, then the group's own.
pub fn parse_tag_table(
    t: &Table,
    header: &Header,
    kind: &TagKind,
    cols: &TagColumns,
) -> Vec<TagOutcome> {
    let mapping = person_mapping(header, cols);
    let rows = t.rows.get(header.row_index + 1..).unwrap_or(&[]);
    parse_table(t, header, &mapping)
        .into_iter()
        .zip(rows)
        .map(|(outcome, row)| match outcome {
            RowOutcome::Person(person) => match tag_values(&t.sheet, row, kind, cols) {
                Ok((values, started_on)) => TagOutcome::Row(Box::new(TagCandidate {
                    person,
                    values,
                    started_on,
                })),
                Err(p) => TagOutcome::Rejected(vec![*p]),
            },
            RowOutcome::Rejected(problems) => TagOutcome::Rejected(problems),
            RowOutcome::Skip(_) => TagOutcome::Skip,
        })
        .collect()
}

/// The group's values of a row, and the date it started.
type TagValues = (BTreeMap<String, String>, Option<NaiveDate>);

fn tag_values(
    sheet: &str,
    row: &Row,
    kind: &TagKind,
    cols: &TagColumns,
) -> Result<TagValues, Box<Problem>> {
    let cell = |c: usize| row.cells.get(c).unwrap_or(&Cell::Empty);
    let mut values = BTreeMap::new();
    let mut put = |key: &str, c: usize, ty: Option<FieldType>| {
        let text = match (cell(c), ty) {
            (Cell::Number(n), Some(FieldType::Date)) => shequ_domain::from_excel_serial(*n)
                .map_or_else(|| cell(c).display(), |d| d.to_string()),
            (Cell::Text(s), Some(FieldType::Date)) => {
                shequ_domain::parse_date(s).map_or_else(|_| s.trim().to_string(), |d| d.to_string())
            }
            (other, _) => other.display().trim().to_string(),
        };
        if !text.is_empty() {
            values.insert(key.to_string(), text);
        }
    };
    if let Some(c) = cols.category {
        put("category", c, None);
    }
    if let Some(c) = cols.grade {
        put("grade", c, None);
    }
    for (key, c) in &cols.fields {
        let ty = kind.fields.iter().find(|f| f.key == *key).map(|f| f.ty);
        put(key, *c, ty);
    }
    let started_on = match cols.started_on.map(|c| (c, cell(c))) {
        None | Some((_, Cell::Empty)) => None,
        Some((_, Cell::Date(d))) => Some(*d),
        Some((_, Cell::DateTime(t))) => Some(t.date()),
        Some((c, other)) => {
            let text = other.display();
            let parsed = match other {
                Cell::Number(n) => shequ_domain::from_excel_serial(*n),
                _ => shequ_domain::parse_date(&text).ok(),
            };
            match parsed {
                Some(d) => Some(d),
                None => {
                    return Err(Box::new(Problem {
                        sheet: sheet.to_string(),
                        row: row.number,
                        column: column_name(c),
                        title: "开始日期".into(),
                        value: text.clone(),
                        code: "bad_date",
                        message: format!(
                            "开始日期“{text}”不是有效日期：请写成 2024-03-01 或 2024年3月1日"
                        ),
                    }));
                }
            }
        }
    };
    Ok((values, started_on))
}

/// Whether a header looks like a list of this group: it names a person and at least one of
/// the group's own columns.
pub fn is_list_of(header: &Header, cols: &TagColumns) -> bool {
    let names_person = header
        .columns
        .iter()
        .any(|c| matches!(c.field, Some(Field::IdNumber | Field::DocNo)));
    names_person && cols.all().next().is_some()
}
