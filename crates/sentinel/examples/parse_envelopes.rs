//! Handler-side cost of the ingest benchmark's own envelopes, stage by stage: the 250
//! envelopes `sentinel bench ingest` sends (4.5 KB mean, 10–30 frame Python stack traces),
//! on one core.
//!
//! ```text
//! cargo run --release -p sentinel --example parse_envelopes -- [ROUNDS]
//! ```
//!
//! Prints the mean time per envelope of each stage a handler runs before it hands the event
//! to the writer, over `ROUNDS` passes (default 100): reading the envelope, scrubbing,
//! grouping (fingerprint, title and culprit), serialising the normalised event and
//! compressing it. Unlike the criterion benchmark in sentinel-ingest, which reads one large
//! real SDK event, this is the stream the end-to-end figures in BENCHMARKS.md were measured
//! with. HTTP, the writer and the database are not in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel::bench::payload::Envelopes;
use sentinel_core::scrub::Scrubber;
use sentinel_store::incidents::CompressedPayload;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The stages, in the order a handler runs them.
const STAGES: [&str; 5] = [
    "read_envelope",
    "scrub",
    "fingerprint + title + culprit",
    "serialise (JSON)",
    "compress (zstd)",
];

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse().expect("ROUNDS is a number"))
        .unwrap_or(100);
    let mut envelopes = Envelopes::new(200, 7, 7);
    let bodies: Vec<Vec<u8>> = (0..250).map(|_| envelopes.next_envelope()).collect();
    let scrubber = Scrubber::default();
    let mut spent = [Duration::ZERO; STAGES.len()];
    let mut json_bytes = 0usize;
    let mut stored_bytes = 0usize;
    for _ in 0..rounds {
        for body in &bodies {
            let mut clock = Instant::now();
            let mut lap = |stage: usize| {
                let now = Instant::now();
                spent[stage] += now - clock;
                clock = now;
            };
            let batch = sentinel_ingest::read_envelope(black_box(body), 0).unwrap();
            lap(0);
            for mut event in batch.events {
                scrubber.scrub(&mut event);
                lap(1);
                black_box(sentinel_core::fingerprint::fingerprint(&event, "api"));
                black_box(sentinel_core::classify::title(&event));
                black_box(sentinel_core::classify::culprit(&event));
                lap(2);
                let json = serde_json::to_vec(&event).unwrap();
                lap(3);
                let payload = CompressedPayload::compress(&json).unwrap();
                lap(4);
                json_bytes += json.len();
                stored_bytes += payload.stored_len();
            }
        }
    }
    let envelopes = (rounds * bodies.len()) as f64;
    let mut total = 0.0;
    for (stage, time) in STAGES.iter().zip(spent) {
        let micros = time.as_secs_f64() * 1e6 / envelopes;
        total += micros;
        println!("{stage:>30}: {micros:6.2} µs per envelope");
    }
    println!("{:>30}: {total:6.2} µs per envelope", "total");
    println!(
        "normalised event {:.0} bytes as JSON, {:.0} bytes compressed",
        json_bytes as f64 / envelopes,
        stored_bytes as f64 / envelopes
    );
}
