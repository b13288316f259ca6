//! The organization's metrics settings (kept in its `settings` under `metrics`): the time
//! zone its days are counted in, the hourly rate of the verification tax, the working hours
//! review saturation is measured in, and the age at which line survival is read.

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown time zone `{0}` (an IANA name such as Europe/Berlin)")]
    TimeZone(String),
    #[error("{0}")]
    Invalid(String),
}

/// When people review: local hours `[start_hour, end_hour)` on the given weekdays
/// (0 = Monday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkingHours {
    pub start_hour: u32,
    pub end_hour: u32,
    pub weekdays: Vec<u32>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            start_hour: 9,
            end_hour: 18,
            weekdays: vec![0, 1, 2, 3, 4],
        }
    }
}

impl WorkingHours {
    /// Whether instant `at` falls within working hours in `tz`.
    pub fn contains(&self, at: crate::clock::Millis, tz: Tz) -> bool {
        let Some(utc) = chrono::DateTime::from_timestamp_millis(at) else {
            return false;
        };
        let local = utc.with_timezone(&tz);
        self.weekdays
            .contains(&local.weekday().num_days_from_monday())
            && (self.start_hour..self.end_hour).contains(&local.hour())
    }
}

/// The metrics settings of one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// IANA name; days, weeks and months start at local midnight here.
    pub time_zone: String,
    /// The price of one review hour, in the organization's currency.
    pub hourly_rate: f64,
    pub working_hours: WorkingHours,
    /// Survival is read for lines added this many days ago.
    pub survival_days: u32,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            hourly_rate: 150.0,
            working_hours: WorkingHours::default(),
            survival_days: 30,
        }
    }
}

impl MetricsSettings {
    /// The time zone, parsed.
    pub fn tz(&self) -> Result<Tz, SettingsError> {
        self.time_zone
            .parse::<Tz>()
            .map_err(|_| SettingsError::TimeZone(self.time_zone.clone()))
    }

    /// Refuses settings that cannot work.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.tz()?;
        if !(self.hourly_rate.is_finite() && self.hourly_rate >= 0.0) {
            return Err(SettingsError::Invalid(
                "hourly_rate must be a number >= 0".into(),
            ));
        }
        let hours = &self.working_hours;
        if hours.start_hour >= hours.end_hour || hours.end_hour > 24 {
            return Err(SettingsError::Invalid(
                "working hours must satisfy start_hour < end_hour <= 24".into(),
            ));
        }
        if hours.weekdays.iter().any(|d| *d > 6) {
            return Err(SettingsError::Invalid(
                "weekdays are 0 (Monday) to 6 (Sunday)".into(),
            ));
        }
        if self.survival_days == 0 {
            return Err(SettingsError::Invalid("survival_days must be >= 1".into()));
        }
        Ok(())
    }
}
