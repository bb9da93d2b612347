//! .xls (BIFF in an OLE2 compound file). calamine parses every sheet of an xls up front and
//! lays each out as a dense grid spanning its cells' positions; it also reserves memory from
//! the sheet's DIMENSIONS record and slices the stream at offsets the file names. A few
//! hundred crafted bytes can therefore make it ask for terabytes (an abort, not a panic).
//!
//! So the workbook stream is taken out of the container with the `cfb` crate, scanned record
//! by record the way calamine will walk it, and only when every position, offset and size is
//! within bounds is it put into a fresh, well-formed container for calamine to read. calamine
//! then sees exactly the bytes that were checked.

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};

use calamine::{Reader, Xls, XlsError};

use super::sheet::{SheetBuilder, clip_merges, convert, is_far, row_cap, too_far};
use super::{Limits, LooksLike, ReadError, corrupt};
use crate::table::Table;

/// Cells calamine may lay out, summed over all sheets' value and formula grids (a sheet with
/// one value in A1 and one in IV65536 is a 16.7-million-cell grid). About 450 MB at worst.
const MAX_GRID_CELLS: u64 = 8_000_000;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const BOUNDSHEET: u16 = 0x0085;
const FILEPASS: u16 = 0x002F;
const CODEPAGE: u16 = 0x0042;
const DATEMODE: u16 = 0x0022;
const MERGECELLS: u16 = 0x00E5;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const FORMULA_STRING: u16 = 0x0207;
const MULRK: u16 = 0x00BD;
/// NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST: records calamine turns into one cell.
const SINGLE_CELLS: [u16; 6] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];

pub(super) fn read(bytes: &[u8], file: &str, limits: &Limits) -> Result<Vec<Table>, ReadError> {
    let stream = workbook_stream(bytes, file)?;
    scan(&stream, file, limits)?;
    let container = repack(&stream, file)?;
    let mut book = Xls::new(Cursor::new(container)).map_err(|e| error(file, e))?;
    let sheets = book.sheets_metadata().to_vec();
    if sheets.len() > limits.max_sheets {
        return Err(ReadError::TooManySheets {
            file: file.into(),
            count: sheets.len(),
            max: limits.max_sheets,
        });
    }
    let is_1904 = book.has_1904_epoch();
    let mut seen = HashSet::new();
    let mut tables = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        // calamine keys sheets by name: a repeated name holds only the last sheet's cells.
        if !seen.insert(sheet.name.clone()) {
            continue;
        }
        let range = book
            .worksheet_range(&sheet.name)
            .map_err(|e| error(file, e))?;
        let mut builder = SheetBuilder::new(file, &sheet.name, limits);
        if let (Some((row0, col0)), Some((row1, col1))) = (range.start(), range.end()) {
            // The scan has bounded every position already; this keeps the loop below honest
            // should calamine ever place cells differently.
            if is_far(limits, row1, col1) {
                return Err(too_far(file, &sheet.name, limits, row1, col1));
            }
            for (r, c, value) in range.used_cells() {
                let row = u32::try_from(r)
                    .ok()
                    .and_then(|r| row0.checked_add(r))
                    .unwrap_or(u32::MAX);
                let col = u32::try_from(c)
                    .ok()
                    .and_then(|c| col0.checked_add(c))
                    .unwrap_or(u32::MAX);
                builder.put(row, col, convert(value, is_1904))?;
            }
        }
        let merges = book
            .merge_cells_by_sheet_name(&sheet.name)
            .map_err(|e| error(file, e))?;
        let merges = clip_merges(merges.iter().map(|d| (d.start, d.end)), limits);
        tables.push(builder.finish(merges));
    }
    Ok(tables)
}

/// The BIFF stream, or a precise refusal for the other things that live in OLE2 files.
fn workbook_stream(bytes: &[u8], file: &str) -> Result<Vec<u8>, ReadError> {
    let mut container = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| corrupt(file, format!("OLE 复合文档结构无法读取：{e}")))?;
    if container.is_stream("/EncryptedPackage") {
        // Excel stores a password-protected .xlsx this way.
        return Err(ReadError::Encrypted { file: file.into() });
    }
    let Some(path) = ["/Workbook", "/Book"]
        .into_iter()
        .find(|path| container.is_stream(path))
    else {
        let looks_like = if container.is_stream("/WordDocument") {
            LooksLike::Word
        } else {
            LooksLike::OfficeOther
        };
        return Err(ReadError::NotASpreadsheet {
            file: file.into(),
            looks_like,
        });
    };
    let stream = container
        .open_stream(path)
        .map_err(|e| corrupt(file, format!("工作簿数据无法读取：{e}")))?;
    // A stream cannot be larger than the file holding it; a looping sector chain could
    // otherwise repeat the same sectors for as long as the declared length says.
    let limit = bytes.len() as u64;
    if stream.len() > limit {
        return Err(corrupt(file, "工作簿数据长度超出文件本身"));
    }
    let mut data = Vec::new();
    stream
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| corrupt(file, format!("工作簿数据无法读取：{e}")))?;
    Ok(data)
}

