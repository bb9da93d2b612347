//! Reading the coded columns of a person row: dates, vocabularies typed in the office's own
//! words, yes/no flags. Each function answers what it understood and leaves the wording of
//! problems to the row parser, which knows the column.

use chrono::NaiveDate;
use shequ_domain::registry::{DOC_TYPES, EMPLOYMENT, ETHNICITIES, PERSON_TYPES, RELATIONS, pick};
use shequ_domain::{Sex, from_excel_serial, parse_date};

use crate::header::text::compact;
use crate::table::Cell;

/// What a date cell held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateValue {
    Empty,
    Date(NaiveDate),
    Bad,
}

/// The last Excel serial (9999-12-31).
const MAX_SERIAL: f64 = 2_958_465.0;

/// Reads a date as Excel or a person typed it: a date cell, a serial number (a date column
/// formatted as 常规 shows 44465), or text in any of the forms [`parse_date`] knows. Text
/// with a time ("2021-09-26 00:00:00", from exports) keeps only the date.
pub(crate) fn date(cell: &Cell) -> DateValue {
    let found = match cell {
        Cell::Empty => return DateValue::Empty,
        Cell::Date(d) => Some(*d),
        Cell::DateTime(t) => Some(t.date()),
        Cell::Number(n) if (1.0..=MAX_SERIAL).contains(n) => from_excel_serial(*n),
        // 20210926 typed into a numeric cell.
        Cell::Number(n) if n.fract() == 0.0 && (10_000_101.0..=99_991_231.0).contains(n) => {
            parse_date(&cell.display()).ok()
        }
        Cell::Number(_) | Cell::Bool(_) | Cell::Error(_) => None,
        Cell::Text(s) => {
            if cell.is_empty() {
                return DateValue::Empty;
            }
            date_text(s)
        }
    };
    found.map_or(DateValue::Bad, DateValue::Date)
}

fn date_text(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let t = match t.split_once([' ', 'T']) {
        Some((day, time)) if time.contains(':') => day,
        _ => t,
    };
    if let Ok(d) = parse_date(t) {
        return Some(d);
    }
    // A serial number that arrived as text (CSV saved from a sheet whose date column was
    // formatted as 常规). Five digits only: 1900s serials below 10000 are not plausible dates
    // of anything we record, and eight digits are 20210926.
    let c = compact(t);
    if c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit()) {
        return c.parse::<f64>().ok().and_then(from_excel_serial);
    }
    None
}

/// 性别: the domain parser knows 男/女/男性/女性/M/F/male/female; census forms and exports
/// write the codes of GB/T 2261.1 (1 男, 2 女).
pub(crate) fn sex(s: &str) -> Option<Sex> {
    match compact(s).as_str() {
        "1" => Some(Sex::Male),
        "2" => Some(Sex::Female),
        other => Sex::parse(other).ok(),
    }
}

