//! `sentinel bench webhooks`: signed GitHub deliveries against a fresh `sentinel serve`.
//!
//! The server starts as for `bench ingest`, with a webhook secret; the generator posts
//! deliveries (`webhooks_payload`: pushes with fresh shas, pull requests, reviews, each with
//! its own delivery id and signature) to `/webhooks/github` over keep-alive connections. Each
//! answer comes after the delivery and its job are committed, so deliveries/s and latency
//! measure what GitHub waits for. Afterwards it waits for the queue to apply them all and
//! reports how long that took.

use super::load;
use super::webhooks_payload::Deliveries;
use super::{cpu_seconds, RssSampler, Server};
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SECRET: &str = "sentinel-bench-webhook-secret";

#[derive(Debug, Args)]
pub struct WebhookBenchArgs {
    /// Seconds of load.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Deliveries per second to offer, spread over the connections; 0 sends as fast as
    /// answers come.
    #[arg(long, default_value_t = 0)]
    pub per_second: u64,
    /// Longest wait for the queue to apply what was accepted.
    #[arg(long, default_value_t = 300)]
    pub drain_seconds: u64,
    /// The server binary to start (defaults to this executable).
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
}

pub async fn run(args: &WebhookBenchArgs) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut server = Server::start_with_env(
        args.server_binary.as_ref(),
        data_dir.path().to_path_buf(),
        None,
        &[("SENTINEL__GITHUB__WEBHOOK_SECRET", SECRET)],
    )?;
    let result = measure(args, &server).await;
    server.stop();
    result
}

async fn measure(args: &WebhookBenchArgs, server: &Server) -> anyhow::Result<()> {
    server.wait_ready(Duration::from_secs(30)).await?;
    let url = format!("{}/webhooks/github", server.base_url);
    let sources = |seed: u64| -> Vec<Deliveries> {
        (0..args.connections)
            .map(|i| Deliveries::new(SECRET, i as u64, seed))
            .collect()
    };
    install(&url).await?;
    let warm = load::run_with(&url, &[], sources(1_000), Duration::from_secs(2), None).await?;
    if warm.ok == 0 {
        bail!(
            "no delivery was accepted while warming up: {:?}",
            warm.by_status
        );
    }
    let interval = (args.per_second > 0)
        .then(|| Duration::from_secs_f64(args.connections as f64 / args.per_second as f64));
    let rss = RssSampler::start(server.pid());
    let cpu_before = cpu_seconds(server.pid());
    let started = Instant::now();
    let report = load::run_with(
        &url,
        &[],
        sources(42),
        Duration::from_secs(args.seconds),
        interval,
    )
    .await?;
    let load_elapsed = started.elapsed();
    let drained = wait_for_queue(&server.base_url, Duration::from_secs(args.drain_seconds)).await?;
    let cpu = cpu_seconds(server.pid())
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let peak_rss_kb = rss.stop();

    let offered = match args.per_second {
        0 => "as fast as answered".to_string(),
        n => format!("{n} deliveries/s offered"),
    };
    println!(
        "backend: sqlite, connections: {}, {offered}, seconds: {}",
        args.connections, args.seconds
    );
    println!(
        "deliveries: {:.0} accepted/s  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  statuses {:?}  transport errors {}",
        report.ok_per_sec(),
        report.percentile_ms(0.50),
        report.percentile_ms(0.99),
        report.latency_us.max() as f64 / 1000.0,
        report.by_status,
        report.transport_errors,
    );
    match drained {
        Some(after) => println!(
            "queue applied everything {:.1} s after the load ended ({:.0} deliveries/s end to end)",
            after.as_secs_f64(),
            (report.ok + warm.ok) as f64 / (load_elapsed + after).as_secs_f64().max(1e-9)
        ),
        None => println!(
            "queue still busy {} s after the load ended",
            args.drain_seconds
        ),
    }
    println!("server peak RSS: {:.1} MB", peak_rss_kb as f64 / 1024.0);
    if let Some(cpu) = cpu {
        println!(
            "server CPU: {cpu:.1} s ({:.0} µs per delivery, received and applied)",
            cpu * 1e6 / report.ok.max(1) as f64,
        );
    }
    Ok(())
}

/// Delivers the installation the load's deliveries name and waits until it is applied.
async fn install(url: &str) -> anyhow::Result<()> {
    let (body, headers) = Deliveries::new(SECRET, u64::MAX, 0).installation();
    let mut request = reqwest::Client::new().post(url).body(body);
    for header in &headers {
        if let Some((name, value)) = header.split_once(": ") {
            request = request.header(name, value);
        }
    }
    let status = request.send().await?.status();
    if !status.is_success() {
        bail!("the installation delivery was answered {status}");
    }
    let base = url.trim_end_matches("/webhooks/github");
    if wait_for_queue(base, Duration::from_secs(30))
        .await?
        .is_none()
    {
        bail!("the installation delivery was not applied within 30 s");
    }
    Ok(())
}

/// Waits until no job is available, running or waiting for a retry; `None` at the deadline.
async fn wait_for_queue(base: &str, within: Duration) -> anyhow::Result<Option<Duration>> {
    let started = Instant::now();
    while started.elapsed() < within {
        let text = reqwest::get(format!("{base}/metrics"))
            .await?
            .error_for_status()?
            .text()
            .await?;
        let pending: f64 = ["available", "running", "retryable"]
            .iter()
            .map(|status| {
                let name = format!("sentinel_jobs{{status=\"{status}\"}} ");
                text.lines()
                    .find_map(|line| line.strip_prefix(name.as_str()))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .unwrap_or(0.0)
            })
            .sum();
        if pending == 0.0 {
            return Ok(Some(started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(None)
}
