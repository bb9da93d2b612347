//! Turning cells, in whatever order a reader produces them, into a `Table`, enforcing the
//! per-cell limits on the way. Every format ends up here, so the limits mean the same thing
//! for xlsx, xls and csv.

use std::collections::BTreeMap;

use calamine::{Data, DataRef, ExcelDateTime};
use chrono::NaiveDate;

use super::{Limits, ReadError};
use crate::table::{Cell, Merge, Row, Table, column_name};

/// Rows tolerated above `max_rows`, so a sheet of exactly 200 000 people with its title and
/// header rows is still read.
const HEADER_SLACK: u32 = 100;

/// 1900-01-01 in the 1904 date system is serial 0; the same day is 1462 in the 1900 system.
const EPOCH_1904_OFFSET: f64 = 1462.0;

/// First 0-based row index that is out of range.
pub(super) fn row_cap(limits: &Limits) -> u32 {
    limits.max_rows.saturating_add(HEADER_SLACK)
}

/// "E39" for 0-based (38, 4).
pub(super) fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col as usize), u64::from(row) + 1)
}

pub(super) fn too_far(file: &str, sheet: &str, limits: &Limits, row: u32, col: u32) -> ReadError {
    ReadError::TooFar {
        file: file.to_owned(),
        sheet: sheet.to_owned(),
        cell: cell_ref(row, col),
        max_rows: limits.max_rows,
        max_cols: limits.max_cols,
    }
}

pub(super) fn is_far(limits: &Limits, row: u32, col: u32) -> bool {
    row >= row_cap(limits) || col >= limits.max_cols
}

/// Collects one sheet's cells. Rows are kept sparse (only rows that hold something), so the
/// cost follows the cells that exist, not the positions a file names.
pub(super) struct SheetBuilder<'a> {
    file: &'a str,
    sheet: String,
    limits: &'a Limits,
    rows: BTreeMap<u32, Vec<Cell>>,
    /// The row being filled: readers give cells row by row, so most cells skip the map.
    current: Option<(u32, Vec<Cell>)>,
}

impl<'a> SheetBuilder<'a> {
    pub(super) fn new(file: &'a str, sheet: &str, limits: &'a Limits) -> Self {
        SheetBuilder {
            file,
            sheet: sheet.to_owned(),
            limits,
            rows: BTreeMap::new(),
            current: None,
        }
    }

    /// Places a cell at a 0-based position. A later cell at the same position replaces an
    /// earlier one, as Excel itself would show only one.
    pub(super) fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), ReadError> {
        if let Cell::Text(text) = &cell {
            // Byte length bounds the character count, so most cells skip the count.
            if text.len() > self.limits.max_cell_chars {
                let chars = text.chars().count();
                if chars > self.limits.max_cell_chars {
                    return Err(ReadError::CellTooLong {
                        file: self.file.to_owned(),
                        sheet: self.sheet.clone(),
                        cell: cell_ref(row, col),
                        chars,
                        max: self.limits.max_cell_chars,
                    });
                }
            }
        }
        let far = is_far(self.limits, row, col);
        if cell.is_empty() {
            // Formatted blanks far away are common (borders drawn over whole rows) and hold
            // nothing: they are no reason to refuse a file, and no reason to store anything.
            if far || cell == Cell::Empty {
                return Ok(());
            }
        } else if far {
            return Err(too_far(self.file, &self.sheet, self.limits, row, col));
        }
        let cells = match &mut self.current {
            Some((at, cells)) if *at == row => cells,
            _ => {
                let width = self.current.as_ref().map_or(0, |(_, c)| c.len());
                if let Some((at, cells)) = self.current.take() {
                    self.rows.insert(at, cells);
                }
                // A row seen before (cells out of order) is taken up again where it was left.
                let cells = self
                    .rows
                    .remove(&row)
                    .unwrap_or_else(|| Vec::with_capacity(width));
                &mut self.current.insert((row, cells)).1
            }
        };
        let index = col as usize;
        if cells.len() <= index {
            cells.resize(index + 1, Cell::Empty);
        }
        if let Some(slot) = cells.get_mut(index) {
            *slot = cell;
        }
        Ok(())
    }

    pub(super) fn finish(mut self, merges: Vec<Merge>) -> Table {
        if let Some((at, cells)) = self.current.take() {
            self.rows.insert(at, cells);
        }
        let rows = self
            .rows
            .into_iter()
            .filter_map(|(row, mut cells)| {
                let used = cells.iter().rposition(|c| !c.is_empty())?;
                cells.truncate(used + 1);
                Some(Row {
                    number: row.saturating_add(1),
                    cells,
                })
            })
            .collect();
        Table {
            sheet: self.sheet,
            rows,
            merges,
        }
    }
}

/// Merged regions as 0-based inclusive corners, normalised and clipped to the importable
/// area: a title merged across a whole row (A1:XFD1) is ordinary, and whoever walks a merge
/// later must not be sent across 16 384 columns.
pub(super) fn clip_merges(
    regions: impl IntoIterator<Item = ((u32, u32), (u32, u32))>,
    limits: &Limits,
) -> Vec<Merge> {
    let last_row = row_cap(limits).saturating_sub(1);
    let last_col = limits.max_cols.saturating_sub(1);
    regions
        .into_iter()
        .filter_map(|((r1, c1), (r2, c2))| {
            let (first_row, end_row) = (r1.min(r2), r1.max(r2));
            let (first_col, end_col) = (c1.min(c2), c1.max(c2));
            if is_far(limits, first_row, first_col) {
                return None;
            }
            Some(Merge {
                first_row,
                first_col,
                last_row: end_row.min(last_row),
                last_col: end_col.min(last_col),
            })
        })
        .collect()
}

