//! The one place that reads the clock; the store's `clock` module and every crate below it ask
//! here, so a figure, a lockout or an age can be tested at a chosen time by changing one place.

use chrono::{DateTime, Local, NaiveDate, Utc};

/// Today in the server's local calendar (working dates, ages, "happened on" defaults).
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// Now, in UTC (record times, expiries, lockouts).
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// Now with the server's UTC offset.
pub fn now_local() -> DateTime<Local> {
    Local::now()
}
