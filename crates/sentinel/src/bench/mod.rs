//! `sentinel bench …`: load generators against a real server.
//!
//! `sentinel bench ingest` starts `sentinel serve` as a child process on a fresh data
//! directory (SQLite) or a fresh PostgreSQL schema, reads the DSN it prints, and posts
//! realistic envelopes at it over keep-alive connections on loopback: first to the server's
//! no-op endpoint (accept and discard — the ceiling of HTTP alone on this machine), then to
//! the real ingest endpoint. It reports accepted events per second, acknowledgement latency
//! percentiles and the server's peak resident memory. The generator runs on the same machine,
//! so its own cost is part of every figure.

mod http1;
mod load;
mod otlp;
pub mod otlp_payload;
pub mod payload;
mod webhooks;
mod webhooks_payload;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use load::{LoadPlan, LoadReport};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchKind,
}

#[derive(Debug, Subcommand)]
pub enum BenchKind {
    /// Load the Sentry envelope endpoint of a fresh server and report events/s, latency, RSS.
    Ingest(IngestBenchArgs),
    /// Load OTLP/HTTP `/v1/traces` of a fresh server and report spans/s, latency, RSS.
    Otlp(otlp::OtlpBenchArgs),
    /// Post signed GitHub deliveries to `/webhooks/github` of a fresh server and report
    /// deliveries/s, latency, RSS, and how long the queue took to apply them.
    Webhooks(webhooks::WebhookBenchArgs),
}

#[derive(Debug, Args)]
pub struct IngestBenchArgs {
    /// Seconds of load per phase (no-op, then ingest).
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 48)]
    pub connections: usize,
    /// Distinct bugs in the stream (≈ incidents created).
    #[arg(long, default_value_t = 200)]
    pub fingerprints: usize,
    /// Run the server on this PostgreSQL database (a fresh schema is created in it)
    /// instead of SQLite in a temporary folder.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// The server binary to start (defaults to this executable).
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.what {
        BenchKind::Ingest(args) => ingest(args).await,
        BenchKind::Otlp(args) => otlp::run(args).await,
        BenchKind::Webhooks(args) => webhooks::run(args).await,
    }
}

async fn ingest(args: &IngestBenchArgs) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let schema = match &args.postgres {
        Some(url) => Some(fresh_pg_schema(url).await?),
        None => None,
    };
    let database_url = schema.as_ref().map(|(_, url)| url.clone());
    let mut server = Server::start(
        args.server_binary.as_ref(),
        data_dir.path().to_path_buf(),
        database_url.as_deref(),
    )?;
    let result = async {
        server.wait_ready(Duration::from_secs(30)).await?;
        let rss = RssSampler::start(server.pid());
        let base = server.base_url.clone();
        let plan = |url: String| LoadPlan {
            url,
            auth_header: format!(
                "Sentry sentry_version=7, sentry_client=sentinel-bench/1.0, sentry_key={}",
                server.key
            ),
            connections: args.connections,
            duration: Duration::from_secs(args.seconds),
            distinct_bugs: args.fingerprints,
            seed: 42,
        };
        // Warm the connection pool and the server's caches.
        let mut warm = plan(format!("{base}/api/{}/envelope/", server.project));
        warm.duration = Duration::from_secs(2);
        load::run(&warm).await?;
        let noop = load::run(&plan(format!("{base}/api/{}/discard/", server.project))).await?;
        rss.reset_peak();
        let writer_before = WriterReading::scrape(&base).await?;
        let cpu_before = cpu_seconds(server.pid());
        let started = Instant::now();
        let ingest = load::run(&plan(format!("{base}/api/{}/envelope/", server.project))).await?;
        let writer = WriterReading::scrape(&base)
            .await?
            .since(&writer_before, started.elapsed());
        let cpu = cpu_seconds(server.pid())
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        let peak_rss_kb = rss.stop();
        print_report(
            args,
            &noop,
            &ingest,
            peak_rss_kb,
            payload::Envelopes::new(args.fingerprints, 42, 42).mean_size(),
        );
        println!("{writer}");
        if let Some(cpu) = cpu {
            // CPU time per event barely moves when other work shares the machine, unlike
            // events per second; it is the figure to compare two builds by.
            let events = ingest.ok as f64;
            println!(
                "server CPU during ingest: {cpu:.1} s ({:.0} µs per accepted event, {:.2} cores)",
                cpu * 1e6 / events.max(1.0),
                cpu / started.elapsed().as_secs_f64().max(1e-9),
            );
        }
        anyhow::Ok(())
    }
    .await;
    server.stop();
    if let (Some(url), Some((name, _))) = (&args.postgres, &schema) {
        // A run leaves about a million rows behind; they are of no use afterwards.
        if let Err(err) = drop_pg_schema(url, name).await {
            eprintln!("could not drop the benchmark schema {name}: {err}");
        }
    }
    result
}

