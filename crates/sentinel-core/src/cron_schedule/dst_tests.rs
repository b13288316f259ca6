//! Crontabs read in IANA time zones: wall-clock times kept across daylight-saving changes,
//! skipped and repeated wall times, local days of the week and non-hour offsets.
#![allow(clippy::unwrap_used)]

use super::*;
use chrono_tz::{America, Asia, Europe, Pacific};

fn at(s: &str) -> Millis {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn cron(expr: &str) -> Crontab {
    Crontab::parse(expr).unwrap()
}

/// Every due time in `[from, to)`, in order.
fn due_between(c: &Crontab, zone: Tz, from: &str, to: &str) -> Vec<Millis> {
    let (mut t, end) = (at(from) - 1, at(to));
    let mut out = Vec::new();
    while let Some(next) = c.next_after(t, zone).filter(|n| *n < end) {
        out.push(next);
        t = next;
    }
    out
}

#[test]
fn nine_in_vienna_is_eight_utc_in_winter_and_seven_in_summer() {
    let c = cron("0 9 * * *");
    let vienna = Europe::Vienna;
    assert_eq!(
        c.next_after(at("2024-01-15T00:00:00Z"), vienna),
        Some(at("2024-01-15T08:00:00Z"))
    );
    assert_eq!(
        c.next_after(at("2024-07-15T00:00:00Z"), vienna),
        Some(at("2024-07-15T07:00:00Z"))
    );
    // Across both changes of 2024 the job stays at 09:00 on the wall.
    assert_eq!(
        due_between(&c, vienna, "2024-03-30T00:00:00Z", "2024-04-01T00:00:00Z"),
        [at("2024-03-30T08:00:00Z"), at("2024-03-31T07:00:00Z")]
    );
    assert_eq!(
        due_between(&c, vienna, "2024-10-26T00:00:00Z", "2024-10-28T00:00:00Z"),
        [at("2024-10-26T07:00:00Z"), at("2024-10-27T08:00:00Z")]
    );
    // Looking back from just before the summer-time 09:00 finds the winter-time one.
    assert_eq!(
        c.last_at_or_before(at("2024-03-31T06:59:00Z"), vienna),
        Some(at("2024-03-30T08:00:00Z"))
    );
    assert_eq!(
        c.last_at_or_before(at("2024-03-31T07:00:00Z"), vienna),
        Some(at("2024-03-31T07:00:00Z"))
    );
    // The same crontab in UTC ignores the change.
    assert_eq!(
        c.next_after(at("2024-07-15T00:00:00Z"), Tz::UTC),
        Some(at("2024-07-15T09:00:00Z"))
    );
}

#[test]
fn a_wall_time_skipped_by_spring_forward_is_not_due_that_day() {
    // 2024-03-31 in Vienna: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; 02:30 never shows.
    let vienna = Europe::Vienna;
    let daily = cron("30 2 * * *");
    assert_eq!(
        due_between(
            &daily,
            vienna,
            "2024-03-30T00:00:00Z",
            "2024-04-02T00:00:00Z"
        ),
        [
            at("2024-03-30T01:30:00Z"), // 02:30 CET
            at("2024-04-01T00:30:00Z"), // 02:30 CEST
        ]
    );
    assert_eq!(
        daily.last_at_or_before(at("2024-03-31T23:59:00Z"), vienna),
        Some(at("2024-03-30T01:30:00Z"))
    );
    // An hourly job loses nothing: 01:30 CET and 03:30 CEST are an hour apart.
    assert_eq!(
        due_between(
            &cron("30 * * * *"),
            vienna,
            "2024-03-31T00:00:00Z",
            "2024-03-31T02:00:00Z"
        ),
        [at("2024-03-31T00:30:00Z"), at("2024-03-31T01:30:00Z")]
    );
}

#[test]
fn a_wall_time_repeated_by_fall_back_is_due_once_at_its_first_occurrence() {
    // 2024-10-27 in Vienna: 03:00 CEST falls back to 02:00 CET at 01:00 UTC, so 02:30 shows
    // at 00:30 UTC and again at 01:30 UTC.
    let vienna = Europe::Vienna;
    let daily = cron("30 2 * * *");
    assert_eq!(
        due_between(
            &daily,
            vienna,
            "2024-10-26T12:00:00Z",
            "2024-10-28T12:00:00Z"
        ),
        [at("2024-10-27T00:30:00Z"), at("2024-10-28T01:30:00Z")]
    );
    assert_eq!(
        daily.last_at_or_before(at("2024-10-27T01:45:00Z"), vienna),
        Some(at("2024-10-27T00:30:00Z"))
    );
    // Hourly: 02:00 CEST is due, the repeated 02:00 CET is not, 03:00 CET is.
    assert_eq!(
        due_between(
            &cron("0 * * * *"),
            vienna,
            "2024-10-26T23:30:00Z",
            "2024-10-27T02:30:00Z"
        ),
        [at("2024-10-27T00:00:00Z"), at("2024-10-27T02:00:00Z")]
    );
    // Each slot of the repeated hour is due once, in its summer-time pass.
    assert_eq!(
        due_between(
            &cron("*/20 * * * *"),
            vienna,
            "2024-10-27T00:30:00Z",
            "2024-10-27T02:10:00Z"
        ),
        [
            at("2024-10-27T00:40:00Z"), // 02:40 CEST
            at("2024-10-27T02:00:00Z"), // 03:00 CET
        ]
    );
}

#[test]
fn days_of_the_week_are_the_zones_own_and_half_hour_offsets_work() {
    // Monday 01:00 in Auckland (UTC+13 in January) is Sunday noon in UTC.
    assert_eq!(
        cron("0 1 * * 1").next_after(at("2024-01-13T00:00:00Z"), Pacific::Auckland),
        Some(at("2024-01-14T12:00:00Z"))
    );
    // Kolkata is UTC+05:30 all year.
    assert_eq!(
        cron("0 9 * * *").next_after(at("2024-06-01T00:00:00Z"), Asia::Kolkata),
        Some(at("2024-06-01T03:30:00Z"))
    );
    // New York changes on other dates than Europe: 2024-03-10 is already summer time there.
    assert_eq!(
        due_between(
            &cron("0 9 * * 1-5"),
            America::New_York,
            "2024-03-08T00:00:00Z",
            "2024-03-12T00:00:00Z"
        ),
        [at("2024-03-08T14:00:00Z"), at("2024-03-11T13:00:00Z")]
    );
}
