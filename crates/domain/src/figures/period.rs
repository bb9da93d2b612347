//! The one rule for *when* a figure is counted: a period of local calendar days, written the way
//! offices name them (`2024`, `2024H1`, `2024Q3`, `2024-05`, `2024-01-01..2024-03-31`, or in
//! Chinese, 2024年上半年 …), with the period before it (环比) and the same period a year
//! earlier (同比).

use std::fmt;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dates::parse_date;
use crate::text::{is_blank, to_halfwidth};

/// Years a period may fall in: records older than 1949 or later than 2199 are typing slips.
const YEARS: std::ops::RangeInclusive<i32> = 1949..=2199;
/// A custom range longer than this is a slip too (and would make a figure nobody asked for).
const LONGEST_RANGE_DAYS: i64 = 366 * 10;

/// How a period was named: it decides its previous period and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    Year,
    /// 1 or 2.
    Half(u8),
    /// 1 to 4.
    Quarter(u8),
    Month,
    /// Any run of whole days.
    Range,
}

/// A run of local calendar days, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    span: Span,
    first: NaiveDate,
    last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "统计期间为空：请写成2024（全年）、2024H1（上半年）、2024Q3（第三季度）、2024-05（月份）或2024-01-01..2024-03-31（起止日期）"
    )]
    Empty,
    #[error(
        "统计期间“{0}”无法识别：请写成2024（全年）、2024H1（上半年）、2024Q3（第三季度）、2024-05（月份）或2024-01-01..2024-03-31（起止日期）"
    )]
    Format(String),
    #[error("统计期间“{0}”的年份应在1949至2199之间")]
    Year(String),
    #[error("统计期间“{0}”的半年只能是H1（上半年）或H2（下半年）")]
    Half(String),
    #[error("统计期间“{0}”的季度只能是Q1至Q4")]
    Quarter(String),
    #[error("统计期间“{0}”的月份只能是1至12")]
    Month(String),
    #[error("统计期间“{value}”的起始日期无法识别：{reason}")]
    RangeDate { value: String, reason: String },
    #[error("统计期间“{0}”的结束日期早于开始日期，请对调或改正")]
    Reversed(String),
    #[error("统计期间“{0}”超过十年，请缩短")]
    TooLong(String),
}

impl Period {
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            span: Span::Year,
            first: NaiveDate::from_ymd_opt(year, 1, 1)?,
            last: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    pub fn half(year: i32, half: u8) -> Option<Period> {
        let first_month = match half {
            1 => 1,
            2 => 7,
            _ => return None,
        };
        Some(Period {
            span: Span::Half(half),
            first: NaiveDate::from_ymd_opt(year, first_month, 1)?,
            last: month_end(year, first_month + 5)?,
        })
    }

