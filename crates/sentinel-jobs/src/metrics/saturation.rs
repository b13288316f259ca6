//! `metrics.saturation`: within each organization's working hours, every hour, each
//! repository's pull requests waiting for a first review against its reviewers' capacity
//! (distinct reviewers of the last seven days × the median of their reviews per day on the
//! days they reviewed). The reading goes on today's row and to the `review_saturation_high`
//! rule.

use super::{repositories, MetricsDeps};
use crate::kinds::fire_signal;
use crate::{JobContext, JobError};
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::clock::Millis;
use sentinel_core::metrics::{
    local_date, review_saturation, Period, PeriodWindow, ReviewerActivity,
};
use sentinel_store::{Store, StoreError, StoreResult};
use std::collections::BTreeMap;

const WEEK_MS: Millis = 7 * 24 * 3_600_000;
/// Pull requests opened longer ago than this no longer count as waiting: abandoned ones
/// would otherwise saturate review forever.
const WAITING_LOOKBACK_MS: Millis = 30 * 24 * 3_600_000;

/// Measures every repository whose organization is at work at `now`; returns the alerts
/// recorded.
pub async fn measure_saturation(
    store: &Store,
    engine: &RuleEngine,
    now: Millis,
) -> StoreResult<usize> {
    let mut alerts = 0;
    for org in repositories::all_repositories(store).await? {
        if !org.settings.working_hours.contains(now, org.tz) {
            continue;
        }
        let today = PeriodWindow::of_date(Period::Day, local_date(now, org.tz), org.tz)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for repository in &org.repositories {
            let waiting = store
                .pull_requests_waiting_for_review(
                    &org.org,
                    &repository.id,
                    now,
                    WAITING_LOOKBACK_MS,
                )
                .await?;
            let reviews = store
                .reviews_between(&org.org, &repository.id, now - WEEK_MS, now)
                .await?;
            let mut per_day: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
            for (reviewer, at) in reviews {
                *per_day
                    .entry(reviewer)
                    .or_default()
                    .entry(local_date(at, org.tz).to_string())
                    .or_default() += 1.0;
            }
            let activity: Vec<ReviewerActivity> = per_day
                .into_iter()
                .map(|(reviewer, days)| ReviewerActivity {
                    reviewer,
                    reviews_per_day: days.into_values().collect(),
                })
                .collect();
            let saturation = review_saturation(waiting, &activity);
            store
                .set_review_saturation(
                    &org.org,
                    &repository.id,
                    &today,
                    &org.settings.time_zone,
                    saturation,
                    now,
                )
                .await?;
            tracing::debug!(repository = %repository.full_name, waiting,
                reviewers = activity.len(), saturation, "review saturation measured");
            let Some(saturation) = saturation else {
                continue;
            };
            let mut signal = Signal::new(
                signals::REVIEW_SATURATION,
                format!("repository:{}", repository.id),
                format!("Review saturated in {}", repository.full_name),
            );
            signal
                .labels
                .insert("repository_id".into(), repository.id.to_string());
            signal.facts.insert("saturation".into(), saturation);
            signal.facts.insert("waiting".into(), waiting as f64);
            signal.summary = format!(
                "{waiting} pull requests waiting for review; {} reviewers this week; saturation {saturation:.2}",
                activity.len()
            );
            alerts += fire_signal(store, engine, &org.org, &signal, now)
                .await?
                .len();
        }
    }
    Ok(alerts)
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(super) async fn run_saturation_job(
    deps: &MetricsDeps,
    ctx: JobContext,
) -> Result<(), JobError> {
    measure_saturation(&ctx.store, &deps.engine, ctx.now_ms()).await?;
    Ok(())
}
