//! The span and log rules over protobuf-built exports, and OTLP's JSON mapping over a body
//! shaped as the Collector's `otlphttp` exporter sends it.
#![allow(clippy::unwrap_used)]

use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as SpanEvent, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use sentinel_core::event::{EventKind, Level};

const NOW: i64 = 1_763_900_000_000;
const TRACE: [u8; 16] = [
    0x5b, 0x8e, 0xfa, 0xf2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
];
const PYTHON_TRACE: &str = "Traceback (most recent call last):\n  File \"/srv/shop/app/pricing.py\", line 12, in compute_total\n    return sum(prices) / len(prices)\nZeroDivisionError: division by zero\n";

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

fn int(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: vec![
            s("service.name", "checkout"),
            s("service.version", "2.4.1"),
            s("deployment.environment.name", "production"),
            s("telemetry.sdk.language", "python"),
            s("telemetry.sdk.name", "opentelemetry"),
        ],
        ..Resource::default()
    })
}

fn span(id: u8, kind: SpanKind, parent: Option<u8>) -> Span {
    Span {
        trace_id: TRACE.to_vec(),
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: "GET /cart/{id}".into(),
        kind: kind as i32,
        start_time_unix_nano: 1_763_899_999_000_000_000,
        end_time_unix_nano: 1_763_899_999_250_000_000,
        ..Span::default()
    }
}

fn with_status(mut span: Span, code: StatusCode, message: &str) -> Span {
    span.status = Some(Status {
        code: code as i32,
        message: message.into(),
    });
    span
}

fn exception_event(ty: &str, message: &str, trace: &str) -> SpanEvent {
    SpanEvent {
        name: "exception".into(),
        time_unix_nano: 1_763_899_999_200_000_000,
        attributes: vec![
            s("exception.type", ty),
            s("exception.message", message),
            s("exception.stacktrace", trace),
            kv("exception.escaped", any_value::Value::BoolValue(true)),
        ],
        ..SpanEvent::default()
    }
}

fn traces(spans: Vec<Span>) -> OtlpBatch {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "opentelemetry.instrumentation.flask".into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    read_traces(&request.encode_to_vec(), OtlpEncoding::Protobuf, NOW).unwrap()
}

fn errors(batch: &OtlpBatch) -> Vec<&Event> {
    batch.services[0]
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Error)
        .collect()
}

fn transactions(batch: &OtlpBatch) -> Vec<&Event> {
    batch.services[0]
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Transaction)
        .collect()
}

#[test]
fn an_exception_event_becomes_an_error_with_parsed_frames() {
    let mut failing = with_status(span(2, SpanKind::Internal, Some(1)), StatusCode::Error, "");
    failing.name = "compute_total".into();
    failing.events.push(exception_event(
        "ZeroDivisionError",
        "division by zero",
        PYTHON_TRACE,
    ));
    let batch = traces(vec![failing]);
    assert_eq!(batch.services[0].service_name.as_deref(), Some("checkout"));
    assert_eq!(batch.read(), 1);
    let errors = errors(&batch);
    assert_eq!(
        errors.len(),
        1,
        "the span's ERROR status adds no second event"
    );
    let event = errors[0];
    let exception = event.main_exception().unwrap();
    assert_eq!(exception.ty, "ZeroDivisionError");
    assert_eq!(exception.value.as_deref(), Some("division by zero"));
    assert_eq!(
        exception.frames[0].function.as_deref(),
        Some("compute_total")
    );
    assert_eq!(exception.mechanism.as_ref().unwrap().handled, Some(false));
    assert_eq!(event.release.as_deref(), Some("2.4.1"));
    assert_eq!(event.environment.as_deref(), Some("production"));
    assert_eq!(event.platform, "python");
    assert_eq!(event.trace_id.as_deref(), Some(hex::encode(TRACE).as_str()));
    assert_eq!(event.timestamp_ms, 1_763_899_999_200);
    assert_eq!(
        event.logger.as_deref(),
        Some("opentelemetry.instrumentation.flask")
    );
    assert_eq!(event.contexts["trace"]["span_id"], "0202020202020202");
    assert!(
        transactions(&batch).is_empty(),
        "a child span is only counted"
    );
}

