//! Five-field crontab expressions (`minute hour day-of-month month day-of-week`) for cron
//! monitors, read in the monitor's IANA time zone: when was a run last due, when is the next
//! one due.
//!
//! Fields accept `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and comma lists;
//! day-of-week is 0–7 with both 0 and 7 meaning Sunday. The shortcuts `@hourly`, `@daily`
//! (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`) are understood. As in
//! cron, when both day fields are restricted a day matches if either matches.
//!
//! A run is due at each instant whose wall-clock time in the zone matches, the first time
//! the wall clock shows that time. Around daylight-saving changes that means:
//! - spring forward: a wall time the clock skips (02:30 on the last Sunday of March in
//!   Europe/Vienna) is not due that day. Schedulers disagree here (Vixie cron runs such a
//!   job right after the jump, Kubernetes' robfig/cron skips it, others run it an hour
//!   later), so a monitor expects no run rather than raising an alarm that a correctly
//!   working scheduler would set off; a run that does come is accepted.
//! - fall back: a wall time the clock shows twice (02:30 on the last Sunday of October) is
//!   due once, at its first occurrence, as cron runs fixed-time jobs once. A second run in
//!   the repeated hour is accepted but not expected.
//!
//! Every other slot keeps its wall-clock time, so `0 9 * * *` in Europe/Vienna is due at
//! 08:00 UTC in winter and 07:00 UTC in summer.

use crate::clock::Millis;
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;

const MINUTE_MS: Millis = 60_000;
/// How far a search looks before giving up (an expression like `0 0 30 2 *` never matches).
const SEARCH_LIMIT_MINUTES: i64 = 5 * 366 * 24 * 60;

/// A crontab that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid crontab `{expr}`: {reason}")]
pub struct CrontabError {
    pub expr: String,
    pub reason: String,
}

/// A parsed crontab: one bit set per allowed value of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crontab {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl std::str::FromStr for Crontab {
    type Err = CrontabError;

    fn from_str(expr: &str) -> Result<Self, Self::Err> {
        Crontab::parse(expr)
    }
}

impl Crontab {
    pub fn parse(expr: &str) -> Result<Self, CrontabError> {
        let err = |reason: &str| CrontabError {
            expr: expr.to_string(),
            reason: reason.to_string(),
        };
        let expanded = match expr.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(err("expected five fields"));
        }
        let minutes = field(fields[0], 0, 59).map_err(|r| err(&format!("minute: {r}")))?;
        let hours = field(fields[1], 0, 23).map_err(|r| err(&format!("hour: {r}")))?;
        let days = field(fields[2], 1, 31).map_err(|r| err(&format!("day of month: {r}")))?;
        let months = field(fields[3], 1, 12).map_err(|r| err(&format!("month: {r}")))?;
        let mut weekdays = field(fields[4], 0, 7).map_err(|r| err(&format!("day of week: {r}")))?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        Ok(Self {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            days_restricted: fields[2] != "*",
            weekdays_restricted: fields[4] != "*",
        })
    }

    fn day_matches(&self, t: &NaiveDateTime) -> bool {
        let dom = self.days & (1 << t.day()) != 0;
        let dow = self.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
        let day = match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        };
        day && self.months & (1 << t.month()) != 0
    }

    /// Whether a wall-clock time matches every field.
    fn matches(&self, t: &NaiveDateTime) -> bool {
        self.day_matches(t)
            && self.hours & (1 << t.hour()) != 0
            && self.minutes & (1 << t.minute()) != 0
    }

    /// The first due time strictly after `t`, reading the crontab in `zone`.
    pub fn next_after(&self, t: Millis, zone: Tz) -> Option<Millis> {
        let start = t.div_euclid(MINUTE_MS) * MINUTE_MS + MINUTE_MS;
        self.search(start, MINUTE_MS, zone)
    }

    /// The last due time at or before `t`, reading the crontab in `zone`.
    pub fn last_at_or_before(&self, t: Millis, zone: Tz) -> Option<Millis> {
        self.search(t.div_euclid(MINUTE_MS) * MINUTE_MS, -MINUTE_MS, zone)
    }

    /// Walks real minutes (not wall-clock ones), so instants come in order whatever the
    /// zone's transitions do.
    fn search(&self, from: Millis, step: Millis, zone: Tz) -> Option<Millis> {
        let mut at = from;
        for _ in 0..SEARCH_LIMIT_MINUTES {
            if self.due_at(at, zone)? {
                return Some(at);
            }
            at += step;
        }
        None
    }

    /// Whether a run is due at the instant `at` (`None` when `at` is out of range).
    fn due_at(&self, at: Millis, zone: Tz) -> Option<bool> {
        let local = DateTime::from_timestamp_millis(at)?.with_timezone(&zone);
        let wall = local.naive_local();
        if !self.matches(&wall) {
            return Some(false);
        }
        // In a fall-back the same wall time comes twice; only the first one is due.
        Some(match zone.from_local_datetime(&wall) {
            LocalResult::Ambiguous(first, _) => first == local,
            _ => true,
        })
    }
}