    pub fn quarter(year: i32, quarter: u8) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first_month = u32::from(quarter) * 3 - 2;
        Some(Period {
            span: Span::Quarter(quarter),
            first: NaiveDate::from_ymd_opt(year, first_month, 1)?,
            last: month_end(year, first_month + 2)?,
        })
    }

    pub fn month(year: i32, month: u32) -> Option<Period> {
        Some(Period {
            span: Span::Month,
            first: NaiveDate::from_ymd_opt(year, month, 1)?,
            last: month_end(year, month)?,
        })
    }

    /// Days `first` to `last`, both included; `None` when `last` is before `first`.
    pub fn range(first: NaiveDate, last: NaiveDate) -> Option<Period> {
        (first <= last).then_some(Period {
            span: Span::Range,
            first,
            last,
        })
    }

    /// The period a figure shows when none is asked for: the calendar year of `today`
    /// (the seeds' summaries are yearly; "this year so far" as the year goes on).
    pub fn default_at(today: NaiveDate) -> Period {
        Period::year(today.year()).unwrap_or(Period {
            span: Span::Range,
            first: today,
            last: today,
        })
    }

    /// Reads a period as written in a URL, a form or on the command line; full-width digits,
    /// spaces and lower case are tolerated.
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s: String = input
            .chars()
            .map(to_halfwidth)
            .filter(|c| !is_blank(*c))
            .collect::<String>()
            .to_ascii_uppercase();
        let value = || input.trim().to_string();
        if s.is_empty() {
            return Err(PeriodError::Empty);
        }
        for sep in ["..", "至", "~"] {
            if let Some((a, b)) = s.split_once(sep) {
                return parse_range(a, b, &value());
            }
        }
        if let Some(p) = parse_chinese(&s, &value())? {
            return Ok(p);
        }
        let digits_then = |s: &str| -> Option<(i32, String)> {
            let head: String = s.chars().take_while(char::is_ascii_digit).collect();
            if head.len() != 4 {
                return None;
            }
            Some((head.parse().ok()?, s[4..].to_string()))
        };
        let Some((year, rest)) = digits_then(&s) else {
            return Err(PeriodError::Format(value()));
        };
        if !YEARS.contains(&year) {
            return Err(PeriodError::Year(value()));
        }
        let number = |t: &str| -> Option<u32> {
            (!t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        if rest.is_empty() {
            return Period::year(year).ok_or_else(|| PeriodError::Year(value()));
        }
        if let Some(h) = rest.strip_prefix('H') {
            return number(h)
                .and_then(|h| u8::try_from(h).ok())
                .and_then(|h| Period::half(year, h))
                .ok_or_else(|| PeriodError::Half(value()));
        }
        if let Some(q) = rest.strip_prefix('Q') {
            return number(q)
                .and_then(|q| u8::try_from(q).ok())
                .and_then(|q| Period::quarter(year, q))
                .ok_or_else(|| PeriodError::Quarter(value()));
        }
        if let Some(m) = rest.strip_prefix(['-', '/', '.']) {
            return number(m)
                .and_then(|m| Period::month(year, m))
                .ok_or_else(|| PeriodError::Month(value()));
        }
        Err(PeriodError::Format(value()))
    }

    pub fn span(&self) -> Span {
        self.span
    }

    pub fn first(&self) -> NaiveDate {
        self.first
    }

    pub fn last(&self) -> NaiveDate {
        self.last
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first <= day && day <= self.last
    }

    /// The day a registry count (people, households, special groups) is taken on: the period's
    /// last day, or `today` while the period is still running.
    pub fn as_of(&self, today: NaiveDate) -> NaiveDate {
        self.last.min(today).max(self.first)
    }

    /// The period just before (环比): the previous year, half, quarter or month; for a custom
    /// range, as many days ending the day before it starts.
    pub fn previous(&self) -> Period {
        let year = self.first.year();
        let same_shape = match self.span {
            Span::Year => Period::year(year - 1),
            Span::Half(1) => Period::half(year - 1, 2),
            Span::Half(_) => Period::half(year, 1),
            Span::Quarter(1) => Period::quarter(year - 1, 4),
            Span::Quarter(q) => Period::quarter(year, q - 1),
            Span::Month if self.first.month() == 1 => Period::month(year - 1, 12),
            Span::Month => Period::month(year, self.first.month() - 1),
            Span::Range => None,
        };
        same_shape.unwrap_or_else(|| {
            let last = self.first - Duration::days(1);
            Period {
                span: Span::Range,
                first: last - Duration::days(self.days() - 1),
                last,
            }
        })
    }

    /// The same period a year earlier (同比); 29 February becomes the 28th.
    pub fn year_ago(&self) -> Period {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        let year = self.first.year() - 1;
        let same_shape = match self.span {
            Span::Year => Period::year(year),
            Span::Half(h) => Period::half(year, h),
            Span::Quarter(q) => Period::quarter(year, q),
            Span::Month => Period::month(year, self.first.month()),
            Span::Range => None,
        };
        same_shape.unwrap_or(Period {
            span: Span::Range,
            first: back(self.first),
            last: back(self.last),
        })
    }

    /// The months of the period begun by `today`, each cut to the period, for a trend month by
    /// month (the last may be under way: see [`Period::finished_months`]).
    pub fn months_until(&self, today: NaiveDate) -> Vec<Period> {
        let mut out = Vec::new();
        let mut first = self.first;
        while first <= self.last && first <= today {
            let Some(month) = Period::month(first.year(), first.month()) else {
                break;
            };
            if let Some(p) = Period::range(first, month.last().min(self.last)) {
                out.push(p);
            }
            first = month.last() + chrono::Duration::days(1);
        }
        out
    }

    /// As [`Period::months_until`], but the month under way is left out when finished ones
    /// precede it: in a printed trend its few days would read as a fall.
    pub fn finished_months(&self, today: NaiveDate) -> Vec<Period> {
        let mut out = self.months_until(today);
        if out.len() > 1 && out.last().is_some_and(|m| m.last() > today) {
            out.pop();
        }
        out
    }

    /// How a document names it: 2024年, 2024年上半年, 2024年第三季度, 2024年5月,
    /// 2024年1月1日至2024年3月31日.
    pub fn label(&self) -> String {
        let y = self.first.year();
        match self.span {
            Span::Year => format!("{y}年"),
            Span::Half(1) => format!("{y}年上半年"),
            Span::Half(_) => format!("{y}年下半年"),
            Span::Quarter(q) => {
                let n = ["一", "二", "三", "四"][usize::from(q.clamp(1, 4) - 1)];
                format!("{y}年第{n}季度")
            }
            Span::Month => format!("{y}年{}月", self.first.month()),
            Span::Range => format!(
                "{}至{}",
                crate::dates::format_cn(self.first),
                crate::dates::format_cn(self.last)
            ),
        }
    }
}

