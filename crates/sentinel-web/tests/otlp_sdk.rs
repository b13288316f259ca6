//! End to end with the OpenTelemetry Rust SDK: its OTLP/HTTP exporters (protobuf with gzip,
//! and JSON), configured with nothing but the endpoint and an `authorization` header, send
//! spans and log records to a running server; what failed becomes incidents with the right
//! fingerprint, class, service, release and trace id. The exception groups with the Sentry
//! Java SDK's event of the same exception. Each test runs on SQLite and, when configured,
//! on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{
    Compression, LogExporter, Protocol, SpanExporter, WithExportConfig, WithHttpConfig,
};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use sentinel_core::incident::ErrorClass;
use std::collections::HashMap;
use support::TestApp;

const JAVA_TRACE: &str = "java.lang.IllegalStateException: cart 42 has no items\n\
\tat com.example.shop.Cart.total(Cart.java:42)\n\
\tat com.example.shop.OrderController.create(OrderController.java:17)\n\
\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:140)\n";

/// The same exception as the Sentry Java SDK reports it (other line numbers: a later build).
const SENTRY_JAVA_EVENT: &str = r#"{"platform":"java","level":"error","release":"shop@2.0.0",
 "environment":"production","exception":{"values":[{"type":"IllegalStateException",
 "module":"java.lang","value":"cart 42 has no items",
 "mechanism":{"type":"UncaughtExceptionHandler","handled":false},
 "stacktrace":{"frames":[
  {"module":"org.apache.catalina.core.ApplicationFilterChain","function":"doFilter","filename":"ApplicationFilterChain.java","lineno":141},
  {"module":"com.example.shop.OrderController","function":"create","filename":"OrderController.java","lineno":19,"in_app":true},
  {"module":"com.example.shop.Cart","function":"total","filename":"Cart.java","lineno":44,"in_app":true}]}}]}}"#;

fn resource() -> Resource {
    Resource::builder()
        .with_service_name("shop")
        .with_attributes([
            KeyValue::new("service.version", "shop@2.0.0"),
            KeyValue::new("deployment.environment.name", "production"),
            KeyValue::new("telemetry.sdk.language", "java"),
        ])
        .build()
}

fn headers(key: &str) -> HashMap<String, String> {
    HashMap::from([("authorization".to_string(), format!("Bearer {key}"))])
}

/// The trace ids of the request that raised and of the one that answered 503.
struct SentTraces {
    exception: String,
    server_error: String,
}

/// Runs on a blocking thread: the SDK's exporters block on their own HTTP client.
fn send_with_sdk(base: String, key: String, protocol: Protocol, gzip: bool) -> SentTraces {
    let mut spans = SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(format!("{base}/v1/traces"))
        .with_headers(headers(&key));
    if gzip {
        spans = spans.with_compression(Compression::Gzip);
    }
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.build().unwrap())
        .with_resource(resource())
        .build();
    let tracer = tracer_provider.tracer("com.example.shop");

    let mut failed = tracer
        .span_builder("POST /orders")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.route", "/orders"),
            KeyValue::new("http.response.status_code", 500),
        ])
        .start(&tracer);
    failed.add_event(
        "exception",
        vec![
            KeyValue::new("exception.type", "java.lang.IllegalStateException"),
            KeyValue::new("exception.message", "cart 42 has no items"),
            KeyValue::new("exception.stacktrace", JAVA_TRACE),
            KeyValue::new("exception.escaped", true),
        ],
    );
    failed.set_status(Status::error("cart 42 has no items"));
    let exception = failed.span_context().trace_id().to_string();
    failed.end();

    let mut unavailable = tracer
        .span_builder("GET /orders/{id}")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.route", "/orders/{id}"),
            KeyValue::new("http.response.status_code", 503),
        ])
        .start(&tracer);
    let server_error = unavailable.span_context().trace_id().to_string();
    unavailable.end();

    // None of these is an incident.
    let mut ok = tracer
        .span_builder("GET /health")
        .with_kind(SpanKind::Server)
        .start(&tracer);
    ok.set_status(Status::Ok);
    ok.end();
    tracer
        .span_builder("GET /missing")
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new("http.response.status_code", 404)])
        .start(&tracer)
        .end();
    tracer
        .span_builder("GET inventory")
        .with_kind(SpanKind::Client)
        .with_attributes([KeyValue::new("http.response.status_code", 500)])
        .start(&tracer)
        .end();
    tracer_provider.force_flush().unwrap();
    tracer_provider.shutdown().unwrap();

    let logs = LogExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(format!("{base}/v1/logs"))
        .with_headers(headers(&key))
        .build()
        .unwrap();
    let logger_provider = SdkLoggerProvider::builder()
        .with_simple_exporter(logs)
        .with_resource(resource())
        .build();
    let logger = logger_provider.logger("com.example.shop.payments");
    for (severity, body) in [
        (Severity::Info, "order 42 shipped"),
        (Severity::Error, "payment 1234 declined for user 77"),
    ] {
        let mut record = logger.create_log_record();
        record.set_severity_number(severity);
        record.set_severity_text(severity.name());
        record.set_body(AnyValue::from(body));
        logger.emit(record);
    }
    logger_provider.force_flush().unwrap();
    logger_provider.shutdown().unwrap();
    SentTraces {
        exception,
        server_error,
    }
}

