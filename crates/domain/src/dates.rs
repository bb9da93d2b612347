//! Dates as they are typed in forms and spreadsheets.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::text::{is_blank, to_halfwidth};

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("日期为空，请填写日期，如2021-09-26")]
    Empty,
    #[error("日期“{value}”格式无法识别，请写成2021-09-26、2021/9/26、2021年9月26日或20210926")]
    Format { value: String },
    #[error("日期“{value}”不存在（例如2月没有30日），请核对年、月、日")]
    Invalid { value: String },
    #[error("时间“{value}”无法识别，请写成2021-09-26 14:30或2021年9月26日14时30分")]
    Time { value: String },
}

impl DateError {
    /// Stable machine-readable code, for APIs and import reports.
    pub fn code(&self) -> &'static str {
        match self {
            DateError::Empty => "empty",
            DateError::Format { .. } => "format",
            DateError::Invalid { .. } => "invalid",
            DateError::Time { .. } => "time",
        }
    }
}

fn number(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn split_ymd(s: &str) -> Option<(&str, &str, &str)> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some((&s[0..4], &s[4..6], &s[6..8]));
    }
    if s.contains('年') {
        let s = s.strip_suffix(['日', '号']).unwrap_or(s);
        let (y, rest) = s.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        return Some((y, m, d));
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = s.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((y, m, d))
}

/// Reads a date written as 2021-09-26, 2021-9-26, 2021/9/26, 2021.9.26,
/// 2021年9月26日 or 20210926, with full-width digits and spaces tolerated.
/// The year must have four digits: two-digit years are ambiguous.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let s: String = input
        .chars()
        .map(to_halfwidth)
        .filter(|c| !is_blank(*c))
        .collect();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    let value = || input.trim().to_string();
    let (y, m, d) = split_ymd(&s).ok_or_else(|| DateError::Format { value: value() })?;
    let (Some(y), Some(m), Some(d)) = (number(y, 4, 4), number(m, 1, 2), number(d, 1, 2)) else {
        return Err(DateError::Format { value: value() });
    };
    let year = i32::try_from(y).map_err(|_| DateError::Format { value: value() })?;
    NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| DateError::Invalid { value: value() })
}

/// Converts an Excel serial day number (1900 date system) to a date; any
/// time-of-day fraction is ignored.
///
/// Excel inherited Lotus 1-2-3's belief that 1900 was a leap year, so serial
/// 60 is the non-existent 1900-02-29 and yields `None`; serials after it are
/// one day ahead of a plain count from 1899-12-31.
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    // 2958465 is 9999-12-31, the last date Excel can represent.
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Range-checked above, so the truncating cast is exact.
    let days = serial.floor() as i64;
    let (epoch, days) = match days {
        60 => return None,
        ..60 => (NaiveDate::from_ymd_opt(1899, 12, 31)?, days),
        _ => (NaiveDate::from_ymd_opt(1899, 12, 30)?, days),
    };
    epoch.checked_add_signed(Duration::try_days(days)?)
}

/// A day as a ledger writes it, with the time of day when the ledger gives one (a 事件台账's
/// 上报时间 is often only a date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayTime {
    pub day: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl DayTime {
    pub fn day(day: NaiveDate) -> DayTime {
        DayTime { day, time: None }
    }

    pub fn at(moment: NaiveDateTime) -> DayTime {
        DayTime {
            day: moment.date(),
            time: Some(moment.time()),
        }
    }

    /// The wall-clock time: a day without a time of day is its `default` time.
    pub fn or_time(self, default: NaiveTime) -> NaiveDateTime {
        self.day.and_time(self.time.unwrap_or(default))
    }
}

/// Where the time of day starts in "2021-09-26 14:30", "2021-09-26T14:30:00" or
/// "2021年9月26日14时30分".
fn split_time(s: &str) -> (&str, &str) {
    if let Some(i) = s.find(|c: char| c.is_whitespace() || c == 'T') {
        return (
            &s[..i],
            s[i..].trim_start_matches(|c: char| c.is_whitespace() || c == 'T'),
        );
    }
    for mark in ['日', '号'] {
        if let Some(i) = s.find(mark) {
            let end = i + mark.len_utf8();
            if end < s.len() {
                return (&s[..end], &s[end..]);
            }
        }
    }
    (s, "")
}

