//! The one place that reads the clock: record times are RFC 3339 UTC, working dates are the
//! server's local calendar day.

use chrono::{NaiveDate, SecondsFormat, Utc};

/// Now, as stored in `created_at`, `updated_at` and friends.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today's date, the default for "happened on" fields.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Now with the server's UTC offset, as audit rows show it ("time with zone").
pub fn now_with_zone() -> String {
    chrono::Local::now().to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Now with the server's UTC offset, as a value (file properties of exports).
pub fn now_fixed() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}
