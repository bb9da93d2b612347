//! Measuring a zip before calamine opens it. calamine decompresses sheets and the shared
//! string table as it pleases, and reserves memory for as many shared strings as the file
//! claims; all of that must be bounded here first, from what the archive really holds, since
//! the sizes in a zip's directory are only claims.

use std::io::{self, BufReader, Cursor, Read};

use flate2::read::DeflateDecoder;
use quick_xml::events::Event;
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use super::merges::{MergeScan, SheetMerges, part_key};
use super::{Limits, LooksLike, ReadError, corrupt};

/// Entries up to this size are exempt from the ratio rule: small XML parts compress far
/// better than 200:1 without being dangerous.
const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;

/// The smallest shared string calamine counts is `<si/>`.
const MIN_SHARED_STRING_BYTES: u64 = 5;

/// Refuses anything that is not a plausible xlsx; returns only when calamine may open it,
/// with the merged regions of each worksheet part seen while inflating it.
pub(super) fn check(bytes: &[u8], file: &str, limits: &Limits) -> Result<SheetMerges, ReadError> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(file, zip_detail(&e)))?;
    let count = archive.len();
    if count > limits.max_zip_entries {
        return Err(ReadError::TooManyEntries {
            file: file.into(),
            count,
            max: limits.max_zip_entries,
        });
    }
    if archive.has_duplicate_names() {
        return Err(corrupt(file, "压缩包内有重名的部件"));
    }
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|name| name.replace('\\', "/").to_lowercase())
        .collect();
    let has = |wanted: &str| names.iter().any(|name| name == wanted);
    if !(has("[content_types].xml") && has("xl/workbook.xml")) {
        let looks_like = if has("xl/workbook.bin") {
            LooksLike::Xlsb
        } else if has("word/document.xml") {
            LooksLike::Word
        } else if has("ppt/presentation.xml") {
            LooksLike::OfficeOther
        } else if has("mimetype") && has("content.xml") {
            LooksLike::OpenDocument
        } else {
            LooksLike::Archive
        };
        return Err(ReadError::NotASpreadsheet {
            file: file.into(),
            looks_like,
        });
    }

    // First what the directory claims: cheap, and enough for honest bombs.
    let mut declared_total: u64 = 0;
    for index in 0..count {
        let entry = archive
            .by_index_data(index)
            .map_err(|e| corrupt(file, zip_detail(&e)))?;
        let name = entry_name(entry.name());
        if entry.encrypted() {
            return Err(ReadError::Encrypted { file: file.into() });
        }
        let size = entry.size();
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_uncompressed_bytes
            || (size > RATIO_EXEMPT_BYTES
                && size / entry.compressed_size().max(1) > limits.max_ratio)
        {
            return Err(bomb(file, name));
        }
    }

    // Then what the entries really inflate to, reading each only up to what it may be.
    let mut budget = limits.max_uncompressed_bytes;
    let mut merges = SheetMerges::new();
    for index in 0..count {
        let (name, compressed) = {
            let entry = archive
                .by_index_data(index)
                .map_err(|e| corrupt(file, zip_detail(&e)))?;
            (entry_name(entry.name()), entry.compressed_size())
        };
        let cap = compressed
            .saturating_mul(limits.max_ratio)
            .max(RATIO_EXEMPT_BYTES)
            .min(budget);
        let real = {
            // Inflated from the raw bytes: the zip reader itself stops at the declared size,
            // which would hide how big the entry really is.
            let mut raw = archive
                .by_index_raw(index)
                .map_err(|e| entry_error(file, &e))?;
            let declared = raw.size();
            let key = part_key(&name);
            let mut scan = (key.starts_with("xl/worksheets/") && key.ends_with(".xml"))
                .then(MergeScan::default);
            let counted = match raw.compression() {
                CompressionMethod::Stored => inflated_size(&mut raw, cap, scan.as_mut()),
                CompressionMethod::Deflated => {
                    inflated_size(&mut DeflateDecoder::new(raw), cap, scan.as_mut())
                }
                other => {
                    return Err(corrupt(
                        file,
                        format!("部件 {name} 使用了不支持的压缩方式 {other}"),
                    ));
                }
            };
            let real = counted.map_err(|e| corrupt(file, format!("部件 {name} 无法解压：{e}")))?;
            if real > cap {
                return Err(bomb(file, name));
            }
            if real != declared {
                return Err(corrupt(file, format!("部件 {name} 的实际大小与声明不符")));
            }
            if let Some(scan) = scan {
                merges.insert(key, scan);
            }
            real
        };
        budget -= real;
        if name.to_lowercase().ends_with("sharedstrings.xml") {
            check_shared_string_count(&mut archive, index, real, file)?;
        }
    }
    Ok(merges)
}

