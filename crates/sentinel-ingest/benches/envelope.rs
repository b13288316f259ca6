//! Envelope reading cost: framing alone, framing plus event parsing, and with gzip decoding,
//! over a real Python SDK error event (python_zero_division fixture, ~8 KB).
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sentinel_ingest::decode::decode_body;
use sentinel_ingest::limits::MAX_DECOMPRESSED;
use sentinel_ingest::{envelope, read_envelope, read_store_payload};
use std::io::Write;
use std::path::Path;

fn fixture(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/glitchtip")
        .join(relative);
    std::fs::read(path).unwrap()
}

fn python_envelope() -> (Vec<u8>, Vec<u8>) {
    let value: serde_json::Value =
        serde_json::from_slice(&fixture("incoming_events/python_zero_division.json")).unwrap();
    let payload = serde_json::to_vec(&value).unwrap();
    let mut body = br#"{"event_id":"dd9e1afb828a44d5b4df0183adaee5d8","sent_at":"2024-05-01T10:00:00.000Z","sdk":{"name":"sentry.python","version":"2.75.0"}}"#.to_vec();
    body.push(b'\n');
    body.extend(
        format!(
            r#"{{"type":"event","content_type":"application/json","length":{}}}"#,
            payload.len()
        )
        .as_bytes(),
    );
    body.push(b'\n');
    body.extend(&payload);
    body.push(b'\n');
    body.extend(br#"{"type":"client_report"}"#);
    body.push(b'\n');
    body.extend(br#"{"timestamp":1714557600,"discarded_events":[]}"#);
    body.push(b'\n');
    (body, payload)
}

fn benches(c: &mut Criterion) {
    let (body, payload) = python_envelope();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    let gzipped = gz.finish().unwrap();

    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Elements(1));
    group.bench_function("frame_only", |b| {
        b.iter(|| envelope::parse(black_box(&body)).unwrap())
    });
    group.bench_function("read_envelope", |b| {
        b.iter(|| read_envelope(black_box(&body), 1_714_557_600_000).unwrap())
    });
    group.bench_function("read_store_payload", |b| {
        b.iter(|| read_store_payload(black_box(&payload), 1_714_557_600_000).unwrap())
    });
    group.bench_function("gunzip_and_read_envelope", |b| {
        b.iter(|| {
            let decoded = decode_body(Some("gzip"), black_box(&gzipped), MAX_DECOMPRESSED).unwrap();
            read_envelope(&decoded, 1_714_557_600_000).unwrap()
        })
    });
    group.bench_function("json_value_only", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&payload)).unwrap())
    });
    group.finish();
}

criterion_group!(envelope_benches, benches);
criterion_main!(envelope_benches);