async fn sdk_exports_become_incidents(app: TestApp, protocol: Protocol, gzip: bool) {
    let base = app.serve().await;
    let key = app.public_key.clone();
    let sent = tokio::task::spawn_blocking(move || send_with_sdk(base, key, protocol, gzip))
        .await
        .unwrap();

    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 3, "{incidents:#?}");
    for incident in &incidents {
        assert_eq!(incident.service_id, app.service_id);
        assert_eq!(incident.release.as_deref(), Some("shop@2.0.0"));
        assert_eq!(incident.environment.as_deref(), Some("production"));
    }
    let exception = incidents
        .iter()
        .find(|i| i.error_type == "IllegalStateException")
        .expect("the exception's incident");
    assert_eq!(
        exception.title,
        "IllegalStateException: cart 42 has no items"
    );
    assert_eq!(exception.culprit, "com.example.shop.Cart in total");
    assert_eq!(exception.error_class, ErrorClass::UnhandledException);
    assert_eq!(exception.trace_id.as_deref(), Some(sent.exception.as_str()));
    assert_eq!(exception.trigger_route.as_deref(), Some("/orders"));

    let server = incidents
        .iter()
        .find(|i| i.error_class == ErrorClass::Server5xx)
        .expect("the 503's incident");
    assert_eq!(server.trace_id.as_deref(), Some(sent.server_error.as_str()));
    assert_eq!(server.trigger_route.as_deref(), Some("/orders/{id}"));
    assert_eq!(server.title, "HTTP 503 on /orders/{id}");

    let log = incidents
        .iter()
        .find(|i| i.error_class == ErrorClass::Message)
        .expect("the error log's incident");
    assert_eq!(log.title, "payment 1234 declined for user 77");

    // The local roots (four server spans and the parentless client call) are the requests'
    // transactions, for the latency detector.
    let transactions = app.store.transaction_durations(0, i64::MAX).await.unwrap();
    assert_eq!(transactions.len(), 5, "{transactions:?}");

    // The Sentry Java SDK's event of the same exception joins the same incident.
    let auth = app.auth_header();
    // One line, as an envelope item must be.
    let event: serde_json::Value = serde_json::from_str(SENTRY_JAVA_EVENT).unwrap();
    let envelope = support::envelope(&event.to_string());
    let response = app
        .post_envelope(&envelope, &[("x-sentry-auth", &auth)], None)
        .await;
    assert_eq!(
        response.status,
        axum::http::StatusCode::OK,
        "{}",
        response.text
    );
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 3, "no new incident: {incidents:#?}");
    let joined = incidents.iter().find(|i| i.id == exception.id).unwrap();
    assert_eq!(joined.fingerprint, exception.fingerprint);
    assert_eq!(joined.occurrence_count, 2);
}

async fn sdk_protobuf_exports_with_gzip(app: TestApp) {
    sdk_exports_become_incidents(app, Protocol::HttpBinary, true).await;
}

async fn sdk_json_exports(app: TestApp) {
    sdk_exports_become_incidents(app, Protocol::HttpJson, false).await;
}

support::app_tests!(sdk_protobuf_exports_with_gzip, sdk_json_exports);
