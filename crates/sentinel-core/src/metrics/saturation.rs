//! Review saturation: pull requests waiting for review against what the reviewers of the
//! last seven days get through (distinct reviewers × their median reviews per day). Above
//! [`SATURATION_HIGH`] review is not keeping up.

use super::percentile;

/// The saturation above which review counts as saturated.
pub const SATURATION_HIGH: f64 = 0.8;

/// One reviewer's reviews per day over the last seven days (days without reviews included
/// as zeros by the caller, or left out to measure the days they did review).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewerActivity {
    pub reviewer: String,
    pub reviews_per_day: Vec<f64>,
}

/// `waiting / capacity`, where capacity is the number of reviewers times the median of their
/// per-reviewer median daily reviews. `None` when nobody reviewed (no capacity to measure);
/// with waiting pull requests and no reviewers, that is for the caller to report.
pub fn review_saturation(waiting: i64, reviewers: &[ReviewerActivity]) -> Option<f64> {
    let mut medians: Vec<f64> = reviewers
        .iter()
        .filter_map(|r| percentile(&mut r.reviews_per_day.clone(), 0.5))
        .collect();
    let per_reviewer = percentile(&mut medians, 0.5)?;
    let capacity = reviewers.len() as f64 * per_reviewer;
    (capacity > 0.0).then(|| waiting.max(0) as f64 / capacity)
}