/// A container holding nothing but the checked stream.
fn repack(stream: &[u8], file: &str) -> Result<Vec<u8>, ReadError> {
    let fail = |e: std::io::Error| corrupt(file, format!("工作簿数据无法重新打包：{e}"));
    let mut container = cfb::CompoundFile::create(Cursor::new(Vec::new())).map_err(fail)?;
    {
        let mut out = container.create_stream("/Workbook").map_err(fail)?;
        out.write_all(stream).map_err(fail)?;
        out.flush().map_err(fail)?;
    }
    container.flush().map_err(fail)?;
    Ok(container.into_inner().into_inner())
}

struct Record<'a> {
    typ: u16,
    data: &'a [u8],
}

/// Walks records exactly as calamine's iterator does, CONTINUE records included, and keeps
/// count of the bytes it passed.
struct Records<'a> {
    rest: &'a [u8],
    consumed: usize,
}

impl<'a> Records<'a> {
    fn new(stream: &'a [u8]) -> Self {
        Records {
            rest: stream,
            consumed: 0,
        }
    }

    fn take(&mut self) -> Option<(u16, &'a [u8])> {
        let typ = read_u16(self.rest, 0)?;
        let len = usize::from(read_u16(self.rest, 2)?);
        let data = self.rest.get(4..4 + len)?;
        self.rest = self.rest.get(4 + len..)?;
        self.consumed += 4 + len;
        Some((typ, data))
    }

    /// `None` at the end of the stream, `Some(Err)` where calamine would fail too.
    fn next_record(&mut self) -> Option<Result<Record<'a>, ()>> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((typ, data)) = self.take() else {
            return Some(Err(()));
        };
        // calamine's condition, including the strict `> 4`.
        if self.rest.len() > 4 && read_u16(self.rest, 0) == Some(CONTINUE) {
            while self.rest.len() > 4 && read_u16(self.rest, 0) == Some(CONTINUE) {
                if self.take().is_none() {
                    return Some(Err(()));
                }
            }
        }
        Some(Ok(Record { typ, data }))
    }
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The rows and columns a set of cells spans, as calamine would size its grid.
#[derive(Default)]
struct Extent {
    bounds: Option<(u32, u32, u32, u32)>,
}

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        self.bounds = Some(match self.bounds {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
    }

    fn cells(&self) -> u64 {
        self.bounds.map_or(0, |(r0, c0, r1, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        })
    }

    fn far_corner(&self) -> (u32, u32) {
        self.bounds.map_or((0, 0), |(_, _, r1, c1)| (r1, c1))
    }
}