#[test]
fn a_server_5xx_span_is_a_server_error_of_its_route() {
    let mut server = span(1, SpanKind::Server, None);
    server.attributes = vec![
        s("http.route", "/cart/{id}"),
        int("http.response.status_code", 503),
        s("http.request.method", "GET"),
        s("url.full", "https://shop.test/cart/42"),
    ];
    let batch = traces(vec![server]);
    let errors = errors(&batch);
    assert_eq!(errors.len(), 1, "status unset, but the server answered 503");
    let event = errors[0];
    assert_eq!(event.http_status, Some(503));
    assert_eq!(event.route.as_deref(), Some("/cart/{id}"));
    assert_eq!(
        sentinel_core::classify::error_class(event),
        sentinel_core::incident::ErrorClass::Server5xx
    );
    assert_eq!(
        event.request.as_ref().unwrap().method.as_deref(),
        Some("GET")
    );
    let transactions = transactions(&batch);
    assert_eq!(
        transactions.len(),
        1,
        "the server span is the request's transaction"
    );
    assert_eq!(transactions[0].duration_ms, Some(250.0));
    assert_eq!(
        transactions[0].transaction.as_deref(),
        Some("GET /cart/{id}")
    );
}

#[test]
fn ok_spans_404s_and_client_5xx_are_not_server_errors() {
    let ok = with_status(span(1, SpanKind::Server, None), StatusCode::Ok, "");
    let mut not_found = span(2, SpanKind::Server, None);
    not_found.attributes = vec![int("http.response.status_code", 404)];
    let mut client = span(3, SpanKind::Client, Some(1));
    client.attributes = vec![s("http.status_code", "500")];
    let mut internal = span(4, SpanKind::Internal, Some(1));
    internal.attributes = vec![int("http.response.status_code", 500)];
    let batch = traces(vec![ok, not_found, client, internal]);
    assert!(errors(&batch).is_empty(), "{:?}", errors(&batch));
    assert_eq!(transactions(&batch).len(), 2, "the two server spans");
    assert_eq!(batch.read(), 4);
}

#[test]
fn a_failed_client_call_is_an_error_but_not_a_server_5xx() {
    let mut client = with_status(
        span(3, SpanKind::Client, Some(1)),
        StatusCode::Error,
        "upstream answered 500",
    );
    client.attributes = vec![int("http.response.status_code", 500)];
    let batch = traces(vec![client]);
    let errors = errors(&batch);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].http_status, None);
    assert_eq!(errors[0].tag("http.status_code"), Some("500"));
    assert_eq!(
        errors[0].extra["otel.status_message"],
        "upstream answered 500"
    );
    assert_ne!(
        sentinel_core::classify::error_class(errors[0]),
        sentinel_core::incident::ErrorClass::Server5xx
    );
}

#[test]
fn a_trace_with_an_exception_reports_it_once_with_the_request_route() {
    let mut server = with_status(span(1, SpanKind::Server, None), StatusCode::Error, "");
    server.attributes = vec![
        s("http.route", "/cart/{id}"),
        int("http.response.status_code", 500),
    ];
    let mut inner = with_status(span(2, SpanKind::Internal, Some(1)), StatusCode::Error, "");
    inner.name = "compute_total".into();
    inner.events.push(exception_event(
        "ZeroDivisionError",
        "division by zero",
        PYTHON_TRACE,
    ));
    let batch = traces(vec![inner, server]);
    let errors = errors(&batch);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].main_exception().is_some());
    assert_eq!(errors[0].route.as_deref(), Some("/cart/{id}"));
    assert_eq!(errors[0].transaction.as_deref(), Some("GET /cart/{id}"));
}

