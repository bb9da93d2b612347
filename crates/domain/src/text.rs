//! Character clean-up shared by the parsers.
//!
//! Residents' data arrives typed on Chinese input methods (which happily
//! produce full-width digits and letters) or pasted from spreadsheets and
//! chat apps (which add invisible characters), so every parser first folds
//! those variants onto plain ASCII.

/// Maps full-width ASCII (U+FF01..=U+FF5E) and the ideographic space onto
/// their half-width forms; other characters pass through unchanged.
pub(crate) fn to_halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Whitespace plus the zero-width characters that copy-paste and CSV
/// exports (BOM) leave behind; none of them is ever meaningful in our fields.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Han ideographs, the characters of Chinese names.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfwidth_folding() {
        assert_eq!(to_halfwidth('１'), '1');
        assert_eq!(to_halfwidth('Ｘ'), 'X');
        assert_eq!(to_halfwidth('ｘ'), 'x');
        assert_eq!(to_halfwidth('－'), '-');
        assert_eq!(to_halfwidth('\u{3000}'), ' ');
        assert_eq!(to_halfwidth('张'), '张');
    }

    #[test]
    fn blanks_and_han() {
        assert!(is_blank('\u{3000}'));
        assert!(is_blank('\u{FEFF}'));
        assert!(!is_blank('a'));
        assert!(is_han('张'));
        assert!(!is_han('·'));
    }
}
