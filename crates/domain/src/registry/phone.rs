//! 联系电话: mainland mobile numbers and landlines with area code.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{is_blank, to_halfwidth};

/// A mainland phone number: either the 11 digits of a mobile number, or a
/// landline with area code such as `0871-65123456` (kept as entered, minus
/// spaces, because the area code length cannot be inferred).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a 联系电话 was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("联系电话为空，请填写手机号或带区号的固定电话")]
    Empty,
    #[error("联系电话含有无法识别的字符“{ch}”：只能包含数字、空格、连字符和开头的+号，请改正")]
    BadCharacter { ch: char },
    #[error(
        "联系电话“{value}”格式不对：手机号应为以1开头的11位数字，固定电话应带区号（如0871-65123456），请核对"
    )]
    Format { value: String },
}

impl PhoneError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::BadCharacter { .. } => "character",
            PhoneError::Format { .. } => "format",
        }
    }
}

/// `1[3-9]` followed by nine digits. Deliberately no check of the carrier
/// prefix: new prefixes are allocated every few years.
fn is_mobile11(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

fn as_mobile(digits: &str) -> Option<&str> {
    if is_mobile11(digits) {
        return Some(digits);
    }
    // "0" + mobile is an old habit from dialling mobiles out of town; no
    // area code starts with 01 followed by 3–9, so this cannot be a landline.
    ["+86", "0086", "86", "0"]
        .iter()
        .filter_map(|p| digits.strip_prefix(p))
        .find(|rest| is_mobile11(rest))
}

/// `^0\d{2,3}-?\d{7,8}$`
fn is_landline(s: &str) -> bool {
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !s.starts_with('0') {
        return false;
    }
    match s.split_once('-') {
        Some((area, number)) => {
            all_digits(area)
                && all_digits(number)
                && (3..=4).contains(&area.len())
                && (7..=8).contains(&number.len())
        }
        None => all_digits(s) && (10..=12).contains(&s.len()),
    }
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー')
}

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        // Spaces and a closing parenthesis both separate the area code, as in
        // "(0871) 65123456"; they are unified to one space first.
        let mut spaced = String::new();
        for c in input.chars().map(to_halfwidth) {
            let c = if is_dash(c) { '-' } else { c };
            match c {
                '(' => {}
                ')' => spaced.push(' '),
                c if is_blank(c) => spaced.push(' '),
                c => spaced.push(c),
            }
        }
        let spaced = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
        if spaced.is_empty() {
            return Err(PhoneError::Empty);
        }
        let compact: String = spaced.chars().filter(|c| *c != ' ').collect();
        if let Some((_, ch)) = compact
            .chars()
            .enumerate()
            .find(|(i, c)| !(c.is_ascii_digit() || *c == '-' || (*c == '+' && *i == 0)))
        {
            return Err(PhoneError::BadCharacter { ch });
        }
        let digits: String = compact.chars().filter(|c| *c != '-').collect();
        if let Some(mobile) = as_mobile(&digits) {
            return Ok(Phone(mobile.to_string()));
        }
        let hyphenated = spaced
            .split([' ', '-'])
            .filter(|g| !g.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        if is_landline(&hyphenated) {
            return Ok(Phone(hyphenated));
        }
        if is_landline(&compact) {
            return Ok(Phone(compact));
        }
        Err(PhoneError::Format {
            value: input.trim().to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Landlines always start with the 0 of the area code.
    pub fn is_mobile(&self) -> bool {
        !self.0.starts_with('0')
    }

    /// The last `n` characters, for masked display and matching by tail.
    pub fn tail(&self, n: usize) -> &str {
        &self.0[self.0.len().saturating_sub(n)..]
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Phone::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        Phone::parse(s).unwrap().as_str().to_string()
    }

    #[test]
    fn mobiles_are_stored_as_eleven_digits() {
        for s in [
            "13912345678",
            " 139 1234 5678 ",
            "139-1234-5678",
            "+8613912345678",
            "+86 139 1234 5678",
            "8613912345678",
            "008613912345678",
            "013912345678",
            "１３９１２３４５６７８",
            "139－1234－5678",
        ] {
            assert_eq!(ok(s), "13912345678", "{s:?}");
        }
        let p = Phone::parse("19912345678").unwrap();
        assert!(p.is_mobile());
        assert_eq!(p.tail(4), "5678");
        assert_eq!(p.tail(20), "19912345678");
    }

    #[test]
    fn landlines_keep_area_code_separator() {
        assert_eq!(ok("0871-65123456"), "0871-65123456");
        assert_eq!(ok("0871 65123456"), "0871-65123456");
        assert_eq!(ok("(0871)65123456"), "0871-65123456");
        assert_eq!(ok("（０８７１）６５１２３４５６"), "0871-65123456");
        assert_eq!(ok("087165123456"), "087165123456");
        assert_eq!(ok("010-1234567"), "010-1234567");
        assert_eq!(ok("0871—65123456"), "0871-65123456");
        assert_eq!(ok("0871 - 65123456"), "0871-65123456");
        assert_eq!(ok("0871-6512 3456"), "0871-65123456");
        let p = Phone::parse("0871-65123456").unwrap();
        assert!(!p.is_mobile());
        assert_eq!(p.tail(4), "3456");
    }

    #[test]
    fn rejects_malformed_numbers() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert_eq!(
            Phone::parse("139a2345678"),
            Err(PhoneError::BadCharacter { ch: 'a' })
        );
        for s in [
            "1391234567",
            "139123456789",
            "12912345678",
            "65123456",
            "0871-651234",
            "0871-6512-3456",
            "+8712345678901",
            "1+3912345678",
        ] {
            let err = Phone::parse(s).unwrap_err();
            assert!(err.to_string().contains("联系电话"), "{s}");
        }
    }
}
