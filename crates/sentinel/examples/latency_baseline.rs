//! Latency baseline benchmark: what the every-minute latency detector reads for its 24-hour
//! baseline, over a SQLite database holding a day of transactions.
//!
//! ```text
//! cargo run --release -p sentinel --example latency_baseline -- [DATA_DIR] [TRANSACTIONS] [RUNS]
//! ```
//! DATA_DIR defaults to target/latency-bench and TRANSACTIONS to 1,000,000, seeded once
//! (through the store's batch writer, which keeps the hourly histograms) over the day before
//! a fixed time: 3 services × 20 transaction names, log-normal durations. Each run times
//! the baseline read both ways: every transaction of the day (how the detector read it
//! before the histograms) and the histograms of the same 24 hours; then a whole detections
//! run. It prints the rows each read returns, the first run and the median of the others.

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentinel_core::alerting::RuleEngine;
use sentinel_core::clock::{Millis, HOUR_MS};
use sentinel_core::detection::DetectionSettings;
use sentinel_core::event::{EventKind, Level};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_jobs::kinds::run_detections;
use sentinel_store::incidents::{write_events, CompressedPayload, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::{Store, StoreOptions};
use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

const ORG_SLUG: &str = "latency-bench";
/// The detections are judged at this time (2026-01-02 00:00 UTC); the day before holds
/// the transactions.
const NOW: Millis = 1_767_312_000_000;
const SERVICES: usize = 3;
const NAMES: usize = 20;
const BATCH: usize = 5_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/latency-bench".into()));
    let transactions: u64 = args
        .next()
        .map_or(Ok(1_000_000), |n| n.parse())
        .context("TRANSACTIONS")?;
    let runs: usize = args.next().map_or(Ok(5), |n| n.parse()).context("RUNS")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let store = Store::open(&StoreOptions::sqlite_in(&dir)).await?;
    if store.get_organization_by_slug(ORG_SLUG).await?.is_none() {
        println!("seeding {} (once) ...", dir.display());
        let started = Instant::now();
        seed(&store, transactions).await?;
        println!(
            "seeded {transactions} transactions in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let settings = DetectionSettings::default();
    let recent_from = NOW - settings.latency_window_ms;
    let until = recent_from - recent_from.rem_euclid(HOUR_MS);
    let from = until - settings.baseline_ms;

    let (rows, every) = time(runs, || async {
        Ok(store.transaction_durations(from, until).await?.len())
    })
    .await?;
    report("every transaction of the day", rows, &every);
    let (rows, histograms) = time(runs, || async {
        Ok(store.transaction_duration_buckets(from, until).await?.len())
    })
    .await?;
    report("hourly histograms of the day", rows, &histograms);
    let engine = RuleEngine::standard();
    let (_, whole) = time(runs, || async {
        run_detections(&store, &engine, &settings, NOW).await?;
        Ok(0)
    })
    .await?;
    report("whole detections run", 0, &whole);
    Ok(())
}

/// Runs `read` `runs` times; the rows of the last run and each run's milliseconds.
async fn time<F, Fut>(runs: usize, read: F) -> anyhow::Result<(usize, Vec<f64>)>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut took = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        rows = read().await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((rows, took))
}

fn report(what: &str, rows: usize, took: &[f64]) {
    let first = took[0];
    let mut rest = took[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    let median = rest.get(rest.len() / 2).copied().unwrap_or(first);
    println!(
        "{what}: {rows} rows, first {first:.1} ms, median of the next {} {median:.1} ms",
        rest.len()
    );
}

async fn seed(store: &Store, transactions: u64) -> anyhow::Result<()> {
    let org = store
        .create_organization(
            &NewOrganization {
                slug: ORG_SLUG.into(),
                name: "Latency benchmark".into(),
            },
            NOW,
        )
        .await?;
    let mut services = Vec::with_capacity(SERVICES);
    for i in 0..SERVICES {
        let service = NewService {
            name: format!("latency-api-{i}"),
            platform: "python".into(),
        };
        services.push(store.create_service(&org.id, &service, NOW).await?.id);
    }
    let payload = CompressedPayload::compress(br#"{"type":"transaction"}"#)?;
    let mut rng = StdRng::seed_from_u64(0x1a7e);
    let mut batch = Vec::with_capacity(BATCH);
    for n in 0..transactions {
        batch.push(transaction(&org.id, &services, &payload, &mut rng, n));
        if batch.len() == BATCH || n + 1 == transactions {
            let mut tx = store.begin().await?;
            write_events(&mut tx, &batch, NOW).await?;
            tx.commit().await?;
            batch.clear();
        }
    }
    Ok(())
}

/// One transaction of the day before [`NOW`]: each name has its own typical duration, and
/// durations spread log-normally around it (σ ≈ 0.5).
fn transaction(
    org: &OrgId,
    services: &[ServiceId],
    payload: &CompressedPayload,
    rng: &mut StdRng,
    n: u64,
) -> NewEvent {
    let service = &services[rng.gen_range(0..services.len())];
    let name = rng.gen_range(0..NAMES);
    let typical = 20.0 * (1.0 + name as f64);
    // The sum of twelve uniforms less six is close enough to a standard normal here.
    let normal: f64 = (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0;
    let received_at = NOW - rng.gen_range(1..24 * HOUR_MS);
    NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: format!("{n:032x}"),
        kind: EventKind::Transaction,
        received_at,
        timestamp: received_at,
        level: Level::Info,
        trace_id: None,
        release: None,
        environment: None,
        transaction_name: Some(format!("GET /api/resource-{name}")),
        duration_ms: Some(typical * (0.5 * normal).exp()),
        tags: Vec::new(),
        payload: payload.clone(),
        incident: None,
    }
}
