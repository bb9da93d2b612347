//! 一表通: a form a street sends its communities, in the layout the street already prints
//! (a title, one or more header rows, row labels on the left), each value cell bound to a
//! catalogue indicator or left for the community to fill by hand. A community's copy is the
//! form's cells with their values; the street's copy adds its communities' copies up.

use serde::{Deserialize, Serialize};

use crate::figures::Amount;
use crate::text::to_halfwidth;

/// A form no office prints is larger: beyond these a file is not a form.
pub const MAX_ROWS: usize = 300;
pub const MAX_VALUE_COLUMNS: usize = 40;
pub const MAX_HEAD_ROWS: usize = 6;
pub const MAX_LABEL_COLUMNS: usize = 4;
/// Characters of a title, a label or a typed text cell.
pub const MAX_TEXT: usize = 200;

/// The shape of a form: what is printed around the values, and what each value cell holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub title: String,
    /// Header rows, each as wide as the form (label columns, then value columns). Equal
    /// neighbours are one merged cell when the form is written out.
    pub heads: Vec<Vec<String>>,
    /// How many columns on the left hold the row labels (项目, 序号 …).
    pub labels: usize,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub labels: Vec<String>,
    pub cells: Vec<Binding>,
}

/// What fills one value cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Binding {
    /// Nothing goes here (a "—" or "/" in the street's form).
    Blank,
    /// The figure of a catalogue indicator, for the copy's place and the form's period.
    Figure { code: String },
    /// A number the community types (what no record holds).
    Number,
    /// A text the community types (a remark, a name).
    Text,
}

/// How a binding is written in the binding editor: an indicator's code, `#` for a number
/// typed by hand, `文字` for a typed text, nothing for a blank cell.
pub const NUMBER_MARK: &str = "#";
pub const TEXT_MARK: &str = "文字";

impl Binding {
    pub fn parse(s: &str) -> Binding {
        let s = s.trim();
        match s {
            "" | "—" | "-" | "/" | "／" | "空" | "空白" => Binding::Blank,
            "#" | "＃" | "手填" | "数字" | "手填数字" => Binding::Number,
            "文字" | "手填文字" | "文本" => Binding::Text,
            code => Binding::Figure {
                code: code.to_string(),
            },
        }
    }

    pub fn written(&self) -> String {
        match self {
            Binding::Blank => String::new(),
            Binding::Figure { code } => code.clone(),
            Binding::Number => NUMBER_MARK.to_string(),
            Binding::Text => TEXT_MARK.to_string(),
        }
    }

    /// Is this a cell the community types into?
    pub fn typed(&self) -> bool {
        matches!(self, Binding::Number | Binding::Text)
    }
}

/// A form that can't be what it says, with the place named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("表格没有数据行：请检查表头下面是否有“项目”等行标题")]
    NoRows,
    #[error("表格没有可填写的数据列：请检查表头右侧是否有数据列")]
    NoColumns,
    #[error("表格太大：最多 {max} 个{what}，这张表有 {found} 个")]
    TooLarge {
        what: &'static str,
        found: usize,
        max: usize,
    },
    #[error("{place}：文字太长（{len} 个字），最多 {max} 个字")]
    TooLong {
        place: String,
        len: usize,
        max: usize,
    },
    #[error("{place}：格子数不对，应为 {expected} 个，实际 {found} 个")]
    Ragged {
        place: String,
        expected: usize,
        found: usize,
    },
    #[error("{place}：“{value}”不是数字，请填写数字（如 12 或 3.5），不填请留空")]
    NotANumber { place: String, value: String },
    #[error("表格还没有绑定任何指标或填写格：请先在“绑定指标”中设置")]
    NothingBound,
}

impl Layout {
    /// Value columns (the form's width less its label columns).
    pub fn columns(&self) -> usize {
        self.rows.first().map_or(0, |r| r.cells.len())
    }

