//! The layout of a 一表通 form read from the .xlsx a street already sends out: the title above,
//! the header rows (two-row headers with merged cells included), the row labels on the left,
//! the cells to fill on the right, and whatever is signed or explained below left out. Every
//! value cell starts as a number to type (or blank where the form prints "—" or "/", text
//! under 备注); binding cells to indicators is the store's and the street's.

use shequ_domain::forms::{Binding, FormError, Layout, MAX_HEAD_ROWS, MAX_LABEL_COLUMNS, Row};

use crate::header::text::compact;
use crate::persons::not_data;
use crate::table::{Cell, Table};

/// Headers of columns that label rows rather than hold values.
const LABEL_HEADS: &[&str] = &[
    "序号",
    "编号",
    "项目",
    "指标",
    "指标名称",
    "名称",
    "类别",
    "分类",
    "类型",
    "内容",
    "单位",
    "计量单位",
    "项 目",
    "栏次",
];
/// Headers of columns whose cells are typed as text.
const TEXT_HEADS: &[&str] = &["备注", "说明", "情况说明", "备 注"];
/// What a form prints in a cell that takes nothing.
const BLANK_MARKS: &[&str] = &["—", "-", "--", "/", "／", "×", "无", "——", "\\"];
/// More rows than a form has, counted before anything is read into a layout.
const MAX_SHEET_ROWS: usize = 400;

