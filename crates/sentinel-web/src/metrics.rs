//! `/metrics` in the Prometheus text format, and the small registry behind it.
//!
//! Counters and gauges are plain atomics updated on the hot path; labelled families keep a
//! map behind a mutex that is only locked to add or read a label. Numbers that live in the
//! database (jobs by status) are read at scrape time, so every process reports the same.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A number that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc_by(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A number that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counters told apart by the value of one label.
#[derive(Debug, Default)]
pub struct LabeledCounter {
    values: Mutex<BTreeMap<String, Arc<Counter>>>,
}

impl LabeledCounter {
    pub fn inc_by(&self, label: &str, n: u64) {
        let counter = {
            let mut values = self
                .values
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(values.entry(label.to_string()).or_default())
        };
        counter.inc_by(n);
    }

    pub fn get(&self, label: &str) -> u64 {
        self.snapshot()
            .into_iter()
            .find(|(l, _)| l == label)
            .map_or(0, |(_, n)| n)
    }

    fn snapshot(&self) -> Vec<(String, u64)> {
        let values = self
            .values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        values.iter().map(|(l, c)| (l.clone(), c.get())).collect()
    }
}

/// Everything this process counts. One per process, shared through [`AppState`].
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP responses by status class (`2xx`, `4xx`, …).
    pub http_responses: LabeledCounter,
    /// Events accepted by ingest (committed).
    pub ingest_accepted_events: Counter,
    /// Ingest requests refused, by reason (`rate_limited`, `too_large`, `malformed`, …).
    pub ingest_rejected: LabeledCounter,
    /// Events waiting in the ingest writer's queue.
    pub writer_queue_depth: Gauge,
    /// GitHub webhook deliveries, by outcome (`accepted`, `duplicate`, `ignored`, `forged`,
    /// `malformed`, …).
    pub github_deliveries: LabeledCounter,
    /// OTLP spans and log records read, by signal (`spans`, `log_records`), events or not.
    pub otlp_items: LabeledCounter,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// `n` events were committed by ingest.
    pub fn ingest_accepted(&self, n: u64) {
        self.ingest_accepted_events.inc_by(n);
    }

    /// An ingest request was refused for `reason` (a short snake_case word).
    pub fn ingest_rejected(&self, reason: &str) {
        self.ingest_rejected.inc_by(reason, 1);
    }

    /// An OTLP export carried `n` items of `signal`.
    pub fn otlp_items(&self, signal: &str, n: u64) {
        self.otlp_items.inc_by(signal, n);
    }

    /// A GitHub delivery was answered with `outcome`.
    pub fn github_delivery(&self, outcome: &str) {
        self.github_deliveries.inc_by(outcome, 1);
    }

    pub fn set_writer_queue_depth(&self, n: usize) {
        self.writer_queue_depth
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    fn record_response(&self, status: StatusCode) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http_responses.inc_by(class, 1);
    }

    /// This process's numbers in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "sentinel_http_responses_total",
            "counter",
            "HTTP responses sent, by status class.",
        );
        for (class, n) in self.http_responses.snapshot() {
            sample(
                &mut out,
                "sentinel_http_responses_total",
                Some(("class", &class)),
                n,
            );
        }
        family(
            &mut out,
            "sentinel_ingest_accepted_events_total",
            "counter",
            "Events accepted and committed by ingest.",
        );
        sample(
            &mut out,
            "sentinel_ingest_accepted_events_total",
            None,
            self.ingest_accepted_events.get(),
        );
        family(
            &mut out,
            "sentinel_ingest_rejected_total",
            "counter",
            "Ingest requests refused, by reason.",
        );
        for (reason, n) in self.ingest_rejected.snapshot() {
            sample(
                &mut out,
                "sentinel_ingest_rejected_total",
                Some(("reason", &reason)),
                n,
            );
        }
        family(
            &mut out,
            "sentinel_ingest_writer_queue_depth",
            "gauge",
            "Events waiting in the ingest writer's queue.",
        );
        sample(
            &mut out,
            "sentinel_ingest_writer_queue_depth",
            None,
            self.writer_queue_depth.get(),
        );
        family(
            &mut out,
            "sentinel_otlp_items_total",
            "counter",
            "OTLP spans and log records read, by signal.",
        );
        for (signal, n) in self.otlp_items.snapshot() {
            sample(
                &mut out,
                "sentinel_otlp_items_total",
                Some(("signal", &signal)),
                n,
            );
        }
        family(
            &mut out,
            "sentinel_github_deliveries_total",
            "counter",
            "GitHub webhook deliveries answered, by outcome.",
        );
        for (outcome, n) in self.github_deliveries.snapshot() {
            sample(
                &mut out,
                "sentinel_github_deliveries_total",
                Some(("outcome", &outcome)),
                n,
            );
        }
        out
    }
}

