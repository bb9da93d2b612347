//! A 一表通 form written back in its own layout: the title, a note (who fills it in, the
//! period), the header rows with equal neighbouring texts merged as the street drew them, the
//! rows with their labels; A4, the header repeated on every page. Further sheets (who has
//! submitted) follow in the ledger layout.

use rust_xlsxwriter::{DocProperties, Workbook, Worksheet};

use super::{
    Cell, FileMeta, PAPER_A4, Sheet, Styles, excel_datetime_utc, merged, unique_sheet_names,
    validate, validate_row, write_cell, write_sheet,
};
use crate::OfficeError;

/// One form as laid out on paper.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSheet {
    pub name: String,
    pub title: String,
    pub note: Option<String>,
    /// Header rows, each as wide as the form.
    pub heads: Vec<Vec<String>>,
    /// Rows: the labels, then the values.
    pub rows: Vec<Vec<Cell>>,
}

/// The form, then `after` (in the ledger layout), as the bytes of an .xlsx file.
pub fn write_form(
    form: &FormSheet,
    after: &[Sheet],
    meta: &FileMeta,
) -> Result<Vec<u8>, OfficeError> {
    let width = form.heads.iter().map(Vec::len).max().unwrap_or(0);
    let columns: Vec<super::Column> = (0..width)
        .map(|c| super::Column::new(column_title(form, c), 12.0))
        .collect();
    if columns.is_empty() {
        return Err(OfficeError::NoColumns {
            sheet: form.name.clone(),
        });
    }
    for (i, row) in form.rows.iter().enumerate() {
        validate_row(&form.name, &columns, i + 1, row)?;
    }
    for sheet in after {
        validate(sheet)?;
    }
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&meta.title)
            .set_author(&meta.author)
            .set_company(&meta.company)
            .set_comment(&meta.comment)
            .set_creation_datetime(&excel_datetime_utc(&meta.created)?),
    );
    let styles = Styles::new();
    let mut names = vec![form.name.as_str()];
    names.extend(after.iter().map(|s| s.name.as_str()));
    let names = unique_sheet_names(&names);
    let ws = workbook.add_worksheet();
    ws.set_name(&names[0])?;
    write_form_sheet(ws, form, width, &styles)?;
    for (sheet, name) in after.iter().zip(names.iter().skip(1)) {
        let ws = workbook.add_worksheet();
        ws.set_name(name)?;
        write_sheet(ws, sheet, &styles)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The last header text of a column, for messages about its cells.
fn column_title(form: &FormSheet, c: usize) -> String {
    form.heads
        .iter()
        .rev()
        .find_map(|h| h.get(c).filter(|t| !t.is_empty()).cloned())
        .unwrap_or_default()
}

fn write_form_sheet(
    ws: &mut Worksheet,
    form: &FormSheet,
    width: usize,
    styles: &Styles,
) -> Result<(), OfficeError> {
    let last_col = u16::try_from(width.saturating_sub(1)).map_err(|_| OfficeError::NoColumns {
        sheet: form.name.clone(),
    })?;
    let mut row = 0u32;
    if !form.title.is_empty() {
        merged(
            ws,
            row,
            last_col,
            &form.title,
            styles.title.pick(&form.title),
        )?;
        ws.set_row_height(row, 28)?;
        row += 1;
    }
    if let Some(note) = form.note.as_deref().filter(|n| !n.is_empty()) {
        merged(ws, row, last_col, note, styles.note.pick(note))?;
        row += 1;
    }
    let first_head = row;
    for (region, text) in regions(&form.heads, width) {
        let (r0, c0, r1, c1) = region;
        let format = styles.header.pick(text);
        let (top, bottom) = (first_head + r0 as u32, first_head + r1 as u32);
        let (left, right) = (c0 as u16, c1 as u16);
        if (r0, c0) == (r1, c1) {
            ws.write_string_with_format(top, left, text, format)?;
        } else {
            ws.merge_range(top, left, bottom, right, text, format)?;
        }
    }
    row += form.heads.len() as u32;
    for (col, c) in (0u16..).zip(0..width) {
        let longest = form
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|cell| match cell {
                Cell::Text(t) => super::estimated_width(t),
                _ => 10,
            })
            .chain(
                form.heads
                    .iter()
                    .filter_map(|h| h.get(c))
                    .map(|t| super::estimated_width(t) / 2),
            )
            .max()
            .unwrap_or(8);
        ws.set_column_width(col, (longest as f64 + 2.0).clamp(8.0, 40.0))?;
    }
    for cells in &form.rows {
        for (col, c) in (0u16..).zip(0..width) {
            write_cell(ws, row, col, cells.get(c).unwrap_or(&Cell::Empty), styles)?;
        }
        row += 1;
    }
    if !form.heads.is_empty() {
        let last_head = first_head + form.heads.len() as u32 - 1;
        ws.set_repeat_rows(first_head, last_head)?;
        ws.set_freeze_panes(last_head + 1, 0)?;
    }
    ws.set_paper_size(PAPER_A4);
    if width > 8 {
        ws.set_landscape();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_footer(super::FOOTER);
    Ok(())
}

/// (first row, first column, last row, last column) and the text of each header cell, equal
/// neighbours taken together: rightwards first, then down while the whole span repeats.
type Region = (usize, usize, usize, usize);

fn regions(heads: &[Vec<String>], width: usize) -> Vec<(Region, &str)> {
    let at = |r: usize, c: usize| {
        heads
            .get(r)
            .and_then(|h| h.get(c))
            .map_or("", String::as_str)
    };
    let mut taken = vec![vec![false; width]; heads.len()];
    let mut out = Vec::new();
    for r in 0..heads.len() {
        for c in 0..width {
            if taken[r][c] {
                continue;
            }
            let text = at(r, c);
            let mut c1 = c;
            while !text.is_empty() && c1 + 1 < width && !taken[r][c1 + 1] && at(r, c1 + 1) == text {
                c1 += 1;
            }
            let mut r1 = r;
            while !text.is_empty()
                && r1 + 1 < heads.len()
                && (c..=c1).all(|k| !taken[r1 + 1][k] && at(r1 + 1, k) == text)
                // The span below must not carry on beyond it (a wider run of the same text).
                && (c == 0 || at(r1 + 1, c - 1) != text)
                && (c1 + 1 >= width || at(r1 + 1, c1 + 1) != text)
            {
                r1 += 1;
            }
            for row in taken.iter_mut().take(r1 + 1).skip(r) {
                for cell in row.iter_mut().take(c1 + 1).skip(c) {
                    *cell = true;
                }
            }
            out.push(((r, c, r1, c1), text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads() -> Vec<Vec<String>> {
        [
            ["序号", "项目", "低保", "低保", "备注"],
            ["序号", "项目", "户数", "人数", "备注"],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
    }

    #[test]
    fn equal_neighbours_become_one_merged_cell() {
        let h = heads();
        let got: Vec<(Region, &str)> = regions(&h, 5);
        assert_eq!(
            got,
            vec![
                ((0, 0, 1, 0), "序号"),
                ((0, 1, 1, 1), "项目"),
                ((0, 2, 0, 3), "低保"),
                ((0, 4, 1, 4), "备注"),
                ((1, 2, 1, 2), "户数"),
                ((1, 3, 1, 3), "人数"),
            ]
        );
    }
}
