//! A workbook written a row at a time, for ledgers too long to hold: each sheet's rows go to
//! a temporary file as they are written ("constant memory" mode), in the same layout as
//! [`super::write`] (title, note, grey header repeated on every page, bordered cells, A4
//! landscape, page numbers) and under the same safety rules (text stays text, nothing
//! becomes a formula).

use std::io::{Seek, Write};

use rust_xlsxwriter::{DocProperties, Workbook};

use super::{
    Cell, Column, FileMeta, MAX_COLUMNS, MAX_ROWS, Sheet, Styles, excel_datetime_utc, merged,
    unique_sheet_names, validate_row, write_head, write_row,
};
use crate::OfficeError;

/// A workbook under way: [`Streamed::sheet`] starts a sheet, [`Streamed::row`] adds to the
/// last one, [`Streamed::finish`] writes the file.
pub struct Streamed {
    workbook: Workbook,
    styles: Styles,
    names: Vec<String>,
    /// The sheet being written: its name, columns, and next row.
    current: Option<(String, Vec<Column>, u32)>,
    /// Data rows written to the current sheet.
    rows: usize,
}

impl Streamed {
    pub fn new(meta: &FileMeta) -> Result<Streamed, OfficeError> {
        let mut workbook = Workbook::new();
        let properties = DocProperties::new()
            .set_title(&meta.title)
            .set_author(&meta.author)
            .set_company(&meta.company)
            .set_comment(&meta.comment)
            .set_creation_datetime(&excel_datetime_utc(&meta.created)?);
        workbook.set_properties(&properties);
        // The fastest deflate: a long ledger spends most of its time compressing, and a file
        // somewhat larger is the better trade for a download made while someone waits.
        workbook.set_zip_compression_level(1);
        Ok(Streamed {
            workbook,
            styles: Styles::new(),
            names: Vec::new(),
            current: None,
            rows: 0,
        })
    }

    /// Starts a sheet: title, note and header are written now, rows follow.
    pub fn sheet(
        &mut self,
        name: &str,
        title: &str,
        note: Option<String>,
        columns: Vec<Column>,
    ) -> Result<(), OfficeError> {
        let head = Sheet {
            name: name.to_string(),
            title: title.to_string(),
            columns,
            rows: Vec::new(),
            note,
        };
        if head.columns.is_empty() {
            return Err(OfficeError::NoColumns { sheet: head.name });
        }
        if head.columns.len() > MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns {
                sheet: head.name,
                columns: head.columns.len(),
                max: MAX_COLUMNS,
            });
        }
        self.names.push(name.to_string());
        let unique = unique_sheet_names(&self.names)
            .pop()
            .unwrap_or_else(|| "Sheet1".to_string());
        let last_col =
            u16::try_from(head.columns.len() - 1).map_err(|_| OfficeError::TooManyColumns {
                sheet: head.name.clone(),
                columns: head.columns.len(),
                max: MAX_COLUMNS,
            })?;
        let ws = self.workbook.add_worksheet_with_constant_memory()?;
        ws.set_name(&unique)?;
        let header = write_head(ws, &head, last_col, &self.styles)?;
        self.current = Some((head.name, head.columns, header + 1));
        self.rows = 0;
        Ok(())
    }

    /// A heading row across the sheet, between groups of rows.
    pub fn group(&mut self, text: &str) -> Result<(), OfficeError> {
        let (name, columns, row) = self.current.as_mut().ok_or(OfficeError::NoSheets)?;
        if *row as usize >= MAX_ROWS {
            return Err(too_many_rows(name, self.rows));
        }
        let last_col = u16::try_from(columns.len() - 1).unwrap_or(0);
        let index = self.names.len() - 1;
        let ws = self.workbook.worksheet_from_index(index)?;
        merged(ws, *row, last_col, text, self.styles.group.pick(text))?;
        *row += 1;
        Ok(())
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), OfficeError> {
        let (name, columns, row) = self.current.as_mut().ok_or(OfficeError::NoSheets)?;
        if *row as usize >= MAX_ROWS {
            return Err(too_many_rows(name, self.rows));
        }
        validate_row(name, columns, self.rows + 1, cells)?;
        let index = self.names.len() - 1;
        let ws = self.workbook.worksheet_from_index(index)?;
        write_row(ws, *row, columns.len(), cells, &self.styles)?;
        *row += 1;
        self.rows += 1;
        Ok(())
    }

    /// Writes the .xlsx to `out`.
    pub fn finish<W: Write + Seek + Send>(mut self, out: W) -> Result<(), OfficeError> {
        if self.names.is_empty() {
            return Err(OfficeError::NoSheets);
        }
        self.workbook.save_to_writer(out)?;
        Ok(())
    }
}

fn too_many_rows(sheet: &str, rows: usize) -> OfficeError {
    OfficeError::TooManyRows {
        sheet: sheet.to_string(),
        rows: rows + 1,
        max: MAX_ROWS,
    }
}
