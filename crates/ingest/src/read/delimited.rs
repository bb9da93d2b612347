//! CSV (and the tab-separated "Unicode text" Excel also saves). Chinese Excel saves "CSV" in
//! GBK unless told "CSV UTF-8", so both are accepted: valid UTF-8 is taken as UTF-8 (a GBK
//! file of Chinese text is almost never valid UTF-8), anything else is decoded as GB18030,
//! the superset of GBK. Every cell stays text: a CSV has no types, and an ID number must not
//! pass through a float.

use encoding_rs::{GB18030, UTF_8, UTF_16BE, UTF_16LE};

use super::sheet::SheetBuilder;
use super::{Limits, LooksLike, ReadError, corrupt};
use crate::table::{Cell, Table};

enum Decoded {
    Text(String),
    BadEncoding,
}

fn decode(bytes: &[u8]) -> Decoded {
    let (encoding, bom_len) = if bytes.starts_with(b"\xEF\xBB\xBF") {
        (UTF_8, 3)
    } else if bytes.starts_with(b"\xFF\xFE") {
        (UTF_16LE, 2)
    } else if bytes.starts_with(b"\xFE\xFF") {
        (UTF_16BE, 2)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded::Text(text.to_owned());
    } else {
        return match GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => Decoded::Text(text.into_owned()),
            None => Decoded::BadEncoding,
        };
    };
    let body = bytes.get(bom_len..).unwrap_or_default();
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Decoded::Text(text.into_owned()),
        None => Decoded::BadEncoding,
    }
}

/// Binary data that happens to decode (GB18030 accepts a lot) still carries NULs and control
/// characters; real tables carry none besides tabs and line breaks.
fn is_binary(text: &str) -> bool {
    text.chars().any(|c| {
        c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C' | '\x1A'))
    })
}

/// For files whose name does not say CSV: only clean text with a separator counts.
pub(super) fn looks_like_table_text(bytes: &[u8]) -> bool {
    match decode(bytes) {
        Decoded::Text(text) => !is_binary(&text) && text.contains([',', '\t', '\n', ';']),
        Decoded::BadEncoding => false,
    }
}

/// Offices' CSVs are comma-separated; Excel's "Unicode text" is tab-separated; some European
/// locale settings produce semicolons. The separator used most in the first lines wins.
fn delimiter(text: &str) -> u8 {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let count = |c: char| head.matches(c).count();
    let (comma, tab, semicolon) = (count(','), count('\t'), count(';'));
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma && semicolon > tab {
        b';'
    } else {
        b','
    }
}

fn leading_blank_lines(bytes: &[u8]) -> u32 {
    let mut count: u32 = 0;
    let mut rest = bytes;
    loop {
        rest = if let Some(r) = rest.strip_prefix(b"\r\n") {
            r
        } else if let Some(r) = rest
            .strip_prefix(b"\n")
            .or_else(|| rest.strip_prefix(b"\r"))
        {
            r
        } else {
            return count;
        };
        count = count.saturating_add(1);
    }
}

fn sheet_name(file: &str) -> String {
    let stem = match file.rfind('.') {
        Some(dot) if dot > 0 => file.get(..dot).unwrap_or(file),
        _ => file,
    };
    if stem.trim().is_empty() {
        "工作表1".to_owned()
    } else {
        stem.to_owned()
    }
}

pub(super) fn read(bytes: &[u8], file: &str, limits: &Limits) -> Result<Vec<Table>, ReadError> {
    let text = match decode(bytes) {
        Decoded::Text(text) => text,
        Decoded::BadEncoding => return Err(ReadError::BadEncoding { file: file.into() }),
    };
    if text.contains('\0') {
        return Err(ReadError::NotASpreadsheet {
            file: file.into(),
            looks_like: LooksLike::Unknown,
        });
    }
    let sheet = sheet_name(file);
    let mut builder = SheetBuilder::new(file, &sheet, limits);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // The csv reader skips blank lines, folding them into the next record; Excel shows them
    // as rows, and messages must use Excel's numbering. Quoted line breaks inside a record are
    // not rows, so counting lines would be wrong too: the blank lines a record starts with are.
    let mut row: u32 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(corrupt(file, format!("CSV 解析失败：{e}"))),
        }
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let bytes = text.as_bytes();
        // The reader ends a record at the "\r" of "\r\n", leaving its "\n" to the next one.
        let start = if start > 0 && bytes.get(start - 1..=start) == Some(b"\r\n".as_slice()) {
            start + 1
        } else {
            start
        };
        let skipped = leading_blank_lines(bytes.get(start..).unwrap_or_default());
        row = row.saturating_add(skipped);
        for (col, field) in record.iter().enumerate() {
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            let cell = if field.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(field.to_owned())
            };
            builder.put(row, col, cell)?;
        }
        row = row.saturating_add(1);
    }
    Ok(vec![builder.finish(Vec::new())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,性别\n张三,男");
        assert!(matches!(decode(&gbk), Decoded::Text(t) if t == "姓名,性别\n张三,男"));
        assert!(matches!(decode("\u{FEFF}姓名".as_bytes()), Decoded::Text(t) if t == "姓名"));
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "姓名\t性别".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert!(matches!(decode(&utf16), Decoded::Text(t) if t == "姓名\t性别"));
        assert!(matches!(decode(b"\xFF\xFF\x80\x80"), Decoded::BadEncoding));
    }

    #[test]
    fn separators_and_names() {
        assert_eq!(delimiter("a,b\n1,2"), b',');
        assert_eq!(delimiter("a\tb\n1\t2"), b'\t');
        assert_eq!(delimiter("a;b;c\n1;2,5;3"), b';');
        assert_eq!(delimiter("只有一列"), b',');
        assert_eq!(sheet_name("花名册.csv"), "花名册");
        assert_eq!(sheet_name("a.b.csv"), "a.b");
        assert_eq!(sheet_name(".csv"), ".csv");
        assert_eq!(sheet_name("  .csv"), "工作表1");
    }

    #[test]
    fn blank_lines_keep_excel_numbering() {
        let text = "标题\n\n姓名,备注\n张三,\"两行\n备注\"\n\n\n李四,x\n";
        let tables = read(text.as_bytes(), "t.csv", &Limits::default()).unwrap();
        let numbers: Vec<u32> = tables[0].rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![1, 3, 4, 7]);
        for ending in ["\r\n", "\r"] {
            let text = text.replace('\n', ending);
            let tables = read(text.as_bytes(), "t.csv", &Limits::default()).unwrap();
            let numbers: Vec<u32> = tables[0].rows.iter().map(|r| r.number).collect();
            assert_eq!(numbers, vec![1, 3, 4, 7], "{ending:?}");
        }
        assert_eq!(
            tables[0].rows[2].cells,
            vec![Cell::Text("张三".into()), Cell::Text("两行\n备注".into())]
        );
    }
}