/// Checks everything calamine will size or index from the file before it sees any of it.
fn scan(stream: &[u8], file: &str, limits: &Limits) -> Result<(), ReadError> {
    let broken = || corrupt(file, "工作簿记录结构不完整");
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut records = Records::new(stream);
    while let Some(record) = records.next_record() {
        let record = record.map_err(|()| broken())?;
        // calamine reads a u16 from these without looking at their length.
        if [BOF, CODEPAGE, DATEMODE, FILEPASS].contains(&record.typ) && record.data.len() < 2 {
            return Err(broken());
        }
        match record.typ {
            FILEPASS if read_u16(record.data, 0).is_some_and(|v| v != 0) => {
                return Err(ReadError::Encrypted { file: file.into() });
            }
            BOUNDSHEET => {
                let pos = read_u32(record.data, 0).ok_or_else(broken)?;
                if record.data.len() < 6 {
                    return Err(broken());
                }
                sheets.push((pos as usize, sheet_label(record.data, sheets.len())));
            }
            EOF => break,
            _ => {}
        }
    }
    if sheets.len() > limits.max_sheets {
        return Err(ReadError::TooManySheets {
            file: file.into(),
            count: sheets.len(),
            max: limits.max_sheets,
        });
    }

    let mut grid_cells: u64 = 0;
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(sheets.len());
    for (pos, sheet) in &sheets {
        let substream = stream
            .get(*pos..)
            .ok_or_else(|| corrupt(file, format!("工作表“{sheet}”的数据位置超出文件")))?;
        let mut values = Extent::default();
        let mut formulas = Extent::default();
        let mut records = Records::new(substream);
        let mut seen_bof = false;
        let mut depth = 0usize;
        let mut formula_pos = (0u32, 0u32);
        let far = |row: u32, col: u32| too_far(file, sheet, limits, row, col);
        while let Some(record) = records.next_record() {
            let Ok(record) = record else {
                // calamine stops with an error here; so do we.
                return Err(broken());
            };
            // Charts embedded in a sheet have their own BOF..EOF and cell-like records,
            // which calamine skips; so must the scan.
            if depth > 0 {
                match record.typ {
                    BOF => depth += 1,
                    EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let data = record.data;
            match record.typ {
                BOF if seen_bof => depth += 1,
                BOF => seen_bof = true,
                EOF => break,
                DIMENSIONS => {
                    let Some((rows, cols, last)) = dimensions(data) else {
                        return Err(corrupt(file, format!("工作表“{sheet}”的尺寸记录异常")));
                    };
                    if rows > u64::from(row_cap(limits)) || cols > u64::from(limits.max_cols) {
                        return Err(far(last.0, last.1));
                    }
                }
                FORMULA => {
                    if let (Some(row), Some(col)) = (read_u16(data, 0), read_u16(data, 2)) {
                        formula_pos = (u32::from(row), u32::from(col));
                        check_cell(limits, formula_pos).map_err(|(r, c)| far(r, c))?;
                        values.add(formula_pos.0, formula_pos.1);
                        formulas.add(formula_pos.0, formula_pos.1);
                    }
                }
                FORMULA_STRING => values.add(formula_pos.0, formula_pos.1),
                // calamine indexes the regions by the count the record gives.
                MERGECELLS => {
                    let count = usize::from(read_u16(data, 0).unwrap_or(u16::MAX));
                    if data.len() < 2 + 8 * count {
                        return Err(corrupt(
                            file,
                            format!("工作表“{sheet}”的合并单元格记录异常"),
                        ));
                    }
                }
                MULRK if data.len() >= 6 => {
                    let (Some(row), Some(first), Some(last)) = (
                        read_u16(data, 0),
                        read_u16(data, 2),
                        read_u16(data, data.len() - 2),
                    ) else {
                        continue;
                    };
                    if last < first {
                        return Err(corrupt(file, format!("工作表“{sheet}”的数字记录异常")));
                    }
                    for col in [first, last] {
                        let pos = (u32::from(row), u32::from(col));
                        check_cell(limits, pos).map_err(|(r, c)| far(r, c))?;
                        values.add(pos.0, pos.1);
                    }
                }
                typ if SINGLE_CELLS.contains(&typ) => {
                    if let (Some(row), Some(col)) = (read_u16(data, 0), read_u16(data, 2)) {
                        let pos = (u32::from(row), u32::from(col));
                        check_cell(limits, pos).map_err(|(r, c)| far(r, c))?;
                        values.add(pos.0, pos.1);
                    }
                }
                _ => {}
            }
        }
        spans.push((*pos, pos.saturating_add(records.consumed)));
        grid_cells = grid_cells
            .saturating_add(values.cells())
            .saturating_add(formulas.cells());
        if grid_cells > MAX_GRID_CELLS {
            let (row, col) = values.far_corner();
            return Err(far(row, col));
        }
    }
    // Sheets of a real workbook do not overlap; overlapping ones would let a small stream be
    // parsed (and laid out) once per sheet that points into it.
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(corrupt(file, "工作表数据互相重叠"));
    }
    Ok(())
}

fn check_cell(limits: &Limits, (row, col): (u32, u32)) -> Result<(), (u32, u32)> {
    if is_far(limits, row, col) {
        Err((row, col))
    } else {
        Ok(())
    }
}

/// The rows and columns calamine will reserve from a DIMENSIONS record, and its last cell;
/// `None` where calamine's arithmetic would underflow.
fn dimensions(data: &[u8]) -> Option<(u64, u64, (u32, u32))> {
    let (first_row, end_row, mut first_col, end_col) = match data.len() {
        10 => (
            u32::from(read_u16(data, 0)?),
            u32::from(read_u16(data, 2)?),
            u32::from(read_u16(data, 4)?),
            u32::from(read_u16(data, 6)?),
        ),
        14 | 16 => (
            read_u32(data, 0)?,
            read_u32(data, 4)?,
            u32::from(read_u16(data, 8)?),
            u32::from(read_u16(data, 10)?),
        ),
        // calamine refuses other lengths itself.
        _ => return Some((0, 0, (0, 0))),
    };
    if first_col > 0xFF || end_col < first_col {
        first_col = 0;
    }
    let (start, end) = if end_row >= 1 && end_col >= 1 {
        ((first_row, first_col), (end_row - 1, end_col - 1))
    } else {
        ((first_row, first_col), (first_row, first_col))
    };
    let rows = u64::from(end.0.checked_sub(start.0)?) + 1;
    let cols = u64::from(end.1.checked_sub(start.1)?) + 1;
    Some((rows, cols, end))
}

/// A name for messages about a sheet before calamine has decoded it; good enough for the
/// 8-bit names of old files, positional otherwise.
fn sheet_label(data: &[u8], index: usize) -> String {
    let fallback = || format!("第 {} 个工作表", index + 1);
    let (Some(&len), Some(&high_byte)) = (data.get(6), data.get(7)) else {
        return fallback();
    };
    let len = usize::from(len);
    if high_byte & 1 == 1 {
        let Some(raw) = data.get(8..8 + 2 * len) else {
            return fallback();
        };
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        String::from_utf16(&units).unwrap_or_else(|_| fallback())
    } else {
        match data.get(8..8 + len) {
            Some(raw) if raw.is_ascii() => String::from_utf8_lossy(raw).into_owned(),
            _ => fallback(),
        }
    }
}

fn error(file: &str, e: XlsError) -> ReadError {
    match e {
        XlsError::Password => ReadError::Encrypted { file: file.into() },
        other => corrupt(file, other.to_string()),
    }
}
