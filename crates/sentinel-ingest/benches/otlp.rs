//! OTLP decoding cost: a 512-span trace export (64 request-shaped traces of 8 spans, five of
//! them failing with a Python exception) read into events, as protobuf and as OTLP JSON.
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use sentinel_ingest::otlp::{read_traces, OtlpEncoding};

const SPANS: usize = 512;

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn export() -> ExportTraceServiceRequest {
    let mut spans = Vec::with_capacity(SPANS);
    for i in 0..SPANS {
        let trace = (i / 8) as u8;
        let root = i % 8 == 0;
        let mut span = Span {
            trace_id: vec![trace + 1; 16],
            span_id: vec![(i % 251) as u8 + 1, 2, 3, 4, 5, 6, 7, 8],
            parent_span_id: if root { vec![] } else { vec![9; 8] },
            name: if root {
                "GET /api/orders/{id}".into()
            } else {
                "SELECT orders".into()
            },
            kind: if root {
                SpanKind::Server
            } else {
                SpanKind::Client
            } as i32,
            start_time_unix_nano: 1_763_900_000_000_000_000,
            end_time_unix_nano: 1_763_900_000_120_000_000,
            attributes: vec![
                text("http.request.method", "GET"),
                text("http.route", "/api/orders/{id}"),
                text("db.system", "postgresql"),
                text("db.statement", "SELECT id, total FROM orders WHERE id = $1"),
                text("server.address", "db.internal"),
            ],
            ..Span::default()
        };
        if i % 100 == 50 {
            span.status = Some(Status {
                code: 2,
                message: String::new(),
            });
            span.events.push(Event {
                name: "exception".into(),
                time_unix_nano: 1_763_900_000_100_000_000,
                attributes: vec![
                    text("exception.type", "ZeroDivisionError"),
                    text("exception.message", "division by zero"),
                    text("exception.stacktrace", "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/flask/app.py\", line 1473, in wsgi_app\n    response = self.full_dispatch_request()\n  File \"/srv/checkout/app/orders.py\", line 41, in handle\n    return load(request.args)\n  File \"/srv/checkout/app/orders.py\", line 12, in load\n    return total / count\nZeroDivisionError: division by zero\n"),
                ],
                ..Event::default()
            });
        }
        spans.push(span);
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "checkout"),
                    text("service.version", "checkout@4.2.0"),
                    text("telemetry.sdk.language", "python"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

fn decoding(c: &mut Criterion) {
    let request = export();
    let protobuf = request.encode_to_vec();
    let json = serde_json::to_vec(&request).unwrap();
    let mut group = c.benchmark_group("otlp_512_spans");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("read_traces protobuf", |b| {
        b.iter(|| read_traces(black_box(&protobuf), OtlpEncoding::Protobuf, 0).unwrap())
    });
    group.bench_function("read_traces json", |b| {
        b.iter(|| read_traces(black_box(&json), OtlpEncoding::Json, 0).unwrap())
    });
    group.bench_function("prost decode only", |b| {
        b.iter(|| ExportTraceServiceRequest::decode(black_box(protobuf.as_slice())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decoding);
criterion_main!(benches);
