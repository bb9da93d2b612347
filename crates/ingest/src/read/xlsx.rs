//! xlsx through calamine's streaming cell reader. `worksheet_range` would size a grid from
//! the cells' positions, so one value at XFD1048576 would ask for 17 billion cells; streaming
//! lets the builder refuse that cell the moment it appears.

use std::collections::HashSet;
use std::io::Cursor;

use calamine::{Reader, Xlsx, XlsxError};

use super::merges::{SheetMerges, sheet_parts};
use super::sheet::{SheetBuilder, clip_merges, convert_ref};
use super::{Limits, ReadError, corrupt};
use crate::table::Table;

/// `merges`: what the archive check found in each worksheet part while inflating it.
pub(super) fn read(
    bytes: &[u8],
    file: &str,
    limits: &Limits,
    mut merges: SheetMerges,
) -> Result<Vec<Table>, ReadError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| error(file, e))?;
    let sheets = book.sheets_metadata().to_vec();
    if sheets.len() > limits.max_sheets {
        return Err(ReadError::TooManySheets {
            file: file.into(),
            count: sheets.len(),
            max: limits.max_sheets,
        });
    }
    let is_1904 = book.has_1904_epoch();
    let parts = sheet_parts(bytes).unwrap_or_default();
    let mut seen = HashSet::new();
    let mut tables = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        // calamine finds sheets by name, so a repeated name would read the first sheet again.
        if !seen.insert(sheet.name.clone()) {
            continue;
        }
        let mut builder = SheetBuilder::new(file, &sheet.name, limits);
        match book.worksheet_cells_reader(&sheet.name) {
            Ok(mut cells) => {
                while let Some(cell) = cells.next_cell().map_err(|e| error(file, e))? {
                    let (row, col) = cell.get_position();
                    builder.put(row, col, convert_ref(cell.get_value(), is_1904))?;
                }
            }
            // Chart sheets hold no cells; they stay in the list so sheet order matches Excel.
            Err(XlsxError::NotAWorksheet(_)) => {}
            Err(e) => return Err(error(file, e)),
        }
        let scanned = parts
            .get(&sheet.name)
            .and_then(|part| merges.remove(part))
            .filter(|scan| !scan.unreadable);
        let merges = match scanned {
            Some(scan) => clip_merges(scan.regions, limits),
            // Laid out in a way the scan doesn't follow: calamine parses the sheet again.
            None => {
                let found = book
                    .merge_cells_by_sheet_name(&sheet.name)
                    .map_err(|e| error(file, e))?;
                clip_merges(found.iter().map(|d| (d.start, d.end)), limits)
            }
        };
        tables.push(builder.finish(merges));
    }
    Ok(tables)
}

fn error(file: &str, e: XlsxError) -> ReadError {
    match e {
        XlsxError::Password => ReadError::Encrypted { file: file.into() },
        other => corrupt(file, other.to_string()),
    }
}