/// A vocabulary value as typed, mapped onto the registry's spelling.
fn vocab(field: &str, list: &[&'static str], typed: &str) -> Result<&'static str, String> {
    pick(field, list, &compact(typed))
}

/// 人员类型. "寄住", "外来", "暂住" are how offices write 流动.
pub(crate) fn person_type(s: &str) -> Result<&'static str, String> {
    let c = compact(s);
    let canonical = match c.trim_end_matches(['人', '口', '员']) {
        "户籍" | "本地" | "常住户籍" | "本地户籍" | "户籍人" => "户籍",
        "流动" | "寄住" | "外来" | "暂住" | "外地" | "外来务工" => "流动",
        "境外" | "外籍" | "外国" | "境外人" => "境外",
        "未落户" | "无户口" | "未落户口" => "未落户",
        _ => c.as_str(),
    };
    vocab("人员类型", PERSON_TYPES, canonical)
}

/// What a 与户主关系 value means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RelationValue {
    Known(&'static str),
    /// "子女", "父母", "孙子女": the registry records 子 or 女, 父亲 or 母亲, so the person's
    /// sex decides, and it is unknown.
    NeedsSex,
    Unknown(String),
}

/// 与户主关系. Ledgers write the neutral "子女"/"父母"/"孙子女" for a whole class; the
/// registry's vocabulary is per person, so the sex (from the ID number when there is one)
/// picks the word.
pub(crate) fn relation(s: &str, sex: Option<Sex>) -> RelationValue {
    let c = compact(s);
    let by_sex = |m: &'static str, f: &'static str| match sex {
        Some(Sex::Male) => RelationValue::Known(m),
        Some(Sex::Female) => RelationValue::Known(f),
        None => RelationValue::NeedsSex,
    };
    let canonical =
        match c.as_str() {
            "子女" | "儿女" | "子/女" => return by_sex("子", "女"),
            "父母" => return by_sex("父亲", "母亲"),
            "孙子女" | "孙辈" => return by_sex("孙子", "孙女"),
            "外孙子女" => return by_sex("外孙子", "外孙女"),
            "本人" | "户主本人" | "家庭户户主" | "之户主" => "户主",
            "媳婿" => return by_sex("女婿", "儿媳"),
            "妻" | "妻子" | "夫" | "丈夫" | "爱人" | "老伴" | "夫妻" => "配偶",
            "儿子" | "长子" | "次子" | "二子" | "三子" | "四子" | "独子" | "养子" | "继子"
            | "之子" => "子",
            "女儿" | "长女" | "次女" | "二女" | "三女" | "四女" | "独女" | "养女" | "继女"
            | "之女" => "女",
            "父" | "爸爸" | "父子" => "父亲",
            "母" | "妈妈" | "母子" => "母亲",
            "孙" => "孙子",
            "外孙" => "外孙子",
            "媳妇" | "儿媳妇" => "儿媳",
            "兄" | "弟" | "姐" | "妹" | "哥哥" | "弟弟" | "姐姐" | "妹妹" | "兄弟" | "姐妹"
            | "兄妹" | "姐弟" => "兄弟姐妹",
            "祖父" | "祖母" | "爷爷" | "奶奶" | "外祖父" | "外祖母" | "外公" | "外婆" => {
                "祖父母"
            }
            "租客" | "承租人" | "租住" | "租房" => "租户",
            "其它" => "其他",
            other => other,
        };
    match vocab("与户主关系", RELATIONS, canonical) {
        Ok(v) => RelationValue::Known(v),
        Err(m) => RelationValue::Unknown(m),
    }
}

/// 民族: "汉" is 汉族 (the registry's pick knows that).
pub(crate) fn ethnicity(s: &str) -> Result<&'static str, String> {
    let c = compact(s);
    let canonical = match c.as_str() {
        "维族" => "维吾尔族",
        "蒙族" => "蒙古族",
        "其它" | "其他" | "未识别" | "未识别民族" => "其他未识别民族",
        other => other,
    };
    vocab("民族", ETHNICITIES, canonical)
}

/// 就业状况, from the words offices use (and from a 职业 column, where any job means 在业
/// cannot be assumed, so a job title is left for the user).
pub(crate) fn employment(s: &str) -> Result<&'static str, String> {
    let c = compact(s);
    let canonical = match c.as_str() {
        "就业" | "已就业" | "在职" | "在岗" | "上班" | "务工" | "工作" => "在业",
        "灵活" | "自由职业" | "个体" | "个体经营" => "灵活就业",
        "退休" | "离休" | "已退休" | "退休人员" => "离退休",
        "学生" | "在校" | "在读" | "上学" | "在校生" => "在校学生",
        "学前" | "幼儿" | "婴幼儿" | "学前儿童" => "学龄前",
        "无" | "待业" | "无业人员" => "无业",
        "失业登记" | "已登记失业" => "登记失业",
        "其它" => "其他",
        other => other,
    };
    vocab("就业状况", EMPLOYMENT, canonical)
}

/// What a 证件类型 value says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocKind {
    /// 居民身份证: the number belongs in the ID column's rules.
    IdCard,
    Doc(&'static str),
    Unknown(String),
}