/// A cell value from the xlsx streaming reader.
pub(super) fn convert_ref(value: &DataRef<'_>, is_1904: bool) -> Cell {
    match value {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => date_cell(dt, is_1904),
        DataRef::DateTimeIso(s) => iso_date(s),
        DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

/// A cell value from an xls range.
pub(super) fn convert(value: &Data, is_1904: bool) -> Cell {
    match value {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => date_cell(dt, is_1904),
        Data::DateTimeIso(s) => iso_date(s),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

/// A date-formatted number becomes a date when it is one; a time of day, a duration or a
/// serial Excel cannot show as a date stays the number it is, for the column parser to judge.
fn date_cell(value: &ExcelDateTime, is_1904: bool) -> Cell {
    let serial = value.as_f64();
    if value.is_datetime() {
        let serial_1900 = if is_1904 {
            serial + EPOCH_1904_OFFSET
        } else {
            serial
        };
        if let Some(date) = shequ_domain::from_excel_serial(serial_1900) {
            // Rounded to the second: Excel keeps a time of day as a fraction of a day.
            let seconds = ((serial_1900 - serial_1900.floor()) * 86_400.0).round() as u32;
            return match chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0) {
                Some(t) if seconds > 0 && seconds < 86_400 => Cell::DateTime(date.and_time(t)),
                _ => Cell::Date(date),
            };
        }
    }
    Cell::Number(serial)
}

/// Cells stored with t="d" carry ISO text ("2021-09-26T00:00:00"); a time of day is kept.
fn iso_date(text: &str) -> Cell {
    let Some(day) = text
        .get(..10)
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
    else {
        return Cell::Text(text.to_owned());
    };
    match text
        .get(11..19)
        .and_then(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M:%S").ok())
    {
        Some(t) if t != chrono::NaiveTime::MIN => Cell::DateTime(day.and_time(t)),
        _ => Cell::Date(day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_convert_in_both_epochs() {
        let dt = ExcelDateTime::new(44465.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_cell(&dt, false), Cell::Date(d(2021, 9, 26)));
        let dt = ExcelDateTime::new(44465.0 - 1462.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(date_cell(&dt, true), Cell::Date(d(2021, 9, 26)));
        // A time of day, a duration and nonsense stay numbers.
        let dt = ExcelDateTime::new(0.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_cell(&dt, false), Cell::Number(0.5));
        let dt = ExcelDateTime::new(44465.0, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(date_cell(&dt, false), Cell::Number(44465.0));
        let dt = ExcelDateTime::new(f64::NAN, ExcelDateTimeType::DateTime, false);
        assert!(matches!(date_cell(&dt, false), Cell::Number(n) if n.is_nan()));
        assert_eq!(iso_date("2021-09-26T00:00:00"), Cell::Date(d(2021, 9, 26)));
        assert_eq!(iso_date("九月"), Cell::Text("九月".into()));
        // A date with a time of day keeps it (a 事件台账's 上报时间), to the second.
        let at = |h, m| d(2021, 9, 26).and_hms_opt(h, m, 0).unwrap();
        let dt = ExcelDateTime::new(44465.75, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_cell(&dt, false), Cell::DateTime(at(18, 0)));
        let dt = ExcelDateTime::new(44465.0 + 9.5 / 24.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_cell(&dt, false), Cell::DateTime(at(9, 30)));
        assert_eq!(date_cell(&dt, false).display(), "2021-09-26 09:30");
        assert_eq!(iso_date("2021-09-26T14:05:00"), Cell::DateTime(at(14, 5)));
    }

    #[test]
    fn builder_orders_trims_and_refuses() {
        let limits = Limits {
            max_rows: 10,
            max_cols: 4,
            max_cell_chars: 5,
            ..Limits::default()
        };
        let mut b = SheetBuilder::new("f.xlsx", "表", &limits);
        b.put(3, 1, Cell::Text("b".into())).unwrap();
        b.put(0, 0, Cell::Number(1.0)).unwrap();
        b.put(3, 3, Cell::Text("  ".into())).unwrap();
        b.put(5, 2, Cell::Text(" ".into())).unwrap();
        // Blank cells far away are ignored, values are refused.
        b.put(5000, 3, Cell::Empty).unwrap();
        b.put(2, 900, Cell::Text(" ".into())).unwrap();
        let err = b.put(2, 4, Cell::Number(1.0)).unwrap_err();
        assert_eq!(err.code(), "too_far");
        assert!(err.to_string().contains("E3"), "{err}");
        assert!(b.put(109, 0, Cell::Number(1.0)).is_ok());
        assert_eq!(
            b.put(110, 0, Cell::Number(1.0)).unwrap_err().code(),
            "too_far"
        );
        let err = b.put(1, 1, Cell::Text("一二三四五六".into())).unwrap_err();
        assert_eq!(err.code(), "cell_too_long");
        b.put(1, 1, Cell::Text("一二三四五".into())).unwrap();
        let t = b.finish(Vec::new());
        let numbers: Vec<u32> = t.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![1, 2, 4, 110]);
        assert_eq!(t.rows[2].cells, vec![Cell::Empty, Cell::Text("b".into())]);
    }

    #[test]
    fn merges_are_normalised_and_clipped() {
        let limits = Limits::default();
        let m = clip_merges(
            [
                ((0, 0), (0, 16383)),
                ((3, 2), (1, 0)),
                ((1_048_575, 0), (1_048_575, 1)),
            ],
            &limits,
        );
        assert_eq!(
            m,
            vec![
                Merge {
                    first_row: 0,
                    first_col: 0,
                    last_row: 0,
                    last_col: 255
                },
                Merge {
                    first_row: 1,
                    first_col: 0,
                    last_row: 3,
                    last_col: 2
                },
            ]
        );
    }
}