#[test]
fn spans_with_malformed_ids_are_rejected_and_counted() {
    let mut bad = span(1, SpanKind::Server, None);
    bad.trace_id = vec![1, 2, 3];
    let good = span(2, SpanKind::Server, None);
    let batch = traces(vec![bad, good]);
    assert_eq!(batch.rejected.count, 1);
    assert!(batch
        .rejected
        .reason
        .as_deref()
        .unwrap()
        .contains("16 bytes"));
    assert_eq!(batch.read(), 2);
    assert_eq!(transactions(&batch).len(), 1);
}

#[test]
fn the_same_span_read_twice_has_the_same_event_ids() {
    let mut failing = span(2, SpanKind::Internal, Some(1));
    failing
        .events
        .push(exception_event("ValueError", "bad", PYTHON_TRACE));
    let first = traces(vec![failing.clone()]);
    let again = traces(vec![failing]);
    assert_eq!(
        first.services[0].events[0].event_id,
        again.services[0].events[0].event_id
    );
    assert_eq!(first.services[0].events[0].event_id.len(), 32);
}

fn log(severity: i32, text: &str, body: &str, attributes: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        time_unix_nano: 1_763_899_999_500_000_000,
        severity_number: severity,
        severity_text: text.into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        attributes,
        trace_id: TRACE.to_vec(),
        span_id: vec![7; 8],
        ..LogRecord::default()
    }
}

fn logs(records: Vec<LogRecord>) -> OtlpBatch {
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "shop.payments".into(),
                    ..InstrumentationScope::default()
                }),
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    };
    read_logs(&request.encode_to_vec(), OtlpEncoding::Protobuf, NOW).unwrap()
}

#[test]
fn error_logs_become_events_and_info_logs_do_not() {
    let batch = logs(vec![
        log(9, "INFO", "charged order 42", vec![]),
        log(13, "WARN", "retrying order 42", vec![]),
        log(17, "ERROR", "payment 1234 declined for user 77", vec![]),
        log(
            21,
            "FATAL",
            "cannot charge",
            vec![
                s("exception.type", "ConnectionError"),
                s("exception.message", "gateway unreachable"),
            ],
        ),
        log(0, "error", "a bridge without numbers", vec![]),
        log(0, "SEVERE", "not a word this reads", vec![]),
    ]);
    let events = &batch.services[0].events;
    assert_eq!(batch.read(), 6);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].level, Level::Error);
    assert_eq!(
        events[0].message.as_ref().unwrap().formatted,
        "payment 1234 declined for user 77"
    );
    assert_eq!(events[0].logger.as_deref(), Some("shop.payments"));
    assert_eq!(
        events[0].trace_id.as_deref(),
        Some(hex::encode(TRACE).as_str())
    );
    assert_eq!(events[1].level, Level::Fatal);
    assert_eq!(events[1].main_exception().unwrap().ty, "ConnectionError");
    assert_eq!(events[2].level, Level::Error);
}

/// A trace export as the Collector's `otlphttp` exporter writes it in JSON: hex ids, int64
/// fields as strings, enums as numbers, lowerCamelCase names, and fields this reader does not
/// know.
const COLLECTOR_JSON: &str = r#"{"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"checkout"}},
  {"key":"service.version","value":{"stringValue":"2.4.1"}},
  {"key":"deployment.environment","value":{"stringValue":"staging"}},
  {"key":"telemetry.sdk.language","value":{"stringValue":"java"}}]},
 "scopeSpans":[{"scope":{"name":"io.opentelemetry.tomcat-10.0","version":"2.10.0-alpha"},
  "spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
   "parentSpanId":"","name":"POST /orders","kind":2,
   "startTimeUnixNano":"1763899999000000000","endTimeUnixNano":"1763899999120000000",
   "attributes":[{"key":"http.route","value":{"stringValue":"/orders"}},
     {"key":"http.response.status_code","value":{"intValue":"500"}}],
   "events":[{"timeUnixNano":"1763899999100000000","name":"exception","attributes":[
     {"key":"exception.type","value":{"stringValue":"java.lang.IllegalStateException"}},
     {"key":"exception.message","value":{"stringValue":"cart 42 has no items"}},
     {"key":"exception.stacktrace","value":{"stringValue":"java.lang.IllegalStateException: cart 42 has no items\n\tat com.example.shop.Cart.total(Cart.java:42)\n\tat com.example.shop.OrderController.create(OrderController.java:17)\n\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:140)\n"}}]}],
   "status":{"code":2},"flags":257,"droppedAttributesCount":0}]}],
 "schemaUrl":"https://opentelemetry.io/schemas/1.24.0"}]}"#;

