//! The real sample ledger, end to end. The file is read here with a deliberately small
//! .xlsx reader (zip + plain text scanning of the sheet XML), so this test checks header and
//! row parsing against the real file independently of `read.rs`.

use std::collections::HashMap;
use std::io::Read;

use super::*;
use crate::table::Merge;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sample_ledger.xlsx"
);
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sample_ledger.expected.json"
);

fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=semi]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `<name …>…</name>` or `<name …/>` in `xml`, whole.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = xml[from..].find(&open) {
        let start = from + pos;
        let after = &xml[start + open.len()..];
        if !after.starts_with([' ', '>', '/']) {
            from = start + open.len();
            continue;
        }
        let tag_end = start + open.len() + after.find('>').unwrap();
        let end = if xml[..tag_end].ends_with('/') {
            tag_end + 1
        } else {
            tag_end + xml[tag_end..].find(&close).unwrap() + close.len()
        };
        out.push(&xml[start..end]);
        from = end;
    }
    out
}

fn attr(element: &str, name: &str) -> Option<String> {
    let tag = &element[..element.find('>')?];
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(decode_entities(&tag[start..start + len]))
}

/// The text of every `<t>` inside `element`, joined (rich text has several runs).
fn text_of(element: &str) -> String {
    elements(element, "t")
        .iter()
        .filter(|t| !t.ends_with("/>"))
        .map(|t| {
            let inner = &t[t.find('>').unwrap() + 1..t.rfind("</t>").unwrap()];
            decode_entities(inner)
        })
        .collect()
}

fn inner_of(element: &str, name: &str) -> Option<String> {
    let e = *elements(element, name).first()?;
    let start = e.find('>')? + 1;
    let end = e.rfind(&format!("</{name}>"))?;
    Some(decode_entities(&e[start..end]))
}

/// "E5" → (row 4, col 4), 0-based.
fn cell_ref(r: &str) -> (u32, usize) {
    let letters: String = r.chars().take_while(char::is_ascii_alphabetic).collect();
    let col = letters.bytes().fold(0usize, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    }) - 1;
    let row: u32 = r[letters.len()..].parse().unwrap();
    (row - 1, col)
}

fn date_styles(styles: &str) -> Vec<bool> {
    let custom: HashMap<String, String> = elements(styles, "numFmt")
        .iter()
        .map(|f| (attr(f, "numFmtId").unwrap(), attr(f, "formatCode").unwrap()))
        .collect();
    let Some(xfs) = elements(styles, "cellXfs").first().copied() else {
        return Vec::new();
    };
    elements(xfs, "xf")
        .iter()
        .map(|xf| {
            let id: u32 = attr(xf, "numFmtId")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            (14..=22).contains(&id)
                || custom.get(&id.to_string()).is_some_and(|code| {
                    let code = code.to_lowercase();
                    code.contains('y') || code.contains('d')
                })
        })
        .collect()
}

fn read_xlsx(bytes: &[u8]) -> Vec<Table> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut part = |name: &str| -> Option<String> {
        let mut f = zip.by_name(name).ok()?;
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        Some(s)
    };
    let workbook = part("xl/workbook.xml").unwrap();
    let rels = part("xl/_rels/workbook.xml.rels").unwrap();
    let shared: Vec<String> = part("xl/sharedStrings.xml")
        .map(|s| elements(&s, "si").iter().map(|si| text_of(si)).collect())
        .unwrap_or_default();
    let dates = part("xl/styles.xml")
        .map(|s| date_styles(&s))
        .unwrap_or_default();
    let targets: HashMap<String, String> = elements(&rels, "Relationship")
        .iter()
        .map(|r| (attr(r, "Id").unwrap(), attr(r, "Target").unwrap()))
        .collect();
    let mut tables = Vec::new();
    for sheet in elements(&workbook, "sheet") {
        let name = attr(sheet, "name").unwrap();
        let target = &targets[&attr(sheet, "r:id").unwrap()];
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let xml = part(&path).unwrap();
        let mut rows = Vec::new();
        for r in elements(&xml, "row") {
            let number: u32 = attr(r, "r").unwrap().parse().unwrap();
            let mut cells: Vec<Cell> = Vec::new();
            for c in elements(r, "c") {
                let (_, col) = cell_ref(&attr(c, "r").unwrap());
                let style: usize = attr(c, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                let value = inner_of(c, "v");
                let cell = match attr(c, "t").as_deref() {
                    Some("inlineStr") => Cell::Text(text_of(c)),
                    Some("s") => {
                        Cell::Text(shared[value.unwrap().parse::<usize>().unwrap()].clone())
                    }
                    Some("str") => Cell::Text(value.unwrap_or_default()),
                    Some("b") => Cell::Bool(value.as_deref() == Some("1")),
                    Some("e") => Cell::Error(value.unwrap_or_default()),
                    _ => match value {
                        None => Cell::Empty,
                        Some(v) => {
                            let n: f64 = v.parse().unwrap();
                            match dates.get(style) {
                                Some(true) => shequ_domain::from_excel_serial(n)
                                    .map_or(Cell::Number(n), Cell::Date),
                                _ => Cell::Number(n),
                            }
                        }
                    },
                };
                let cell = match cell {
                    Cell::Text(s) if s.is_empty() => Cell::Empty,
                    other => other,
                };
                if cells.len() <= col {
                    cells.resize(col + 1, Cell::Empty);
                }
                cells[col] = cell;
            }
            // As the reader does: only rows with something in them.
            if cells.iter().any(|c| !c.is_empty()) {
                rows.push(Row { number, cells });
            }
        }
        let merges = elements(&xml, "mergeCell")
            .iter()
            .map(|m| {
                let r = attr(m, "ref").unwrap();
                let (a, b) = r.split_once(':').unwrap_or((&r, &r));
                let (first_row, first_col) = cell_ref(a);
                let (last_row, last_col) = cell_ref(b);
                Merge {
                    first_row,
                    first_col: first_col as u32,
                    last_row,
                    last_col: last_col as u32,
                }
            })
            .collect();
        tables.push(Table {
            sheet: name,
            rows,
            merges,
        });
    }
    tables
}

