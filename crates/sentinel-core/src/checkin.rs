//! Cron monitor check-ins.
//!
//! SDKs report scheduled jobs with `check_in` envelope items: a job announces it started
//! (`in_progress`) and how it ended (`ok` / `error`), optionally with the monitor's schedule
//! so the monitor can be created on first use. The edge parses those items into a
//! [`CheckIn`]; missed and timed-out runs are later decided from the schedule.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state a check-in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStatus {
    InProgress,
    Ok,
    Error,
    Missed,
    Timeout,
}

impl CheckInStatus {
    pub const ALL: [CheckInStatus; 5] = [
        CheckInStatus::InProgress,
        CheckInStatus::Ok,
        CheckInStatus::Error,
        CheckInStatus::Missed,
        CheckInStatus::Timeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckInStatus::InProgress => "in_progress",
            CheckInStatus::Ok => "ok",
            CheckInStatus::Error => "error",
            CheckInStatus::Missed => "missed",
            CheckInStatus::Timeout => "timeout",
        }
    }

    /// Whether this status ends a run (everything but `in_progress`).
    pub fn is_final(self) -> bool {
        self != CheckInStatus::InProgress
    }
}

impl fmt::Display for CheckInStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown check-in status {0:?}")]
pub struct UnknownCheckInStatus(pub String);

impl FromStr for CheckInStatus {
    type Err = UnknownCheckInStatus;

    /// Accepts the SDK spellings, case-insensitively (`in_progress`, `ok`, `error`, ...).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == lower)
            .ok_or_else(|| UnknownCheckInStatus(s.to_string()))
    }
}

/// When a monitored job is expected to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorSchedule {
    /// A five-field crontab expression such as `"0 * * * *"`.
    Crontab(String),
    /// Every `value` `unit`s (`minute`, `hour`, `day`, `week`, `month`, `year`).
    Interval { value: u32, unit: String },
}

/// The monitor's settings as the SDK declared them (upserted on first check-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorConfig {
    pub schedule: MonitorSchedule,
    /// Minutes a check-in may be late before the run counts as missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkin_margin_min: Option<u32>,
    /// Minutes a run may stay in progress before it counts as timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runtime_min: Option<u32>,
    /// IANA time zone the crontab is read in (UTC when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{0}`: expected an IANA name such as `Europe/Vienna` or `UTC`")]
pub struct UnknownTimeZone(pub String);

/// Reads an IANA time zone name (`Europe/Vienna`, `America/New_York`, `UTC`), exactly as
/// the database spells it.
pub fn parse_time_zone(name: &str) -> Result<Tz, UnknownTimeZone> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| UnknownTimeZone(name.to_string()))
}

impl MonitorConfig {
    /// The zone the crontab is read in: the declared one, UTC when none is declared.
    pub fn time_zone(&self) -> Result<Tz, UnknownTimeZone> {
        match self.timezone.as_deref().map(str::trim) {
            None | Some("") => Ok(Tz::UTC),
            Some(name) => parse_time_zone(name),
        }
    }
}

/// One check-in of a monitored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The SDK's id for this run (the `in_progress` and final check-ins share it).
    pub check_in_id: String,
    pub monitor_slug: String,
    pub status: CheckInStatus,
    /// Run duration, in milliseconds, when the SDK measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_config: Option<MonitorConfig>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_leniently_and_round_trip() {
        for status in CheckInStatus::ALL {
            assert_eq!(status.as_str().parse::<CheckInStatus>(), Ok(status));
        }
        assert_eq!("IN_PROGRESS".parse(), Ok(CheckInStatus::InProgress));
        assert!("running".parse::<CheckInStatus>().is_err());
        assert!(!CheckInStatus::InProgress.is_final());
        assert!(CheckInStatus::Timeout.is_final());
    }

    #[test]
    fn time_zones_are_iana_names_and_default_to_utc() {
        let mut config = MonitorConfig {
            schedule: MonitorSchedule::Crontab("0 9 * * *".into()),
            checkin_margin_min: None,
            max_runtime_min: None,
            timezone: None,
        };
        assert_eq!(config.time_zone(), Ok(Tz::UTC));
        config.timezone = Some("Europe/Vienna".into());
        assert_eq!(config.time_zone(), Ok(Tz::Europe__Vienna));
        config.timezone = Some("Mars/Olympus_Mons".into());
        let err = config.time_zone().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown time zone `Mars/Olympus_Mons`: expected an IANA name such as `Europe/Vienna` or `UTC`")
        );
        assert_eq!(parse_time_zone("Etc/UTC"), Ok(Tz::Etc__UTC));
        assert!(parse_time_zone("CEST+2").is_err());
    }

    #[test]
    fn schedules_serialise_round_trip() {
        let config = MonitorConfig {
            schedule: MonitorSchedule::Crontab("0 * * * *".into()),
            checkin_margin_min: Some(5),
            max_runtime_min: None,
            timezone: Some("Europe/Vienna".into()),
        };
        let json = serde_json::to_string(&config).unwrap_or_default();
        assert!(json.contains(r#""crontab":"0 * * * *""#), "{json}");
        let back: MonitorConfig = serde_json::from_str(&json).unwrap_or(MonitorConfig {
            schedule: MonitorSchedule::Interval {
                value: 0,
                unit: String::new(),
            },
            checkin_margin_min: None,
            max_runtime_min: None,
            timezone: None,
        });
        assert_eq!(back, config);
    }
}
