//! Building test files in memory: minimal xlsx containers, BIFF8 workbooks in an OLE2
//! container, and a small deterministic PRNG for mutation tests.
#![allow(dead_code)]

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

pub const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;

pub const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

pub const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

pub fn workbook_xml(sheet_name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    )
}

pub fn sheet_xml(dimension: Option<&str>, rows: &str, merges: &str) -> String {
    let dimension = dimension.map_or(String::new(), |d| format!(r#"<dimension ref="{d}"/>"#));
    let merges = if merges.is_empty() {
        String::new()
    } else {
        format!("<mergeCells>{merges}</mergeCells>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData>{merges}</worksheet>"#
    )
}

pub fn shared_strings(strings: &[&str]) -> String {
    let items: String = strings
        .iter()
        .map(|s| format!(r#"<si><t xml:space="preserve">{s}</t></si>"#))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">{items}</sst>"#,
        n = strings.len()
    )
}

/// A zip of the given entries, deflated (or stored, to let mutations reach the XML).
pub fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The five parts Excel needs, around one sheet.
pub fn xlsx_parts(sheet_name: &str, sheet: &str, shared: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let mut parts = vec![
        (
            "[Content_Types].xml".to_owned(),
            CONTENT_TYPES.as_bytes().to_vec(),
        ),
        ("_rels/.rels".to_owned(), ROOT_RELS.as_bytes().to_vec()),
        (
            "xl/workbook.xml".to_owned(),
            workbook_xml(sheet_name).into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            WORKBOOK_RELS.as_bytes().to_vec(),
        ),
        (
            "xl/worksheets/sheet1.xml".to_owned(),
            sheet.as_bytes().to_vec(),
        ),
    ];
    if let Some(shared) = shared {
        parts.push((
            "xl/sharedStrings.xml".to_owned(),
            shared.as_bytes().to_vec(),
        ));
    }
    parts
}

pub fn zip_parts(parts: &[(String, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&entries, method)
}

pub fn xlsx(sheet_name: &str, sheet: &str, shared: Option<&str>) -> Vec<u8> {
    zip_parts(
        &xlsx_parts(sheet_name, sheet, shared),
        CompressionMethod::Deflated,
    )
}

/// A small workbook touching every cell type the reader handles.
pub fn small_xlsx_parts() -> Vec<(String, Vec<u8>)> {
    let shared = shared_strings(&["姓名", " 张三 ", "备注"]);
    let rows = concat!(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>2</v></c></row>"#,
        r#"<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>41103</v></c>"#,
        r#"<c r="C3" t="b"><v>1</v></c><c r="D3" t="e"><v>#REF!</v></c>"#,
        r#"<c r="E3"><f>B3+1</f><v>41104</v></c><c r="F3" t="inlineStr"><is><t>行内</t></is></c>"#,
        r#"<c r="G3" s="0"/></row>"#,
    );
    let sheet = sheet_xml(Some("A1:G3"), rows, r#"<mergeCell ref="A1:B1"/>"#);
    xlsx_parts("名单", &sheet, Some(&shared))
}

// ---------------------------------------------------------------- BIFF8 / OLE2

pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + data.len());
    out.extend(typ.to_le_bytes());
    out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
    out.extend(data);
    out
}

fn bof(kind: u16) -> Vec<u8> {
    let mut data = vec![0x00, 0x06];
    data.extend(kind.to_le_bytes());
    data.extend([0u8; 12]);
    record(0x0809, &data)
}

fn eof() -> Vec<u8> {
    record(0x000A, &[])
}

fn xf(number_format: u16) -> Vec<u8> {
    let mut data = vec![0, 0];
    data.extend(number_format.to_le_bytes());
    data.extend([0u8; 16]);
    record(0x00E0, &data)
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn boundsheet(pos: u32, name: &str) -> Vec<u8> {
    let mut data = pos.to_le_bytes().to_vec();
    data.extend([0, 0]);
    data.push(u8::try_from(name.encode_utf16().count()).unwrap());
    data.push(1);
    data.extend(utf16(name));
    record(0x0085, &data)
}

/// NUMBER; style 1 is a date format (built-in format 14), style 0 is General.
pub fn number(row: u16, col: u16, style: u16, value: f64) -> Vec<u8> {
    let mut data = Vec::new();
    for v in [row, col, style] {
        data.extend(v.to_le_bytes());
    }
    data.extend(value.to_le_bytes());
    record(0x0203, &data)
}

pub fn label(row: u16, col: u16, text: &str) -> Vec<u8> {
    let mut data = Vec::new();
    for v in [
        row,
        col,
        0,
        u16::try_from(text.encode_utf16().count()).unwrap(),
    ] {
        data.extend(v.to_le_bytes());
    }
    data.push(1);
    data.extend(utf16(text));
    record(0x0204, &data)
}

pub fn error_cell(row: u16, col: u16, code: u8) -> Vec<u8> {
    let mut data = Vec::new();
    for v in [row, col, 0] {
        data.extend(v.to_le_bytes());
    }
    data.extend([code, 1]);
    record(0x0205, &data)
}

pub fn merges(regions: &[(u16, u16, u16, u16)]) -> Vec<u8> {
    let mut data = u16::try_from(regions.len()).unwrap().to_le_bytes().to_vec();
    for (first_row, last_row, first_col, last_col) in regions {
        for v in [first_row, last_row, first_col, last_col] {
            data.extend(v.to_le_bytes());
        }
    }
    record(0x00E5, &data)
}

pub fn dimensions(first_row: u32, end_row: u32, first_col: u16, end_col: u16) -> Vec<u8> {
    let mut data = first_row.to_le_bytes().to_vec();
    data.extend(end_row.to_le_bytes());
    data.extend(first_col.to_le_bytes());
    data.extend(end_col.to_le_bytes());
    data.extend([0, 0]);
    record(0x0200, &data)
}

/// A BIFF8 workbook stream; `extra_globals` go before the sheet list.
pub fn biff(sheets: &[(&str, Vec<Vec<u8>>)], extra_globals: &[Vec<u8>]) -> Vec<u8> {
    let globals = |positions: &[u32]| {
        let mut out = bof(0x0005);
        out.extend(record(0x0042, &1200u16.to_le_bytes()));
        out.extend(xf(0));
        out.extend(xf(14));
        for extra in extra_globals {
            out.extend(extra);
        }
        for ((name, _), pos) in sheets.iter().zip(positions) {
            out.extend(boundsheet(*pos, name));
        }
        out.extend(eof());
        out
    };
    let bodies: Vec<Vec<u8>> = sheets
        .iter()
        .map(|(_, records)| {
            let mut out = bof(0x0010);
            for r in records {
                out.extend(r);
            }
            out.extend(eof());
            out
        })
        .collect();
    let mut pos = u32::try_from(globals(&vec![0; sheets.len()]).len()).unwrap();
    let mut positions = Vec::new();
    for body in &bodies {
        positions.push(pos);
        pos += u32::try_from(body.len()).unwrap();
    }
    let mut stream = globals(&positions);
    for body in bodies {
        stream.extend(body);
    }
    stream
}

/// An OLE2 compound file holding the given streams.
pub fn ole(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        let mut s = file.create_stream(name).unwrap();
        s.write_all(data).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

pub fn xls(sheets: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
    ole(&[("/Workbook", &biff(sheets, &[]))])
}

// ---------------------------------------------------------------- randomness

/// xorshift64*: deterministic, so a failing seed can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// One to four random edits: flip a bit, overwrite, insert, delete, truncate, or copy
    /// a chunk over another place (which tends to produce plausible structure).
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let len = out.len();
            match self.below(6) {
                0 if len > 0 => {
                    let i = self.below(len);
                    out[i] ^= 1 << self.below(8);
                }
                1 if len > 0 => {
                    let i = self.below(len);
                    out[i] = self.next_u64() as u8;
                }
                2 => {
                    let i = self.below(len + 1);
                    let b = self.next_u64() as u8;
                    out.insert(i, b);
                }
                3 if len > 0 => {
                    let i = self.below(len);
                    out.remove(i);
                }
                4 => out.truncate(self.below(len + 1)),
                5 if len > 8 => {
                    let from = self.below(len);
                    let to = self.below(len);
                    let n = self.below(16).min(len - from).min(len - to);
                    let chunk = out[from..from + n].to_vec();
                    out[to..to + n].copy_from_slice(&chunk);
                }
                _ => {}
            }
        }
        out
    }
}
