//! .xlsx ledgers laid out the way Chinese offices print them: a merged title,
//! an optional note, a grey header row, bordered data, A4 landscape.
//!
//! Safety rules that every caller relies on:
//! - nothing here writes a formula; every text is a string cell, and text that
//!   a spreadsheet would read as a formula also gets the quote-prefix attribute
//!   so that it stays text even after someone edits the cell;
//! - long digit strings (ID and phone numbers) arrive as [`Cell::Text`] and stay
//!   text;
//! - the file records who exported it and when in its document properties.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::OfficeError;

/// Excel's rows per sheet.
const MAX_ROWS: usize = 1_048_576;
/// Excel's columns per sheet.
const MAX_COLUMNS: usize = 16_384;
/// Excel's characters per cell, counted in UTF-16 units as Excel does.
const MAX_TEXT_LEN: usize = 32_767;
/// Excel's sheet name length, counted in UTF-16 units as Excel does.
const MAX_SHEET_NAME_LEN: usize = 31;
/// Excel keeps 15 significant digits; a larger integer would come back altered.
const MAX_EXACT_INT: u64 = 999_999_999_999_999;
/// Excel's own default column width, used when a caller gives a useless one.
const DEFAULT_COLUMN_WIDTH: f64 = 8.43;
/// Excel rejects wider columns.
const MAX_COLUMN_WIDTH: f64 = 255.0;
/// Excel rejects taller rows.
const MAX_ROW_HEIGHT: f64 = 409.0;
/// Paper size code of A4 in the OOXML page setup.
const PAPER_A4: u8 = 9;
/// Excel header/footer codes: &C centre section, &P page, &N page count.
const FOOTER: &str = "&C第 &P 页 共 &N 页";

/// One cell of a data row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Always written as text, whatever it looks like: ID card numbers, phone
    /// numbers and house numbers belong here, not in [`Cell::Int`].
    Text(String),
    Int(i64),
    Number(f64),
    /// Written as a real date shown as yyyy-mm-dd.
    Date(NaiveDate),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::Text(s.clone())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<i32> for Cell {
    fn from(v: i32) -> Self {
        Cell::Int(i64::from(v))
    }
}

impl From<u32> for Cell {
    fn from(v: u32) -> Self {
        Cell::Int(i64::from(v))
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Number(v)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

/// Missing values (a resident without a phone, an unknown birth date) become
/// empty cells.
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// One column: its header text and its width in characters (Excel's unit; a
/// Chinese character takes about two).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub width: f64,
}

impl Column {
    pub fn new(header: impl Into<String>, width: f64) -> Self {
        Column {
            header: header.into(),
            width,
        }
    }
}

/// One sheet of a ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Tab name; sanitised and made unique by [`write`].
    pub name: String,
    /// Row 1, merged across all columns. Left out when empty.
    pub title: String,
    pub columns: Vec<Column>,
    /// Rows may be shorter than `columns` (the rest is empty) but not longer.
    pub rows: Vec<Vec<Cell>>,
    /// Row 2 when present, e.g. "截至 2026年11月22日 · 凤凰社区".
    pub note: Option<String>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, title: impl Into<String>, columns: Vec<Column>) -> Self {
        Sheet {
            name: name.into(),
            title: title.into(),
            columns,
            rows: Vec::new(),
            note: None,
        }
    }
}

/// Who exported the file and when: goes into the document properties, where
/// WPS/Excel/LibreOffice show it under 文件 → 属性.
#[derive(Debug, Clone, PartialEq)]
pub struct FileMeta {
    pub title: String,
    /// Who exported, e.g. "王五（网格员）". Also written as "last modified by".
    pub author: String,
    /// Stored as the creation and modification time (in UTC, as OOXML wants).
    pub created: DateTime<FixedOffset>,
    pub company: String,
    /// Stored as the description, e.g.
    /// "导出：王五 2026-11-22 09:30:00 +08:00，共 120 行，含个人信息，请妥善保管".
    pub comment: String,
}

/// Is this text something a spreadsheet would take as a formula (or, for
/// tab and carriage return, something CSV-style importers strip to reach one)?
pub fn looks_like_formula(s: &str) -> bool {
    // The full-width forms are included because Chinese input methods produce
    // them and Excel/WPS turn a typed "＝" into a formula when a cell is edited.
    matches!(
        s.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
    )
}

