//! The store's view of the clock (read in one place, `shequ_domain::clock`): record times are
//! RFC 3339 UTC, working dates are the deployment's calendar day (`clock::zone`, Beijing time
//! unless the binary is told otherwise).

use chrono::{NaiveDate, SecondsFormat};
use shequ_domain::clock;

/// Now, as stored in `created_at`, `updated_at` and friends.
pub fn now() -> String {
    clock::now_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today's date, the default for "happened on" fields.
pub fn today() -> NaiveDate {
    clock::today()
}

/// Now in the deployment's zone, as audit rows show it ("time with zone").
pub fn now_with_zone() -> String {
    clock::now_local().to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Now in the deployment's zone, as a value (file properties of exports).
pub fn now_fixed() -> chrono::DateTime<chrono::FixedOffset> {
    clock::now_local()
}

/// A local wall-clock time as stored in `reported_at`, `due_at` and friends (RFC 3339 UTC).
/// The zone has one offset, so every local time is exactly one instant.
pub fn local_to_utc_text(local: chrono::NaiveDateTime) -> String {
    use chrono::{TimeZone, Utc};
    clock::zone()
        .from_local_datetime(&local)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The instant a local calendar day starts, in the stored form: the bound that puts instants
/// into local days.
pub fn local_day_start_utc(day: NaiveDate) -> String {
    local_to_utc_text(day.and_time(chrono::NaiveTime::MIN))
}

/// A stored instant (RFC 3339) as the local wall-clock time to the minute, as ledgers print it;
/// None when it doesn't read as one.
pub fn local_minute(stored: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(stored).ok()?;
    Some(clock::local(&t).format("%Y-%m-%d %H:%M").to_string())
}
