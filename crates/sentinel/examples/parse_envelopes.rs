//! Handler-side parsing cost of the ingest benchmark's own envelopes: `read_envelope` over
//! the 250 envelopes `sentinel bench ingest` sends (4.5 KB mean, 10–30 frame Python stack
//! traces), on one core.
//!
//! ```text
//! cargo run --release -p sentinel --example parse_envelopes -- [ROUNDS]
//! ```
//!
//! Prints the mean time per envelope over `ROUNDS` passes (default 100). Unlike the
//! criterion benchmark in sentinel-ingest, which reads one large real SDK event, this is the
//! stream the end-to-end figures in BENCHMARKS.md were measured with.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel::bench::payload::Envelopes;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse().expect("ROUNDS is a number"))
        .unwrap_or(100);
    let mut envelopes = Envelopes::new(200, 7, 7);
    let bodies: Vec<Vec<u8>> = (0..250).map(|_| envelopes.next_envelope()).collect();
    let started = Instant::now();
    for _ in 0..rounds {
        for body in &bodies {
            black_box(sentinel_ingest::read_envelope(black_box(body), 0).unwrap());
        }
    }
    let per_envelope = started.elapsed().as_secs_f64() * 1e6 / (rounds * bodies.len()) as f64;
    println!("read_envelope: {per_envelope:.2} µs per envelope");
}
