//! Metric periods: a day, a week (Monday first) or a month, each starting at local midnight
//! in the organization's time zone, so "Tuesday" means the organization's Tuesday.

use crate::clock::Millis;
use chrono::{Datelike, Days, LocalResult, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// A period that does not parse, or a date it cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("unknown period `{0}` (day, week or month)")]
    UnknownPeriod(String),
    #[error("date {0} is out of range")]
    OutOfRange(NaiveDate),
}

/// How long a metrics row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period that holds `date`.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the next period after the one starting at `start`.
    pub fn next_start(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => start.checked_add_days(Days::new(1)),
            Period::Week => start.checked_add_days(Days::new(7)),
            Period::Month => start.checked_add_months(Months::new(1)),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| PeriodError::UnknownPeriod(s.to_string()))
    }
}

/// One period in one time zone: its first local day and its bounds in UTC milliseconds,
/// `[starts_at, ends_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodWindow {
    pub period: Period,
    pub date: NaiveDate,
    pub starts_at: Millis,
    pub ends_at: Millis,
}

impl PeriodWindow {
    /// The period of kind `period` holding local date `date` in `tz`.
    pub fn of_date(period: Period, date: NaiveDate, tz: Tz) -> Result<Self, PeriodError> {
        let start = period.start_of(date);
        let next = period
            .next_start(start)
            .ok_or(PeriodError::OutOfRange(date))?;
        Ok(Self {
            period,
            date: start,
            starts_at: local_midnight(start, tz)?,
            ends_at: local_midnight(next, tz)?,
        })
    }

    /// The period of kind `period` holding instant `at` in `tz`.
    pub fn containing(period: Period, at: Millis, tz: Tz) -> Result<Self, PeriodError> {
        Self::of_date(period, local_date(at, tz), tz)
    }

    /// Whether the period is over at `now`.
    pub fn is_complete(&self, now: Millis) -> bool {
        self.ends_at <= now
    }

    /// The periods of kind `period` overlapping local dates `from..=to`, in order.
    pub fn covering(
        period: Period,
        from: NaiveDate,
        to: NaiveDate,
        tz: Tz,
    ) -> Result<Vec<Self>, PeriodError> {
        let mut windows = Vec::new();
        let mut start = period.start_of(from);
        while start <= to {
            windows.push(Self::of_date(period, start, tz)?);
            start = period
                .next_start(start)
                .ok_or(PeriodError::OutOfRange(start))?;
        }
        Ok(windows)
    }
}

/// The local calendar date of instant `at` in `tz`.
pub fn local_date(at: Millis, tz: Tz) -> NaiveDate {
    let utc = chrono::DateTime::from_timestamp_millis(at).unwrap_or_default();
    utc.with_timezone(&tz).date_naive()
}

/// The instant a local day begins. Where midnight does not exist (a DST gap at 00:00) the
/// day begins at the first local time that does, found hour by hour.
fn local_midnight(date: NaiveDate, tz: Tz) -> Result<Millis, PeriodError> {
    for hour in 0..4 {
        let naive = date
            .and_hms_opt(hour, 0, 0)
            .ok_or(PeriodError::OutOfRange(date))?;
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                return Ok(t.timestamp_millis())
            }
            LocalResult::None => continue,
        }
    }
    Err(PeriodError::OutOfRange(date))
}