impl fmt::Display for Period {
    /// The code it is written with in URLs and on the command line (`2024Q3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let y = self.first.year();
        match self.span {
            Span::Year => write!(f, "{y}"),
            Span::Half(h) => write!(f, "{y}H{h}"),
            Span::Quarter(q) => write!(f, "{y}Q{q}"),
            Span::Month => write!(f, "{y}-{:02}", self.first.month()),
            Span::Range => write!(f, "{}..{}", self.first, self.last),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    next.pred_opt()
}

fn parse_range(a: &str, b: &str, value: &str) -> Result<Period, PeriodError> {
    let day = |t: &str| {
        parse_date(t).map_err(|e| PeriodError::RangeDate {
            value: value.to_string(),
            reason: e.to_string(),
        })
    };
    let (first, last) = (day(a)?, day(b)?);
    if !YEARS.contains(&first.year()) || !YEARS.contains(&last.year()) {
        return Err(PeriodError::Year(value.to_string()));
    }
    let p = Period::range(first, last).ok_or_else(|| PeriodError::Reversed(value.to_string()))?;
    if p.days() > LONGEST_RANGE_DAYS {
        return Err(PeriodError::TooLong(value.to_string()));
    }
    Ok(p)
}

/// 2024年, 2024年上半年, 2024年下半年, 2024年第3季度 (or 第三季度), 2024年5月.
fn parse_chinese(s: &str, value: &str) -> Result<Option<Period>, PeriodError> {
    let Some((y, rest)) = s.split_once('年') else {
        return Ok(None);
    };
    let year: i32 = match y.parse::<i32>() {
        Ok(y) if y.to_string().len() == 4 => y,
        _ => return Err(PeriodError::Format(value.to_string())),
    };
    if !YEARS.contains(&year) {
        return Err(PeriodError::Year(value.to_string()));
    }
    let rest = rest.strip_suffix("度").unwrap_or(rest);
    let found = match rest {
        "" | "全年" => Period::year(year),
        "上半年" => Period::half(year, 1),
        "下半年" => Period::half(year, 2),
        _ => {
            if let Some(q) = rest.strip_prefix('第').and_then(|r| r.strip_suffix("季")) {
                let n = match q {
                    "1" | "一" => 1,
                    "2" | "二" => 2,
                    "3" | "三" => 3,
                    "4" | "四" => 4,
                    _ => return Err(PeriodError::Quarter(value.to_string())),
                };
                Period::quarter(year, n)
            } else if let Some(m) = rest
                .strip_suffix('月')
                .or_else(|| rest.strip_suffix("月份"))
            {
                match m.parse::<u32>() {
                    Ok(m) => {
                        return Period::month(year, m)
                            .map(Some)
                            .ok_or_else(|| PeriodError::Month(value.to_string()));
                    }
                    Err(_) => return Err(PeriodError::Month(value.to_string())),
                }
            } else {
                None
            }
        }
    };
    found
        .map(Some)
        .ok_or_else(|| PeriodError::Format(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_are_those_begun_and_cut_to_the_period() {
        let p = Period::parse("2024-01-15..2024-03-10").unwrap();
        let m = p.months_until(d("2026-01-01"));
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].first(), m[0].last()),
            (d("2024-01-15"), d("2024-01-31"))
        );
        assert_eq!(
            (m[2].first(), m[2].last()),
            (d("2024-03-01"), d("2024-03-10"))
        );
        let y = Period::parse("2026").unwrap();
        // April has begun but is not over: January to March.
        assert_eq!(y.finished_months(d("2026-04-02")).len(), 3);
        // For a dashboard, April so far too.
        assert_eq!(y.months_until(d("2026-04-02")).len(), 4);
        // A month alone is shown while under way.
        let m = Period::parse("2026-04").unwrap();
        assert_eq!(m.finished_months(d("2026-04-02")).len(), 1);
    }

    fn days(p: &Period) -> (NaiveDate, NaiveDate) {
        (p.first(), p.last())
    }

