//! `metrics.daily`: for each repository, once its organization's day is over, the rows of
//! that day, its week and its month; every stale row too. After a day's row is written the
//! code alert rules read it.
//!
//! Also [`recompute`]: a range of days (and the weeks and months overlapping it) rewritten
//! from the facts, as `sentinel metrics recompute` asks.

use super::run::{MetricsRun, RunOutcome, LOCK_TTL_MS};
use super::{repositories, signals, MetricsDeps};
use crate::{JobContext, JobError};
use sentinel_core::alerting::RuleEngine;
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{local_date, MetricsSettings, NaiveDate, Period, PeriodWindow, Tz};
use sentinel_store::{Store, StoreError, StoreResult};
use std::time::Duration;

/// Stale rows one run picks up per repository.
const STALE_PER_RUN: i64 = 500;

/// What a daily run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyReport {
    pub repositories: usize,
    pub rows_written: usize,
    /// Repositories whose lock another run held (retried later).
    pub busy: usize,
    pub alerts: usize,
}

/// The windows due for `repository` at `now`, and the finished day among them (whose row the
/// alert rules read), if it is due.
pub async fn due_windows(
    store: &Store,
    org: &OrgId,
    repository: &RepositoryId,
    tz: Tz,
    now: Millis,
) -> StoreResult<(Vec<PeriodWindow>, Option<PeriodWindow>)> {
    let mut windows = Vec::new();
    let mut finished_day = None;
    if let Some(yesterday) = local_date(now, tz).pred_opt() {
        let day = window(Period::Day, yesterday, tz)?;
        let row = store
            .get_repo_metric(org, repository, Period::Day, &day.date.to_string())
            .await?;
        let done = row.is_some_and(|r| !r.stale && r.computed_at >= day.ends_at);
        if !done {
            windows.push(day);
            windows.push(window(Period::Week, yesterday, tz)?);
            windows.push(window(Period::Month, yesterday, tz)?);
            finished_day = Some(day);
        }
    }
    for key in store
        .stale_repo_metrics(org, repository, STALE_PER_RUN)
        .await?
    {
        let Ok(date) = key.date.parse::<NaiveDate>() else {
            continue;
        };
        let stale = window(key.period, date, tz)?;
        if !windows.contains(&stale) {
            windows.push(stale);
        }
    }
    Ok((windows, finished_day))
}

fn window(period: Period, date: NaiveDate, tz: Tz) -> StoreResult<PeriodWindow> {
    PeriodWindow::of_date(period, date, tz).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Runs the daily metrics over every repository. Repositories whose lock is held are counted
/// as busy and left for the retry.
pub async fn run_daily_metrics(
    store: &Store,
    engine: &RuleEngine,
    now: impl Fn() -> Millis + Copy,
) -> StoreResult<DailyReport> {
    let mut report = DailyReport::default();
    for org in repositories::all_repositories(store).await? {
        for repository in &org.repositories {
            report.repositories += 1;
            let (windows, finished_day) =
                due_windows(store, &org.org, &repository.id, org.tz, now()).await?;
            if windows.is_empty() {
                continue;
            }
            let Some(run) = MetricsRun::start(
                store,
                &org.org,
                &repository.id,
                &org.settings,
                windows,
                now(),
            )
            .await?
            else {
                report.busy += 1;
                continue;
            };
            match run.run_to_end(now).await? {
                RunOutcome::Completed { written } => report.rows_written += written,
                RunOutcome::LostLock { written } => {
                    report.rows_written += written;
                    report.busy += 1;
                    continue;
                }
            }
            if let Some(day) = finished_day {
                report.alerts +=
                    signals::fire_day_rules(store, engine, &org.org, repository, &day, now())
                        .await?;
            }
        }
    }
    tracing::info!(
        repositories = report.repositories,
        rows = report.rows_written,
        busy = report.busy,
        alerts = report.alerts,
        "daily metrics computed"
    );
    Ok(report)
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(super) async fn run_daily_job(deps: &MetricsDeps, ctx: JobContext) -> Result<(), JobError> {
    let clock = ctx.clock.clone();
    let now = move || clock.now_ms();
    let report = run_daily_metrics(&ctx.store, &deps.engine, &now).await?;
    if report.busy > 0 {
        // Another run holds a repository; if it died, its lock expires by then and this
        // run redoes its rows.
        return Err(JobError::retry_after(
            format!("{} repositories busy", report.busy),
            Duration::from_millis(LOCK_TTL_MS as u64),
        ));
    }
    Ok(())
}

/// Rewrites the rows of local days `from..=to` of one repository, with the weeks and months
/// overlapping them. Idempotent: the rows are upserted by key. `None` when another run holds
/// the repository's lock.
pub async fn recompute(
    store: &Store,
    org: &OrgId,
    repository: &RepositoryId,
    settings: &MetricsSettings,
    (from, to): (NaiveDate, NaiveDate),
    now: impl Fn() -> Millis,
) -> Result<Option<RunOutcome>, StoreError> {
    let tz = settings
        .tz()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut windows = Vec::new();
    for period in Period::ALL {
        windows.extend(
            PeriodWindow::covering(period, from, to, tz)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
    }
    let Some(run) = MetricsRun::start(store, org, repository, settings, windows, now()).await?
    else {
        return Ok(None);
    };
    Ok(Some(run.run_to_end(now).await?))
}
