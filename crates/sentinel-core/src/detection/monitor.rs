//! SERVICE_STALL: whether a cron monitor's check-ins show a run that failed, timed out, was
//! missed or came late.
//!
//! The schedule is a crontab, read in the monitor's IANA time zone (UTC when none is
//! declared; see [`crate::cron_schedule`] for daylight-saving changes), or an interval,
//! which is a duration and needs no zone. Saving a configuration with a zone name that is
//! not in the IANA database fails [`validate`]; a stored configuration that still carries
//! one (written before names were checked) is read in UTC rather than not judged at all.
//! Judged on the newest check-in and on the last due run:
//! - failed: the newest check-in has status `error`;
//! - timed out: the newest is `in_progress` for longer than `max_runtime_min` (default 30),
//!   or the SDK itself reported `timeout`;
//! - missed: a run was due more than `checkin_margin_min` (default 1) ago and no check-in
//!   arrived since (an SDK-reported `missed` counts too);
//! - late: the run's first check-in arrived after the margin.
//!
//! Runs due before the monitor existed are not expected.

use crate::checkin::{CheckInStatus, MonitorConfig, MonitorSchedule, UnknownTimeZone};
use crate::clock::Millis;
use crate::cron_schedule::{Crontab, CrontabError};
use chrono_tz::Tz;

const MINUTE_MS: Millis = 60_000;
const DEFAULT_MARGIN_MIN: u32 = 1;
const DEFAULT_MAX_RUNTIME_MIN: u32 = 30;

/// Why a monitor looks stalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StallReason {
    Missed,
    Late,
    Timeout,
    Failed,
}

impl StallReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missed => "missed",
            Self::Late => "late",
            Self::Timeout => "timeout",
            Self::Failed => "failed",
        }
    }
}

/// A stalled monitor and the run it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub reason: StallReason,
    /// When the run in question was due (missed, late) or started (timeout, failed).
    pub at: Millis,
}

/// One stored check-in, as the judgement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenCheckIn {
    pub status: CheckInStatus,
    pub received_at: Millis,
}

/// A monitor schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Crontab(#[from] CrontabError),
    #[error("interval unit `{0}` is not one of minute, hour, day, week, month, year")]
    Unit(String),
    #[error("interval must be at least 1")]
    ZeroInterval,
    #[error(transparent)]
    TimeZone(#[from] UnknownTimeZone),
}

/// Checks a configuration when it is saved.
pub fn validate(config: &MonitorConfig) -> Result<(), ScheduleError> {
    config.time_zone()?;
    match &config.schedule {
        MonitorSchedule::Crontab(expr) => Crontab::parse(expr).map(|_| ()).map_err(Into::into),
        MonitorSchedule::Interval { value, unit } => interval_ms(*value, unit).map(|_| ()),
    }
}

fn interval_ms(value: u32, unit: &str) -> Result<Millis, ScheduleError> {
    if value == 0 {
        return Err(ScheduleError::ZeroInterval);
    }
    let unit_ms = match unit.trim_end_matches('s') {
        "minute" => MINUTE_MS,
        "hour" => 60 * MINUTE_MS,
        "day" => 24 * 60 * MINUTE_MS,
        "week" => 7 * 24 * 60 * MINUTE_MS,
        "month" => 30 * 24 * 60 * MINUTE_MS,
        "year" => 365 * 24 * 60 * MINUTE_MS,
        other => return Err(ScheduleError::Unit(other.to_string())),
    };
    Ok(Millis::from(value) * unit_ms)
}