pub(crate) fn doc_kind(s: &str) -> DocKind {
    let c = compact(s);
    let canonical = match c.as_str() {
        "身份证" | "居民身份证" | "二代身份证" | "公民身份号码" | "身份证号" =>
        {
            return DocKind::IdCard;
        }
        "港澳通行证" | "回乡证" => "港澳居民来往内地通行证",
        "台胞证" | "台湾通行证" => "台湾居民来往大陆通行证",
        "永居证" | "外国人永久居留证" | "永久居留证" => "外国人永久居留身份证",
        "出生证" | "出生证明" => "出生医学证明",
        "其它" | "其他" => "其他证件",
        other => other,
    };
    match vocab("证件类型", DOC_TYPES, canonical) {
        Ok(v) => DocKind::Doc(v),
        Err(m) => DocKind::Unknown(m),
    }
}

/// 文化程度 in the words of GB/T 4658 (the national classification of education), from the
/// short forms and older names ledgers use. "学龄前" is kept: ledgers write it for children.
pub(crate) fn education(s: &str) -> Result<&'static str, String> {
    let c = compact(s);
    let c = ["毕业", "肄业", "在读", "学历", "文化", "及以上", "以上"]
        .iter()
        .fold(c.as_str(), |c, suffix| c.strip_suffix(suffix).unwrap_or(c));
    Ok(match c {
        "研究生" | "博士" | "博士研究生" | "硕士" | "硕士研究生" => "研究生",
        "大学本科" | "本科" | "大本" | "大学" => "大学本科",
        "大学专科" | "大专" | "专科" | "高职" => "大学专科",
        "中等专科" | "中专" | "中等专业学校" | "中师" => "中等专科",
        "职业高中" | "职高" => "职业高中",
        "技工学校" | "技校" => "技工学校",
        "高中" | "普通高中" | "高级中学" => "普通高中",
        "初中" | "初级中学" => "初中",
        "小学" => "小学",
        "文盲" | "半文盲" | "文盲或半文盲" | "不识字" | "未上过学" | "未上学" => {
            "文盲或半文盲"
        }
        "学龄前" | "学龄前儿童" | "幼儿" => "学龄前",
        _ => {
            return Err(format!(
                "“{}”不是文化程度：请填写研究生、大学本科、大学专科、中专、高中、初中、小学或文盲",
                s.trim()
            ));
        }
    })
}

/// 政治面貌 in the words of GB/T 4762, from the short forms ledgers use ("党员", "团员").
pub(crate) fn political(s: &str) -> Result<&'static str, String> {
    let c = compact(s);
    Ok(match c.as_str() {
        "中共党员" | "党员" | "中国共产党党员" | "共产党员" | "正式党员" => {
            "中共党员"
        }
        "中共预备党员" | "预备党员" | "中国共产党预备党员" => "中共预备党员",
        "共青团员" | "团员" | "中国共产主义青年团团员" | "青年团员" => {
            "共青团员"
        }
        "民革党员" | "民革" => "民革党员",
        "民盟盟员" | "民盟" => "民盟盟员",
        "民建会员" | "民建" => "民建会员",
        "民进会员" | "民进" => "民进会员",
        "农工党党员" | "农工党" => "农工党党员",
        "致公党党员" | "致公党" => "致公党党员",
        "九三学社社员" | "九三学社" => "九三学社社员",
        "台盟盟员" | "台盟" => "台盟盟员",
        "民主党派" => "民主党派",
        "无党派人士" | "无党派" | "无党派民主人士" => "无党派人士",
        "群众" | "普通群众" | "居民" => "群众",
        _ => {
            return Err(format!(
                "“{}”不是政治面貌：请填写中共党员、中共预备党员、共青团员、民主党派、无党派人士或群众",
                s.trim()
            ));
        }
    })
}

/// What a 人户 cell says: whether the person lives where registered, and whether they live
/// here at all ("户在人不在", "流出": registered here, living elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Registration {
    pub registered_here: bool,
    pub lives_elsewhere: bool,
    /// The value names the state itself (not 是/否), so the column's wording doesn't flip it.
    pub explicit: bool,
}

