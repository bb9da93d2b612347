//! Character clean-up for titles and values. The domain crate keeps its own copy private, and
//! ledgers need the same folding: titles and values are typed on Chinese input methods
//! (full-width digits and letters) or pasted from chat apps (zero-width characters).

/// Full-width ASCII (U+FF01..=U+FF5E) and the ideographic space onto half-width.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Whitespace plus the zero-width characters copy-paste and BOMs leave behind.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Half-width, without any blank: how values are compared, never how they are shown.
pub(crate) fn compact(s: &str) -> String {
    s.chars().map(halfwidth).filter(|c| !is_blank(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_compacts() {
        assert_eq!(compact(" 合\u{3000}计 "), "合计");
        assert_eq!(compact("１３幢\u{200B}"), "13幢");
        assert_eq!(halfwidth('Ｘ'), 'X');
    }
}
