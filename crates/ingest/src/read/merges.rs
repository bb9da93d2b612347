//! Merged regions found while the archive check inflates each worksheet anyway. calamine can
//! only list a sheet's merges by parsing the whole sheet's XML a second time (they sit after
//! the cells); on a 100 000-row ledger that second parse cost as much as reading the cells.
//! Scanning the inflated bytes for `<mergeCell ref="…">` costs next to nothing.
//!
//! Cell text can't fake a tag: a `<` inside text is always written `&lt;`.

use std::collections::HashMap;
use std::io::{self, Write};

/// A 0-based inclusive region: ((first row, first col), (last row, last col)).
pub(super) type Region = ((u32, u32), (u32, u32));

/// Bytes kept from the end of one chunk for the next, so a tag cut by a chunk boundary is
/// still seen whole. Longer tags than this are not merge tags anyone writes.
const CARRY: usize = 4096;

/// Collects the `ref` of every `mergeCell` element in the bytes written to it, counting them.
#[derive(Default)]
pub(super) struct MergeScan {
    pending: Vec<u8>,
    pub(super) regions: Vec<Region>,
    /// Refs that weren't a region ("A1:", "ZZZZ9"): the caller falls back to calamine.
    pub(super) unreadable: bool,
    pub(super) bytes: u64,
}

impl Write for MergeScan {
    fn write(&mut self, chunk: &[u8]) -> io::Result<usize> {
        self.bytes += chunk.len() as u64;
        self.pending.extend_from_slice(chunk);
        let keep_from = self.scan();
        self.pending.drain(..keep_from);
        Ok(chunk.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl MergeScan {
    /// Scans `pending`; returns where the unexamined tail starts.
    fn scan(&mut self) -> usize {
        let buf = &self.pending;
        let finder = memchr::memmem::Finder::new(b"mergeCell");
        let mut from = 0;
        let mut carry_from = buf.len().saturating_sub(64);
        for hit in finder.find_iter(buf) {
            if hit < from {
                continue;
            }
            let Some(start) = tag_start(buf, hit) else {
                continue;
            };
            let after = hit + b"mergeCell".len();
            match buf.get(after) {
                // "mergeCells" or anything longer is another element.
                Some(b) if !(b.is_ascii_whitespace() || *b == b'/' || *b == b'>') => continue,
                None => {
                    carry_from = carry_from.min(start);
                    break;
                }
                _ => {}
            }
            let Some(end) = memchr::memchr(b'>', &buf[after..]).map(|e| after + e) else {
                carry_from = carry_from.min(start);
                break;
            };
            match attribute(&buf[after..end], b"ref").and_then(parse_region) {
                Some(r) => self.regions.push(r),
                None => self.unreadable = true,
            }
            from = end + 1;
        }
        let keep = carry_from.max(from).min(buf.len());
        // A tag that never closes is not held on to for ever.
        if buf.len() - keep > CARRY {
            return buf.len() - 64.min(buf.len());
        }
        keep
    }
}

/// Where the tag holding the name at `name_at` starts: `<mergeCell` or `<x:mergeCell`.
fn tag_start(buf: &[u8], name_at: usize) -> Option<usize> {
    let before = buf.get(..name_at)?;
    match before.last()? {
        b'<' => Some(name_at - 1),
        b':' => {
            let prefix = &before[..before.len() - 1];
            let len = prefix
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count();
            let lt = prefix.len().checked_sub(len + 1)?;
            (len > 0 && prefix[lt] == b'<').then_some(lt)
        }
        _ => None,
    }
}

/// The value of `name="…"` (or '…') among a tag's attributes.
fn attribute<'a>(attrs: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = attrs;
    loop {
        let at = memchr::memmem::find(rest, name)?;
        let preceded = at == 0 || rest[at - 1].is_ascii_whitespace();
        let mut i = at + name.len();
        while rest.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if preceded && rest.get(i) == Some(&b'=') {
            i += 1;
            while rest.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            let quote = *rest.get(i)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let value = &rest[i + 1..];
            let close = memchr::memchr(quote, value)?;
            return Some(&value[..close]);
        }
        rest = &rest[at + name.len()..];
    }
}

/// "B2:D3" (or a single "B2") as 0-based corners.
fn parse_region(text: &[u8]) -> Option<Region> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    Some((parse_cell(a)?, parse_cell(b)?))
}

fn parse_cell(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().replace('$', "");
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let (col, row) = text.split_at(letters);
    let col = col.bytes().try_fold(0u32, |n, b| {
        Some(n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1)
    })?;
    let row: u32 = row.parse().ok()?;
    (row >= 1 && col >= 1).then(|| (row - 1, col - 1))
}

/// Merges per worksheet part, by `part_key` of the part's name in the zip.
pub(super) type SheetMerges = HashMap<String, MergeScan>;

/// Zip names compared the way the archive check and the workbook's links agree on.
pub(super) fn part_key(name: &str) -> String {
    name.trim_start_matches('/')
        .replace('\\', "/")
        .to_lowercase()
}

/// Sheet name → worksheet part, from xl/workbook.xml and its relationships. `None` when the
/// workbook is laid out some other way; the caller then asks calamine.
pub(super) fn sheet_parts(bytes: &[u8]) -> Option<HashMap<String, String>> {
    let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes)).ok()?;
    let mut targets = HashMap::new();
    each_element(&mut zip, "xl/_rels/workbook.xml.rels", |local, attrs| {
        if local == "Relationship" {
            let id = attr_value(attrs, "Id")?;
            let target = attr_value(attrs, "Target")?;
            let path = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_string(),
                None => format!("xl/{target}"),
            };
            targets.insert(id, part_key(&path));
        }
        Some(())
    })?;
    let mut parts = HashMap::new();
    each_element(&mut zip, "xl/workbook.xml", |local, attrs| {
        if local == "sheet" {
            let name = attr_value(attrs, "name")?;
            let rel = attr_value(attrs, "id")?;
            parts.insert(name, targets.get(&rel)?.clone());
        }
        Some(())
    })?;
    Some(parts)
}

