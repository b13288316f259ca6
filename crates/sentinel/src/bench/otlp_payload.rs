//! Realistic OTLP trace exports for load generation, as a batching span processor sends them.
//!
//! Each export carries `spans_per_batch` spans of traces shaped like web requests: a SERVER
//! span for the request (one of 12 routes) and seven children (database and HTTP client
//! calls, a cache lookup, internal work), each with the attributes instrumentations set.
//! A share of the spans fails (`errors_per_mille`): a failing request answers 500, a failing
//! child records one of 50 exceptions (a Python traceback, about 20 bugs' worth of distinct
//! call paths) with status ERROR. Ids and times are fresh per export, written into a
//! template that is kept between exports, so the generator spends its time encoding and
//! sending rather than building.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as SpanEvent, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{SystemTime, UNIX_EPOCH};

/// Spans of one trace: the request and its children.
const SPANS_PER_TRACE: usize = 8;
const ROUTES: [&str; 12] = [
    "/api/orders/{id}",
    "/api/orders",
    "/api/users/{id}",
    "/api/cart",
    "/api/cart/items",
    "/api/checkout",
    "/api/products",
    "/api/products/{id}",
    "/api/search",
    "/api/invoices/{id}",
    "/api/sessions",
    "/api/reports/{id}",
];
/// A child span: name, kind, attributes.
type ChildSpan = (
    &'static str,
    SpanKind,
    &'static [(&'static str, &'static str)],
);
/// The children of each request.
const CHILDREN: [ChildSpan; SPANS_PER_TRACE - 1] = [
    (
        "load_order",
        SpanKind::Internal,
        &[
            ("code.function", "load_order"),
            ("code.namespace", "app.orders"),
        ],
    ),
    (
        "SELECT orders",
        SpanKind::Client,
        &[
            ("db.system", "postgresql"),
            ("db.name", "shop"),
            ("db.statement", "SELECT id, total FROM orders WHERE id = $1"),
            ("server.address", "db.internal"),
        ],
    ),
    (
        "GET",
        SpanKind::Client,
        &[
            ("http.request.method", "GET"),
            ("url.full", "http://inventory.internal/stock/42"),
            ("server.address", "inventory.internal"),
        ],
    ),
    (
        "render",
        SpanKind::Internal,
        &[("code.function", "render"), ("code.namespace", "app.views")],
    ),
    (
        "GET",
        SpanKind::Client,
        &[
            ("db.system", "redis"),
            ("db.statement", "GET cart:42"),
            ("server.address", "cache.internal"),
        ],
    ),
    (
        "serialize",
        SpanKind::Internal,
        &[("code.function", "serialize")],
    ),
    (
        "POST",
        SpanKind::Client,
        &[
            ("http.request.method", "POST"),
            ("url.full", "http://payments.internal/charge"),
            ("server.address", "payments.internal"),
        ],
    ),
];
const EXCEPTIONS: [(&str, &str); 5] = [
    ("ZeroDivisionError", "division by zero"),
    ("KeyError", "'sku'"),
    (
        "ValueError",
        "invalid literal for int() with base 10: 'abc'",
    ),
    ("ConnectionError", "connection refused"),
    ("TimeoutError", "timed out after 30 s"),
];
const MODULES: [&str; 10] = [
    "orders", "users", "cart", "checkout", "products", "search", "invoices", "sessions", "reports",
    "payments",
];

/// An endless stream of trace exports.
pub struct OtlpBatches {
    template: ExportTraceServiceRequest,
    errors_per_mille: u32,
    rng: StdRng,
}