/// Parses one field into a bit set of allowed values in `lo..=hi`.
fn field(text: &str, lo: u32, hi: u32) -> Result<u64, String> {
    let mut bits = 0_u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("bad step `{step}`"))?;
                if step == 0 {
                    return Err("step must be at least 1".into());
                }
                (range, step)
            }
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, lo, hi)?, number(b, lo, hi)?)
        } else {
            let n = number(range, lo, hi)?;
            // `5/15` means from 5 to the end in steps of 15.
            (n, if part.contains('/') { hi } else { n })
        };
        if from > to {
            return Err(format!("range `{range}` runs backwards"));
        }
        let mut v = from;
        while v <= to {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

fn number(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let n: u32 = text.parse().map_err(|_| format!("bad value `{text}`"))?;
    if n < lo || n > hi {
        return Err(format!("{n} is outside {lo}-{hi}"));
    }
    Ok(n)
}

#[cfg(test)]
mod dst_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn hourly_and_steps() {
        let c = Crontab::parse("0 * * * *").unwrap();
        assert_eq!(
            c.next_after(at("2024-05-01T12:00:00Z"), Tz::UTC),
            Some(at("2024-05-01T13:00:00Z"))
        );
        assert_eq!(
            c.last_at_or_before(at("2024-05-01T12:59:59Z"), Tz::UTC),
            Some(at("2024-05-01T12:00:00Z"))
        );
        let c = Crontab::parse("*/15 9-17 * * 1-5").unwrap();
        // 2024-05-04 is a Saturday: the next run is Monday 09:00.
        assert_eq!(
            c.next_after(at("2024-05-03T17:45:00Z"), Tz::UTC),
            Some(at("2024-05-06T09:00:00Z"))
        );
        assert_eq!(
            Crontab::parse("@daily").unwrap(),
            Crontab::parse("0 0 * * *").unwrap()
        );
    }

    #[test]
    fn sunday_is_zero_or_seven_and_day_fields_combine_with_or() {
        assert_eq!(
            Crontab::parse("0 0 * * 7").unwrap(),
            Crontab::parse("0 0 * * 0").unwrap()
        );
        let c = Crontab::parse("0 0 13 * 5").unwrap();
        // Friday 2024-05-03 matches by weekday although it is not the 13th.
        assert_eq!(
            c.next_after(at("2024-05-02T00:00:00Z"), Tz::UTC),
            Some(at("2024-05-03T00:00:00Z"))
        );
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in [
            "",
            "* * * *",
            "60 * * * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
        ] {
            assert!(Crontab::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Crontab::parse("0 0 30 2 *").unwrap().next_after(0, Tz::UTC),
            None
        );
    }
}
