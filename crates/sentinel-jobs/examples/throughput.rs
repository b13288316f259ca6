//! Jobs claimed and completed per second with a no-op handler, on SQLite and PostgreSQL.
//!
//! ```text
//! cargo run --release -p sentinel-jobs --example throughput -- [--jobs N] [--concurrency N]
//!     [--batch N] [--runtimes N] [--backend sqlite|postgres|both]
//! ```
//! PostgreSQL runs when `SENTINEL_TEST_DATABASE_URL` is set, in a fresh schema.
//! Jobs are enqueued first (timed separately), then the runtimes drain the queue.

use anyhow::{bail, Context};
use sentinel_core::clock::{SharedClock, SystemClock};
use sentinel_jobs::{handler_fn, JobRuntime, RuntimeConfig};
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::{Store, StoreOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Args {
    jobs: usize,
    concurrency: usize,
    batch: u32,
    runtimes: usize,
    cooldown_ms: u64,
    backend: String,
    /// `runtime` (the full runtime) or `store` (claim + complete calls in a loop, no runtime).
    mode: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        jobs: 50_000,
        concurrency: 200,
        batch: 200,
        runtimes: 1,
        cooldown_ms: 5,
        backend: "both".into(),
        mode: "runtime".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--jobs" => args.jobs = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            "--batch" => args.batch = value.parse()?,
            "--runtimes" => args.runtimes = value.parse()?,
            "--cooldown-ms" => args.cooldown_ms = value.parse()?,
            "--backend" => args.backend = value,
            "--mode" => args.mode = value,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    println!("{args:?}");
    if matches!(args.backend.as_str(), "sqlite" | "both") {
        let dir = tempfile::tempdir()?;
        let options = StoreOptions::sqlite_in(dir.path());
        run("sqlite", &options, &args).await?;
    }
    if matches!(args.backend.as_str(), "postgres" | "both") {
        match std::env::var("SENTINEL_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("bench_jobs_{:08x}", rand::random::<u32>());
                let admin = Store::connect(&StoreOptions::new(url.clone())).await?;
                admin.create_pg_schema(&schema).await?;
                admin.close().await;
                let mut options = StoreOptions::new(url);
                options.pg_schema = Some(schema);
                options.max_connections = 16;
                run("postgres", &options, &args).await?;
            }
            _ => println!("postgres: skipped (SENTINEL_TEST_DATABASE_URL not set)"),
        }
    }
    Ok(())
}

async fn run(label: &str, options: &StoreOptions, args: &Args) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let store = Store::open(options).await?;

    let started = Instant::now();
    let mut remaining = args.jobs;
    while remaining > 0 {
        let n = remaining.min(1_000);
        let mut tx = store.begin().await?;
        let now = clock.now_ms();
        for i in 0..n {
            enqueue_in(
                &mut tx,
                &NewJob::new("noop", serde_json::json!({ "i": i })),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        remaining -= n;
    }
    let enqueue_secs = started.elapsed().as_secs_f64();

    if args.mode == "store" {
        return store_loop(label, &store, clock, args, enqueue_secs).await;
    }

    let started = Instant::now();
    let mut handles = Vec::new();
    for r in 0..args.runtimes {
        // Each runtime gets its own connections, as a separate worker process would.
        let store = Store::open(options).await?;
        let config = RuntimeConfig {
            worker_id: format!("bench-{r}"),
            concurrency: args.concurrency,
            claim_batch: args.batch,
            poll_interval: Duration::from_millis(50),
            claim_cooldown: Duration::from_millis(args.cooldown_ms),
            ..RuntimeConfig::default()
        };
        let runtime = JobRuntime::new(store, clock.clone(), config)
            .with_handler(handler_fn("noop", |_ctx| async { Ok(()) }))
            .start();
        handles.push(runtime);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done: u64 = handles.iter().map(|h| h.stats().completed).sum();
        if done >= args.jobs as u64 {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{label}: only {done} of {} jobs completed in time",
                args.jobs
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let drain_secs = started.elapsed().as_secs_f64();
    let (claims, claimed) = handles.iter().fold((0, 0), |(c, n), h| {
        let s = h.stats();
        (c + s.claims, n + s.claimed)
    });
    for handle in handles {
        handle.shutdown(Duration::from_secs(10)).await;
    }
    let counts = store.job_counts().await?;
    if counts.completed != args.jobs as i64 {
        bail!("{label}: store shows {} completed", counts.completed);
    }
    println!(
        "{label}: enqueue {:.0} jobs/s ({} in {:.2}s); claim+complete {:.0} jobs/s ({} in {:.2}s, {} runtime(s), concurrency {}, batch {}, {:.1} jobs per claim)",
        args.jobs as f64 / enqueue_secs,
        args.jobs,
        enqueue_secs,
        args.jobs as f64 / drain_secs,
        args.jobs,
        drain_secs,
        args.runtimes,
        args.concurrency,
        args.batch,
        claimed as f64 / claims.max(1) as f64,
    );
    store.close().await;
    Ok(())
}

/// The store's own ceiling: one task claiming a batch and completing it, repeatedly.
async fn store_loop(
    label: &str,
    store: &Store,
    clock: SharedClock,
    args: &Args,
    enqueue_secs: f64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (mut claim_secs, mut complete_secs, mut done) = (0.0, 0.0, 0);
    while done < args.jobs {
        let t = Instant::now();
        let jobs = store
            .claim_jobs("bench", &["noop"], args.batch, 30_000, clock.now_ms())
            .await?;
        claim_secs += t.elapsed().as_secs_f64();
        if jobs.is_empty() {
            bail!("{label}: queue empty after {done} jobs");
        }
        let pairs: Vec<_> = jobs.into_iter().map(|j| (j.id, j.lease_token)).collect();
        let t = Instant::now();
        done += store.complete_jobs(&pairs, clock.now_ms()).await?.len();
        complete_secs += t.elapsed().as_secs_f64();
    }
    let total = started.elapsed().as_secs_f64();
    println!(
        "{label} (store only): enqueue {:.0} jobs/s; claim+complete {:.0} jobs/s ({} in {:.2}s: claims {:.2}s, completes {:.2}s, batch {})",
        args.jobs as f64 / enqueue_secs,
        args.jobs as f64 / total,
        args.jobs,
        total,
        claim_secs,
        complete_secs,
        args.batch,
    );
    store.close().await;
    Ok(())
}
