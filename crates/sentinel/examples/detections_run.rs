//! Detections benchmark: the every-minute detections run (error spikes, latency degradation,
//! cron monitors) timed over the SQLite database the dashboard benchmark seeds (10,000
//! incidents and 1,000,000 events over the 14 days before it was seeded).
//!
//! ```text
//! cargo run --release -p sentinel --example dashboard_render -- target/dashboard-bench 2
//! cargo run --release -p sentinel --example detections_run -- [DATA_DIR] [RUNS]
//! ```
//! DATA_DIR defaults to target/dashboard-bench. Each run judges the day before the newest
//! stored event, so the figures do not depend on when the database was seeded. It prints
//! the first run (a fresh process; the OS may still cache the file), the median of the
//! others, and the process's peak resident memory.

use anyhow::{anyhow, Context};
use sentinel::demo::seed::SEED_ORG_SLUG;
use sentinel_core::alerting::RuleEngine;
use sentinel_core::detection::DetectionSettings;
use sentinel_jobs::kinds::run_detections;
use sentinel_store::incidents::{IncidentQuery, IncidentSort};
use sentinel_store::{Store, StoreOptions};
use std::path::PathBuf;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/dashboard-bench".into()),
    );
    let runs: usize = args.next().map_or(Ok(5), |n| n.parse()).context("RUNS")?;
    let store = Store::open(&StoreOptions::sqlite_in(&dir)).await?;
    let org = store
        .get_organization_by_slug(SEED_ORG_SLUG)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "{} is not seeded: run the dashboard benchmark first",
                dir.display()
            )
        })?;
    let newest = store
        .list_incidents(
            &org.id,
            &IncidentQuery {
                sort: IncidentSort::LastSeen,
                limit: 1,
                include_quiet: true,
                ..Default::default()
            },
        )
        .await?
        .items
        .first()
        .map(|i| i.last_seen)
        .ok_or_else(|| anyhow!("no incidents"))?;
    let now = newest + 1;
    let settings = DetectionSettings::default();
    let engine = RuleEngine::standard();
    let errors_in_baseline: i64 = store
        .error_counts_by_bucket(now - settings.baseline_ms, now, settings.baseline_ms)
        .await?
        .iter()
        .map(|c| c.count)
        .sum();
    println!("error events in the day judged: {errors_in_baseline}");

    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        run_detections(&store, &engine, &settings, now).await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let first = took[0];
    let mut rest = took[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    let median = rest.get(rest.len() / 2).copied().unwrap_or(first);
    println!(
        "detections run: first {first:.1} ms, median of the next {} {median:.1} ms",
        rest.len()
    );
    println!(
        "peak RSS: {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// `VmHWM` of this process, as /proc reports it.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|v| v.trim().to_string())
}
