//! Engineering metrics of a repository: the periods they are computed over (days, weeks and
//! months in the organization's time zone), the facts each row is made of, and the pure
//! formulas that turn those facts into a `repo_metrics` row, review saturation and line
//! survival. The store gathers the facts; nothing here does I/O.

mod period;
mod row;
mod saturation;
mod settings;
mod survival;

/// Time zones and dates as the periods use them.
pub use chrono::{Days, NaiveDate};
pub use chrono_tz::Tz;
pub use period::local_date;
pub use period::{Period, PeriodError, PeriodWindow};
pub use row::{percentile, AuthorClass, CommitFact, MetricValues, PrFact, RowFacts};
pub use saturation::{review_saturation, ReviewerActivity, SATURATION_HIGH};
pub use settings::{MetricsSettings, SettingsError, WorkingHours};
pub use survival::{SurvivalCounts, SurvivalShare};

/// The confidence from which a commit counts as AI-written (the store's threshold too).
pub const AI_THRESHOLD: f64 = 0.5;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