    /// Checks sizes and shape: every row as wide as the first, every header row as wide as the
    /// form, no text beyond [`MAX_TEXT`].
    pub fn check(&self) -> Result<(), FormError> {
        if self.rows.is_empty() {
            return Err(FormError::NoRows);
        }
        let columns = self.columns();
        if columns == 0 {
            return Err(FormError::NoColumns);
        }
        for (what, found, max) in [
            ("数据行", self.rows.len(), MAX_ROWS),
            ("数据列", columns, MAX_VALUE_COLUMNS),
            ("表头行", self.heads.len(), MAX_HEAD_ROWS),
            ("行标题列", self.labels, MAX_LABEL_COLUMNS),
        ] {
            if found > max {
                return Err(FormError::TooLarge { what, found, max });
            }
        }
        long_text("标题", &self.title)?;
        let width = self.labels + columns;
        for (i, head) in self.heads.iter().enumerate() {
            let place = format!("表头第{}行", i + 1);
            if head.len() != width {
                return Err(FormError::Ragged {
                    place,
                    expected: width,
                    found: head.len(),
                });
            }
            for text in head {
                long_text(&place, text)?;
            }
        }
        for (i, row) in self.rows.iter().enumerate() {
            let place = format!("第{}行", i + 1);
            if row.labels.len() != self.labels || row.cells.len() != columns {
                return Err(FormError::Ragged {
                    place,
                    expected: width,
                    found: row.labels.len() + row.cells.len(),
                });
            }
            for text in &row.labels {
                long_text(&place, text)?;
            }
        }
        Ok(())
    }

    /// The header of value column `c`, its rows' texts joined without repeats ("低保·户数").
    pub fn column_name(&self, c: usize) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for head in &self.heads {
            if let Some(t) = head.get(self.labels + c).map(|t| t.trim())
                && !t.is_empty()
                && !parts.contains(&t)
            {
                parts.push(t);
            }
        }
        if parts.is_empty() {
            format!("第{}列", c + 1)
        } else {
            parts.join("·")
        }
    }

    /// A row's name: its last label that isn't a bare number (序号), or its number.
    pub fn row_name(&self, r: usize) -> String {
        self.rows
            .get(r)
            .and_then(|row| {
                row.labels
                    .iter()
                    .rev()
                    .map(|t| t.trim())
                    .find(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit()))
            })
            .map_or_else(|| format!("第{}行", r + 1), str::to_string)
    }

    /// Where a cell is, as a message names it: 第3行「低保户」×「户数」.
    pub fn place(&self, r: usize, c: usize) -> String {
        format!(
            "第{}行「{}」×「{}」",
            r + 1,
            self.row_name(r),
            self.column_name(c)
        )
    }

    /// The indicator codes the form is bound to, each once.
    pub fn codes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for row in &self.rows {
            for b in &row.cells {
                if let Binding::Figure { code } = b
                    && !out.contains(&code.as_str())
                {
                    out.push(code);
                }
            }
        }
        out
    }

    /// Does any cell hold something (a figure or a typed value)?
    pub fn bound(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.cells.iter().any(|b| *b != Binding::Blank))
    }
}

fn long_text(place: &str, text: &str) -> Result<(), FormError> {
    let len = text.chars().count();
    if len > MAX_TEXT {
        return Err(FormError::TooLong {
            place: place.to_string(),
            len,
            max: MAX_TEXT,
        });
    }
    Ok(())
}

/// What one cell of a copy holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = FormValue)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    Empty,
    Figure { amount: Amount },
    Number { value: f64 },
    Text { text: String },
}

impl Value {
    /// Two copies' cells taken together (a street adds up its communities): figures by their
    /// parts, numbers added; text is not added up and stays empty.
    pub fn plus(&self, other: &Value) -> Value {
        match (self, other) {
            (Value::Empty, Value::Figure { .. } | Value::Number { .. }) => other.clone(),
            (Value::Figure { .. } | Value::Number { .. }, Value::Empty) => self.clone(),
            (Value::Figure { amount: a }, Value::Figure { amount: b }) => a
                .plus(b)
                .map_or(Value::Empty, |amount| Value::Figure { amount }),
            (Value::Number { value: a }, Value::Number { value: b }) => {
                Value::Number { value: a + b }
            }
            _ => Value::Empty,
        }
    }

    /// As the cell is shown on a page: a rate as 90.0%, an average to one place, numbers
    /// without a trailing .0; a rate or an average over nothing as "—".
    pub fn shown(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Figure { amount } => match amount {
                Amount::Count { value } => value.to_string(),
                Amount::Rate { percent, .. } => {
                    percent.map_or("—".into(), |p| format!("{p:.1}%"))
                }
                Amount::Mean { value, .. } => value.map_or("—".into(), |v| format!("{v:.1}")),
            },
            Value::Number { value } => number_text(*value),
            Value::Text { text } => text.clone(),
        }
    }
}

