//! What a file holds once read: sheets of rows of cells, with the row numbers the office sees
//! in Excel, so every message can point at "sheet 花名册, row 17, column E".

use chrono::NaiveDate;
use serde::Serialize;

/// One cell as the file stores it. Numbers stay numbers here: whether `3.2e17` in an ID
/// column lost digits is for the column's parser to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric cell (Excel stores every number as a double).
    Number(f64),
    Bool(bool),
    /// A cell Excel formats as a date (serial number already converted).
    Date(NaiveDate),
    /// A date-formatted cell with a time of day (a 事件台账's 上报时间).
    DateTime(chrono::NaiveDateTime),
    /// An error value such as #REF! or #N/A.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the office would read it on screen: numbers without a trailing ".0",
    /// dates as 2021-09-26.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Bool(b) => {
                if *b {
                    "TRUE".into()
                } else {
                    "FALSE".into()
                }
            }
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A row, numbered as in Excel (the first row is 1). Cells are in column order from column A;
/// a row may be shorter than others.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Cell>,
}

/// A merged region, 0-based inclusive (first row, first column, last row, last column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// One sheet (a CSV file is one sheet named after the file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub sheet: String,
    /// Non-empty rows only, in order; `Row::number` keeps the original position.
    pub rows: Vec<Row>,
    pub merges: Vec<Merge>,
}

/// "A", "B", … "Z", "AA": the column letter offices see.
pub fn column_name(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push((b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16383), "XFD");
    }

    #[test]
    fn display_of_numbers() {
        assert_eq!(Cell::Number(41103.0).display(), "41103");
        assert_eq!(
            Cell::Number(3.201061971080979e17).display(),
            "320106197108097900"
        );
    }
}