/// Judges a monitor created at `created_at` from its check-ins (newest first) at `now`.
pub fn judge(
    config: &MonitorConfig,
    created_at: Millis,
    newest_first: &[SeenCheckIn],
    now: Millis,
) -> Result<Option<Stall>, ScheduleError> {
    let margin = Millis::from(config.checkin_margin_min.unwrap_or(DEFAULT_MARGIN_MIN)) * MINUTE_MS;
    let max_runtime =
        Millis::from(config.max_runtime_min.unwrap_or(DEFAULT_MAX_RUNTIME_MIN)) * MINUTE_MS;
    let newest = newest_first.first();
    if let Some(last) = newest {
        let stall = |reason| {
            Some(Stall {
                reason,
                at: last.received_at,
            })
        };
        match last.status {
            CheckInStatus::Error => return Ok(stall(StallReason::Failed)),
            CheckInStatus::Timeout => return Ok(stall(StallReason::Timeout)),
            CheckInStatus::Missed => return Ok(stall(StallReason::Missed)),
            CheckInStatus::InProgress if now - last.received_at > max_runtime => {
                return Ok(stall(StallReason::Timeout))
            }
            _ => {}
        }
    }
    let due = match &config.schedule {
        MonitorSchedule::Crontab(expr) => {
            let crontab = Crontab::parse(expr)?;
            let zone = config.time_zone().unwrap_or(Tz::UTC);
            crontab.last_at_or_before(now - margin, zone)
        }
        MonitorSchedule::Interval { value, unit } => {
            let every = interval_ms(*value, unit)?;
            let from = newest.map_or(created_at, |c| c.received_at);
            Some(from + every).filter(|d| *d + margin <= now)
        }
    };
    let Some(due) = due.filter(|d| *d >= created_at) else {
        return Ok(None);
    };
    // A check-in up to one margin early still belongs to the run (clock skew).
    let first_for_run = newest_first
        .iter()
        .filter(|c| c.received_at >= due - margin)
        .map(|c| c.received_at)
        .min();
    Ok(match first_for_run {
        None => Some(Stall {
            reason: StallReason::Missed,
            at: due,
        }),
        Some(arrived) if arrived > due + margin => Some(Stall {
            reason: StallReason::Late,
            at: due,
        }),
        Some(_) => None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const H: Millis = 60 * MINUTE_MS;
    // 2024-05-01T00:00:00Z
    const T0: Millis = 1_714_521_600_000;

    fn hourly() -> MonitorConfig {
        MonitorConfig {
            schedule: MonitorSchedule::Crontab("0 * * * *".into()),
            checkin_margin_min: Some(5),
            max_runtime_min: Some(10),
            timezone: None,
        }
    }

    fn seen(status: CheckInStatus, at: Millis) -> SeenCheckIn {
        SeenCheckIn {
            status,
            received_at: at,
        }
    }

    #[test]
    fn on_time_runs_are_fine_and_missing_ones_are_missed() {
        let c = hourly();
        let ok = [seen(CheckInStatus::Ok, T0 + H + 30_000)];
        assert_eq!(judge(&c, T0, &ok, T0 + H + 20 * MINUTE_MS).unwrap(), None);
        // Within the margin of the next run nothing is due yet.
        assert_eq!(
            judge(&c, T0, &ok, T0 + 2 * H + 4 * MINUTE_MS).unwrap(),
            None
        );
        let missed = judge(&c, T0, &ok, T0 + 2 * H + 6 * MINUTE_MS)
            .unwrap()
            .unwrap();
        assert_eq!(missed.reason, StallReason::Missed);
        assert_eq!(missed.at, T0 + 2 * H);
    }

    #[test]
    fn late_failed_and_timed_out_runs() {
        let c = hourly();
        let late = [seen(CheckInStatus::Ok, T0 + H + 8 * MINUTE_MS)];
        assert_eq!(
            judge(&c, T0, &late, T0 + H + 9 * MINUTE_MS)
                .unwrap()
                .map(|s| s.reason),
            Some(StallReason::Late)
        );
        let failed = [seen(CheckInStatus::Error, T0 + H)];
        assert_eq!(
            judge(&c, T0, &failed, T0 + H + MINUTE_MS)
                .unwrap()
                .map(|s| s.reason),
            Some(StallReason::Failed)
        );
        let running = [seen(CheckInStatus::InProgress, T0 + H)];
        assert_eq!(
            judge(&c, T0, &running, T0 + H + 9 * MINUTE_MS).unwrap(),
            None
        );
        assert_eq!(
            judge(&c, T0, &running, T0 + H + 11 * MINUTE_MS)
                .unwrap()
                .map(|s| s.reason),
            Some(StallReason::Timeout)
        );
    }

    #[test]
    fn intervals_count_from_the_last_check_in_and_new_monitors_wait() {
        let c = MonitorConfig {
            schedule: MonitorSchedule::Interval {
                value: 10,
                unit: "minute".into(),
            },
            checkin_margin_min: None,
            max_runtime_min: None,
            timezone: None,
        };
        assert_eq!(judge(&c, T0, &[], T0 + 10 * MINUTE_MS).unwrap(), None);
        assert_eq!(
            judge(&c, T0, &[], T0 + 12 * MINUTE_MS)
                .unwrap()
                .map(|s| s.reason),
            Some(StallReason::Missed)
        );
        let ok = [seen(CheckInStatus::Ok, T0 + 10 * MINUTE_MS)];
        assert_eq!(judge(&c, T0, &ok, T0 + 12 * MINUTE_MS).unwrap(), None);
        // Created after the last hourly slot: that slot is not expected.
        assert_eq!(
            judge(&hourly(), T0 + 30 * MINUTE_MS, &[], T0 + 50 * MINUTE_MS).unwrap(),
            None
        );
    }

    #[test]
    fn bad_schedules_are_refused() {
        let mut c = hourly();
        c.schedule = MonitorSchedule::Interval {
            value: 1,
            unit: "fortnight".into(),
        };
        assert!(validate(&c).is_err());
        c.schedule = MonitorSchedule::Crontab("0 0".into());
        assert!(validate(&c).is_err());
        assert!(validate(&hourly()).is_ok());
        let mut zoned = hourly();
        zoned.timezone = Some("Europe/Vienna".into());
        assert!(validate(&zoned).is_ok());
        zoned.timezone = Some("Europe/Vienne".into());
        assert!(matches!(validate(&zoned), Err(ScheduleError::TimeZone(_))));
    }

    #[test]
    fn crontabs_are_judged_in_the_monitors_zone_across_daylight_saving() {
        // 09:00 daily in Vienna, five minutes' margin; created long before.
        let c = MonitorConfig {
            schedule: MonitorSchedule::Crontab("0 9 * * *".into()),
            checkin_margin_min: Some(5),
            max_runtime_min: None,
            timezone: Some("Europe/Vienna".into()),
        };
        // 2024-01-15T08:00Z (09:00 CET) and 2024-07-15T07:00Z (09:00 CEST).
        for nine in [1_705_305_600_000, 1_721_026_800_000] {
            let created = nine - 30 * 24 * H;
            let day_before = [seen(CheckInStatus::Ok, nine - 24 * H)];
            // Due at 09:00 on the wall: fine within the margin, missed after it.
            assert_eq!(
                judge(&c, created, &day_before, nine + 4 * MINUTE_MS).unwrap(),
                None
            );
            let missed = judge(&c, created, &day_before, nine + 6 * MINUTE_MS)
                .unwrap()
                .unwrap();
            assert_eq!((missed.reason, missed.at), (StallReason::Missed, nine));
            let on_time = [seen(CheckInStatus::Ok, nine + 60_000)];
            assert_eq!(judge(&c, created, &on_time, nine + H).unwrap(), None);
        }
        // A name that slipped in unchecked is read as UTC: due at 09:00Z, not 08:00Z.
        let mut unknown = c.clone();
        unknown.timezone = Some("Mars/Olympus_Mons".into());
        let nine_utc = 1_705_309_200_000;
        let day_before = [seen(CheckInStatus::Ok, nine_utc - 24 * H)];
        assert_eq!(
            judge(&unknown, 0, &day_before, nine_utc - H + 6 * MINUTE_MS).unwrap(),
            None
        );
        assert_eq!(
            judge(&unknown, 0, &day_before, nine_utc + 6 * MINUTE_MS)
                .unwrap()
                .map(|s| s.at),
            Some(nine_utc)
        );
    }
}