/// "14:30", "14:30:15", "9时5分", "9点", "下午3点" → a time of day.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (afternoon, s) = match s.strip_prefix("下午").or_else(|| s.strip_prefix("晚上")) {
        Some(rest) => (true, rest.to_string()),
        None => (false, s.strip_prefix("上午").unwrap_or(&s).to_string()),
    };
    let s = s.replace(['时', '点', '分'], ":").replace('秒', "");
    let mut parts = s.trim_end_matches(':').split(':');
    let h = number(parts.next()?, 1, 2)?;
    let m = parts.next().map_or(Some(0), |m| number(m, 1, 2))?;
    let sec = match parts.next() {
        // Excel writes fractions of a second after a dot.
        Some(x) => number(x.split('.').next()?, 1, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let h = if afternoon && h < 12 { h + 12 } else { h };
    NaiveTime::from_hms_opt(h, m, sec)
}

/// Reads a day with an optional time of day, as ledgers write when something happened:
/// every form `parse_date` takes, then optionally "14:30", "14:30:15", "14时30分" or "下午3点".
pub fn parse_day_time(input: &str) -> Result<DayTime, DateError> {
    let s: String = input.chars().map(to_halfwidth).collect();
    let s = s.trim();
    let (day, time) = split_time(s);
    let day = parse_date(day)?;
    let time = time.trim();
    if time.is_empty() {
        return Ok(DayTime::day(day));
    }
    let time = parse_time(time).ok_or_else(|| DateError::Time {
        value: input.trim().to_string(),
    })?;
    Ok(DayTime {
        day,
        time: Some(time),
    })
}

/// Formats as 2021年9月26日, the form used in letters and certificates.
pub fn format_cn(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_common_forms() {
        for s in [
            "2021-09-26",
            "2021-9-26",
            "2021/9/26",
            "2021/09/26",
            "2021.9.26",
            "2021年9月26日",
            "2021年09月26号",
            "2021年9月26",
            "20210926",
            "２０２１－０９－２６",
            "２０２１年９月２６日",
            "  2021-09-26\u{3000}",
            "2021 年 9 月 26 日",
        ] {
            assert_eq!(parse_date(s), Ok(d(2021, 9, 26)), "{s:?}");
        }
    }

    #[test]
    fn rejects_invalid_dates_naming_the_value() {
        let err = parse_date("2021-02-30").unwrap_err();
        assert_eq!(
            err,
            DateError::Invalid {
                value: "2021-02-30".into()
            }
        );
        assert!(err.to_string().contains("2021-02-30"));
        assert_eq!(err.code(), "invalid");
        assert!(matches!(
            parse_date("2021-13-01"),
            Err(DateError::Invalid { .. })
        ));
        assert_eq!(parse_date(" "), Err(DateError::Empty));
        for s in [
            "21-9-26",
            "2021-9",
            "2021-9-26-1",
            "2021-9/26",
            "abc",
            "2021-09-260",
            "9/26/2021",
        ] {
            assert!(
                matches!(parse_date(s), Err(DateError::Format { .. })),
                "{s}"
            );
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(from_excel_serial(1.0), Some(d(1900, 1, 1)));
        assert_eq!(from_excel_serial(59.0), Some(d(1900, 2, 28)));
        assert_eq!(from_excel_serial(60.0), None);
        assert_eq!(from_excel_serial(61.0), Some(d(1900, 3, 1)));
        assert_eq!(from_excel_serial(44465.0), Some(d(2021, 9, 26)));
        assert_eq!(from_excel_serial(44465.75), Some(d(2021, 9, 26)));
        assert_eq!(from_excel_serial(2_958_465.0), Some(d(9999, 12, 31)));
        assert_eq!(from_excel_serial(0.0), None);
        assert_eq!(from_excel_serial(-5.0), None);
        assert_eq!(from_excel_serial(f64::NAN), None);
        assert_eq!(from_excel_serial(3e6), None);
    }

    #[test]
    fn days_with_times_as_ledgers_write_them() {
        let at = |h, m| Some(NaiveTime::from_hms_opt(h, m, 0).unwrap());
        for (s, time) in [
            ("2024-03-05", None),
            ("2024-03-05 09:12", at(9, 12)),
            ("2024/3/5 9:12", at(9, 12)),
            ("2024-03-05T09:12:00", at(9, 12)),
            ("2024-03-05 09:12:00.000", at(9, 12)),
            ("2024年3月5日 9时12分", at(9, 12)),
            ("2024年3月5日9时12分", at(9, 12)),
            ("2024年3月5日下午3点", at(15, 0)),
            ("２０２４－０３－０５　０９：１２", at(9, 12)),
        ] {
            assert_eq!(
                parse_day_time(s),
                Ok(DayTime {
                    day: d(2024, 3, 5),
                    time
                }),
                "{s}"
            );
        }
        assert!(matches!(
            parse_day_time("2024-03-05 25:00"),
            Err(DateError::Time { .. })
        ));
        assert!(matches!(
            parse_day_time("2024-03-05 上班后"),
            Err(DateError::Time { .. })
        ));
        assert!(matches!(
            parse_day_time("2024-02-30 09:00"),
            Err(DateError::Invalid { .. })
        ));
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert_eq!(
            DayTime::day(d(2024, 3, 5)).or_time(nine),
            d(2024, 3, 5).and_time(nine)
        );
    }

    #[test]
    fn chinese_format() {
        assert_eq!(format_cn(d(2021, 9, 26)), "2021年9月26日");
        assert_eq!(format_cn(d(2000, 1, 5)), "2000年1月5日");
    }
}