/// The 人户 states offices write, besides yes/no ("人在户在", "人在户不在", "流入" …).
pub(crate) fn registration(cell: &Cell) -> Option<Registration> {
    let state = |registered_here, lives_elsewhere| Registration {
        registered_here,
        lives_elsewhere,
        explicit: true,
    };
    if let Cell::Text(s) = cell {
        match compact(s).as_str() {
            "人在户在" | "人户一致" | "一致" | "户籍在本地" => {
                return Some(state(true, false));
            }
            "人在户不在" | "人户分离" | "分离" | "流入" | "人在户不在本地" | "寄住" =>
            {
                return Some(state(false, false));
            }
            "户在人不在" | "流出" | "外出" | "户在人不在本地" => {
                return Some(state(false, true));
            }
            _ => {}
        }
    }
    yes_no(cell).map(|yes| Registration {
        registered_here: yes,
        lives_elsewhere: false,
        explicit: false,
    })
}

/// A year and month alone ("1985.03", "1985年3月", "198503"): how a 出生年月 column is often
/// filled. Only compared with the ID number, never taken as a birth date.
pub(crate) fn year_month(cell: &Cell) -> Option<(i32, u32)> {
    let text = match cell {
        Cell::Number(n) if n.fract() == 0.0 && (100_001.0..=999_912.0).contains(n) => {
            format!("{n}")
        }
        Cell::Text(s) => compact(s),
        _ => return None,
    };
    let t = text.trim_end_matches('月').trim_end_matches('份');
    let (y, m) = match t.split_once(['.', '-', '/', '年']) {
        Some((y, m)) => (y, m),
        None if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) => t.split_at(4),
        None => return None,
    };
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((1850..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

/// An age as typed: 35, "35", "35岁", "35周岁".
pub(crate) fn age(cell: &Cell) -> Option<u32> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && (0.0..=150.0).contains(n) => Some(*n as u32),
        Cell::Text(s) => {
            let c = compact(s);
            let c = c.trim_end_matches('岁').trim_end_matches('周');
            c.parse::<u32>().ok().filter(|a| *a <= 150)
        }
        _ => None,
    }
}