impl OtlpBatches {
    pub fn new(spans_per_batch: usize, errors_per_mille: u32, seed: u64) -> Self {
        let traces = spans_per_batch.div_ceil(SPANS_PER_TRACE).max(1);
        let mut spans = Vec::with_capacity(traces * SPANS_PER_TRACE);
        for trace in 0..traces {
            let route = ROUTES[trace % ROUTES.len()];
            spans.push(Span {
                name: format!("GET {route}"),
                kind: SpanKind::Server as i32,
                attributes: vec![
                    text("http.request.method", "GET"),
                    text("http.route", route),
                    text("url.path", &route.replace("{id}", "42")),
                    text("url.scheme", "https"),
                    text("server.address", "shop.example.com"),
                    int("http.response.status_code", 200),
                ],
                ..Span::default()
            });
            for (name, kind, attributes) in CHILDREN {
                spans.push(Span {
                    name: name.to_string(),
                    kind: kind as i32,
                    attributes: attributes.iter().map(|(k, v)| text(k, v)).collect(),
                    ..Span::default()
                });
            }
        }
        spans.truncate(spans_per_batch.max(1));
        let template = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![
                        text("service.name", "checkout"),
                        text("service.version", "checkout@4.2.0"),
                        text("deployment.environment.name", "production"),
                        text("telemetry.sdk.language", "python"),
                        text("telemetry.sdk.name", "opentelemetry"),
                        text("telemetry.sdk.version", "1.28.0"),
                        text("host.name", "web-7"),
                    ],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "opentelemetry.instrumentation.flask".into(),
                        version: "0.49b0".into(),
                        ..InstrumentationScope::default()
                    }),
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        Self {
            template,
            errors_per_mille,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The next export, protobuf-encoded, with fresh ids and times.
    pub fn next_export(&mut self) -> Vec<u8> {
        let now_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let rng = &mut self.rng;
        let errors_per_mille = self.errors_per_mille;
        let mut trace_id = [0u8; 16];
        let mut root_id = [0u8; 8];
        for resource in &mut self.template.resource_spans {
            for scope in &mut resource.scope_spans {
                for (i, span) in scope.spans.iter_mut().enumerate() {
                    let is_root = i % SPANS_PER_TRACE == 0;
                    if is_root {
                        rng.fill(&mut trace_id);
                        rng.fill(&mut root_id);
                    }
                    span.trace_id = trace_id.to_vec();
                    if is_root {
                        span.span_id = root_id.to_vec();
                        span.parent_span_id.clear();
                    } else {
                        let mut id = [0u8; 8];
                        rng.fill(&mut id);
                        span.span_id = id.to_vec();
                        span.parent_span_id = root_id.to_vec();
                    }
                    let duration_ns = rng.gen_range(1_000_000..300_000_000u64);
                    span.start_time_unix_nano = now_ns.saturating_sub(duration_ns);
                    span.end_time_unix_nano = now_ns;
                    span.events.clear();
                    span.status = None;
                    let failed = rng.gen_range(0..1000) < errors_per_mille;
                    if is_root {
                        set_status_code(span, if failed { 500 } else { 200 });
                        if failed {
                            span.status = Some(error_status());
                        }
                    } else if failed {
                        span.status = Some(error_status());
                        span.events.push(exception_event(rng, now_ns));
                    }
                }
            }
        }
        self.template.encode_to_vec()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}

fn set_status_code(span: &mut Span, code: i64) {
    if let Some(attribute) = span
        .attributes
        .iter_mut()
        .find(|kv| kv.key == "http.response.status_code")
    {
        attribute.value = Some(AnyValue {
            value: Some(any_value::Value::IntValue(code)),
        });
    }
}

fn error_status() -> Status {
    Status {
        code: 2,
        message: String::new(),
    }
}

fn exception_event(rng: &mut StdRng, now_ns: u64) -> SpanEvent {
    let (ty, message) = EXCEPTIONS[rng.gen_range(0..EXCEPTIONS.len())];
    let module = MODULES[rng.gen_range(0..MODULES.len())];
    let trace = format!(
        "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/flask/app.py\", line 1473, in wsgi_app\n    response = self.full_dispatch_request()\n  File \"/srv/checkout/app/{module}.py\", line {}, in handle\n    return load(request.args)\n  File \"/srv/checkout/app/{module}.py\", line 12, in load\n    raise {ty}({message:?})\n{ty}: {message}\n",
        rng.gen_range(20..80),
    );
    SpanEvent {
        name: "exception".into(),
        time_unix_nano: now_ns,
        attributes: vec![
            text("exception.type", ty),
            text("exception.message", message),
            text("exception.stacktrace", &trace),
            KeyValue {
                key: "exception.escaped".into(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::BoolValue(true)),
                }),
                ..KeyValue::default()
            },
        ],
        ..SpanEvent::default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn exports_carry_the_asked_spans_and_errors() {
        let mut batches = OtlpBatches::new(512, 10, 7);
        let mut spans = 0;
        let mut errors = 0;
        for _ in 0..20 {
            let body = batches.next_export();
            let export = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            let all = &export.resource_spans[0].scope_spans[0].spans;
            assert_eq!(all.len(), 512);
            spans += all.len();
            errors += all
                .iter()
                .filter(|s| s.status.as_ref().is_some_and(|s| s.code == 2))
                .count();
        }
        let share = errors as f64 / spans as f64;
        assert!((0.005..0.02).contains(&share), "{share}");
    }
}
