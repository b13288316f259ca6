//! Cron schedules: a name, when it fires, and the job each firing enqueues.
//!
//! Every spec reduces to a period and an offset from the Unix epoch (UTC), so every node
//! computes the same slots without talking to the others; the store's compare-and-swap on
//! the slot then lets exactly one of them enqueue each run.

use sentinel_core::clock::Millis;
use sentinel_store::jobs::NewJob;
use std::fmt;
use std::str::FromStr;

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;
const WEEK: Millis = 7 * DAY;
/// 1970-01-01 was a Thursday: Monday-based weekday 3.
const EPOCH_WEEKDAY: Millis = 3;
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A spec that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule {spec:?}: {reason}")]
pub struct ScheduleSpecError {
    pub spec: String,
    pub reason: String,
}

/// When a schedule fires: at `offset + k · period` for every integer k (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduleSpec {
    period_ms: Millis,
    offset_ms: Millis,
}

impl ScheduleSpec {
    /// Every `period_ms`, on multiples of it since the epoch (a minimum of one second).
    pub fn every(period_ms: Millis) -> Self {
        Self {
            period_ms: period_ms.max(SECOND),
            offset_ms: 0,
        }
    }

    /// Every hour at `minute` past.
    pub fn hourly_at(minute: u32) -> Self {
        Self {
            period_ms: HOUR,
            offset_ms: Millis::from(minute % 60) * MINUTE,
        }
    }

    /// Every day at `hour:minute` UTC.
    pub fn daily_at(hour: u32, minute: u32) -> Self {
        Self {
            period_ms: DAY,
            offset_ms: time_of_day(hour, minute),
        }
    }

    /// Every week on `weekday` (0 = Monday) at `hour:minute` UTC.
    pub fn weekly_at(weekday: u32, hour: u32, minute: u32) -> Self {
        let days_after_epoch = (Millis::from(weekday % 7) - EPOCH_WEEKDAY).rem_euclid(7);
        Self {
            period_ms: WEEK,
            offset_ms: days_after_epoch * DAY + time_of_day(hour, minute),
        }
    }

    pub fn period_ms(&self) -> Millis {
        self.period_ms
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: Millis) -> Millis {
        let k = (t - self.offset_ms).div_euclid(self.period_ms) + 1;
        k * self.period_ms + self.offset_ms
    }
}

fn time_of_day(hour: u32, minute: u32) -> Millis {
    Millis::from(hour % 24) * HOUR + Millis::from(minute % 60) * MINUTE
}

impl FromStr for ScheduleSpec {
    type Err = ScheduleSpecError;

    /// Accepts `every 30s`, `every 5m`, `every 2h`, `every 10 minutes`, `every minute`,
    /// `every hour`, `every hour at :15`, `every day`, `every day at 03:30`, `every week`,
    /// `every monday at 04:00` (all UTC).
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| ScheduleSpecError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let lower = spec.trim().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("every ")
            .ok_or_else(|| fail("must start with \"every\""))?
            .trim();
        let (what, at) = match rest.split_once(" at ") {
            Some((what, at)) => (what.trim(), Some(at.trim())),
            None => (rest, None),
        };
        match (what, at) {
            ("second", None) => Ok(Self::every(SECOND)),
            ("minute", None) => Ok(Self::every(MINUTE)),
            ("hour", None) => Ok(Self::hourly_at(0)),
            ("hour", Some(at)) => {
                let minute = at
                    .strip_prefix(':')
                    .and_then(|m| m.parse::<u32>().ok())
                    .filter(|m| *m < 60)
                    .ok_or_else(|| fail("expected \"at :MM\""))?;
                Ok(Self::hourly_at(minute))
            }
            ("day", at) => {
                let (h, m) = at.map_or(Ok((0, 0)), |at| {
                    parse_hh_mm(at).ok_or_else(|| fail("expected \"at HH:MM\""))
                })?;
                Ok(Self::daily_at(h, m))
            }
            ("week", None) => Ok(Self::weekly_at(0, 0, 0)),
            (day, at) if WEEKDAYS.contains(&day) => {
                let weekday = WEEKDAYS.iter().position(|d| *d == day).unwrap_or(0);
                let (h, m) = at.map_or(Ok((0, 0)), |at| {
                    parse_hh_mm(at).ok_or_else(|| fail("expected \"at HH:MM\""))
                })?;
                Ok(Self::weekly_at(u32::try_from(weekday).unwrap_or(0), h, m))
            }
            (interval, None) => parse_interval(interval).map(Self::every).ok_or_else(|| {
                fail("expected a unit: s, m, h, d, or minute, hour, day, week, a weekday")
            }),
            (_, Some(_)) => Err(fail("\"at\" only goes with hour, day or a weekday")),
        }
    }
}

