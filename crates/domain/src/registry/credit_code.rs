//! 统一社会信用代码 (GB 32100-2015), for organisations such as property
//! management companies and businesses in the community.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{is_blank, to_halfwidth};

/// The code's character set: digits and upper-case letters without I, O, Z,
/// S and V, which are too easily confused with 1, 0, 2, 5 and U.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid 18-character 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

/// Why a 统一社会信用代码 was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码为空，请填写18位代码")]
    Empty,
    #[error("统一社会信用代码位数不对：应为18位，实为{len}位，请核对是否漏填或多填")]
    WrongLength { len: usize },
    #[error(
        "统一社会信用代码第{position}位“{ch}”不是合法字符：只能是数字和大写字母（不含I、O、Z、S、V），请改正"
    )]
    BadCharacter { ch: char, position: usize },
    #[error("统一社会信用代码校验位不符：按前17位应为{expected}，实为{found}，请核对代码是否录错")]
    Checksum { expected: char, found: char },
}

impl CreditCodeError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            CreditCodeError::Empty => "empty",
            CreditCodeError::WrongLength { .. } => "length",
            CreditCodeError::BadCharacter { .. } => "character",
            CreditCodeError::Checksum { .. } => "checksum",
        }
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&b| char::from(b) == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn first_bad_char(s: &str) -> Option<(char, usize)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| value_of(*c).is_none())
        .map(|(i, c)| (c, i + 1))
}

/// The check character for the first 17 characters, or `None` when the
/// input is not exactly 17 characters of the code's alphabet.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut count = 0usize;
    for c in first17.chars() {
        let w = WEIGHTS.get(count)?;
        sum += value_of(c)? * w;
        count += 1;
    }
    if count != 17 {
        return None;
    }
    let c = (31 - sum % 31) % 31;
    ALPHABET.get(c as usize).map(|&b| char::from(b))
}

fn normalize(input: &str) -> String {
    input
        .chars()
        .map(to_halfwidth)
        .filter(|c| !is_blank(*c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl CreditCode {
    /// Accepts full-width characters, spaces and lower-case letters.
    pub fn parse(input: &str) -> Result<CreditCode, CreditCodeError> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        if let Some((ch, position)) = first_bad_char(&s) {
            return Err(CreditCodeError::BadCharacter { ch, position });
        }
        // Only ASCII remains, so byte offsets are char offsets.
        if s.len() != 18 {
            return Err(CreditCodeError::WrongLength { len: s.len() });
        }
        let expected = check_char(&s[..17]).ok_or(CreditCodeError::WrongLength { len: s.len() })?;
        let found = s[17..].chars().next().unwrap_or(' ');
        if expected != found {
            return Err(CreditCodeError::Checksum { expected, found });
        }
        Ok(CreditCode(s))
    }

    /// Appends the check character to 17 characters, for demo data.
    pub fn generate(first17: &str) -> Result<CreditCode, CreditCodeError> {
        let s = normalize(first17);
        if let Some((ch, position)) = first_bad_char(&s) {
            return Err(CreditCodeError::BadCharacter { ch, position });
        }
        let check = check_char(&s).ok_or(CreditCodeError::WrongLength { len: s.len() + 1 })?;
        Ok(CreditCode(format!("{s}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC_EXAMPLE: &str = "91350100M000100Y43";

    #[test]
    fn accepts_public_example() {
        assert_eq!(check_char(&PUBLIC_EXAMPLE[..17]), Some('3'));
        assert_eq!(
            CreditCode::parse(PUBLIC_EXAMPLE).unwrap().as_str(),
            PUBLIC_EXAMPLE
        );
        assert_eq!(
            CreditCode::parse(" ９１３５０１００ｍ０００１００ｙ４３ ")
                .unwrap()
                .as_str(),
            PUBLIC_EXAMPLE
        );
    }

    #[test]
    fn generated_codes_parse() {
        for first17 in [
            "91530100MA6K12345",
            "12530000000000000",
            "5153010250000001X",
        ] {
            let code = CreditCode::generate(first17).unwrap();
            assert_eq!(&code.as_str()[..17], first17);
            assert_eq!(CreditCode::parse(code.as_str()).unwrap(), code);
        }
        assert!(matches!(
            CreditCode::generate("9153010"),
            Err(CreditCodeError::WrongLength { len: 8 })
        ));
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        let chars: Vec<char> = PUBLIC_EXAMPLE.chars().collect();
        for pos in 0..chars.len() {
            for &b in ALPHABET {
                let c = char::from(b);
                if c == chars[pos] {
                    continue;
                }
                let mut changed = chars.clone();
                changed[pos] = c;
                let s: String = changed.into_iter().collect();
                assert!(CreditCode::parse(&s).is_err(), "{s}");
            }
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(CreditCode::parse(""), Err(CreditCodeError::Empty));
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(CreditCodeError::WrongLength { len: 17 })
        );
        let err = CreditCode::parse("91350100M000100O43").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::BadCharacter {
                ch: 'O',
                position: 16
            }
        );
        let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Checksum {
                expected: '3',
                found: '4'
            }
        );
        assert!(err.to_string().starts_with("统一社会信用代码"));
        assert_eq!(err.code(), "checksum");
    }
}