/// The form in the first sheet that has one.
pub fn layout(tables: &[Table]) -> Result<Layout, FormError> {
    let mut first_err = None;
    for t in tables {
        match layout_of(t) {
            Ok(l) => return Ok(l),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(FormError::NoRows))
}

/// One sheet's form.
pub fn layout_of(t: &Table) -> Result<Layout, FormError> {
    if t.rows.len() > MAX_SHEET_ROWS {
        return Err(FormError::TooLarge {
            what: "行",
            found: t.rows.len(),
            max: MAX_SHEET_ROWS,
        });
    }
    let grid = filled(t);
    let width = grid.iter().map(|r| r.len()).max().unwrap_or(0);
    let max_width = shequ_domain::forms::MAX_VALUE_COLUMNS + MAX_LABEL_COLUMNS;
    if width > max_width {
        return Err(FormError::TooLarge {
            what: "列",
            found: width,
            max: max_width,
        });
    }
    let at = |r: &Vec<String>, c: usize| r.get(c).cloned().unwrap_or_default();
    let filled_count = |r: &Vec<String>| r.iter().filter(|s| !s.is_empty()).count();
    let distinct = |r: &Vec<String>| {
        let mut seen: Vec<&str> = r
            .iter()
            .filter(|s| !s.is_empty())
            .map(String::as_str)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    let wide = (width * 3).div_ceil(5).max(2);
    let Some(h0) = grid
        .iter()
        .position(|r| filled_count(r) >= wide && distinct(r) >= 2)
    else {
        return Err(FormError::NoColumns);
    };
    let title = grid[..h0]
        .iter()
        .find_map(|r| r.iter().find(|s| !s.is_empty()).cloned())
        .unwrap_or_else(|| t.sheet.clone());

    // Header rows: the first wide row, then the rows that continue it (the same 序号/项目
    // cell merged down, or a first cell left empty above sub-headings).
    let first_label = at(&grid[h0], 0);
    let mut end = h0 + 1;
    while end < grid.len() && end - h0 < MAX_HEAD_ROWS {
        let r = &grid[end];
        let c0 = at(r, 0);
        let continues = if c0.is_empty() {
            let texts = r
                .iter()
                .skip(1)
                .filter(|s| !s.is_empty() && !is_number(s))
                .count();
            texts * 2 >= width.saturating_sub(1) && texts >= 2
        } else {
            !first_label.is_empty() && c0 == first_label
        };
        if !continues {
            break;
        }
        end += 1;
    }
    let heads: Vec<Vec<String>> = grid[h0..end]
        .iter()
        .map(|r| (0..width).map(|c| at(r, c)).collect())
        .collect();

    // Data rows, down to the notes and signatures under the form.
    let mut data: Vec<Vec<String>> = Vec::new();
    for r in &grid[end..] {
        let Some(first) = r.iter().find(|s| !s.is_empty()) else {
            continue;
        };
        if matches!(
            not_data(&Cell::Text(first.clone())),
            Some("说明行" | "签名行")
        ) {
            break;
        }
        data.push((0..width).map(|c| at(r, c)).collect());
    }
    if data.is_empty() {
        return Err(FormError::NoRows);
    }

    let head_of = |c: usize| heads.last().map(|h| compact(&h[c])).unwrap_or_default();
    let mut labels = 1;
    while labels < width.saturating_sub(1) && labels < MAX_LABEL_COLUMNS {
        let head = head_of(labels);
        let named = LABEL_HEADS.iter().any(|l| compact(l) == head);
        let texts = data
            .iter()
            .filter(|r| !r[labels].is_empty() && !is_number(&r[labels]))
            .count();
        let numbers = data.iter().filter(|r| is_number(&r[labels])).count();
        let looks_like_labels = numbers == 0 && texts * 2 >= data.len() && !is_text_head(&head);
        if !(named || looks_like_labels) {
            break;
        }
        labels += 1;
    }

    let rows = data
        .into_iter()
        .map(|r| Row {
            labels: r[..labels].to_vec(),
            cells: (labels..width)
                .map(|c| {
                    if BLANK_MARKS.contains(&r[c].as_str()) {
                        Binding::Blank
                    } else if is_text_head(&head_of(c)) {
                        Binding::Text
                    } else {
                        Binding::Number
                    }
                })
                .collect(),
        })
        .collect();
    let layout = Layout {
        title: title.chars().take(shequ_domain::forms::MAX_TEXT).collect(),
        heads,
        labels,
        rows,
    };
    layout.check()?;
    Ok(layout)
}

/// The sheet as a dense grid of trimmed texts, a merged region's text in each of its cells.
fn filled(t: &Table) -> Vec<Vec<String>> {
    let first = t.rows.first().map_or(1, |r| r.number);
    let last = t.rows.last().map_or(0, |r| r.number);
    let mut grid: Vec<Vec<String>> = vec![Vec::new(); (last + 1).saturating_sub(first) as usize];
    for r in &t.rows {
        let Some(slot) = grid.get_mut((r.number - first) as usize) else {
            continue;
        };
        *slot = r
            .cells
            .iter()
            .map(|c| c.display().trim().to_string())
            .collect();
        while slot.last().is_some_and(String::is_empty) {
            slot.pop();
        }
    }
    for m in t.merges.iter().take(2_000) {
        let (r0, c0) = (m.first_row as usize, m.first_col as usize);
        let Some(top) = (r0 + 1).checked_sub(first as usize) else {
            continue;
        };
        let text = grid
            .get(top)
            .and_then(|r| r.get(c0))
            .cloned()
            .unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        for row in r0..=(m.last_row as usize) {
            let Some(slot) = (row + 1)
                .checked_sub(first as usize)
                .and_then(|i| grid.get_mut(i))
            else {
                continue;
            };
            let last_col = (m.last_col as usize).min(c0 + 64);
            if slot.len() <= last_col {
                slot.resize(last_col + 1, String::new());
            }
            for cell in &mut slot[c0..=last_col] {
                if cell.is_empty() {
                    cell.clone_from(&text);
                }
            }
        }
    }
    // Rows that were empty in the file stay out, as in the table.
    grid.retain(|r| r.iter().any(|s| !s.is_empty()));
    grid
}

fn is_text_head(head: &str) -> bool {
    TEXT_HEADS.iter().any(|t| compact(t) == head)
}

fn is_number(s: &str) -> bool {
    let s = s.trim().trim_end_matches('%');
    !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Limits, read};
    use rust_xlsxwriter::{Format, Workbook};

    /// A street's form as offices lay it out: merged title, a line for who fills it in, a
    /// two-row header (序号 and 项目 merged down, 低保 across 户数/人数), an "—" cell, a 备注
    /// column, and the signatures below.
    fn street_form() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.merge_range(0, 0, 0, 5, "2026年社区基本情况统计表", &f)
            .unwrap();
        ws.write(1, 0, "填报单位（盖章）：").unwrap();
        ws.write(1, 4, "填报日期：").unwrap();
        ws.merge_range(2, 0, 3, 0, "序号", &f).unwrap();
        ws.merge_range(2, 1, 3, 1, "项目", &f).unwrap();
        ws.merge_range(2, 2, 2, 3, "低保", &f).unwrap();
        ws.write(3, 2, "户数").unwrap();
        ws.write(3, 3, "人数").unwrap();
        ws.merge_range(2, 4, 3, 4, "志愿者人数", &f).unwrap();
        ws.merge_range(2, 5, 3, 5, "备注", &f).unwrap();
        for (i, label) in ["第一网格", "第二网格", "合计"].iter().enumerate() {
            let r = 4 + i as u32;
            ws.write(r, 0, (i + 1) as f64).unwrap();
            ws.write(r, 1, *label).unwrap();
        }
        ws.write(6, 4, "—").unwrap();
        ws.write(8, 0, "填表人：          审核人：").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_two_row_header_with_merges_becomes_the_layout() {
        let tables = read(&street_form(), "统计表.xlsx", &Limits::default()).unwrap();
        let l = layout(&tables).unwrap();
        assert_eq!(l.title, "2026年社区基本情况统计表");
        assert_eq!(l.labels, 2);
        assert_eq!(l.heads.len(), 2);
        assert_eq!(
            l.heads[0],
            ["序号", "项目", "低保", "低保", "志愿者人数", "备注"]
        );
        assert_eq!(
            l.heads[1],
            ["序号", "项目", "户数", "人数", "志愿者人数", "备注"]
        );
        assert_eq!(l.rows.len(), 3, "the signature line is not a row");
        assert_eq!(l.rows[0].labels, ["1", "第一网格"]);
        assert_eq!(
            l.rows[0].cells,
            [
                Binding::Number,
                Binding::Number,
                Binding::Number,
                Binding::Text
            ]
        );
        assert_eq!(
            l.rows[2].cells[2],
            Binding::Blank,
            "the — cell takes nothing"
        );
        assert_eq!(l.column_name(0), "低保·户数");
    }

    /// A one-row header with no title above it, a 计量单位 column among the labels (its cells are
    /// units, not values), an indented 其中 row, kept as a .csv.
    #[test]
    fn a_plain_csv_form_with_a_unit_column_reads_too() {
        let csv = "序号,指标名称,计量单位,上半年,全年,说明\n\
                   1,实有人口,人,,,\n\
                   2,其中：流动人口,人,,,\n\
                   3,出租房屋,套,/,,\n";
        let tables = read(csv.as_bytes(), "报表.csv", &Limits::default()).unwrap();
        let l = layout(&tables).unwrap();
        assert_eq!(l.labels, 3, "{l:?}");
        assert_eq!(l.heads.len(), 1);
        assert_eq!(l.columns(), 3);
        assert_eq!(l.rows.len(), 3);
        assert_eq!(l.rows[1].labels[1], "其中：流动人口");
        assert_eq!(
            l.rows[2].cells,
            [Binding::Blank, Binding::Number, Binding::Text]
        );
        assert_eq!(l.column_name(1), "全年");
        assert_eq!(l.title, "报表", "no title row: the sheet's name");
    }

    #[test]
    fn a_sheet_without_a_header_is_refused() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write(0, 0, "只有一行字").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let tables = read(&bytes, "a.xlsx", &Limits::default()).unwrap();
        assert!(layout(&tables).is_err());
    }
}
