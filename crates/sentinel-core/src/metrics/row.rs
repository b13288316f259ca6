//! One `repo_metrics` row from the facts of its period: commits and changed lines by author
//! class, AI share by commit and by line, review times, verification tax, high-risk files,
//! deploys and incidents.
//!
//! Review times and the tax are read from the pull requests merged within the period, with
//! GitHub's own timestamps: open → first review and open → merge. The verification tax is the
//! open → merge hours of the AI-attributed ones (the time review held AI-written changes),
//! priced at the organization's hourly rate.

use super::AI_THRESHOLD;
use crate::clock::Millis;

const HOUR_MS: f64 = 3_600_000.0;

/// Who wrote a commit, as the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorClass {
    Human,
    /// The tool said so (an identity or trailer), or a person set it through an override.
    AiDeclared,
    /// Indirect signals only.
    AiHeuristic,
}

impl AuthorClass {
    /// The class of an attribution with `method`, judged AI-written (`ai`) or not.
    pub fn of(method: Option<&str>, ai: bool) -> Self {
        match (ai, method) {
            (false, _) => AuthorClass::Human,
            (true, Some("heuristic")) => AuthorClass::AiHeuristic,
            (true, _) => AuthorClass::AiDeclared,
        }
    }

    /// Whether `ai_confidence` makes a commit AI-written.
    pub fn is_ai(ai_confidence: Option<f64>) -> bool {
        ai_confidence.is_some_and(|c| c >= AI_THRESHOLD)
    }
}

/// Commits of one attribution kind in the period: how many, and their added plus deleted
/// lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitFact {
    pub method: Option<String>,
    /// Judged AI-written (confidence at or over the threshold).
    pub ai: bool,
    pub commits: i64,
    pub lines_changed: i64,
}

/// A pull request merged within the period.
#[derive(Debug, Clone, PartialEq)]
pub struct PrFact {
    pub number: i64,
    pub opened_at: Millis,
    pub first_review_at: Option<Millis>,
    pub merged_at: Millis,
    /// Its head commit is AI-attributed.
    pub ai: bool,
}

/// Everything a row is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowFacts {
    pub commits: Vec<CommitFact>,
    pub merged_prs: Vec<PrFact>,
    /// Distinct T3/T4 paths changed.
    pub high_risk_files: i64,
    pub deploys: i64,
    pub incidents: i64,
    pub ai_incidents: i64,
}

/// The computed columns of a row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricValues {
    pub commits_human: i64,
    pub commits_ai_declared: i64,
    pub commits_ai_heuristic: i64,
    pub lines_human: i64,
    pub lines_ai_declared: i64,
    pub lines_ai_heuristic: i64,
    /// AI commits over all commits, 0..=1; `None` without commits.
    pub ai_share_by_commit: Option<f64>,
    /// AI changed lines over all changed lines, 0..=1; `None` without changed lines.
    pub ai_share_by_line: Option<f64>,
    pub prs_merged: i64,
    pub first_review_median_hours: Option<f64>,
    pub first_review_p90_hours: Option<f64>,
    pub merge_median_hours: Option<f64>,
    pub merge_p90_hours: Option<f64>,
    pub verification_tax_hours: f64,
    pub verification_tax_cost: f64,
    pub high_risk_files: i64,
    pub deploys: i64,
    pub incidents: i64,
    pub ai_incidents: i64,
}

impl MetricValues {
    /// The row of `facts`, the tax priced at `hourly_rate`.
    pub fn compute(facts: &RowFacts, hourly_rate: f64) -> Self {
        let mut v = MetricValues {
            high_risk_files: facts.high_risk_files,
            deploys: facts.deploys,
            incidents: facts.incidents,
            ai_incidents: facts.ai_incidents,
            prs_merged: facts.merged_prs.len() as i64,
            ..Self::default()
        };
        for group in &facts.commits {
            let (commits, lines) = match AuthorClass::of(group.method.as_deref(), group.ai) {
                AuthorClass::Human => (&mut v.commits_human, &mut v.lines_human),
                AuthorClass::AiDeclared => (&mut v.commits_ai_declared, &mut v.lines_ai_declared),
                AuthorClass::AiHeuristic => {
                    (&mut v.commits_ai_heuristic, &mut v.lines_ai_heuristic)
                }
            };
            *commits += group.commits;
            *lines += group.lines_changed;
        }
        v.ai_share_by_commit = share(
            v.commits_ai_declared + v.commits_ai_heuristic,
            v.commits_human,
        );
        v.ai_share_by_line = share(v.lines_ai_declared + v.lines_ai_heuristic, v.lines_human);
        let hours = |from: Millis, to: Millis| ((to - from).max(0) as f64) / HOUR_MS;
        let mut to_review: Vec<f64> = facts
            .merged_prs
            .iter()
            .filter_map(|pr| pr.first_review_at.map(|r| hours(pr.opened_at, r)))
            .collect();
        let mut to_merge: Vec<f64> = facts
            .merged_prs
            .iter()
            .map(|pr| hours(pr.opened_at, pr.merged_at))
            .collect();
        v.first_review_median_hours = percentile(&mut to_review, 0.5);
        v.first_review_p90_hours = percentile(&mut to_review, 0.9);
        v.merge_median_hours = percentile(&mut to_merge, 0.5);
        v.merge_p90_hours = percentile(&mut to_merge, 0.9);
        v.verification_tax_hours = facts
            .merged_prs
            .iter()
            .filter(|pr| pr.ai)
            .map(|pr| hours(pr.opened_at, pr.merged_at))
            .sum();
        v.verification_tax_cost = v.verification_tax_hours * hourly_rate;
        v
    }
}

fn share(ai: i64, human: i64) -> Option<f64> {
    let total = ai + human;
    (total > 0).then(|| ai as f64 / total as f64)
}

/// The `q` quantile (0..=1) by linear interpolation between the closest ranks; `None` for
/// no values. Sorts `values`.
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let (a, b) = (values[low], values[high.min(values.len() - 1)]);
    Some(a + (b - a) * (rank - low as f64))
}
