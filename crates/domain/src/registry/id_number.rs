//! 公民身份号码 (GB 11643-1999).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::registry::sex::Sex;
use crate::text::{is_blank, to_halfwidth};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The standard allows earlier dates, but nobody alive was born before this;
/// an earlier date is a typo in the year.
const EARLIEST_BIRTH: NaiveDate = match NaiveDate::from_ymd_opt(1880, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A valid 18-character 公民身份号码 with an upper-case `X` check character.
///
/// Only obtainable through [`IdNumber::parse`] and friends, so holders can
/// rely on the birth date, sex and region digits being meaningful.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

/// Why a 公民身份号码 was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("公民身份号码为空，请填写18位公民身份号码")]
    Empty,
    #[error("公民身份号码位数不对：应为18位（旧版15位也可），实为{len}位，请核对是否漏填或多填")]
    WrongLength { len: usize },
    #[error(
        "公民身份号码第{position}位“{ch}”不是合法字符：前17位只能是数字，第18位只能是数字或X，请改正"
    )]
    BadCharacter { ch: char, position: usize },
    #[error(
        "公民身份号码末尾几位已丢失：该单元格在Excel中被存成了数字（显示为1.10105E+17之类的科学计数法，或末尾变成000），丢失的数字无法恢复。请把该列设置为“文本”格式后重新录入完整号码"
    )]
    PrecisionLost,
    #[error("公民身份号码前两位“{code}”不是有效的省级行政区划代码，请核对号码开头是否录错")]
    UnknownProvince { code: String },
    #[error("公民身份号码第7至14位的出生日期“{digits}”不是真实存在的日期，请核对")]
    ImpossibleDate { digits: String },
    #[error("公民身份号码中的出生日期（第7至14位）晚于今天，请核对")]
    FutureDate,
    #[error("公民身份号码中的出生日期（第7至14位）早于1880年1月1日，请核对出生年份")]
    TooOld,
    #[error("公民身份号码校验位不符：按前17位应为{expected}，实为{found}，请核对号码是否录错")]
    Checksum { expected: char, found: char },
}

impl IdNumberError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            IdNumberError::Empty => "empty",
            IdNumberError::WrongLength { .. } => "length",
            IdNumberError::BadCharacter { .. } => "character",
            IdNumberError::PrecisionLost => "precision_lost",
            IdNumberError::UnknownProvince { .. } => "province",
            IdNumberError::ImpossibleDate { .. } => "impossible_date",
            IdNumberError::FutureDate => "future_date",
            IdNumberError::TooOld => "too_old",
            IdNumberError::Checksum { .. } => "checksum",
        }
    }
}

/// The GB 11643 check character for the first 17 digits, or `None` when the
/// input is not exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&b, w) in bytes.iter().zip(WEIGHTS) {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * w;
    }
    CHECK_CHARS.get((sum % 11) as usize).map(|&b| char::from(b))
}

fn is_known_province(code: &str) -> bool {
    matches!(
        code.parse::<u8>(),
        Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83)
    )
}

fn normalize(input: &str) -> String {
    let s: String = input
        .chars()
        .map(to_halfwidth)
        .filter(|c| !is_blank(*c))
        .map(|c| if c == 'x' { 'X' } else { c })
        .collect();
    // A leading apostrophe is how people force Excel to keep a number as
    // text; some exports carry it into the value.
    s.trim_start_matches(['\'', '‘', '’', '`']).to_string()
}

/// Excel keeps 15 significant digits; an 18-digit number typed into a
/// numeric cell comes back in scientific notation or with a decimal point.
fn looks_like_excel_number(s: &str) -> bool {
    s.contains('.') || s.contains("E+") || s.contains("e+")
}

fn date_from_digits(digits: &str) -> Option<NaiveDate> {
    let year = digits.get(0..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Checks everything but the characters and length, which the caller has
/// already established (18 chars, 17 digits then a digit or `X`).
fn validate(full: &str, today: NaiveDate) -> Result<(), IdNumberError> {
    let province = &full[0..2];
    if !is_known_province(province) {
        return Err(IdNumberError::UnknownProvince {
            code: province.to_string(),
        });
    }
    let digits = &full[6..14];
    let birth = date_from_digits(digits).ok_or_else(|| IdNumberError::ImpossibleDate {
        digits: digits.to_string(),
    })?;
    if birth < EARLIEST_BIRTH {
        return Err(IdNumberError::TooOld);
    }
    if birth > today {
        return Err(IdNumberError::FutureDate);
    }
    // The caller guarantees 17 digits, so `None` cannot happen; mapping it to
    // a length error merely avoids a panic path.
    let expected =
        check_char(&full[0..17]).ok_or(IdNumberError::WrongLength { len: full.len() })?;
    let found = full[17..].chars().next().unwrap_or(' ');
    if expected != found {
        // Excel pads the digits beyond its 15-digit precision with zeros, so
        // a failed check on a number ending in 000 is almost surely that.
        if full.ends_with("000") {
            return Err(IdNumberError::PrecisionLost);
        }
        return Err(IdNumberError::Checksum { expected, found });
    }
    Ok(())
}

fn first_bad_char(s: &str) -> Option<(char, usize)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == 'X'))
        .map(|(i, c)| (c, i + 1))
}