#[test]
fn entities_and_elements() {
    assert_eq!(
        decode_entities("&#38451;&#x5149;&amp;&lt;x&gt;&bogus;"),
        "阳光&<x>&bogus;"
    );
    let xml = r#"<cols><col min="1"/></cols><c r="A1" t="n"><v>1</v></c><c r="B1"/>"#;
    assert_eq!(elements(xml, "c").len(), 2);
    assert_eq!(cell_ref("AA10"), (9, 26));
}

#[test]
fn the_real_sample_ledger() {
    let bytes = std::fs::read(SAMPLE).unwrap_or_else(|e| {
        panic!("the sample ledger was looked for at {SAMPLE} and could not be read ({e}); it is kept in the repository (tests/fixtures/, copied from shared/samples/)")
    });
    let tables = read_xlsx(&bytes);
    let names: Vec<&str> = tables.iter().map(|t| t.sheet.as_str()).collect();
    assert_eq!(names, ["花名册", "填表说明"]);
    // The notes sheet is not data.
    assert!(is_data_sheet(&tables[0]));
    assert!(!is_data_sheet(&tables[1]));

    let t = &tables[0];
    let h = find_header(t).unwrap();
    assert_eq!(t.rows[h.row_index].number, 4);
    assert_eq!(h.rows_used, 2);
    use Field::*;
    let fields: Vec<Field> = h.columns.iter().filter_map(|c| c.field).collect();
    assert_eq!(
        fields,
        [
            Seq, Name, Sex, Ethnicity, IdNumber, Phone, Address, Relation, PersonType, MovedInOn,
            Notes
        ]
    );

    let out = parse_table(t, &h, &h.mapping());
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut skipped = Vec::new();
    let data_rows = &t.rows[h.row_index + 1..];
    assert_eq!(out.len(), data_rows.len());
    for (row, o) in data_rows.iter().zip(&out) {
        match o {
            RowOutcome::Person(c) => accepted.push(c),
            RowOutcome::Rejected(p) => {
                for p in p {
                    eprintln!(
                        "rejected row {} {} {}: {}",
                        p.row, p.column, p.code, p.message
                    );
                    rejected.push((p.row, p.code));
                }
            }
            RowOutcome::Skip(reason) => skipped.push((row.number, *reason)),
        }
    }
    let warnings: Vec<&Problem> = accepted.iter().flat_map(|c| &c.warnings).collect();
    for w in &warnings {
        eprintln!(
            "warning row {} {} {}: {}",
            w.row, w.column, w.code, w.message
        );
    }

    // What the sample says it holds.
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(EXPECTED)
            .unwrap_or_else(|e| panic!("{EXPECTED} could not be read ({e})")),
    )
    .unwrap();
    let mut codes: Vec<&str> = rejected.iter().map(|(_, c)| *c).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "checksum",
            "checksum",
            "checksum",
            "duplicate_in_file",
            "impossible_date",
            "missing_name",
            "precision_lost",
            "precision_lost"
        ]
    );
    let want: Vec<&str> = expected["rejected_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(codes, want);
    assert_eq!(accepted.len() + rejected.len(), 50);
    assert_eq!(expected["data_rows"], 50);
    assert_eq!(accepted.len(), 42);
    assert_eq!(expected["accepted"], 42);
    assert_eq!(rejected.len(), 8);
    assert_eq!(expected["rejected"], 8);
    assert!(!warnings.is_empty());
    assert!(expected["warnings_at_least"].as_u64().unwrap() <= warnings.len() as u64);

    // Which rows, exactly: one problem per rejected row here.
    let mut by_row = rejected.clone();
    by_row.sort_unstable();
    assert_eq!(
        by_row,
        [
            (22, "checksum"),
            (23, "duplicate_in_file"),
            (24, "checksum"),
            (39, "precision_lost"),
            (43, "precision_lost"),
            (48, "checksum"),
            (53, "missing_name"),
            (54, "impossible_date"),
        ]
    );
    // 邓勇明 is typed 女; the ID number says 男.
    assert!(
        warnings
            .iter()
            .any(|w| (w.row, w.code, w.column.as_str()) == (20, "contradicts_id", "C"))
    );
    // Blank rows (16, 36) never reach the parser; the 合计 row is the only non-data row left.
    assert_eq!(skipped, [(57, "合计行")]);
    assert!(t.rows.iter().all(|r| r.number != 16 && r.number != 36));

    // Values came through as the office typed them.
    let first = accepted.iter().find(|c| c.row == 5).unwrap();
    assert_eq!(first.name, "石桂梅");
    assert_eq!(first.id_number.as_deref(), Some("32010619900106396X"));
    assert_eq!(first.relation.as_deref(), Some("女"));
    assert_eq!(first.moved_in_on, NaiveDate::from_ymd_opt(2012, 7, 13));
    assert!(
        accepted
            .iter()
            .all(|c| c.address.is_some() && c.phone.is_some())
    );
    assert!(
        accepted
            .iter()
            .all(|c| c.moved_in_on.is_some() && c.relation.is_some())
    );
}