/// Makes a name Excel accepts as a sheet name: forbidden characters become
/// '_', it is cut to 31 characters, and it never starts or ends with an
/// apostrophe. A blank name becomes "Sheet1".
pub fn sanitize_sheet_name(name: &str) -> String {
    if name.trim().is_empty() {
        return "Sheet1".to_owned();
    }
    let replaced: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut out = truncate_utf16(&replaced, MAX_SHEET_NAME_LEN).to_owned();
    // Fixed after cutting, since cutting can expose an apostrophe at the end.
    if out.starts_with('\'') {
        out.replace_range(..1, "_");
    }
    if out.ends_with('\'') {
        out.replace_range(out.len() - 1.., "_");
    }
    // Excel reserves this name for its change-tracking sheet.
    if out.eq_ignore_ascii_case("history") {
        out.push('_');
    }
    out
}

/// Sanitises each name and makes them unique the way Excel compares them
/// (ignoring case), adding " (2)", " (3)"… within the 31-character limit.
/// Blank names become "Sheet1", "Sheet2"… by position.
pub fn unique_sheet_names<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::with_capacity(names.len());
    let mut out = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let name = name.as_ref();
        let base = if name.trim().is_empty() {
            format!("Sheet{}", index + 1)
        } else {
            sanitize_sheet_name(name)
        };
        let mut candidate = base.clone();
        let mut n = 2u32;
        while taken.contains(&candidate.to_lowercase()) {
            let suffix = format!(" ({n})");
            let room = MAX_SHEET_NAME_LEN.saturating_sub(utf16_len(&suffix));
            candidate = format!("{}{suffix}", truncate_utf16(&base, room));
            n += 1;
        }
        taken.push(candidate.to_lowercase());
        out.push(candidate);
    }
    out
}