impl IdNumber {
    /// Parses and validates against today's local date.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        IdNumber::parse_at(input, crate::clock::today())
    }

    /// Parses and validates; `today` bounds the birth date from above.
    ///
    /// Accepts full-width characters, surrounding and inner spaces, a
    /// lower-case `x`, and legacy 15-digit numbers (converted to 18).
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if looks_like_excel_number(&s) {
            return Err(IdNumberError::PrecisionLost);
        }
        if let Some((ch, position)) = first_bad_char(&s) {
            return Err(IdNumberError::BadCharacter { ch, position });
        }
        // Only ASCII digits and X remain, so byte offsets are char offsets.
        let full = match s.len() {
            18 => {
                if let Some(p) = s[..17].find('X') {
                    return Err(IdNumberError::BadCharacter {
                        ch: 'X',
                        position: p + 1,
                    });
                }
                s
            }
            15 => {
                if let Some(p) = s.find('X') {
                    return Err(IdNumberError::BadCharacter {
                        ch: 'X',
                        position: p + 1,
                    });
                }
                // Legacy numbers (issued before 1999) have a two-digit year
                // in the 1900s and no check character.
                let mut first17 = format!("{}19{}", &s[..6], &s[6..]);
                let check = check_char(&first17).ok_or(IdNumberError::WrongLength { len: 15 })?;
                first17.push(check);
                first17
            }
            len => return Err(IdNumberError::WrongLength { len }),
        };
        validate(&full, today)?;
        Ok(IdNumber(full))
    }

    /// Builds a valid number from a 6-digit region code, a birth date and a
    /// sequence number 0..=999 (odd for men, even for women). No future-date
    /// check, so demo data can be generated for any date.
    pub fn generate(region6: &str, birth: NaiveDate, seq: u16) -> Result<IdNumber, IdNumberError> {
        let first17 = format!("{region6}{}{seq:03}", birth.format("%Y%m%d"));
        let Some(check) = check_char(&first17) else {
            if let Some((ch, position)) = first_bad_char(&first17) {
                return Err(IdNumberError::BadCharacter { ch, position });
            }
            return Err(IdNumberError::WrongLength {
                len: first17.chars().count() + 1,
            });
        };
        let full = format!("{first17}{check}");
        validate(&full, NaiveDate::MAX)?;
        Ok(IdNumber(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        // Validated at construction; the fallback is unreachable.
        date_from_digits(&self.0[6..14]).unwrap_or(NaiveDate::MIN)
    }

    /// Digit 17 is odd for men and even for women.
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes().get(16).copied().unwrap_or(b'0');
        if (digit - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit administrative division code of the place of registration.
    pub fn region_code(&self) -> &str {
        &self.0[0..6]
    }

    /// Age in full years on `date`; 0 if `date` is before the birth date.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date();
        if date < birth {
            return 0;
        }
        let years = date.year() - birth.year();
        let before_birthday = (date.month(), date.day()) < (birth.month(), birth.day());
        u32::try_from(years - i32::from(before_birthday)).unwrap_or(0)
    }

    /// The last `n` characters (the whole number if `n` ≥ 18), for masked
    /// display and for matching by tail.
    pub fn tail(&self, n: usize) -> &str {
        &self.0[self.0.len().saturating_sub(n)..]
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for IdNumber {
    type Err = IdNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        IdNumber::parse(&value)
    }
}

impl From<IdNumber> for String {
    fn from(id: IdNumber) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: [&str; 2] = ["11010519491231002X", "440524188001010014"];

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2025, 6, 1)
    }

    fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        IdNumber::parse_at(s, today())
    }

    #[test]
    fn check_char_of_standard_examples() {
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("44052418800101001"), Some('4'));
        assert_eq!(check_char("4405241880010100"), None);
        assert_eq!(check_char("4405241880010100A"), None);
    }

    #[test]
    fn accepts_standard_examples() {
        for s in GOOD {
            assert_eq!(parse(s).unwrap().as_str(), s);
        }
        assert!(IdNumber::parse(GOOD[0]).is_ok());
    }

    #[test]
    fn converts_legacy_15_digit_numbers() {
        let id = parse("110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), d(1949, 12, 31));
    }

    #[test]
    fn normalises_fullwidth_spaces_and_lowercase_x() {
        for s in [
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
            "11010519491231002x",
            "\u{3000}110105 19491231 002x ",
            "110105\u{3000}1949\u{3000}1231\u{3000}002X",
            "'11010519491231002X",
            "\u{FEFF}11010519491231002X",
        ] {
            assert_eq!(parse(s).unwrap().as_str(), "11010519491231002X", "{s:?}");
        }
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        for good in GOOD {
            let chars: Vec<char> = good.chars().collect();
            for pos in 0..chars.len() {
                for c in "0123456789X".chars() {
                    if c == chars[pos] {
                        continue;
                    }
                    let mut changed = chars.clone();
                    changed[pos] = c;
                    let s: String = changed.into_iter().collect();
                    assert!(parse(&s).is_err(), "{s} should be rejected");
                }
            }
        }
    }

    #[test]
    fn birth_date_sex_age_region_tail() {
        let id = parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), d(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.age_on(d(2021, 12, 30)), 71);
        assert_eq!(id.age_on(d(2021, 12, 31)), 72);
        assert_eq!(id.age_on(d(1940, 1, 1)), 0);
        assert_eq!(id.tail(4), "002X");
        assert_eq!(id.tail(30), "11010519491231002X");
        assert_eq!(id.to_string(), "11010519491231002X");

        let id = parse("440524188001010014").unwrap();
        assert_eq!(id.birth_date(), d(1880, 1, 1));
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.age_on(d(1980, 1, 1)), 100);
    }

    #[test]
    fn leap_day_birthday() {
        let id = IdNumber::generate("110105", d(2000, 2, 29), 11).unwrap();
        assert_eq!(id.age_on(d(2001, 2, 28)), 0);
        assert_eq!(id.age_on(d(2001, 3, 1)), 1);
        assert_eq!(id.age_on(d(2004, 2, 29)), 4);
    }

    #[test]
    fn rejects_future_birth_date() {
        let id = IdNumber::generate("110105", d(2030, 1, 1), 1).unwrap();
        assert_eq!(parse(id.as_str()), Err(IdNumberError::FutureDate));
        assert!(IdNumber::parse_at(id.as_str(), d(2030, 1, 1)).is_ok());
    }

    #[test]
    fn rejects_too_old_and_impossible_dates() {
        let first17 = "11010518791231002";
        let s = format!("{first17}{}", check_char(first17).unwrap());
        assert_eq!(parse(&s), Err(IdNumberError::TooOld));

        let first17 = "11010519490230002";
        let s = format!("{first17}{}", check_char(first17).unwrap());
        assert_eq!(
            parse(&s),
            Err(IdNumberError::ImpossibleDate {
                digits: "19490230".into()
            })
        );
    }

    #[test]
    fn rejects_bad_province() {
        let first17 = "99010519491231002";
        let s = format!("{first17}{}", check_char(first17).unwrap());
        let err = parse(&s).unwrap_err();
        assert_eq!(err, IdNumberError::UnknownProvince { code: "99".into() });
        assert_eq!(err.code(), "province");
        assert!(matches!(
            IdNumber::generate("160105", d(1990, 1, 1), 1),
            Err(IdNumberError::UnknownProvince { .. })
        ));
    }

    #[test]
    fn rejects_excel_precision_loss() {
        for s in [
            "1.10105E+17",
            "1.10105e+17",
            "110105194912310000",
            "１．１０１０５Ｅ＋１７",
        ] {
            let err = parse(s).unwrap_err();
            assert_eq!(err, IdNumberError::PrecisionLost, "{s}");
            assert!(err.to_string().contains("Excel"));
        }
    }

    #[test]
    fn other_errors_and_messages() {
        assert_eq!(parse(" \u{3000} "), Err(IdNumberError::Empty));
        assert_eq!(
            parse("1101051949123100"),
            Err(IdNumberError::WrongLength { len: 16 })
        );
        assert_eq!(
            parse("11010519491231002Y"),
            Err(IdNumberError::BadCharacter {
                ch: 'Y',
                position: 18
            })
        );
        assert_eq!(
            parse("1101051949123100X2"),
            Err(IdNumberError::BadCharacter {
                ch: 'X',
                position: 17
            })
        );
        let err = parse("110105194912310023").unwrap_err();
        assert_eq!(
            err,
            IdNumberError::Checksum {
                expected: 'X',
                found: '3'
            }
        );
        assert_eq!(
            err.to_string(),
            "公民身份号码校验位不符：按前17位应为X，实为3，请核对号码是否录错"
        );
        assert_eq!(err.code(), "checksum");
    }

    #[test]
    fn generate_builds_valid_numbers() {
        let id = IdNumber::generate("530102", d(1985, 7, 15), 123).unwrap();
        assert_eq!(&id.as_str()[..17], "53010219850715123");
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(parse(id.as_str()).unwrap(), id);
        let id = IdNumber::generate("530102", d(1985, 7, 15), 0).unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert!(matches!(
            IdNumber::generate("530102", d(1985, 7, 15), 1000),
            Err(IdNumberError::WrongLength { len: 19 })
        ));
        assert!(matches!(
            IdNumber::generate("53010A", d(1985, 7, 15), 1),
            Err(IdNumberError::BadCharacter {
                ch: 'A',
                position: 6
            })
        ));
    }

    #[test]
    fn serde_round_trip_via_string() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let id: IdNumber = IdNumber::deserialize(IntoDeserializer::<Error>::into_deserializer(
            "11010519491231002x",
        ))
        .unwrap();
        assert_eq!(String::from(id), "11010519491231002X");
        assert!(
            IdNumber::deserialize(IntoDeserializer::<Error>::into_deserializer("123")).is_err()
        );
    }
}
