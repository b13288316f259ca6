//! The load loop: many keep-alive connections posting bodies (Sentry envelopes, OTLP
//! exports) until a deadline, with a latency histogram and a count of answers by status.

use super::http1::{Connection, Target};
use super::payload::Envelopes;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Longest wait for one answer before the request counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What one phase of load measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub elapsed: Duration,
    pub ok: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub latency_us: Histogram<u64>,
}

impl LoadReport {
    pub fn ok_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }
}

/// How to load one URL.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub url: String,
    pub auth_header: String,
    pub connections: usize,
    pub duration: Duration,
    pub distinct_bugs: usize,
    pub seed: u64,
}

/// What a connection posts, one body per request.
pub trait BodySource: Send + 'static {
    fn next_body(&mut self) -> Vec<u8>;

    /// The next body with the headers of its own it needs; none by default.
    fn next_request(&mut self) -> (Vec<u8>, Vec<String>) {
        (self.next_body(), Vec::new())
    }
}

impl BodySource for Envelopes {
    fn next_body(&mut self) -> Vec<u8> {
        self.next_envelope()
    }
}

/// Posts envelopes to `plan.url` from `plan.connections` concurrent keep-alive connections.
pub async fn run(plan: &LoadPlan) -> anyhow::Result<LoadReport> {
    let headers = [
        "Content-Type: application/x-sentry-envelope".to_string(),
        format!("X-Sentry-Auth: {}", plan.auth_header),
    ];
    // Envelopes are rendered before the clock starts: the phase measures sending only.
    let generators: Vec<Envelopes> = (0..plan.connections)
        .map(|worker| {
            Envelopes::new(
                plan.distinct_bugs,
                plan.seed,
                plan.seed.wrapping_add(worker as u64 * 7_919),
            )
        })
        .collect();
    run_with(&plan.url, &headers, generators, plan.duration, None).await
}

/// Posts the bodies of `sources` to `url`, one keep-alive connection per source, for
/// `duration`: each connection as fast as it is answered, or, with `interval`, one request
/// per interval (an exporter flushing on a timer) as long as the answers keep up.
pub async fn run_with<S: BodySource>(
    url: &str,
    headers: &[String],
    sources: Vec<S>,
    duration: Duration,
    interval: Option<Duration>,
) -> anyhow::Result<LoadReport> {
    let target = Target::parse(url)?;
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let count = sources.len().max(1);
    let mut tasks = Vec::with_capacity(count);
    for (i, source) in sources.into_iter().enumerate() {
        let connection = Connection::new(target.clone(), headers);
        // Paced connections start spread over one interval, as independent exporters are.
        let first_send =
            started + interval.map_or(Duration::ZERO, |d| d.mul_f64(i as f64 / count as f64));
        tasks.push(tokio::spawn(async move {
            worker_loop(connection, source, deadline, interval, first_send).await
        }));
    }
    let mut report = LoadReport {
        elapsed: Duration::ZERO,
        ok: 0,
        by_status: BTreeMap::new(),
        transport_errors: 0,
        latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)?,
    };
    for task in tasks {
        let part = task.await??;
        report.ok += part.ok;
        report.transport_errors += part.transport_errors;
        for (status, n) in part.by_status {
            *report.by_status.entry(status).or_default() += n;
        }
        report.latency_us.add(&part.latency_us)?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn worker_loop<S: BodySource>(
    mut connection: Connection,
    mut source: S,
    deadline: Instant,
    interval: Option<Duration>,
    first_send: Instant,
) -> anyhow::Result<LoadReport> {
    let mut next_send = first_send;
    let mut part = LoadReport {
        elapsed: Duration::ZERO,
        ok: 0,
        by_status: BTreeMap::new(),
        transport_errors: 0,
        latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)?,
    };
    while Instant::now() < deadline {
        if let Some(interval) = interval {
            // Latency counts from the scheduled send, so a slow answer that delays the next
            // request is not hidden (coordinated omission).
            tokio::time::sleep_until(next_send.into()).await;
            next_send += interval;
        }
        let (body, extra_headers) = source.next_request();
        let sent = match interval {
            Some(interval) => next_send - interval,
            None => Instant::now(),
        };
        // A request that takes longer than this is counted as a transport error.
        match tokio::time::timeout(REQUEST_TIMEOUT, connection.post_with(&body, &extra_headers))
            .await
        {
            Ok(Ok(status)) => {
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                part.latency_us.saturating_record(micros.max(1));
                *part.by_status.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    part.ok += 1;
                } else if status == 429 {
                    // Back off as an SDK would, briefly, so a full queue is not hammered.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Ok(Err(_)) | Err(_) => {
                part.transport_errors += 1;
                connection.reset();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    Ok(part)
}
