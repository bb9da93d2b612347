//! 姓名: normalisation and pinyin search keys.

use pinyin::ToPinyin;

use crate::text::{is_blank, is_han, to_halfwidth};

/// Longer than any real name, short enough to catch an address or a remark
/// pasted into the name column.
const MAX_NAME_CHARS: usize = 40;

/// Surnames whose reading differs from the character's everyday reading,
/// which is what the pinyin dictionary returns.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('朴', "piao"),
    ('区', "ou"),
    ('查', "zha"),
    ('乐', "yue"),
    ('尉', "yu"),
    ('繁', "po"),
    ('覃', "qin"),
    ('召', "shao"),
    ('缪', "miao"),
    ('秘', "bi"),
    ('盖', "ge"),
    ('员', "yun"),
    ('能', "nai"),
    ('种', "chong"),
    ('阚', "kan"),
    ('褚', "chu"),
    ('莘', "shen"),
    ('黑', "he"),
    ('沈', "shen"),
    ('重', "chong"),
    ('翟', "zhai"),
    ('柏', "bai"),
    ('任', "ren"),
    ('华', "hua"),
    ('纪', "ji"),
    ('折', "she"),
    ('隗', "wei"),
];

/// Pinyin search keys of a name, so staff can find 张三 by typing
/// `zhangsan` or `zs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameKeys {
    /// Toneless pinyin of every character, lower-case, concatenated.
    pub full: String,
    /// First letter of each character's pinyin.
    pub initials: String,
}

impl NameKeys {
    /// Reads the first character with its surname reading where that
    /// differs. ASCII letters and digits are kept lower-cased; the middle
    /// dot of minority names and other punctuation are dropped.
    pub fn of(name: &str) -> NameKeys {
        let mut full = String::new();
        let mut initials = String::new();
        for (i, c) in name.trim().chars().map(to_halfwidth).enumerate() {
            let surname = if i == 0 {
                SURNAME_READINGS
                    .iter()
                    .find(|(s, _)| *s == c)
                    .map(|(_, reading)| *reading)
            } else {
                None
            };
            let reading = surname.or_else(|| c.to_pinyin().map(|p| p.plain()));
            if let Some(reading) = reading {
                // Pinyin input methods and everyone typing a search box
                // write ü as v (吕 → lv).
                let reading = reading.replace('ü', "v");
                if let Some(first) = reading.chars().next() {
                    initials.push(first);
                }
                full.push_str(&reading);
            } else if c.is_ascii_alphanumeric() {
                let c = c.to_ascii_lowercase();
                full.push(c);
                initials.push(c);
            }
        }
        NameKeys { full, initials }
    }
}

/// Why a 姓名 was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("姓名为空，请填写姓名")]
    Empty,
    #[error("姓名过长：最多{max}个字，实为{len}个字，请核对是否把其他内容填进了姓名栏")]
    TooLong { len: usize, max: usize },
}

impl NameError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            NameError::Empty => "empty",
            NameError::TooLong { .. } => "too_long",
        }
    }
}

/// The dots people type in place of the interpunct `·` of names like
/// 阿不都·热合曼 (full-width ．has already become `.`).
fn is_middle_dot(c: char) -> bool {
    matches!(
        c,
        '·' | '・' | '•' | '‧' | '.' | '∙' | '⋅' | '･' | '\u{0387}' | '\u{2E31}'
    )
}

/// Cleans up a name as typed: trims, folds full-width ASCII, collapses
/// whitespace, and unifies the middle dot between Chinese characters to `·`.
///
/// Spaces between two Chinese characters are removed: they are never part of
/// a Chinese name but are common padding (张  三) in aligned paper lists.
pub fn normalize_name(input: &str) -> Result<String, NameError> {
    // Non-blank characters, each with whether blank space preceded it.
    let mut tokens: Vec<(char, bool)> = Vec::new();
    let mut pending_space = false;
    for c in input.chars().map(to_halfwidth) {
        if is_blank(c) {
            pending_space = true;
        } else {
            tokens.push((c, pending_space));
            pending_space = false;
        }
    }

    let mut out = String::new();
    let mut prev_was_dot = false;
    for (i, &(c, space_before)) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| tokens.get(j)).map(|t| t.0);
        let next = tokens.get(i + 1).map(|t| t.0);
        let is_dot = is_middle_dot(c) && prev.is_some_and(is_han) && next.is_some_and(is_han);
        let between_han = prev.is_some_and(is_han) && is_han(c);
        if space_before && i > 0 && !is_dot && !prev_was_dot && !between_han {
            out.push(' ');
        }
        out.push(if is_dot { '·' } else { c });
        prev_was_dot = is_dot;
    }

    let len = out.chars().count();
    if len == 0 {
        return Err(NameError::Empty);
    }
    if len > MAX_NAME_CHARS {
        return Err(NameError::TooLong {
            len,
            max: MAX_NAME_CHARS,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> (String, String) {
        let k = NameKeys::of(name);
        (k.full, k.initials)
    }

    #[test]
    fn plain_names() {
        assert_eq!(keys("张三"), ("zhangsan".into(), "zs".into()));
        assert_eq!(keys(" 李四 "), ("lisi".into(), "ls".into()));
        assert_eq!(keys("吕女"), ("lvnv".into(), "ln".into()));
    }

    #[test]
    fn polyphonic_surnames() {
        assert_eq!(keys("单田芳"), ("shantianfang".into(), "stf".into()));
        assert_eq!(keys("曾小贤"), ("zengxiaoxian".into(), "zxx".into()));
        assert_eq!(keys("解缙"), ("xiejin".into(), "xj".into()));
        assert_eq!(keys("区小明"), ("ouxiaoming".into(), "oxm".into()));
        // Only the first character is a surname.
        assert_eq!(keys("王单").0, "wangdan");
    }

    #[test]
    fn minority_names_and_ascii() {
        // Non-surname characters take the dictionary's everyday reading.
        assert_eq!(keys("买买提·艾力"), ("maimaitiaili".into(), "mmtal".into()));
        assert_eq!(keys("张A2"), ("zhanga2".into(), "za2".into()));
        assert_eq!(keys("ＬＩ明"), ("liming".into(), "lim".into()));
    }

    #[test]
    fn normalize_trims_and_collapses() {
        assert_eq!(normalize_name("  张三 ").unwrap(), "张三");
        assert_eq!(
            normalize_name("\u{3000}张\u{3000}\u{3000}三").unwrap(),
            "张三"
        );
        assert_eq!(
            normalize_name("Ｍａｒｙ   Ｓｍｉｔｈ").unwrap(),
            "Mary Smith"
        );
        assert_eq!(normalize_name("Mary.Smith").unwrap(), "Mary.Smith");
    }

    #[test]
    fn normalize_unifies_middle_dots() {
        for s in [
            "阿不都·热合曼",
            "阿不都・热合曼",
            "阿不都•热合曼",
            "阿不都‧热合曼",
            "阿不都．热合曼",
            "阿不都.热合曼",
            "阿不都 . 热合曼",
        ] {
            assert_eq!(normalize_name(s).unwrap(), "阿不都·热合曼", "{s}");
        }
    }

    #[test]
    fn normalize_rejects_empty_and_too_long() {
        let err = normalize_name(" \u{3000} ").unwrap_err();
        assert_eq!(err, NameError::Empty);
        assert!(err.to_string().contains("姓名"));
        let long = "张".repeat(41);
        assert_eq!(
            normalize_name(&long),
            Err(NameError::TooLong { len: 41, max: 40 })
        );
        assert!(normalize_name(&"张".repeat(40)).is_ok());
    }
}
