//! Ledgers of things other than people (辖区单位, 出租房屋 …): columns found by the titles a
//! kind of record is known by, rows read as plain values for the store to check. The header
//! may sit under title rows, span two rows, and be followed by blank, 合计 and signature rows,
//! exactly as for persons.

use crate::header::{header_at, normalise_title};
use crate::persons::not_data;
use crate::table::{Cell, Merge, Table};

/// The titles each of a record's fields is known by; the first is what its export writes.
pub type Vocabulary = [(&'static str, &'static [&'static str])];

/// Where a record's fields are in one sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledHeader {
    /// Index into `Table.rows` of the (lower) header row.
    pub row_index: usize,
    /// (field key, column).
    pub columns: Vec<(&'static str, usize)>,
}

/// One data row: (field key, the cell as read) for every field the sheet has a column for.
#[derive(Debug, Clone)]
pub struct LabelledRow {
    pub sheet: String,
    pub row: u32,
    pub cells: Vec<(&'static str, Cell)>,
}

impl LabelledRow {
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| c)
            .filter(|c| !c.is_empty())
    }

    /// The cell as text, trimmed; `None` when empty.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(|c| c.display().trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

/// The header among the first 20 rows that names `required` and the most other fields (at
/// least two in all).
pub fn find_labelled(t: &Table, vocab: &Vocabulary, required: &str) -> Option<LabelledHeader> {
    let scan = &t.rows[..t.rows.len().min(20)];
    let merges: Vec<Merge> = t.merges.iter().take(2_000).copied().collect();
    let mut best: Option<LabelledHeader> = None;
    for i in 0..scan.len() {
        let header = header_at(scan, &merges, i);
        let mut columns = Vec::new();
        for (key, titles) in vocab {
            let wanted: Vec<String> = titles.iter().map(|t| normalise_title(t)).collect();
            let found = header.columns.iter().find(|c| {
                let whole = normalise_title(&c.title);
                let last = normalise_title(c.title.rsplit('/').next().unwrap_or(&c.title));
                wanted.iter().any(|w| *w == whole || *w == last)
            });
            if let Some(c) = found
                && !columns.iter().any(|(_, col)| *col == c.index)
            {
                columns.push((*key, c.index));
            }
        }
        let names_required = columns.iter().any(|(k, _)| *k == required);
        let better = best
            .as_ref()
            .is_none_or(|b| columns.len() > b.columns.len());
        if names_required && columns.len() >= 2 && better {
            best = Some(LabelledHeader {
                row_index: header.row_index,
                columns,
            });
        }
    }
    best
}

/// The data rows under a header: blank rows, totals, notes and signature lines left out.
pub fn labelled_rows(t: &Table, h: &LabelledHeader) -> Vec<LabelledRow> {
    t.rows
        .get(h.row_index + 1..)
        .unwrap_or(&[])
        .iter()
        .filter(|r| {
            r.cells
                .iter()
                .find(|c| !c.is_empty())
                .is_some_and(|first| not_data(first).is_none())
        })
        .filter_map(|r| {
            let cells: Vec<(&'static str, Cell)> = h
                .columns
                .iter()
                .map(|(k, c)| (*k, r.cells.get(*c).cloned().unwrap_or(Cell::Empty)))
                .collect();
            // A row with only a sequence number (templates are numbered ahead) holds nothing.
            cells
                .iter()
                .any(|(_, c)| !c.is_empty())
                .then(|| LabelledRow {
                    sheet: t.sheet.clone(),
                    row: r.number,
                    cells,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Row;

    const UNITS: &Vocabulary = &[
        ("name", &["单位名称", "名称"]),
        ("kind", &["单位类别", "类别"]),
        ("contact_phone", &["负责人电话", "联系电话"]),
    ];

    fn t(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.into())
        }
    }

    #[test]
    fn header_under_a_title_and_rows_without_totals() {
        let rows = vec![
            Row {
                number: 1,
                cells: vec![t("凤凰熙岸社区辖区单位台账")],
            },
            Row {
                number: 2,
                cells: vec![t("序号"), t("单位名称"), t("类别"), t("联系电话")],
            },
            Row {
                number: 3,
                cells: vec![
                    Cell::Number(1.0),
                    t("便民超市"),
                    t("商铺"),
                    t("13900000000"),
                ],
            },
            Row {
                number: 4,
                cells: vec![Cell::Number(2.0)],
            },
            Row {
                number: 5,
                cells: vec![t("合计"), t("1")],
            },
            Row {
                number: 6,
                cells: vec![t("制表人：张三")],
            },
        ];
        let table = Table {
            sheet: "单位".into(),
            rows,
            merges: vec![],
        };
        let h = find_labelled(&table, UNITS, "name").unwrap();
        assert_eq!(h.row_index, 1);
        assert_eq!(
            h.columns,
            vec![("name", 1), ("kind", 2), ("contact_phone", 3)]
        );
        let rows = labelled_rows(&table, &h);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].row, 3);
        assert_eq!(rows[0].text("name").as_deref(), Some("便民超市"));
        assert_eq!(rows[0].text("kind").as_deref(), Some("商铺"));
        // Without the required column there is no header.
        let table = Table {
            sheet: "s".into(),
            rows: vec![Row {
                number: 1,
                cells: vec![t("类别"), t("联系电话")],
            }],
            merges: vec![],
        };
        assert!(find_labelled(&table, UNITS, "name").is_none());
    }
}
