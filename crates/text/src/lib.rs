//! Text encodings every crate needs, kept once: percent-encoding (URLs), XML escaping (Open311,
//! .docx) and hexadecimal. It sits below every other crate of shequ (the vault and the office
//! writers too) and has no dependencies.

/// Percent-encodes every byte outside RFC 3986 "unreserved" (`A–Z a–z 0–9 - . _ ~`) and
/// `keep`: a component (`keep = b""`) encodes `/` and `:` as well, a path (`keep = b"/"`)
/// keeps its slashes. Letters of the hex digits are upper case, as RFC 3986 recommends.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
        }
    }
    out
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production): tab, line feed, carriage
/// return, and everything from U+0020 except U+FFFE and U+FFFF (a Rust `char` is never a
/// surrogate).
pub fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Text escaped for an XML element or attribute value. Characters XML 1.0 cannot carry are
/// dropped: a pasted control character must not make the whole document unreadable.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_allowed(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Lower-case hexadecimal of `bytes` (digests, MACs, blind indexes, nonces).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// The bytes of a hexadecimal string (either case); `None` for an odd length or a character
/// that is not a hex digit.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    fn digit(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some((digit(p[0])? << 4) | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_and_what_is_asked() {
        assert_eq!(percent_encode("a-Z.0_~", b""), "a-Z.0_~");
        assert_eq!(
            percent_encode("/nodes/3?x=1&y", b""),
            "%2Fnodes%2F3%3Fx%3D1%26y"
        );
        assert_eq!(
            percent_encode("/nodes/3?x=1&y", b"/"),
            "/nodes/3%3Fx%3D1%26y"
        );
        assert_eq!(
            percent_encode("社区 工作:台", b""),
            "%E7%A4%BE%E5%8C%BA%20%E5%B7%A5%E4%BD%9C%3A%E5%8F%B0"
        );
        assert_eq!(percent_encode("", b"/"), "");
    }

    #[test]
    fn xml_escape_escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(
            xml_escape(r#"甲<乙>&"丙'"#),
            "甲&lt;乙&gt;&amp;&quot;丙&apos;"
        );
        assert_eq!(
            xml_escape("a\tb\nc\rd"),
            "a\tb\nc\rd",
            "tab, LF and CR are allowed"
        );
        let forbidden: String = (0u32..0x20)
            .filter(|c| ![9, 10, 13].contains(c))
            .filter_map(char::from_u32)
            .chain(['\u{FFFE}', '\u{FFFF}'])
            .collect();
        assert_eq!(forbidden.chars().count(), 31);
        assert_eq!(xml_escape(&format!("前{forbidden}后")), "前后");
        assert!(forbidden.chars().all(|c| !xml_allowed(c)));
        for ok in [
            ' ',
            '\u{7F}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(xml_allowed(ok), "{:X}", u32::from(ok));
            assert_eq!(xml_escape(&ok.to_string()), ok.to_string());
        }
    }

    #[test]
    fn hex_goes_there_and_back() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        assert_eq!(unhex("000fa0ff"), Some(vec![0x00, 0x0f, 0xa0, 0xff]));
        assert_eq!(unhex("000FA0FF"), Some(vec![0x00, 0x0f, 0xa0, 0xff]));
        assert_eq!(unhex(""), Some(vec![]));
        assert_eq!(unhex("abc"), None, "odd length");
        assert_eq!(unhex("zz"), None, "not a hex digit");
        assert_eq!(unhex("+1"), None, "a sign is not a digit");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&all)), Some(all));
    }
}