/// A number as an office writes it: 12, 3.5, 0.25 (never 12.0 or 3.4999999).
pub fn number_text(v: f64) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A number typed into a form cell, as people type them: full-width digits, thousands
/// separators, spaces. Empty is `None`.
pub fn parse_number(place: &str, typed: &str) -> Result<Option<f64>, FormError> {
    let folded: String = typed
        .chars()
        .map(to_halfwidth)
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    if folded.is_empty() {
        return Ok(None);
    }
    let bad = || FormError::NotANumber {
        place: place.to_string(),
        value: typed.trim().to_string(),
    };
    // Only plain decimals: no "1e5", "inf" or "NaN" that f64's parser would take.
    let plain = folded
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    if !plain || folded.matches('.').count() > 1 {
        return Err(bad());
    }
    let v: f64 = folded.parse().map_err(|_| bad())?;
    if !v.is_finite() || v.abs() >= 1e15 {
        return Err(bad());
    }
    Ok(Some(v))
}

/// A text typed into a form cell: trimmed, at most [`MAX_TEXT`] characters.
pub fn parse_text(place: &str, typed: &str) -> Result<Option<String>, FormError> {
    let t = typed.trim();
    long_text(place, t)?;
    Ok((!t.is_empty()).then(|| t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            title: "社区基本情况统计表".into(),
            heads: vec![
                vec!["序号".into(), "项目".into(), "数量".into(), "备注".into()],
                vec!["序号".into(), "项目".into(), "户数".into(), "备注".into()],
            ],
            labels: 2,
            rows: vec![
                Row {
                    labels: vec!["1".into(), "低保户".into()],
                    cells: vec![
                        Binding::Figure {
                            code: "dibao.households".into(),
                        },
                        Binding::Text,
                    ],
                },
                Row {
                    labels: vec!["2".into(), "志愿者".into()],
                    cells: vec![Binding::Number, Binding::Blank],
                },
            ],
        }
    }

    #[test]
    fn cells_are_named_by_row_and_column() {
        let l = layout();
        l.check().unwrap();
        assert_eq!(l.place(0, 0), "第1行「低保户」×「数量·户数」");
        assert_eq!(l.column_name(1), "备注");
        assert_eq!(l.codes(), vec!["dibao.households"]);
        assert!(l.bound());
    }

    #[test]
    fn ragged_and_oversized_forms_are_refused_with_the_place() {
        let mut l = layout();
        l.rows[1].cells.pop();
        assert_eq!(
            l.check().unwrap_err().to_string(),
            "第2行：格子数不对，应为 4 个，实际 3 个"
        );
        let mut l = layout();
        l.title = "表".repeat(201);
        assert!(l.check().unwrap_err().to_string().contains("太长"));
        let mut l = layout();
        l.rows.clear();
        assert_eq!(l.check(), Err(FormError::NoRows));
    }

    #[test]
    fn bindings_read_back_as_written() {
        for b in [
            Binding::Blank,
            Binding::Number,
            Binding::Text,
            Binding::Figure {
                code: "people.total".into(),
            },
        ] {
            assert_eq!(Binding::parse(&b.written()), b);
        }
        assert_eq!(Binding::parse(" 手填 "), Binding::Number);
        assert_eq!(Binding::parse("／"), Binding::Blank);
    }

    #[test]
    fn numbers_are_read_as_typed_and_refused_with_the_place() {
        assert_eq!(parse_number("x", "１，２３４"), Ok(Some(1234.0)));
        assert_eq!(parse_number("x", " 3.5 "), Ok(Some(3.5)));
        assert_eq!(parse_number("x", ""), Ok(None));
        for bad in ["1e5", "inf", "NaN", "十二", "1.2.3", "--1"] {
            let e = parse_number("第2行「志愿者」×「数量」", bad).unwrap_err();
            assert!(
                e.to_string().starts_with("第2行「志愿者」×「数量」：“"),
                "{e}"
            );
        }
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(3.456), "3.46");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
    }

    #[test]
    fn copies_add_up_by_parts() {
        let a = Value::Figure {
            amount: Amount::rate(1, 2),
        };
        let b = Value::Figure {
            amount: Amount::rate(9, 10),
        };
        assert_eq!(a.plus(&b).shown(), "83.3%");
        assert_eq!(
            Value::Number { value: 1.5 }
                .plus(&Value::Empty)
                .plus(&Value::Number { value: 2.0 })
                .shown(),
            "3.5"
        );
        assert_eq!(
            Value::Text { text: "好".into() }.plus(&Value::Text { text: "好".into() }),
            Value::Empty
        );
    }
}