#[test]
fn collector_json_is_read_with_otlp_json_mapping() {
    let batch = read_traces(COLLECTOR_JSON.as_bytes(), OtlpEncoding::Json, NOW).unwrap();
    let items = &batch.services[0];
    assert_eq!(items.read, 1);
    let error = items
        .events
        .iter()
        .find(|e| e.kind == EventKind::Error)
        .unwrap();
    assert_eq!(
        error.trace_id.as_deref(),
        Some("5b8efff798038103d269b633813fc60c")
    );
    assert_eq!(error.environment.as_deref(), Some("staging"));
    assert_eq!(error.timestamp_ms, 1_763_899_999_100);
    let exception = error.main_exception().unwrap();
    // Split as the Sentry Java SDK splits it.
    assert_eq!(exception.ty, "IllegalStateException");
    assert_eq!(exception.module.as_deref(), Some("java.lang"));
    let raising = exception.frames.last().unwrap();
    assert_eq!(raising.module.as_deref(), Some("com.example.shop.Cart"));
    assert_eq!(raising.function.as_deref(), Some("total"));
    assert_eq!(error.route.as_deref(), Some("/orders"));
    let transaction = items
        .events
        .iter()
        .find(|e| e.kind == EventKind::Transaction)
        .unwrap();
    assert_eq!(transaction.duration_ms, Some(120.0));
}

#[test]
fn undecodable_bodies_are_errors() {
    assert!(read_traces(b"\xff\xff\xff garbage", OtlpEncoding::Protobuf, NOW).is_err());
    assert!(read_traces(b"{\"resourceSpans\": 7}", OtlpEncoding::Json, NOW).is_err());
    assert!(read_logs(b"not json", OtlpEncoding::Json, NOW).is_err());
    let empty = read_traces(b"", OtlpEncoding::Protobuf, NOW).unwrap();
    assert_eq!(empty.read(), 0);
    let empty = read_traces(b"{}", OtlpEncoding::Json, NOW).unwrap();
    assert_eq!(empty.read(), 0);
}

#[test]
fn content_types_and_answers() {
    assert_eq!(
        OtlpEncoding::from_content_type(Some("application/json; charset=utf-8")),
        Some(OtlpEncoding::Json)
    );
    assert_eq!(
        OtlpEncoding::from_content_type(Some("application/x-protobuf")),
        Some(OtlpEncoding::Protobuf)
    );
    assert_eq!(OtlpEncoding::from_content_type(Some("text/plain")), None);
    assert_eq!(OtlpEncoding::from_content_type(None), None);

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
    use response::Signal;
    let body = response::success(Signal::Traces, OtlpEncoding::Protobuf, 2, Some("bad ids"));
    let decoded = ExportTraceServiceResponse::decode(body.as_slice()).unwrap();
    let partial = decoded.partial_success.unwrap();
    assert_eq!(
        (partial.rejected_spans, partial.error_message.as_str()),
        (2, "bad ids")
    );
    let full = response::success(Signal::Logs, OtlpEncoding::Json, 0, None);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&full).unwrap(),
        serde_json::json!({})
    );
    let partial = response::success(Signal::Logs, OtlpEncoding::Json, 3, Some("x"));
    let json: serde_json::Value = serde_json::from_slice(&partial).unwrap();
    assert_eq!(json["partialSuccess"]["errorMessage"], "x");
    let status = response::status(
        OtlpEncoding::Json,
        response::code::UNAUTHENTICATED,
        "no key",
    );
    let json: serde_json::Value = serde_json::from_slice(&status).unwrap();
    assert_eq!(json, serde_json::json!({"code": 16, "message": "no key"}));
}
