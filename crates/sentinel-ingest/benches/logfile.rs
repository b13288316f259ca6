//! The log tailer's reader: bytes of JSON log lines (1% errors with a Python traceback, the
//! rest info lines of a typical structured logger) read and classified, in MB/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sentinel_core::log_source::{FieldMapping, LogFormat};
use sentinel_ingest::logfile::{ChunkOrigin, LogReader};

fn lines(total_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total_bytes + 1024);
    let mut n = 0u64;
    while out.len() < total_bytes {
        n += 1;
        let line = if n.is_multiple_of(100) {
            format!(
                "{{\"timestamp\":\"2026-12-01T10:00:{:02}.{:03}Z\",\"level\":\"error\",\"logger\":\"billing.charge\",\"message\":\"charge failed for order {n}\",\"request_id\":\"{n:032x}\",\"exception\":\"Traceback (most recent call last):\\n  File \\\"/app/billing/charge.py\\\", line 42, in charge\\n    total = amount / count\\nZeroDivisionError: division by zero\"}}\n",
                n % 60,
                n % 1000
            )
        } else {
            format!(
                "{{\"timestamp\":\"2026-12-01T10:00:{:02}.{:03}Z\",\"level\":\"info\",\"logger\":\"http.access\",\"message\":\"GET /api/orders/{n} 200\",\"request_id\":\"{n:032x}\",\"duration_ms\":{},\"user\":{{\"id\":{},\"plan\":\"pro\"}}}}\n",
                n % 60,
                n % 1000,
                n % 250,
                n % 5000
            )
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    let chunk = lines(4 * 1024 * 1024);
    let reader = LogReader {
        format: LogFormat::JsonLines,
        fields: FieldMapping::default(),
        platform: "python".into(),
    };
    let origin = ChunkOrigin {
        seed: b"source:file",
        offset: 0,
        received_ms: 1_796_000_000_000,
    };
    let mut group = c.benchmark_group("logfile");
    group.throughput(Throughput::Bytes(chunk.len() as u64));
    group.sample_size(20);
    group.bench_function("json_lines_4MiB_1pct_errors", |b| {
        b.iter(|| {
            let read = reader.read_chunk(&chunk, origin, false);
            assert!(read.events.len() > 100);
            read
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
