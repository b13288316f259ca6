//! Metrics benchmark: every daily `repo_metrics` row of a long history recomputed under the
//! fenced lock, one day's row computed on its own, and the process's peak memory, over the
//! SQLite database `code_pages` seeds (100,000 attributed commits and 1,000,000 per-file
//! attribution rows; run that example once first).
//!
//! ```text
//! cargo run --release -p sentinel --example code_pages -- target/code-pages-bench 1
//! cargo run --release -p sentinel --example metrics_recompute -- [DATA_DIR] [DAYS]
//! ```
//! DAYS (default 730) is how many days up to the history's end are recomputed; 200 of them,
//! spread over the range, are also timed one by one.

use anyhow::{anyhow, Context};
use hdrhistogram::Histogram;
use sentinel_core::metrics::{local_date, MetricValues, MetricsSettings, Period, PeriodWindow, Tz};
use sentinel_jobs::metrics::{MetricsRun, RunOutcome};
use sentinel_store::{Store, StoreOptions};
use std::path::PathBuf;
use std::time::Instant;

const ORG_SLUG: &str = "code-bench";
const REPO: &str = "bench/monolith";
/// Where `code_pages` ends its history (2026-09-21).
const END: i64 = 1_790_000_000_000;
const DAY: i64 = 86_400_000;

/// Peak resident memory of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/code-pages-bench".into()),
    );
    let days: i64 = args.next().map_or(Ok(730), |n| n.parse()).context("DAYS")?;
    let store = Store::open(&StoreOptions::sqlite_in(&dir)).await?;
    let org = store
        .get_organization_by_slug(ORG_SLUG)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "not seeded: run the code_pages example on {} first",
                dir.display()
            )
        })?;
    let repo = store
        .get_repository_by_full_name(&org.id, REPO)
        .await?
        .ok_or_else(|| anyhow!("no seeded repository"))?;
    let settings = MetricsSettings::default();
    let tz = Tz::UTC;
    let last = local_date(END - 1, tz);
    let first = local_date(END - days * DAY, tz);
    let windows = PeriodWindow::covering(Period::Day, first, last, tz)?;
    println!("rss before: {:.0} MiB", peak_rss_mib().unwrap_or(0.0));

    let started = Instant::now();
    let run = MetricsRun::start(&store, &org.id, &repo.id, &settings, windows.clone(), END)
        .await?
        .ok_or_else(|| anyhow!("the repository's metrics lock is held"))?;
    let outcome = run.run_to_end(|| END).await?;
    let elapsed = started.elapsed();
    let RunOutcome::Completed { written } = outcome else {
        return Err(anyhow!("lost the lock: {outcome:?}"));
    };
    println!(
        "recompute all daily rows: {written} days ({first} to {last}) in {:.2?} ({:.1} ms a day)",
        elapsed,
        elapsed.as_secs_f64() * 1000.0 / written as f64
    );
    let rows = store
        .list_repo_metrics(
            &org.id,
            &repo.id,
            Period::Day,
            &first.to_string(),
            &last.to_string(),
        )
        .await?;
    let commits: i64 = rows
        .iter()
        .map(|r| {
            r.values.commits_human + r.values.commits_ai_declared + r.values.commits_ai_heuristic
        })
        .sum();
    println!(
        "  rows read back: {}, commits counted: {commits}",
        rows.len()
    );

    // One day's row on its own: the facts read and the formulas, 200 days over the range.
    let mut one_day = Histogram::<u64>::new(3)?;
    let step = (windows.len() / 200).max(1);
    for window in windows.iter().step_by(step) {
        let t = Instant::now();
        let facts = store
            .metric_facts(&org.id, &repo.id, window.starts_at, window.ends_at)
            .await?;
        let values = MetricValues::compute(&facts, settings.hourly_rate);
        std::hint::black_box(values);
        one_day.record(t.elapsed().as_micros() as u64)?;
    }
    println!(
        "one day's row ({} days): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        one_day.len(),
        one_day.value_at_quantile(0.5) as f64 / 1000.0,
        one_day.value_at_quantile(0.95) as f64 / 1000.0,
        one_day.max() as f64 / 1000.0
    );

    // Weeks and months of the same range, for the record.
    let started = Instant::now();
    let mut longer = Vec::new();
    for period in [Period::Week, Period::Month] {
        longer.extend(PeriodWindow::covering(period, first, last, tz)?);
    }
    let count = longer.len();
    let run = MetricsRun::start(&store, &org.id, &repo.id, &settings, longer, END)
        .await?
        .ok_or_else(|| anyhow!("the repository's metrics lock is held"))?;
    run.run_to_end(|| END).await?;
    println!(
        "weeks and months: {count} rows in {:.2?}",
        started.elapsed()
    );
    println!("peak rss: {:.0} MiB", peak_rss_mib().unwrap_or(0.0));
    store.close().await;
    Ok(())
}
