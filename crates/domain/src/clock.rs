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

use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

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

/// The deployment's offset from UTC in seconds: Beijing time unless set.
static ZONE_SECONDS: AtomicI32 = AtomicI32::new(BEIJING);

/// UTC+8, the one civil time of China (Asia/Shanghai, no daylight saving since 1991).
const BEIJING: i32 = 8 * 3600;

/// The zone names a deployment may give, each with its offset: China's (all on Beijing time),
/// and UTC for a test bench.
const ZONES: &[(&str, i32)] = &[
    ("Asia/Shanghai", BEIJING),
    ("Asia/Chongqing", BEIJING),
    ("Asia/Harbin", BEIJING),
    ("Asia/Urumqi", BEIJING),
    ("Asia/Hong_Kong", BEIJING),
    ("Asia/Macau", BEIJING),
    ("PRC", BEIJING),
    ("UTC", 0),
];

/// A time zone as a deployment names it: one of China's zone names (Asia/Shanghai …, all
/// Beijing time), UTC, or an offset such as +08:00. A named zone with daylight saving is not
/// taken: its local days would need the zone's rules, which this clock does not carry.
pub fn parse_zone(name: &str) -> Result<FixedOffset, String> {
    let n = name.trim();
    let seconds = if let Some((_, s)) = ZONES.iter().find(|(z, _)| z.eq_ignore_ascii_case(n)) {
        Some(*s)
    } else {
        n.parse::<FixedOffset>().ok().map(|o| o.local_minus_utc())
    };
    seconds.and_then(FixedOffset::east_opt).ok_or_else(|| {
        format!(
            "时区“{n}”无法识别：请写 Asia/Shanghai（北京时间，默认）、UTC，或 +08:00 这样的时差"
        )
    })
}

/// Sets the deployment's zone for this process (the binary's `--time-zone`).
pub fn set_zone(zone: FixedOffset) {
    ZONE_SECONDS.store(zone.local_minus_utc(), Ordering::Relaxed);
}

/// The deployment's zone: local days, and local times as pages and files print them.
pub fn zone() -> FixedOffset {
    // Only offsets that passed `east_opt` are stored: UTC answers a broken invariant, never a panic.
    FixedOffset::east_opt(ZONE_SECONDS.load(Ordering::Relaxed))
        .unwrap_or_else(|| chrono::Offset::fix(&Utc))
}

/// Today in the deployment's calendar (working dates, ages, "happened on" defaults).
pub fn today() -> NaiveDate {
    now_local().date_naive()
}

/// Now, in UTC (record times, expiries, lockouts).
pub fn now_utc() -> DateTime<Utc> {
    Utc::now() + Duration::milliseconds(OFFSET_MS.load(Ordering::Relaxed))
}

/// Now in the deployment's zone.
pub fn now_local() -> DateTime<FixedOffset> {
    now_utc().with_timezone(&zone())
}

/// An instant in the deployment's zone.
pub fn local<Tz: chrono::TimeZone>(t: &DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&zone())
}

/// Seconds since the Unix epoch (form stamps), never negative.
pub fn unix_seconds() -> u64 {
    u64::try_from(now_utc().timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn zones_are_named_as_deployments_name_them() {
        let east8 = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(parse_zone("Asia/Shanghai"), Ok(east8));
        assert_eq!(parse_zone("asia/shanghai"), Ok(east8));
        assert_eq!(parse_zone("+08:00"), Ok(east8));
        assert_eq!(parse_zone("UTC"), Ok(FixedOffset::east_opt(0).unwrap()));
        let e = parse_zone("Europe/Berlin").unwrap_err();
        assert!(
            e.contains("Europe/Berlin") && e.contains("Asia/Shanghai"),
            "{e}"
        );
        assert!(parse_zone("+25:00").is_err());
    }

    #[test]
    fn the_default_day_is_beijings_whatever_the_server_says() {
        // 2026-12-03 20:30 UTC is already 12-04 in Beijing.
        let t = DateTime::parse_from_rfc3339("2026-12-03T20:30:00Z").unwrap();
        assert_eq!(
            t.with_timezone(&FixedOffset::east_opt(BEIJING).unwrap())
                .date_naive(),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
        assert_eq!(zone().local_minus_utc(), BEIJING);
    }
}