/// The ingest writer's group-commit counters.
fn render_writer_stats(out: &mut String, stats: &sentinel_store::writer::WriterStats) {
    let counters = [
        (
            "sentinel_ingest_writer_batches_total",
            "Transactions the ingest writer ran (one batch each).",
            stats.batches,
        ),
        (
            "sentinel_ingest_writer_requests_total",
            "Ingest requests answered from those batches.",
            stats.requests,
        ),
        (
            "sentinel_ingest_writer_events_total",
            "Events in those batches.",
            stats.events,
        ),
    ];
    for (name, help, value) in counters {
        family(out, name, "counter", help);
        sample(out, name, None, value);
    }
    let name = "sentinel_ingest_writer_busy_seconds_total";
    family(
        out,
        name,
        "counter",
        "Seconds the ingest writer spent writing batches; its rate near 1 means the writer bounds ingest.",
    );
    sample(out, name, None, stats.busy_micros as f64 / 1e6);
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(
    out: &mut String,
    name: &str,
    label: Option<(&str, &str)>,
    value: impl std::fmt::Display,
) {
    match label {
        Some((key, val)) => {
            let _ = writeln!(out, "{name}{{{key}=\"{}\"}} {value}", escape_label(val));
        }
        None => {
            let _ = writeln!(out, "{name} {value}");
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// How long a scrape waits for the database before reporting without its numbers.
const STORE_TIMEOUT: Duration = Duration::from_secs(2);

async fn scrape(State(state): State<AppState>) -> Response {
    state
        .metrics
        .set_writer_queue_depth(state.ingest.writer.queue_depth());
    let mut body = state.metrics.render();
    render_writer_stats(&mut body, &state.ingest.writer.stats());
    let jobs = tokio::time::timeout(STORE_TIMEOUT, state.store.job_counts()).await;
    family(
        &mut body,
        "sentinel_database_up",
        "gauge",
        "Whether the database answered this scrape.",
    );
    match jobs {
        Ok(Ok(counts)) => {
            sample(&mut body, "sentinel_database_up", None, 1);
            family(
                &mut body,
                "sentinel_jobs",
                "gauge",
                "Jobs in the queue, by status.",
            );
            for (status, n) in [
                ("available", counts.available),
                ("running", counts.running),
                ("retryable", counts.retryable),
                ("completed", counts.completed),
                ("discarded", counts.discarded),
                ("cancelled", counts.cancelled),
            ] {
                sample(&mut body, "sentinel_jobs", Some(("status", status)), n);
            }
        }
        _ => sample(&mut body, "sentinel_database_up", None, 0),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Middleware counting every response by status class.
pub async fn track_http(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    state.metrics.record_response(response.status());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_labels() {
        let metrics = Metrics::new();
        metrics.record_response(StatusCode::OK);
        metrics.record_response(StatusCode::CREATED);
        metrics.record_response(StatusCode::SERVICE_UNAVAILABLE);
        metrics.ingest_accepted(3);
        metrics.ingest_rejected("rate_limited");
        metrics.ingest_rejected("rate_limited");
        metrics.ingest_rejected("odd\"reason");
        metrics.set_writer_queue_depth(17);
        let text = metrics.render();
        assert!(
            text.contains("sentinel_http_responses_total{class=\"2xx\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("sentinel_http_responses_total{class=\"5xx\"} 1\n"));
        assert!(text.contains("sentinel_ingest_accepted_events_total 3\n"));
        assert!(text.contains("sentinel_ingest_rejected_total{reason=\"rate_limited\"} 2\n"));
        assert!(text.contains("sentinel_ingest_rejected_total{reason=\"odd\\\"reason\"} 1\n"));
        assert!(text.contains("sentinel_ingest_writer_queue_depth 17\n"));
        assert!(text.contains("# TYPE sentinel_ingest_writer_queue_depth gauge\n"));
        assert_eq!(metrics.ingest_rejected.get("rate_limited"), 2);
    }

    #[test]
    fn renders_the_writer_counters() {
        let mut text = String::new();
        let stats = sentinel_store::writer::WriterStats {
            batches: 4,
            requests: 10,
            events: 12,
            busy_micros: 1_500_000,
        };
        render_writer_stats(&mut text, &stats);
        assert!(
            text.contains("sentinel_ingest_writer_batches_total 4\n"),
            "{text}"
        );
        assert!(text.contains("sentinel_ingest_writer_requests_total 10\n"));
        assert!(text.contains("sentinel_ingest_writer_events_total 12\n"));
        assert!(text.contains("sentinel_ingest_writer_busy_seconds_total 1.5\n"));
        assert!(text.contains("# TYPE sentinel_ingest_writer_busy_seconds_total counter\n"));
    }
}
