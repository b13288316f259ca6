//! `sentinel bench otlp`: OTLP/HTTP trace exports against a fresh `sentinel serve`.
//!
//! The server starts as for `bench ingest`; the generator then posts protobuf trace exports
//! (`otlp_payload`: request-shaped traces, mostly OK spans, a share of them failing) to
//! `/v1/traces` over keep-alive connections, each export answered only after its events
//! committed. It reports spans and exports accepted per second, the latency of an export,
//! the server's peak RSS and its CPU time per span.

use super::load;
use super::otlp_payload::OtlpBatches;
use super::{cpu_seconds, RssSampler, Server, WriterReading};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl load::BodySource for OtlpBatches {
    fn next_body(&mut self) -> Vec<u8> {
        self.next_export()
    }
}

#[derive(Debug, Args)]
pub struct OtlpBenchArgs {
    /// Seconds of load.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Concurrent keep-alive connections (exporters).
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Spans per export.
    #[arg(long, default_value_t = 512)]
    pub batch: usize,
    /// Spans per thousand that fail (an exception, or a request answering 500).
    #[arg(long, default_value_t = 10)]
    pub errors_per_mille: u32,
    /// Spans per second to offer, spread over the connections (each sends an export per
    /// interval, as an exporter flushing on a timer); 0 sends as fast as answers come.
    #[arg(long, default_value_t = 0)]
    pub spans_per_second: u64,
    /// The server binary to start (defaults to this executable).
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
}

pub async fn run(args: &OtlpBenchArgs) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut server = Server::start(
        args.server_binary.as_ref(),
        data_dir.path().to_path_buf(),
        None,
    )?;
    let result = measure(args, &server).await;
    server.stop();
    result
}

async fn measure(args: &OtlpBenchArgs, server: &Server) -> anyhow::Result<()> {
    server.wait_ready(Duration::from_secs(30)).await?;
    let url = format!("{}/v1/traces", server.base_url);
    let headers = [
        "Content-Type: application/x-protobuf".to_string(),
        format!("Authorization: Bearer {}", server.key),
    ];
    let sources = |seed: u64| -> Vec<OtlpBatches> {
        (0..args.connections)
            .map(|i| OtlpBatches::new(args.batch, args.errors_per_mille, seed + i as u64))
            .collect()
    };
    let body_bytes = OtlpBatches::new(args.batch, args.errors_per_mille, 0)
        .next_export()
        .len();
    // Warm the connections and the server's caches.
    load::run_with(&url, &headers, sources(1_000), Duration::from_secs(2), None).await?;
    let interval = (args.spans_per_second > 0).then(|| {
        let exports_per_second = args.spans_per_second as f64 / args.batch.max(1) as f64;
        Duration::from_secs_f64(args.connections as f64 / exports_per_second)
    });
    let idle_rss_kb = super::rss_kb(server.pid()).unwrap_or(0);
    let rss = RssSampler::start(server.pid());
    let writer_before = WriterReading::scrape(&server.base_url).await?;
    let cpu_before = cpu_seconds(server.pid());
    let started = Instant::now();
    let report = load::run_with(
        &url,
        &headers,
        sources(42),
        Duration::from_secs(args.seconds),
        interval,
    )
    .await?;
    let elapsed = started.elapsed();
    let writer = WriterReading::scrape(&server.base_url)
        .await?
        .since(&writer_before, elapsed);
    let cpu = cpu_seconds(server.pid())
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let peak_rss_kb = rss.stop();

    let spans = report.ok as f64 * args.batch as f64;
    let offered = match args.spans_per_second {
        0 => "as fast as answered".to_string(),
        n => format!("{n} spans/s offered"),
    };
    println!(
        "backend: sqlite, connections: {}, {offered}, seconds: {}, spans per export: {}, errors per mille: {}, export body: {body_bytes} bytes",
        args.connections, args.seconds, args.batch, args.errors_per_mille
    );
    println!(
        "exports: {:.0} ok/s  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  statuses {:?}  transport errors {}",
        report.ok_per_sec(),
        report.percentile_ms(0.50),
        report.percentile_ms(0.99),
        report.latency_us.max() as f64 / 1000.0,
        report.by_status,
        report.transport_errors,
    );
    println!(
        "spans accepted: {:.0}/s ({} exports of {} spans in {:.1} s)",
        spans / report.elapsed.as_secs_f64().max(1e-9),
        report.ok,
        args.batch,
        report.elapsed.as_secs_f64()
    );
    println!(
        "server peak RSS during load: {:.1} MB (after warm-up: {:.1} MB)",
        peak_rss_kb as f64 / 1024.0,
        idle_rss_kb as f64 / 1024.0
    );
    println!("{writer}");
    if let Some(cpu) = cpu {
        println!(
            "server CPU: {cpu:.1} s ({:.2} µs per span, {:.2} cores)",
            cpu * 1e6 / spans.max(1.0),
            cpu / elapsed.as_secs_f64().max(1e-9),
        );
    }
    Ok(())
}
