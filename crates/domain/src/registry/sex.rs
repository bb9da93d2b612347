//! 性别.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{is_blank, to_halfwidth};

/// Sex as recorded on the resident's identity card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Sex {
    Male,
    Female,
}

/// Why a 性别 value could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SexError {
    #[error("性别为空，请填写“男”或“女”")]
    Empty,
    #[error("性别“{value}”无法识别，请填写“男”或“女”")]
    Unknown { value: String },
}

impl SexError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            SexError::Empty => "empty",
            SexError::Unknown { .. } => "unknown",
        }
    }
}

impl Sex {
    /// The Chinese label used in forms, exports and storage.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// Accepts the spellings that turn up in spreadsheets: 男/女, 男性/女性,
    /// M/F and male/female in any case, with full-width letters folded.
    pub fn parse(input: &str) -> Result<Sex, SexError> {
        let s: String = input
            .chars()
            .map(to_halfwidth)
            .filter(|c| !is_blank(*c))
            .collect::<String>()
            .to_lowercase();
        match s.as_str() {
            "" => Err(SexError::Empty),
            "男" | "男性" | "m" | "male" => Ok(Sex::Male),
            "女" | "女性" | "f" | "female" => Ok(Sex::Female),
            _ => Err(SexError::Unknown {
                value: input.trim().to_string(),
            }),
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Sex {
    type Err = SexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::parse(s)
    }
}

impl TryFrom<String> for Sex {
    type Error = SexError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Sex::parse(&value)
    }
}

impl From<Sex> for &'static str {
    fn from(sex: Sex) -> Self {
        sex.label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        for s in ["男", " 男 ", "男性", "M", "m", "male", "Male", "ＭＡＬＥ"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Male), "{s}");
        }
        for s in ["女", "女性", "F", "f", "female", "FEMALE", "ｆ"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Female), "{s}");
        }
    }

    #[test]
    fn rejects_others_with_chinese_message() {
        assert_eq!(Sex::parse("  "), Err(SexError::Empty));
        let err = Sex::parse("未知").unwrap_err();
        assert_eq!(err.code(), "unknown");
        assert!(err.to_string().contains("性别"));
        assert!(err.to_string().contains("未知"));
    }

    #[test]
    fn labels_and_display() {
        assert_eq!(Sex::Male.label(), "男");
        assert_eq!(Sex::Female.to_string(), "女");
    }
}