fn parse_hh_mm(at: &str) -> Option<(u32, u32)> {
    let (h, m) = at.split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// `30s`, `5m`, `2h`, `1d`, `10 minutes`, `3 hours`.
fn parse_interval(text: &str) -> Option<Millis> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(digits_end);
    let n: Millis = number.parse().ok().filter(|n| *n > 0)?;
    let unit = match unit.trim() {
        "s" | "sec" | "second" | "seconds" => SECOND,
        "m" | "min" | "minute" | "minutes" => MINUTE,
        "h" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        _ => return None,
    };
    n.checked_mul(unit)
}

impl fmt::Display for ScheduleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "every {}ms +{}ms", self.period_ms, self.offset_ms)
    }
}

/// A named schedule and the job each of its slots enqueues (with dedup key
/// `cron:<name>:<slot>`, so a slot can never run twice).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub spec: ScheduleSpec,
    pub job: NewJob,
}

impl Schedule {
    /// A schedule enqueuing a job of `kind` with an empty payload.
    pub fn new(name: impl Into<String>, spec: ScheduleSpec, kind: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            spec,
            job: NewJob::new(kind, serde_json::json!({})),
        }
    }

    /// The template of the job each slot enqueues.
    pub fn with_job(mut self, job: NewJob) -> Self {
        self.job = job;
        self
    }

    /// The dedup key of the run for `slot`.
    pub fn dedup_key(&self, slot: Millis) -> String {
        format!("cron:{}:{}", self.name, slot)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // 2023-11-14T22:13:20Z, a Tuesday.
    const T: Millis = 1_700_000_000_000;

    fn spec(s: &str) -> ScheduleSpec {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn intervals_fire_on_multiples_of_their_period() {
        assert_eq!(spec("every minute").next_after(T), 1_700_000_040_000);
        assert_eq!(spec("every 30s").next_after(T), T + 10_000);
        assert_eq!(spec("every 10 minutes").next_after(T), 1_700_000_400_000);
        // Strictly after: a time on a slot gives the next one.
        assert_eq!(spec("every 30s").next_after(T + 10_000), T + 40_000);
    }

    #[test]
    fn hour_day_and_week_specs_land_on_their_wall_clock_times() {
        // 22:13:20 → next hour at :15 is 22:15:00.
        assert_eq!(spec("every hour at :15").next_after(T), T + 100_000);
        assert_eq!(spec("every hour").next_after(T), T + 46 * MINUTE + 40_000);
        // Next 03:30 UTC is on Wednesday 2023-11-15.
        let daily = spec("every day at 03:30").next_after(T);
        assert_eq!(daily, 1_700_019_000_000);
        assert_eq!(daily.rem_euclid(DAY), 3 * HOUR + 30 * MINUTE);
        // Next Monday 04:00 UTC is 2023-11-20.
        assert_eq!(
            spec("every monday at 04:00").next_after(T),
            1_700_452_800_000
        );
        // "every week" is Monday 00:00: 2023-11-20T00:00Z.
        assert_eq!(spec("every week").next_after(T), 1_700_438_400_000);
    }

    #[test]
    fn consecutive_slots_are_one_period_apart() {
        for s in [
            "every 7m",
            "every hour at :05",
            "every day at 23:59",
            "every sunday at 12:00",
        ] {
            let spec = spec(s);
            let first = spec.next_after(T);
            assert_eq!(spec.next_after(first), first + spec.period_ms(), "{s}");
            assert_eq!(spec.next_after(first - 1), first, "{s}");
        }
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        for bad in [
            "hourly",
            "every",
            "every 0s",
            "every 5 parsecs",
            "every day at 25:00",
            "every hour at 5",
            "every 5m at 10:00",
        ] {
            let err = bad.parse::<ScheduleSpec>().unwrap_err();
            assert_eq!(err.spec, bad);
        }
    }
}
