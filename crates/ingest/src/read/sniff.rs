//! Deciding what a file is from its first bytes. The name only decides between "text we try
//! as CSV" and "unrecognised", because offices rename files and systems export HTML as .xls.

use super::LooksLike;
use super::delimited;

pub(super) enum Format {
    /// A zip container; whether it is an xlsx is decided by its entries.
    Zip,
    /// An OLE2 compound file: .xls, or an encrypted .xlsx, or a .doc.
    Ole,
    Text,
    Executable,
    Other(LooksLike),
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(super) fn sniff(bytes: &[u8], file_name: &str) -> Format {
    if bytes.starts_with(b"PK") {
        return Format::Zip;
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Format::Ole;
    }
    if bytes.starts_with(b"MZ") {
        return Format::Executable;
    }
    if let Some(looks_like) = binary_kind(bytes) {
        return Format::Other(looks_like);
    }
    if is_markup(bytes) {
        return Format::Other(LooksLike::Markup);
    }
    let lower = file_name.to_lowercase();
    let text_name = [".csv", ".txt", ".tsv"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    if text_name || delimited::looks_like_table_text(bytes) {
        return Format::Text;
    }
    Format::Other(LooksLike::Unknown)
}

fn binary_kind(bytes: &[u8]) -> Option<LooksLike> {
    const SIGNATURES: &[(&[u8], LooksLike)] = &[
        (b"%PDF", LooksLike::Pdf),
        (b"\x89PNG\r\n\x1a\n", LooksLike::Image),
        (b"\xFF\xD8\xFF", LooksLike::Image),
        (b"GIF87a", LooksLike::Image),
        (b"GIF89a", LooksLike::Image),
        (b"II*\x00", LooksLike::Image),
        (b"MM\x00*", LooksLike::Image),
        (b"Rar!\x1a\x07", LooksLike::Archive),
        (b"7z\xBC\xAF\x27\x1C", LooksLike::Archive),
        (b"\x1F\x8B", LooksLike::Archive),
        (b"{\\rtf", LooksLike::Word),
    ];
    if let Some((_, kind)) = SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Some(*kind);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some(LooksLike::Image);
    }
    None
}

/// HTML tables and SpreadsheetML 2003 saved as .xls open in Excel, but are neither format.
fn is_markup(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start: Vec<u8> = start
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    ["<html", "<!doctype", "<?xml", "<table", "<head", "<meta"]
        .iter()
        .any(|tag| start.starts_with(tag.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(bytes: &[u8], name: &str) -> &'static str {
        match sniff(bytes, name) {
            Format::Zip => "zip",
            Format::Ole => "ole",
            Format::Text => "text",
            Format::Executable => "exe",
            Format::Other(LooksLike::Pdf) => "pdf",
            Format::Other(LooksLike::Image) => "image",
            Format::Other(LooksLike::Markup) => "markup",
            Format::Other(_) => "other",
        }
    }

    #[test]
    fn content_decides() {
        assert_eq!(kind(b"PK\x03\x04rest", "a.xls"), "zip");
        assert_eq!(kind(OLE_MAGIC, "a.xlsx"), "ole");
        assert_eq!(kind(b"MZ\x90\x00", "a.xlsx"), "exe");
        assert_eq!(kind(b"%PDF-1.7", "a.xlsx"), "pdf");
        assert_eq!(kind(b"\xFF\xD8\xFF\xE0", "a.csv"), "image");
        assert_eq!(kind(b"\xEF\xBB\xBF <HTML><table>", "a.xls"), "markup");
        assert_eq!(kind("姓名,性别\n张三,男\n".as_bytes(), "a.xls"), "text");
        assert_eq!(kind(b"\x00\x01\x02\x03", "a.xlsx"), "other");
        assert_eq!(kind(b"just words", "notes.TXT"), "text");
    }
}