/// Inflates an entry into nothing (or into a merge scan), stopping as soon as it passes `cap`.
fn inflated_size(entry: &mut impl Read, cap: u64, scan: Option<&mut MergeScan>) -> io::Result<u64> {
    let mut capped = entry.take(cap.saturating_add(1));
    match scan {
        Some(scan) => io::copy(&mut capped, scan),
        None => io::copy(&mut capped, &mut io::sink()),
    }
}

/// calamine reserves room for `uniqueCount` strings before reading any; a 2 KB file claiming
/// four billion would abort the process. No honest count exceeds what the part can hold.
fn check_shared_string_count(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    real_size: u64,
    file: &str,
) -> Result<(), ReadError> {
    let entry = archive.by_index(index).map_err(|e| entry_error(file, &e))?;
    // Configured as calamine configures its reader, so both see the same first <sst>.
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry.take(real_size)));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let limit = real_size / MIN_SHARED_STRING_BYTES + 1;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                let tag: &str = &e;
                return match claimed_counts(tag.as_bytes()) {
                    Some(claimed) if claimed.iter().all(|&n| n <= limit) => Ok(()),
                    _ => Err(corrupt(
                        file,
                        "共享字符串表声明的数量与实际内容不符（uniqueCount）",
                    )),
                };
            }
            // calamine stops on these too, with its own error.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Every value written after a `uniqueCount` in the tag. calamine's own attribute scanner
/// takes the first match by its own rules; refusing anything that is not plain digits
/// means no spelling of the attribute can slip a number past this check.
fn claimed_counts(tag: &[u8]) -> Option<Vec<u64>> {
    const KEY: &[u8] = b"uniqueCount";
    let mut found = Vec::new();
    let mut rest = tag;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = rest.get(at + KEY.len()..)?;
        let after_key = trim_start(rest);
        let Some(after_eq) = after_key.strip_prefix(b"=") else {
            continue;
        };
        let value_start = trim_start(after_eq);
        let (&quote, body) = value_start.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let end = body.iter().position(|&b| b == quote)?;
        let digits = body.get(..end)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = digits.iter().fold(0u64, |n, &d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        found.push(value);
    }
    Some(found)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    bytes.get(skip..).unwrap_or_default()
}

fn entry_name(name: Result<std::borrow::Cow<'_, str>, ZipError>) -> String {
    name.map_or_else(|_| "（名称无法识别）".to_owned(), |n| n.into_owned())
}

fn bomb(file: &str, entry: String) -> ReadError {
    ReadError::ZipBomb {
        file: file.into(),
        entry,
    }
}

fn entry_error(file: &str, e: &ZipError) -> ReadError {
    match e {
        ZipError::UnsupportedArchive(msg) if msg.to_lowercase().contains("password") => {
            ReadError::Encrypted { file: file.into() }
        }
        _ => corrupt(file, zip_detail(e)),
    }
}

fn zip_detail(e: &ZipError) -> String {
    format!("压缩结构无法读取：{e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_count_is_found_however_spelled() {
        assert_eq!(
            claimed_counts(b"sst count=\"3\" uniqueCount=\"2\""),
            Some(vec![2])
        );
        assert_eq!(
            claimed_counts(b"sst uniqueCount = '7' x:uniqueCount=\"9\""),
            Some(vec![7, 9])
        );
        assert_eq!(claimed_counts(b"sst xmlns=\"a\""), Some(vec![]));
        assert_eq!(claimed_counts(b"sst uniqueCount=\"+5\""), None);
        assert_eq!(
            claimed_counts(b"sst uniqueCount=\"99999999999999999999999\""),
            Some(vec![u64::MAX])
        );
        assert_eq!(claimed_counts(b"sst uniqueCount=5"), None);
        // Mentioned but never assigned: nothing to check.
        assert_eq!(claimed_counts(b"sst foo=\"uniqueCount\""), Some(vec![]));
    }
}