    #[test]
    fn every_written_form_reads_as_its_days() {
        for (text, first, last, code) in [
            ("2024", "2024-01-01", "2024-12-31", "2024"),
            ("２０２４", "2024-01-01", "2024-12-31", "2024"),
            ("2024年", "2024-01-01", "2024-12-31", "2024"),
            ("2024H1", "2024-01-01", "2024-06-30", "2024H1"),
            ("2024h2", "2024-07-01", "2024-12-31", "2024H2"),
            ("2024年上半年", "2024-01-01", "2024-06-30", "2024H1"),
            ("2024年下半年", "2024-07-01", "2024-12-31", "2024H2"),
            ("2024Q1", "2024-01-01", "2024-03-31", "2024Q1"),
            ("2024q3", "2024-07-01", "2024-09-30", "2024Q3"),
            ("2024年第三季度", "2024-07-01", "2024-09-30", "2024Q3"),
            ("2024年第4季度", "2024-10-01", "2024-12-31", "2024Q4"),
            ("2024-02", "2024-02-01", "2024-02-29", "2024-02"),
            ("2023-2", "2023-02-01", "2023-02-28", "2023-02"),
            ("2024年5月", "2024-05-01", "2024-05-31", "2024-05"),
            (" 2024 - 12 ", "2024-12-01", "2024-12-31", "2024-12"),
            (
                "2024-01-01..2024-03-31",
                "2024-01-01",
                "2024-03-31",
                "2024-01-01..2024-03-31",
            ),
            (
                "2024/1/5至2024年2月3日",
                "2024-01-05",
                "2024-02-03",
                "2024-01-05..2024-02-03",
            ),
        ] {
            let p = Period::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(days(&p), (d(first), d(last)), "{text}");
            assert_eq!(p.to_string(), code, "{text}");
            assert_eq!(
                Period::parse(&p.to_string()).unwrap(),
                p,
                "{text} round trip"
            );
        }
    }

    #[test]
    fn a_bad_period_is_refused_naming_what_is_wrong() {
        for (text, says) in [
            ("", "为空"),
            ("2024Q5", "季度"),
            ("2024Q0", "季度"),
            ("2024H3", "半年"),
            ("2024-13", "月份"),
            ("2024年13月", "月份"),
            ("1800", "年份"),
            ("24", "无法识别"),
            ("去年", "无法识别"),
            ("2024-03-31..2024-01-01", "早于"),
            ("2024-02-30..2024-03-01", "不存在"),
            ("2001-01-01..2024-01-01", "十年"),
            ("2024X", "无法识别"),
        ] {
            let e = Period::parse(text).expect_err(text).to_string();
            assert!(e.contains(says), "{text}: {e}");
            if !text.is_empty() {
                assert!(e.contains(text.trim()), "{text} named in: {e}");
            }
        }
    }

    #[test]
    fn the_previous_period_and_the_year_before() {
        let p = |s: &str| Period::parse(s).unwrap().to_string();
        let prev = |s: &str| Period::parse(s).unwrap().previous().to_string();
        let ago = |s: &str| Period::parse(s).unwrap().year_ago().to_string();
        assert_eq!(prev("2024"), p("2023"));
        assert_eq!(prev("2024H1"), p("2023H2"));
        assert_eq!(prev("2024H2"), p("2024H1"));
        assert_eq!(prev("2024Q1"), p("2023Q4"));
        assert_eq!(prev("2024Q3"), p("2024Q2"));
        assert_eq!(prev("2024-01"), p("2023-12"));
        assert_eq!(prev("2024-03"), p("2024-02"));
        assert_eq!(
            prev("2024-03-01..2024-03-10"),
            p("2024-02-20..2024-02-29"),
            "as many days, ending the day before"
        );
        assert_eq!(ago("2024Q3"), p("2023Q3"));
        assert_eq!(ago("2024-02"), p("2023-02"));
        assert_eq!(ago("2024H2"), p("2023H2"));
        assert_eq!(ago("2024-02-29..2024-03-05"), p("2023-02-28..2023-03-05"));
    }

    #[test]
    fn a_running_period_counts_its_registry_as_of_today() {
        let y = Period::parse("2026").unwrap();
        assert_eq!(y.as_of(d("2026-12-03")), d("2026-12-03"));
        assert_eq!(y.as_of(d("2027-01-05")), d("2026-12-31"));
        assert_eq!(Period::default_at(d("2026-12-03")).to_string(), "2026");
        assert_eq!(y.days(), 365);
        assert!(y.contains(d("2026-06-30")) && !y.contains(d("2027-01-01")));
    }

    #[test]
    fn labels_are_as_documents_write_them() {
        let l = |s: &str| Period::parse(s).unwrap().label();
        assert_eq!(l("2024"), "2024年");
        assert_eq!(l("2024H1"), "2024年上半年");
        assert_eq!(l("2024Q3"), "2024年第三季度");
        assert_eq!(l("2024-05"), "2024年5月");
        assert!(l("2024-01-01..2024-03-31").contains('至'));
    }

    #[test]
    fn serde_reads_and_writes_the_code() {
        let p: Period = serde_json::from_str("\"2024Q3\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2024Q3\"");
        assert!(serde_json::from_str::<Period>("\"2024Q5\"").is_err());
    }
}
