//! Working time for time limits: "7 个工作日", "4 个工作小时", "2 小时". Working days are Monday
//! to Friday unless the calendar says otherwise (holidays, and the weekend days worked in
//! exchange, 调休, as the State Council publishes each year); working hours are 09:00–12:00 and
//! 13:30–18:00, the common office day.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A time limit as offices state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Clock hours, nights and holidays included (emergencies: 2 小时).
    Hours,
    /// Hours of the working day (暴露垃圾: 4 个工作小时).
    WorkingHours,
    /// Whole working days, the day it starts not counted (一般诉求: 7 个工作日).
    WorkingDays,
    /// Calendar days.
    Days,
}

impl LimitUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitUnit::Hours => "hours",
            LimitUnit::WorkingHours => "working_hours",
            LimitUnit::WorkingDays => "working_days",
            LimitUnit::Days => "days",
        }
    }

    pub fn parse(s: &str) -> Option<LimitUnit> {
        [
            LimitUnit::Hours,
            LimitUnit::WorkingHours,
            LimitUnit::WorkingDays,
            LimitUnit::Days,
        ]
        .into_iter()
        .find(|u| u.as_str() == s || u.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            LimitUnit::Hours => "小时",
            LimitUnit::WorkingHours => "工作小时",
            LimitUnit::WorkingDays => "工作日",
            LimitUnit::Days => "天",
        }
    }
}

/// The working periods of a working day.
const PERIODS: [(u32, u32, u32, u32); 2] = [(9, 0, 12, 0), (13, 30, 18, 0)];

fn at(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
}

/// Which days are worked: weekdays, except where `overrides` says otherwise.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// date → worked (true for a 调休 Saturday, false for a holiday).
    pub overrides: HashMap<NaiveDate, bool>,
}

impl Calendar {
    pub fn is_workday(&self, day: NaiveDate) -> bool {
        self.overrides
            .get(&day)
            .copied()
            .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The moment a limit of `amount` `unit`s that starts at `start` runs out. A calendar
    /// with no working day for years ahead (a data error) gives up after ten years.
    pub fn due(&self, start: NaiveDateTime, amount: i64, unit: LimitUnit) -> NaiveDateTime {
        let amount = amount.max(0);
        match unit {
            LimitUnit::Hours => start + Duration::hours(amount),
            LimitUnit::Days => start + Duration::days(amount),
            LimitUnit::WorkingHours => self.add_working_minutes(start, amount * 60),
            LimitUnit::WorkingDays => {
                let mut day = start.date();
                let mut left = amount;
                let mut guard = 0;
                while left > 0 && guard < 3660 {
                    day += Duration::days(1);
                    guard += 1;
                    if self.is_workday(day) {
                        left -= 1;
                    }
                }
                let (_, _, h, m) = PERIODS[PERIODS.len() - 1];
                if amount == 0 { start } else { at(day, h, m) }
            }
        }
    }

    fn add_working_minutes(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        let mut left = minutes;
        let mut day = start.date();
        let mut now = start;
        for _ in 0..3660 {
            if self.is_workday(day) {
                for (h1, m1, h2, m2) in PERIODS {
                    let (from, to) = (at(day, h1, m1), at(day, h2, m2));
                    let begin = now.max(from);
                    if begin >= to {
                        continue;
                    }
                    let available = (to - begin).num_minutes();
                    if left <= available {
                        return begin + Duration::minutes(left);
                    }
                    left -= available;
                }
            }
            day += Duration::days(1);
            now = at(day, 0, 0);
        }
        now
    }

    /// Working minutes between two moments (0 when `to` is not after `from`): how long a
    /// ticket took, in the terms its limit was set in.
    pub fn working_minutes(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.is_workday(day) {
                for (h1, m1, h2, m2) in PERIODS {
                    let begin = at(day, h1, m1).max(from);
                    let end = at(day, h2, m2).min(to);
                    if end > begin {
                        total += (end - begin).num_minutes();
                    }
                }
            }
            day += Duration::days(1);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn clock_hours_and_days_ignore_the_calendar() {
        let c = Calendar::default();
        // Friday 17:00 + 2 hours is Friday 19:00, weekend or not.
        assert_eq!(
            c.due(t(2026, 11, 20, 17, 0), 2, LimitUnit::Hours),
            t(2026, 11, 20, 19, 0)
        );
        assert_eq!(
            c.due(t(2026, 11, 20, 17, 0), 7, LimitUnit::Days),
            t(2026, 11, 27, 17, 0)
        );
    }

    #[test]
    fn working_hours_skip_lunch_nights_and_weekends() {
        let c = Calendar::default();
        // Friday 16:00 + 4 working hours: 2 h on Friday, 2 h on Monday morning → 11:00.
        assert_eq!(
            c.due(t(2026, 11, 20, 16, 0), 4, LimitUnit::WorkingHours),
            t(2026, 11, 23, 11, 0)
        );
        // Thursday 11:00 + 2 working hours: 1 h before lunch, 1 h from 13:30 → 14:30.
        assert_eq!(
            c.due(t(2026, 11, 19, 11, 0), 2, LimitUnit::WorkingHours),
            t(2026, 11, 19, 14, 30)
        );
        // Reported on Saturday night: the clock starts Monday 09:00.
        assert_eq!(
            c.due(t(2026, 11, 21, 22, 0), 1, LimitUnit::WorkingHours),
            t(2026, 11, 23, 10, 0)
        );
        assert_eq!(
            c.working_minutes(t(2026, 11, 20, 16, 0), t(2026, 11, 23, 11, 0)),
            240
        );
        assert_eq!(
            c.working_minutes(t(2026, 11, 23, 11, 0), t(2026, 11, 20, 16, 0)),
            0
        );
    }

    #[test]
    fn working_days_follow_holidays_and_swapped_weekends() {
        let mut c = Calendar::default();
        // Monday 2026-11-23 + 7 working days → Wednesday 2026-12-02, 18:00.
        assert_eq!(
            c.due(t(2026, 11, 23, 10, 0), 7, LimitUnit::WorkingDays),
            t(2026, 12, 2, 18, 0)
        );
        // A holiday on the Tuesday and a worked Saturday: one day later, then one earlier.
        c.overrides
            .insert(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), false);
        assert_eq!(
            c.due(t(2026, 11, 23, 10, 0), 7, LimitUnit::WorkingDays),
            t(2026, 12, 3, 18, 0)
        );
        c.overrides
            .insert(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), true);
        assert_eq!(
            c.due(t(2026, 11, 23, 10, 0), 7, LimitUnit::WorkingDays),
            t(2026, 12, 2, 18, 0)
        );
        assert!(!c.is_workday(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()));
        assert!(c.is_workday(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()));
    }

    #[test]
    fn a_calendar_without_workdays_does_not_loop_forever() {
        let mut c = Calendar::default();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for i in 0..4000 {
            c.overrides.insert(start + Duration::days(i), false);
        }
        let due = c.due(t(2026, 1, 1, 9, 0), 3, LimitUnit::WorkingDays);
        assert!(due > t(2030, 1, 1, 0, 0));
        let due = c.due(t(2026, 1, 1, 9, 0), 3, LimitUnit::WorkingHours);
        assert!(due > t(2030, 1, 1, 0, 0));
        assert_eq!(LimitUnit::parse("工作日"), Some(LimitUnit::WorkingDays));
        assert_eq!(
            LimitUnit::parse("working_hours"),
            Some(LimitUnit::WorkingHours)
        );
    }
}
