//! Where text lands on a printed page: a PDF (made by LibreOffice from a .docx/.xlsx) read with
//! `pdftotext -bbox-layout`, so a test can check that each value of a table sits under its own
//! header rather than only that the text contains it (a swapped column passes the latter).

use std::process::Command;

/// One word as poppler places it, in points from the page's top left.
#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    pub page: usize,
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    let start = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len();
    let end = tag[start..].find('"').unwrap() + start;
    tag[start..end].parse().unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Every word of the PDF with its box. pdftotext (poppler-utils) is installed by scripts/test.
pub fn pdf_words(pdf: &[u8]) -> Vec<Word> {
    let dir = std::env::temp_dir().join(format!(
        "shequ-pdfwords-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut words = Vec::new();
    let mut page = 0;
    let mut rest = xml.as_str();
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..=end];
        if tag.starts_with("<page ") {
            page += 1;
        } else if tag.starts_with("<word ") {
            let close = rest.find("</word>").unwrap();
            words.push(Word {
                text: unescape(&rest[end + 1..close]),
                page,
                x_min: attr(tag, "xMin"),
                x_max: attr(tag, "xMax"),
                y_min: attr(tag, "yMin"),
                y_max: attr(tag, "yMax"),
            });
            rest = &rest[close..];
            continue;
        }
        rest = &rest[end + 1..];
    }
    words
}

/// The columns of a printed table, found by its header row.
#[derive(Debug)]
pub struct Columns {
    /// (header, its word), left to right.
    headers: Vec<(String, Word)>,
}

/// Tolerance for the glyph boxes' rounding, in points.
const SLACK: f64 = 1.0;

impl Columns {
    /// Finds the header row: each header must be one word on one line (a header that wraps
    /// onto two lines is a layout fault), all on the same row, left to right in this order.
    pub fn find(words: &[Word], headers: &[&str]) -> Columns {
        let found: Vec<(String, Word)> = headers
            .iter()
            .map(|h| {
                let w = words.iter().find(|w| w.text == *h).unwrap_or_else(|| {
                    panic!(
                        "header {h:?} is not one word on one line (wrapped or missing); words: {:?}",
                        words.iter().map(|w| &w.text).collect::<Vec<_>>()
                    )
                });
                (h.to_string(), w.clone())
            })
            .collect();
        for pair in found.windows(2) {
            let (a, b) = (&pair[0].1, &pair[1].1);
            assert!(
                a.page == b.page && (a.y_min - b.y_min).abs() < 3.0,
                "headers {:?} and {:?} are not on one row: {a:?} {b:?}",
                pair[0].0,
                pair[1].0
            );
            assert!(
                a.x_max <= b.x_min + SLACK,
                "header {:?} is not left of {:?}: {a:?} {b:?}",
                pair[0].0,
                pair[1].0
            );
        }
        Columns { headers: found }
    }

    /// The header whose column holds the whole word (from this header's left edge to the next
    /// header's), or None when the word crosses a column boundary.
    pub fn column_of(&self, w: &Word) -> Option<&str> {
        let n = self.headers.len();
        (0..n)
            .find(|&i| {
                let left = self.headers[i].1.x_min - SLACK;
                let right = self
                    .headers
                    .get(i + 1)
                    .map_or(f64::INFINITY, |h| h.1.x_min - SLACK);
                w.x_min >= left && w.x_max <= right
            })
            .map(|i| self.headers[i].0.as_str())
    }

    /// Asserts that the first word below the header row that begins `value` (or, when the cell
    /// wraps, begins it with a line of at least two characters) lies in `header`'s column and
    /// in no other.
    pub fn assert_under(&self, words: &[Word], value: &str, header: &str) {
        let row = &self.headers[0].1;
        let w = words
            .iter()
            .filter(|w| w.page == row.page && w.y_min > row.y_max - SLACK)
            .filter(|w| {
                w.text.starts_with(value)
                    || (value.starts_with(&w.text) && w.text.chars().count() >= 2)
            })
            .min_by(|a, b| a.y_min.total_cmp(&b.y_min))
            .unwrap_or_else(|| {
                panic!(
                    "{value:?} is not printed below the header row; words: {:?}",
                    words.iter().map(|w| &w.text).collect::<Vec<_>>()
                )
            });
        assert_eq!(
            self.column_of(w),
            Some(header),
            "{value:?} is printed at x {:.1}–{:.1}, not under {header:?}; headers: {:?}",
            w.x_min,
            w.x_max,
            self.headers
                .iter()
                .map(|(h, w)| format!("{h} {:.1}–{:.1}", w.x_min, w.x_max))
                .collect::<Vec<_>>()
        );
    }
}