/// Calls `visit(local name, element)` for every start or empty element of a small part.
fn each_element(
    zip: &mut zip::ZipArchive<io::Cursor<&[u8]>>,
    name: &str,
    mut visit: impl FnMut(&str, &quick_xml::events::BytesStart) -> Option<()>,
) -> Option<()> {
    use quick_xml::events::Event;
    let index = zip.index_for_name(name)?;
    let entry = zip.by_index(index).ok()?;
    let mut xml = quick_xml::Reader::from_reader(io::BufReader::new(entry));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => visit(e.local_name().as_ref(), &e)?,
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

/// An attribute by its local name (`r:id` is found as `id`), unescaped.
fn attr_value(e: &quick_xml::events::BytesStart, local: &str) -> Option<String> {
    e.attributes()
        .filter_map(Result::ok)
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lt;mergeCell ref="A1:Z9"/&gt;</t></is></c></row></sheetData><mergeCells count="3"><mergeCell ref="A1:AD1"/><mergeCell  ref = 'B2:$C$3' /><x:mergeCell ref="AA10"></x:mergeCell></mergeCells></worksheet>"#;

    fn scan_in_chunks(bytes: &[u8], size: usize) -> MergeScan {
        let mut s = MergeScan::default();
        for chunk in bytes.chunks(size) {
            s.write_all(chunk).unwrap();
        }
        s
    }

    #[test]
    fn finds_every_merge_however_the_bytes_are_cut() {
        let want = vec![((0, 0), (0, 29)), ((1, 1), (2, 2)), ((9, 26), (9, 26))];
        for size in 1..=SHEET.len() {
            let s = scan_in_chunks(SHEET.as_bytes(), size);
            assert_eq!(s.regions, want, "chunks of {size}");
            assert!(!s.unreadable);
            assert_eq!(s.bytes, SHEET.len() as u64);
        }
    }

    #[test]
    fn odd_refs_are_flagged_not_guessed() {
        let s = scan_in_chunks(br#"<mergeCell ref="A1:"/><mergeCell ref="1A"/>"#, 7);
        assert!(s.regions.is_empty());
        assert!(s.unreadable);
        // A tag that never closes is dropped, not kept growing.
        let mut s = MergeScan::default();
        s.write_all(b"<mergeCell ref=\"A1:B2\"").unwrap();
        for _ in 0..100 {
            s.write_all(&[b' '; 1000]).unwrap();
        }
        assert!(s.pending.len() <= CARRY + 1000);
        assert!(s.regions.is_empty());
    }

    /// The scan and calamine's own second parse agree, sheet by sheet, on a workbook with
    /// names that need escaping, and the scan is what `read` uses.
    #[test]
    fn scan_agrees_with_calamine() {
        use calamine::{Reader, Xlsx};
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let merged = Format::new();
        let names = ["花名册", "A&B <二>", "空表"];
        for (n, name) in names.iter().enumerate() {
            let sheet = book.add_worksheet();
            sheet.set_name(*name).unwrap();
            for i in 0..n * 3 {
                let row = (i * 4) as u32;
                sheet
                    .merge_range(row, 0, row + 1, 5, "标题", &merged)
                    .unwrap();
            }
            sheet.write(50, 1, "值").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let mut found =
            crate::read::archive::check(&bytes, "f.xlsx", &crate::Limits::default()).unwrap();
        let parts = sheet_parts(&bytes).unwrap();
        let mut calamine: Xlsx<_> = Xlsx::new(io::Cursor::new(&bytes[..])).unwrap();
        for (n, name) in names.iter().enumerate() {
            let scan = found.remove(&parts[*name]).unwrap();
            let theirs: Vec<Region> = calamine
                .merge_cells_by_sheet_name(name)
                .unwrap()
                .iter()
                .map(|d| (d.start, d.end))
                .collect();
            assert_eq!(scan.regions, theirs, "{name}");
            assert_eq!(scan.regions.len(), n * 3);
        }
    }

    #[test]
    fn cells_parse_like_excel() {
        assert_eq!(parse_cell("A1"), Some((0, 0)));
        assert_eq!(parse_cell("xfd1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_cell("A0"), None);
        assert_eq!(parse_cell("ABCD1"), None);
        assert_eq!(parse_cell("A"), None);
    }
}