fn print_report(
    args: &IngestBenchArgs,
    noop: &LoadReport,
    ingest: &LoadReport,
    peak_rss_kb: u64,
    envelope_bytes: usize,
) {
    let backend = if args.postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    println!("backend: {backend}, connections: {}, seconds per phase: {}, mean envelope: {envelope_bytes} bytes, distinct bugs: {}",
        args.connections, args.seconds, args.fingerprints);
    for (name, report) in [("no-op", noop), ("ingest", ingest)] {
        println!(
            "{name:>7}: {:>9.0} ok/s  p50 {:>6.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  statuses {:?}  transport errors {}",
            report.ok_per_sec(),
            report.percentile_ms(0.50),
            report.percentile_ms(0.99),
            report.latency_us.max() as f64 / 1000.0,
            report.by_status,
            report.transport_errors,
        );
    }
    println!(
        "ingest / no-op: {:.2}",
        ingest.ok_per_sec() / noop.ok_per_sec().max(1e-9)
    );
    println!(
        "server peak RSS during ingest: {:.1} MB",
        peak_rss_kb as f64 / 1024.0
    );
}

/// The server's ingest-writer counters from `/metrics`: how ingest batched, and how busy the
/// single writer was — the figure that says whether the writer or everything before it
/// bounds throughput.
#[derive(Debug, Default)]
struct WriterReading {
    batches: f64,
    requests: f64,
    events: f64,
    busy_seconds: f64,
    wall_seconds: f64,
}

impl WriterReading {
    async fn scrape(base: &str) -> anyhow::Result<Self> {
        let text = reqwest::get(format!("{base}/metrics"))
            .await?
            .error_for_status()?
            .text()
            .await?;
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0.0)
        };
        Ok(Self {
            batches: value("sentinel_ingest_writer_batches_total"),
            requests: value("sentinel_ingest_writer_requests_total"),
            events: value("sentinel_ingest_writer_events_total"),
            busy_seconds: value("sentinel_ingest_writer_busy_seconds_total"),
            wall_seconds: 0.0,
        })
    }

    fn since(self, before: &Self, wall: Duration) -> Self {
        Self {
            batches: self.batches - before.batches,
            requests: self.requests - before.requests,
            events: self.events - before.events,
            busy_seconds: self.busy_seconds - before.busy_seconds,
            wall_seconds: wall.as_secs_f64(),
        }
    }
}

impl std::fmt::Display for WriterReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let batches = self.batches.max(1.0);
        write!(
            f,
            "writer: {:.0} batches, {:.1} requests and {:.1} events per batch, {:.2} ms per batch, busy {:.0}% of the time",
            self.batches,
            self.requests / batches,
            self.events / batches,
            self.busy_seconds * 1000.0 / batches,
            100.0 * self.busy_seconds / self.wall_seconds.max(1e-9),
        )
    }
}

/// Creates a new schema in the given database and returns its name and a URL that uses it.
async fn fresh_pg_schema(url: &str) -> anyhow::Result<(String, String)> {
    let schema = format!("bench_{}", ulid::Ulid::new().to_string().to_lowercase());
    let store = sentinel_store::Store::connect(&sentinel_store::StoreOptions::new(url)).await?;
    store.create_pg_schema(&schema).await?;
    store.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let with_schema = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Ok((schema, with_schema))
}

async fn drop_pg_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    let store = sentinel_store::Store::connect(&sentinel_store::StoreOptions::new(url)).await?;
    let dropped = store.drop_pg_schema(schema).await;
    store.close().await;
    Ok(dropped?)
}

/// A `sentinel serve` child process.
struct Server {
    child: Child,
    base_url: String,
    key: String,
    project: String,
}

impl Server {
    fn start(
        server_binary: Option<&PathBuf>,
        data_dir: PathBuf,
        database_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        Self::start_with_env(server_binary, data_dir, database_url, &[])
    }

    /// [`Server::start`] with extra environment (configuration such as a webhook secret).
    fn start_with_env(
        server_binary: Option<&PathBuf>,
        data_dir: PathBuf,
        database_url: Option<&str>,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let binary = match server_binary {
            Some(path) => path.clone(),
            None => std::env::current_exe()?,
        };
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(&data_dir)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            command.arg("--database-url").arg(url);
        }
        let mut child = command.spawn().context("starting the server")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no server stdout"))?;
        let mut dsn = None;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(rest) = line.strip_prefix("DSN: ") {
                dsn = Some(rest.trim().to_string());
                break;
            }
        }
        let Some(dsn) = dsn else {
            let _ = child.kill();
            bail!("the server exited without printing a DSN");
        };
        let parsed = url::Url::parse(&dsn)?;
        let key = parsed.username().to_string();
        let project = parsed.path().trim_matches('/').to_string();
        Ok(Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            key,
            project,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&self, within: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.base_url)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server was not ready within {within:?}")
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples a process's resident memory every 100 ms and keeps the peak.
struct RssSampler {
    peak_kb: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let peak_kb = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak, done) = (peak_kb.clone(), stop.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { peak_kb, stop }
    }

    fn reset_peak(&self) {
        self.peak_kb.store(0, Ordering::Relaxed);
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.peak_kb.load(Ordering::Relaxed)
    }
}

/// User plus system CPU seconds a process has used (Linux `/proc/<pid>/stat`).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS_PER_SECOND)
}

/// `sysconf(_SC_CLK_TCK)`, which is 100 on every Linux this runs on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