/// One workbook with one or more sheets, as the bytes of an .xlsx file.
pub fn write(sheets: &[Sheet], meta: &FileMeta) -> Result<Vec<u8>, OfficeError> {
    if sheets.is_empty() {
        return Err(OfficeError::NoSheets);
    }
    // Checked before anything is written so a bad sheet fails fast and the
    // writing code below can rely on the limits.
    for sheet in sheets {
        validate(sheet)?;
    }

    let mut workbook = Workbook::new();
    let properties = DocProperties::new()
        .set_title(&meta.title)
        .set_author(&meta.author)
        .set_company(&meta.company)
        .set_comment(&meta.comment)
        // Without this the library stamps the current time, and the file would
        // no longer say when the export was made.
        .set_creation_datetime(&excel_datetime_utc(&meta.created)?);
    workbook.set_properties(&properties);

    let styles = Styles::new();
    let names = unique_sheet_names(&sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    for (sheet, name) in sheets.iter().zip(names) {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(name)?;
        write_sheet(worksheet, sheet, &styles)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn validate(sheet: &Sheet) -> Result<(), OfficeError> {
    let columns = sheet.columns.len();
    if columns == 0 {
        return Err(OfficeError::NoColumns {
            sheet: sheet.name.clone(),
        });
    }
    if columns > MAX_COLUMNS {
        return Err(OfficeError::TooManyColumns {
            sheet: sheet.name.clone(),
            columns,
            max: MAX_COLUMNS,
        });
    }
    let max_rows = MAX_ROWS - header_row(sheet) as usize - 1;
    if sheet.rows.len() > max_rows {
        return Err(OfficeError::TooManyRows {
            sheet: sheet.name.clone(),
            rows: sheet.rows.len(),
            max: max_rows,
        });
    }
    for (index, row) in sheet.rows.iter().enumerate() {
        validate_row(&sheet.name, &sheet.columns, index + 1, row)?;
    }
    Ok(())
}

/// A data row (numbered from 1) fits its sheet's columns and Excel's limits.
fn validate_row(
    sheet: &str,
    columns: &[Column],
    row: usize,
    cells: &[Cell],
) -> Result<(), OfficeError> {
    if cells.len() > columns.len() {
        return Err(OfficeError::RowTooWide {
            sheet: sheet.to_string(),
            row,
            cells: cells.len(),
            columns: columns.len(),
        });
    }
    for (cell, column) in cells.iter().zip(columns) {
        match cell {
            Cell::Text(text) => {
                let len = utf16_len(text);
                if len > MAX_TEXT_LEN {
                    return Err(OfficeError::TextTooLong {
                        sheet: sheet.to_string(),
                        row,
                        column: column.header.clone(),
                        len,
                        max: MAX_TEXT_LEN,
                    });
                }
            }
            // The writer would store "NAN"/"INF" as text, silently turning a
            // bug upstream into a plausible-looking ledger entry.
            Cell::Number(value) if !value.is_finite() => {
                return Err(OfficeError::NotFinite {
                    sheet: sheet.to_string(),
                    row,
                    column: column.header.clone(),
                    value: *value,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Zero-based row of the column headers: after the title and the note, when
/// present.
fn header_row(sheet: &Sheet) -> u32 {
    u32::from(!sheet.title.is_empty()) + u32::from(note(sheet).is_some())
}

fn note(sheet: &Sheet) -> Option<&str> {
    sheet.note.as_deref().filter(|n| !n.is_empty())
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, styles: &Styles) -> Result<(), OfficeError> {
    // validate() bounded the column count by MAX_COLUMNS, which fits in u16.
    let last_col = u16::try_from(sheet.columns.len() - 1).map_err(|_| too_many_columns(sheet))?;
    let header = write_head(ws, sheet, last_col, styles)?;
    for (data_row, cells) in (header + 1..).zip(&sheet.rows) {
        write_row(ws, data_row, sheet.columns.len(), cells, styles)?;
    }
    Ok(())
}

/// The title, the note, the header row and the page setup of a sheet (its rows are ignored):
/// returns the header's row.
fn write_head(
    ws: &mut Worksheet,
    sheet: &Sheet,
    last_col: u16,
    styles: &Styles,
) -> Result<u32, OfficeError> {
    let mut row = 0u32;
    if !sheet.title.is_empty() {
        let format = styles.title.pick(&sheet.title);
        merged(ws, row, last_col, &sheet.title, format)?;
        // The 16pt title would be clipped in a default-height row.
        ws.set_row_height(row, 28)?;
        row += 1;
    }
    if let Some(text) = note(sheet) {
        merged(ws, row, last_col, text, styles.note.pick(text))?;
        row += 1;
    }

    let header = row;
    let mut header_lines = 1usize;
    for (col, column) in (0u16..).zip(&sheet.columns) {
        let width = column_width(column.width);
        ws.set_column_width(col, width)?;
        ws.write_string_with_format(
            header,
            col,
            &column.header,
            styles.header.pick(&column.header),
        )?;
        header_lines = header_lines.max(estimated_lines(&column.header, width));
    }
    // Excel does not grow rows on open, so a wrapped header needs its height
    // set here or its second line is hidden.
    let header_height = (15.0 * header_lines as f64 + 4.0).min(MAX_ROW_HEIGHT);
    ws.set_row_height(header, header_height)?;

    ws.set_freeze_panes(header + 1, 0)?;
    ws.set_repeat_rows(header, header)?;
    ws.set_paper_size(PAPER_A4);
    ws.set_landscape();
    // Height 0 means "as many pages as needed": only the width is fitted.
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_footer(FOOTER);
    Ok(header)
}

/// One data row, every column written (a missing cell as a bordered blank).
fn write_row(
    ws: &mut Worksheet,
    row: u32,
    columns: usize,
    cells: &[Cell],
    styles: &Styles,
) -> Result<(), OfficeError> {
    for (col, i) in (0u16..).zip(0..columns) {
        let cell = cells.get(i).unwrap_or(&Cell::Empty);
        write_cell(ws, row, col, cell, styles)?;
    }
    Ok(())
}

fn too_many_columns(sheet: &Sheet) -> OfficeError {
    OfficeError::TooManyColumns {
        sheet: sheet.name.clone(),
        columns: sheet.columns.len(),
        max: MAX_COLUMNS,
    }
}

fn merged(
    ws: &mut Worksheet,
    row: u32,
    last_col: u16,
    text: &str,
    format: &Format,
) -> Result<(), OfficeError> {
    // The writer refuses to merge a single cell.
    if last_col == 0 {
        ws.write_string_with_format(row, 0, text, format)?;
    } else {
        ws.merge_range(row, 0, row, last_col, text, format)?;
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    styles: &Styles,
) -> Result<(), OfficeError> {
    match cell {
        // Written (not skipped) so the grid of borders has no holes.
        Cell::Empty => {
            ws.write_blank(row, col, &styles.blank)?;
        }
        Cell::Text(text) => {
            ws.write_string_with_format(row, col, text, styles.text.pick(text))?;
        }
        Cell::Int(value) if value.unsigned_abs() > MAX_EXACT_INT => {
            let text = value.to_string();
            ws.write_string_with_format(row, col, &text, styles.text.pick(&text))?;
        }
        Cell::Int(value) => {
            // Exact: |value| <= MAX_EXACT_INT < 2^53.
            ws.write_number_with_format(row, col, *value as f64, &styles.int)?;
        }
        Cell::Number(value) => {
            ws.write_number_with_format(row, col, *value, &styles.number)?;
        }
        Cell::Date(date) => match excel_date(date) {
            Some(excel) => {
                ws.write_datetime_with_format(row, col, &excel, &styles.date)?;
            }
            // Excel has no dates before 1900; text keeps the value readable
            // instead of failing the whole export over one old record.
            None => {
                let text = date.format("%Y-%m-%d").to_string();
                ws.write_string_with_format(row, col, &text, styles.text.pick(&text))?;
            }
        },
    }
    Ok(())
}

fn excel_date(date: &NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(date.year()).ok()?;
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

fn excel_datetime_utc(time: &DateTime<FixedOffset>) -> Result<ExcelDateTime, OfficeError> {
    let utc = time.with_timezone(&Utc);
    let out_of_range = || OfficeError::CreatedOutOfRange(time.to_rfc3339());
    let date = excel_date(&utc.date_naive()).ok_or_else(out_of_range)?;
    let hour = u16::try_from(utc.hour()).map_err(|_| out_of_range())?;
    let minute = u8::try_from(utc.minute()).map_err(|_| out_of_range())?;
    let second = u8::try_from(utc.second()).map_err(|_| out_of_range())?;
    date.and_hms(hour, minute, second)
        .map_err(|_| out_of_range())
}

fn column_width(width: f64) -> f64 {
    if width.is_finite() && width > 0.0 {
        width.min(MAX_COLUMN_WIDTH)
    } else {
        DEFAULT_COLUMN_WIDTH
    }
}

/// Rough number of lines a wrapped header needs in a column of this width.
fn estimated_lines(text: &str, width: f64) -> usize {
    // One character of the width goes to cell padding.
    let usable = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| {
            let needed = line.chars().map(char_width).sum::<usize>() as f64;
            ((needed / usable).ceil() as usize).max(1)
        })
        .sum()
}

/// A text's width in Excel character units.
fn estimated_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Width in Excel character units: CJK and full-width characters take two.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `s` that is at most `max` UTF-16 units, cut between
/// characters.
fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (index, c) in s.char_indices() {
        used += c.len_utf16();
        if used > max {
            return &s[..index];
        }
    }
    s
}

/// A format and its quote-prefixed twin, for text that looks like a formula.
struct TextStyle {
    plain: Format,
    quoted: Format,
}

impl TextStyle {
    fn new(plain: Format) -> Self {
        let quoted = plain.clone().set_quote_prefix();
        TextStyle { plain, quoted }
    }

    fn pick(&self, text: &str) -> &Format {
        if looks_like_formula(text) {
            &self.quoted
        } else {
            &self.plain
        }
    }
}

struct Styles {
    title: TextStyle,
    note: TextStyle,
    header: TextStyle,
    /// A heading row between groups of rows (a street's ledger, community by community).
    group: TextStyle,
    text: TextStyle,
    int: Format,
    number: Format,
    date: Format,
    blank: Format,
}

impl Styles {
    fn new() -> Self {
        let centred = Format::new()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        let cell = Format::new()
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        Styles {
            title: TextStyle::new(centred.clone().set_bold().set_font_size(16)),
            note: TextStyle::new(
                Format::new()
                    .set_align(FormatAlign::Left)
                    .set_align(FormatAlign::VerticalCenter),
            ),
            header: TextStyle::new(
                centred
                    .set_bold()
                    .set_text_wrap()
                    .set_border(FormatBorder::Thin)
                    .set_background_color(Color::RGB(0xD9_D9_D9)),
            ),
            group: TextStyle::new(
                cell.clone()
                    .set_bold()
                    .set_background_color(Color::RGB(0xF2_F2_F2)),
            ),
            // Text ("@") keeps an edited ID or phone number text instead of
            // letting the spreadsheet turn it into 1.10105E+17. Built-in ids
            // (49 "@", 1 "0") because the writer would otherwise declare them
            // as custom formats, which some readers list as "自定义".
            text: TextStyle::new(cell.clone().set_num_format_index(49)),
            // "0" rather than General so a 12-digit count is not shown in
            // scientific notation.
            int: cell.clone().set_num_format_index(1),
            number: cell.clone(),
            date: cell.clone().set_num_format("yyyy-mm-dd"),
            blank: cell,
        }
    }
}

mod form;
mod stream;
pub use form::{FormSheet, write_form};
pub use stream::Streamed;

#[cfg(test)]
mod tests;
