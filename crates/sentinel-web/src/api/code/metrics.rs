//! `GET /api/v1/repositories/{id}/metrics?period=day|week|month&from=&to=`: a repository's
//! metrics rows as a time series, oldest first. `from` and `to` are local dates
//! (`YYYY-MM-DD`, inclusive) in the organization's time zone; they default to the last 30
//! days, 12 weeks or 12 months up to today.

use super::QueryParams;
use crate::api::repositories::find;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{Days, Months, NaiveDate};
use sentinel_core::clock::Millis;
use sentinel_core::id::RepositoryId;
use sentinel_core::metrics::{local_date, Period};
use sentinel_core::role::Role;
use sentinel_store::metrics::RepoMetricRow;
use serde::Serialize;

/// The most rows one answer holds (three years of days).
pub const MAX_POINTS: i64 = 1_100;

#[derive(Debug, Serialize)]
pub struct MetricsAnswer {
    pub repository_id: RepositoryId,
    pub period: &'static str,
    pub time_zone: String,
    pub from: String,
    pub to: String,
    pub data: Vec<MetricPoint>,
}

#[derive(Debug, Serialize)]
pub struct ByClass {
    pub human: i64,
    pub ai_declared: i64,
    pub ai_heuristic: i64,
}

#[derive(Debug, Serialize)]
pub struct ReviewAnswer {
    pub prs_merged: i64,
    pub first_review_median_hours: Option<f64>,
    pub first_review_p90_hours: Option<f64>,
    pub merge_median_hours: Option<f64>,
    pub merge_p90_hours: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct TaxAnswer {
    pub hours: f64,
    pub cost: f64,
    pub hourly_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct SurvivalAnswer {
    pub ai: Option<f64>,
    pub human: Option<f64>,
}

/// One row, as answered.
#[derive(Debug, Serialize)]
pub struct MetricPoint {
    pub date: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub commits: ByClass,
    pub lines_changed: ByClass,
    pub ai_share_by_commit: Option<f64>,
    pub ai_share_by_line: Option<f64>,
    pub review: ReviewAnswer,
    pub verification_tax: TaxAnswer,
    pub high_risk_files: i64,
    pub deploys: i64,
    pub incidents: i64,
    pub ai_incidents: i64,
    pub review_saturation: Option<f64>,
    pub survival: SurvivalAnswer,
    /// New attributions arrived after it was computed; the next run recomputes it.
    pub stale: bool,
}

impl From<RepoMetricRow> for MetricPoint {
    fn from(r: RepoMetricRow) -> Self {
        let v = r.values;
        Self {
            date: r.date,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            commits: ByClass {
                human: v.commits_human,
                ai_declared: v.commits_ai_declared,
                ai_heuristic: v.commits_ai_heuristic,
            },
            lines_changed: ByClass {
                human: v.lines_human,
                ai_declared: v.lines_ai_declared,
                ai_heuristic: v.lines_ai_heuristic,
            },
            ai_share_by_commit: v.ai_share_by_commit,
            ai_share_by_line: v.ai_share_by_line,
            review: ReviewAnswer {
                prs_merged: v.prs_merged,
                first_review_median_hours: v.first_review_median_hours,
                first_review_p90_hours: v.first_review_p90_hours,
                merge_median_hours: v.merge_median_hours,
                merge_p90_hours: v.merge_p90_hours,
            },
            verification_tax: TaxAnswer {
                hours: v.verification_tax_hours,
                cost: v.verification_tax_cost,
                hourly_rate: r.hourly_rate,
            },
            high_risk_files: v.high_risk_files,
            deploys: v.deploys,
            incidents: v.incidents,
            ai_incidents: v.ai_incidents,
            review_saturation: r.review_saturation,
            survival: SurvivalAnswer {
                ai: r.survival_ai,
                human: r.survival_human,
            },
            stale: r.stale,
        }
    }
}

fn parse_date(name: &str, text: &str) -> Result<NaiveDate, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(format!("{name} must be a date (YYYY-MM-DD), got {text:?}"))
    })
}

/// The default first date: 30 days, 12 weeks or 12 months before `to`.
fn default_from(period: Period, to: NaiveDate) -> NaiveDate {
    let earlier = match period {
        Period::Day => to.checked_sub_days(Days::new(29)),
        Period::Week => to.checked_sub_days(Days::new(7 * 11)),
        Period::Month => to.checked_sub_months(Months::new(11)),
    };
    earlier.unwrap_or(to)
}

pub async fn metrics(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<MetricsAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let mut params = QueryParams::parse(raw.as_deref());
    let period = match params.take("period") {
        None => Period::Day,
        Some(text) => text.parse().map_err(|_| {
            ApiError::bad_request(format!("period must be day, week or month, got {text:?}"))
        })?,
    };
    let from = params.take("from");
    let to = params.take("to");
    params.finish()?;
    let repo = find(&state, &principal, &id).await?;
    let settings = state.store.get_metrics_settings(&principal.org_id).await?;
    let tz = settings.tz().unwrap_or(sentinel_core::metrics::Tz::UTC);
    let to = match to {
        Some(text) => parse_date("to", &text)?,
        None => local_date(state.clock.now_ms(), tz),
    };
    let from = match from {
        Some(text) => parse_date("from", &text)?,
        None => default_from(period, to),
    };
    if from > to {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    if (to - from).num_days() > MAX_POINTS * 31
        || (period == Period::Day && (to - from).num_days() >= MAX_POINTS)
    {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_POINTS} points per request"
        )));
    }
    // A week or month is listed when its first day is in range; the one holding `from` too.
    let first = period.start_of(from);
    let rows = state
        .store
        .list_repo_metrics(
            &principal.org_id,
            &repo.id,
            period,
            &first.to_string(),
            &to.to_string(),
        )
        .await?;
    Ok(Json(MetricsAnswer {
        repository_id: repo.id,
        period: period.as_str(),
        time_zone: settings.time_zone,
        from: from.to_string(),
        to: to.to_string(),
        data: rows.into_iter().map(MetricPoint::from).collect(),
    }))
}
