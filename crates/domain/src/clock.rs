//! The one place that reads the clock; the store's `clock` module and every crate below it ask
//! here, so a figure, a lockout or an age can be tested at a chosen time by changing one place.
//! A test in `crates/shequ/tests/clock.rs` fails when another module reads the time itself
//! (`Instant` for measuring how long something took is fine).
//!
//! # Pretending another time
//!
//! [`pretend`] moves this process's clock so that "now" is a chosen instant; from there it runs
//! on at the real pace, so durations, idle timeouts and lockouts still pass. It exists so that an
//! overdue badge, a lockout's end or an age can be tested at a chosen "now". Only the binary
//! calls it, and only when asked plainly: the `--pretend-now <RFC 3339>` option, or the
//! `SHEQU_NOW` environment variable in a build with debug assertions (a release build ignores
//! `SHEQU_NOW` and says so), so an environment left over from testing can't move a production
//! server's clock. The binary logs a warning whenever the clock is moved.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Local, NaiveDate, Utc};

/// How far this process's "now" is ahead of the real clock, in milliseconds (0: not moved).
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Moves this process's clock so that now is `at`, running on from there (see the module's
/// documentation for who may call this and when).
pub fn pretend(at: DateTime<Utc>) {
    OFFSET_MS.store((at - Utc::now()).num_milliseconds(), Ordering::Relaxed);
}

/// Whether the clock has been moved by [`pretend`].
pub fn pretending() -> bool {
    OFFSET_MS.load(Ordering::Relaxed) != 0
}

/// Today in the server's local calendar (working dates, ages, "happened on" defaults).
pub fn today() -> NaiveDate {
    now_local().date_naive()
}

/// Now, in UTC (record times, expiries, lockouts).
pub fn now_utc() -> DateTime<Utc> {
    Utc::now() + Duration::milliseconds(OFFSET_MS.load(Ordering::Relaxed))
}

/// Now with the server's UTC offset.
pub fn now_local() -> DateTime<Local> {
    now_utc().with_timezone(&Local)
}

/// Seconds since the Unix epoch (form stamps), never negative.
pub fn unix_seconds() -> u64 {
    u64::try_from(now_utc().timestamp()).unwrap_or(0)
}