/// A yes/no cell (人户一致: 是/否, √/×, 一致/分离).
pub(crate) fn yes_no(cell: &Cell) -> Option<bool> {
    match cell {
        Cell::Bool(b) => Some(*b),
        Cell::Number(n) if *n == 1.0 => Some(true),
        Cell::Number(n) if *n == 0.0 => Some(false),
        Cell::Text(s) => match compact(s).to_lowercase().as_str() {
            "是" | "y" | "yes" | "true" | "√" | "✓" | "✔" | "1" | "一致" | "人户一致" | "相同" => {
                Some(true)
            }
            "否" | "n" | "no" | "false" | "×" | "✗" | "✘" | "x" | "0" | "不一致" | "分离"
            | "人户分离" | "不同" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn dates_in_every_form_offices_use() {
        let want = DateValue::Date(d(2021, 9, 26));
        for s in [
            "2021年9月26日",
            "2021.9.26",
            "2021/9/26",
            "2021-09-26",
            "20210926",
            " ２０２１．９．２６ ",
            "2021-09-26 00:00:00",
            "2021-09-26T00:00:00",
            "44465",
        ] {
            assert_eq!(date(&text(s)), want, "{s}");
        }
        assert_eq!(date(&Cell::Date(d(2021, 9, 26))), want);
        assert_eq!(date(&Cell::Number(44465.0)), want);
        assert_eq!(date(&Cell::Number(44465.5)), want);
        assert_eq!(date(&Cell::Number(20_210_926.0)), want);
        assert_eq!(date(&Cell::Empty), DateValue::Empty);
        assert_eq!(date(&text(" \u{3000}")), DateValue::Empty);
    }

    #[test]
    fn bad_dates() {
        for c in [
            text("2021-02-30"),
            text("2021.13.1"),
            text("21-9-26"),
            text("不详"),
            text("1990年1月"),
            Cell::Number(0.0),
            Cell::Number(60.0),
            Cell::Number(-3.0),
            Cell::Number(f64::NAN),
            Cell::Number(f64::INFINITY),
            Cell::Number(3e6),
            Cell::Number(20_210_230.0),
            Cell::Bool(true),
            Cell::Error("#N/A".into()),
        ] {
            assert_eq!(date(&c), DateValue::Bad, "{c:?}");
        }
    }

    #[test]
    fn sex_spellings() {
        for s in ["男", "男性", "M", "m", "male", "Male", "Ｍ"] {
            assert_eq!(sex(s), Some(Sex::Male), "{s}");
        }
        for s in ["女", "女性", "F", "f", "female", "ｆ"] {
            assert_eq!(sex(s), Some(Sex::Female), "{s}");
        }
        assert_eq!(sex("未知"), None);
        assert_eq!(sex(""), None);
    }

    #[test]
    fn person_types() {
        for (typed, want) in [
            ("户籍", "户籍"),
            ("户籍人口", "户籍"),
            ("流动", "流动"),
            ("流动人口", "流动"),
            ("寄住", "流动"),
            ("外来", "流动"),
            ("暂住", "流动"),
            ("外来人员", "流动"),
            ("境外", "境外"),
            ("境外人员", "境外"),
            ("未落户", "未落户"),
            (" 户籍 ", "户籍"),
        ] {
            assert_eq!(person_type(typed), Ok(want), "{typed}");
        }
        let e = person_type("农业").unwrap_err();
        assert!(e.contains("人员类型") && e.contains("农业"), "{e}");
    }

    #[test]
    fn relations_use_the_registry_spelling() {
        use RelationValue::*;
        let m = Some(Sex::Male);
        let f = Some(Sex::Female);
        for (typed, sex, want) in [
            ("户主", None, "户主"),
            ("本人", None, "户主"),
            ("配偶", None, "配偶"),
            ("妻子", None, "配偶"),
            ("丈夫", None, "配偶"),
            ("夫", None, "配偶"),
            ("妻", None, "配偶"),
            ("子", None, "子"),
            ("儿子", None, "子"),
            ("女儿", None, "女"),
            ("子女", m, "子"),
            ("子女", f, "女"),
            ("父亲", None, "父亲"),
            ("母亲", None, "母亲"),
            ("父母", m, "父亲"),
            ("父母", f, "母亲"),
            ("孙子", None, "孙子"),
            ("孙女", None, "孙女"),
            ("孙子女", m, "孙子"),
            ("孙子女", f, "孙女"),
            ("外孙子女", f, "外孙女"),
            ("儿媳妇", None, "儿媳"),
            ("女婿", None, "女婿"),
            ("哥哥", None, "兄弟姐妹"),
            ("奶奶", None, "祖父母"),
            ("租客", None, "租户"),
            ("其它", None, "其他"),
        ] {
            assert_eq!(relation(typed, sex), Known(want), "{typed}");
            assert!(RELATIONS.contains(&want));
        }
        assert_eq!(relation("子女", None), NeedsSex);
        assert_eq!(relation("父母", None), NeedsSex);
        assert!(matches!(relation("邻居", m), Unknown(e) if e.contains("邻居")));
    }

    #[test]
    fn ethnicities_and_employment() {
        assert_eq!(ethnicity("汉"), Ok("汉族"));
        assert_eq!(ethnicity("汉族"), Ok("汉族"));
        assert_eq!(ethnicity("回"), Ok("回族"));
        assert_eq!(ethnicity("维吾尔"), Ok("维吾尔族"));
        assert_eq!(ethnicity("维族"), Ok("维吾尔族"));
        assert!(ethnicity("火星族").is_err());
        assert_eq!(employment("退休"), Ok("离退休"));
        assert_eq!(employment("在业"), Ok("在业"));
        assert_eq!(employment("学生"), Ok("在校学生"));
        assert!(employment("教师").is_err());
    }

    #[test]
    fn doc_kinds_and_flags() {
        assert_eq!(doc_kind("护照"), DocKind::Doc("护照"));
        assert_eq!(doc_kind("台胞证"), DocKind::Doc("台湾居民来往大陆通行证"));
        assert_eq!(doc_kind("居民身份证"), DocKind::IdCard);
        assert!(matches!(doc_kind("驾照"), DocKind::Unknown(_)));
        assert_eq!(yes_no(&text("是")), Some(true));
        assert_eq!(yes_no(&text("×")), Some(false));
        assert_eq!(yes_no(&text("人户分离")), Some(false));
        assert_eq!(yes_no(&Cell::Bool(true)), Some(true));
        assert_eq!(yes_no(&Cell::Number(0.0)), Some(false));
        assert_eq!(yes_no(&text("也许")), None);
    }
}
