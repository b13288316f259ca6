//! OTLP/HTTP `/v1/traces` and `/v1/logs` against a real store: the answers the exporters
//! expect in their own encoding, keys and limits checked before the body is decoded, what
//! becomes an incident, services by `service.name`, and one count per trace. Each test runs
//! on SQLite and, when configured, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as SpanEvent, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use sentinel_core::incident::ErrorClass;
use support::{TestApp, TestResponse, NOW};

const PROTOBUF: &str = "application/x-protobuf";

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![
            text("service.name", service),
            text("service.version", "shop@3.1.0"),
            text("deployment.environment.name", "production"),
            text("telemetry.sdk.language", "python"),
        ],
        ..Resource::default()
    })
}

fn server_span(trace: u8, span: u8, status: i64) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![span; 8],
        name: "GET /orders/{id}".into(),
        kind: SpanKind::Server as i32,
        start_time_unix_nano: (NOW as u64 - 1_000) * 1_000_000,
        end_time_unix_nano: (NOW as u64 - 900) * 1_000_000,
        attributes: vec![
            text("http.route", "/orders/{id}"),
            kv(
                "http.response.status_code",
                any_value::Value::IntValue(status),
            ),
        ],
        ..Span::default()
    }
}

fn with_exception(mut span: Span, ty: &str, message: &str) -> Span {
    span.events.push(SpanEvent {
        name: "exception".into(),
        time_unix_nano: (NOW as u64 - 950) * 1_000_000,
        attributes: vec![
            text("exception.type", ty),
            text("exception.message", message),
            text(
                "exception.stacktrace",
                &format!("Traceback (most recent call last):\n  File \"/srv/shop/app/orders.py\", line 12, in load\n    return rows[0]\n{ty}: {message}\n"),
            ),
        ],
        ..SpanEvent::default()
    });
    span
}

fn export(service: &str, spans: Vec<Span>) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(service),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

async fn post(app: &TestApp, path: &str, body: Vec<u8>, content_type: &str) -> TestResponse {
    let auth = format!("Bearer {}", app.public_key);
    app.post(
        path,
        body,
        &[("authorization", &auth), ("content-type", content_type)],
    )
    .await
}

fn status_message(response: &TestResponse) -> (i64, String) {
    let json = response.json();
    (
        json["code"].as_i64().unwrap_or(-1),
        json["message"].as_str().unwrap_or("").to_string(),
    )
}

async fn answers_200_with_an_export_response_in_the_request_encoding(app: TestApp) {
    let body = export(
        "shop",
        vec![with_exception(server_span(1, 1, 500), "KeyError", "'sku'")],
    );
    let response = post(&app, "/v1/traces", body, PROTOBUF).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("content-type").as_deref(), Some(PROTOBUF));
    let decoded = ExportTraceServiceResponse::decode(response.body.as_slice()).unwrap();
    assert_eq!(decoded.partial_success, None);

    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(incident.service_id, app.service_id);
    assert_eq!(incident.title, "KeyError: 'sku'");
    assert_eq!(incident.release.as_deref(), Some("shop@3.1.0"));
    assert_eq!(incident.environment.as_deref(), Some("production"));
    assert_eq!(incident.trace_id.as_deref(), Some("01".repeat(16).as_str()));
    assert_eq!(incident.trigger_route.as_deref(), Some("/orders/{id}"));

    // The server span is also stored as the request's transaction, with its duration.
    let durations = app.store.transaction_durations(0, i64::MAX).await.unwrap();
    assert_eq!(durations.len(), 1);
    assert_eq!(durations[0].transaction_name, "GET /orders/{id}");
    assert_eq!(durations[0].duration_ms, 100.0);

    // A JSON export is answered in JSON.
    let json = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[{"traceId":"0202020202020202020202020202020202","spanId":"zz","name":"x"}]}]}]}"#;
    let response = post(&app, "/v1/traces", json.into(), "application/json").await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "ids that are not hex do not decode"
    );
    assert_eq!(status_message(&response).0, 3);
    let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"02020202020202020202020202020202","spanId":"0202020202020202","name":"ok","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"},
        {"traceId":"0303","spanId":"0303030303030303","name":"bad"}]}]}]}"#;
    let response = post(&app, "/v1/traces", json.into(), "application/json").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/json")
    );
    let partial = &response.json()["partialSuccess"];
    assert_eq!(
        partial["rejectedSpans"]
            .as_i64()
            .or_else(|| partial["rejectedSpans"]
                .as_str()
                .and_then(|s| s.parse().ok())),
        Some(1)
    );
    assert!(partial["errorMessage"]
        .as_str()
        .unwrap()
        .contains("16 bytes"));
}

async fn refuses_keys_bodies_and_sizes_as_otlp_says(app: TestApp) {
    let body = export("shop", vec![server_span(1, 1, 500)]);
    let none = app
        .post("/v1/traces", body.clone(), &[("content-type", PROTOBUF)])
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let wrong = app
        .post(
            "/v1/traces",
            body.clone(),
            &[
                ("content-type", "application/json"),
                ("sentinel-key", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(status_message(&wrong), (16, "unknown key".into()));

    let garbage = post(
        &app,
        "/v1/traces",
        b"\xff\xff\xffnot protobuf".to_vec(),
        PROTOBUF,
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let status = sentinel_ingest::otlp::response::Status::decode(garbage.body.as_slice());
    assert_eq!(status.map(|s| s.code).ok(), Some(3), "a protobuf Status");
    let garbage = post(
        &app,
        "/v1/logs",
        b"{\"resourceLogs\": 7}".to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(status_message(&garbage).0, 3);
    let media = post(&app, "/v1/traces", body.clone(), "text/plain").await;
    assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let oversized = post(&app, "/v1/traces", vec![0u8; 21 * 1024 * 1024], PROTOBUF).await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);
    let (encoding, bomb) = support::encode("gzip", &vec![0u8; 65 * 1024 * 1024]);
    let auth = format!("Bearer {}", app.public_key);
    let bomb = app
        .post(
            "/v1/traces",
            bomb,
            &[
                ("authorization", &auth),
                ("content-type", PROTOBUF),
                ("content-encoding", encoding),
            ],
        )
        .await;
    assert_eq!(bomb.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.incident_count().await, 0);

    // gzip is read like any exporter sends it.
    let (encoding, gzipped) = support::encode("gzip", &body);
    let response = app
        .post(
            "/v1/traces",
            gzipped,
            &[
                ("authorization", &auth),
                ("content-type", PROTOBUF),
                ("content-encoding", encoding),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(app.incident_count().await, 1);
}

async fn rate_limits_answer_429_before_the_body_is_decoded(app: TestApp) {
    app.set_rate_limit(1).await;
    let first = post(&app, "/v1/traces", export("shop", vec![]), PROTOBUF).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // Garbage that would be a 400: the limit answers first, so nothing was decoded.
    let limited = post(&app, "/v1/traces", b"\xff\xff garbage".to_vec(), PROTOBUF).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").is_some());
    let status = sentinel_ingest::otlp::response::Status::decode(limited.body.as_slice()).unwrap();
    assert_eq!(status.code, 14, "UNAVAILABLE, which exporters retry");
}

async fn each_rule_and_its_negatives(app: TestApp) {
    let mut ok = server_span(1, 1, 200);
    ok.status = Some(opentelemetry_proto::tonic::trace::v1::Status {
        code: 1,
        message: String::new(),
    });
    let not_found = server_span(2, 2, 404);
    let mut client = server_span(3, 3, 500);
    client.kind = SpanKind::Client as i32;
    client.parent_span_id = vec![9; 8];
    let response = post(
        &app,
        "/v1/traces",
        export("shop", vec![ok, not_found, client]),
        PROTOBUF,
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        app.incident_count().await,
        0,
        "OK, 404 and a client's 500 are no incidents"
    );

    let failed = server_span(4, 4, 502);
    let response = post(&app, "/v1/traces", export("shop", vec![failed]), PROTOBUF).await;
    assert_eq!(response.status, StatusCode::OK);
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].error_class, ErrorClass::Server5xx);
    assert_eq!(incidents[0].title, "HTTP 502 on /orders/{id}");

    let record = |severity: i32, body: &str| LogRecord {
        time_unix_nano: (NOW as u64) * 1_000_000,
        severity_number: severity,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        ..LogRecord::default()
    };
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("shop"),
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    record(9, "order 42 shipped"),
                    record(17, "payment 1234 declined for user 77"),
                    record(17, "payment 98 declined for user 4410"),
                ],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec();
    let response = post(&app, "/v1/logs", logs, PROTOBUF).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let incidents = app.incidents().await;
    assert_eq!(
        incidents.len(),
        2,
        "the INFO log is none; two declines are one"
    );
    let message = incidents
        .iter()
        .find(|i| i.error_class == ErrorClass::Message)
        .unwrap();
    assert_eq!(message.occurrence_count, 2);
}

async fn repeats_of_one_trace_count_once(app: TestApp) {
    // The exception on the span that raised it and on the server span it escaped through.
    let inner = Span {
        parent_span_id: vec![5; 8],
        span_id: vec![6; 8],
        kind: SpanKind::Internal as i32,
        ..with_exception(server_span(5, 6, 0), "LookupError", "no order 7")
    };
    let outer = with_exception(server_span(5, 5, 500), "LookupError", "no order 7");
    let body = export("shop", vec![inner, outer]);
    for _ in 0..2 {
        // The second time as an exporter retrying the same export.
        let response = post(&app, "/v1/traces", body.clone(), PROTOBUF).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    }
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].occurrence_count, 1);
    // Another trace with the same failure counts.
    let again = export(
        "shop",
        vec![with_exception(
            server_span(8, 8, 500),
            "LookupError",
            "no order 7",
        )],
    );
    post(&app, "/v1/traces", again, PROTOBUF).await;
    assert_eq!(app.incidents().await[0].occurrence_count, 2);
}

async fn service_names_pick_services_of_the_keys_organization(app: TestApp) {
    let other = app.second_service().await;
    let body = ExportTraceServiceRequest {
        resource_spans: ["other", "unheard-of"]
            .iter()
            .enumerate()
            .map(|(i, name)| ResourceSpans {
                resource: resource(name),
                scope_spans: vec![ScopeSpans {
                    spans: vec![with_exception(server_span(i as u8 + 1, 1, 500), "E", name)],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            })
            .collect(),
    }
    .encode_to_vec();
    let response = post(&app, "/v1/traces", body.clone(), PROTOBUF).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 2);
    let of = |service: &sentinel_core::id::ServiceId| {
        incidents
            .iter()
            .filter(|i| &i.service_id == service)
            .count()
    };
    assert_eq!(of(&other.id), 1, "the named service of the organization");
    assert_eq!(
        of(&app.service_id),
        1,
        "an unknown name stays with the key's service"
    );
    let unknown = incidents
        .iter()
        .find(|i| i.service_id == app.service_id)
        .unwrap();
    let event = app
        .store
        .latest_event(&app.org_id, &unknown.id)
        .await
        .unwrap()
        .unwrap();
    assert!(event
        .tags
        .contains(&("service.name".into(), "unheard-of".into())));

    // A disabled service's spans are refused, and counted as such.
    app.store
        .update_service_settings(
            &app.org_id,
            &other.id,
            &sentinel_store::tenancy::ServicePatch {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.clock.advance(60_000);
    let response = post(&app, "/v1/traces", body, PROTOBUF).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let decoded = ExportTraceServiceResponse::decode(response.body.as_slice()).unwrap();
    assert_eq!(decoded.partial_success.unwrap().rejected_spans, 1);
}

async fn a_locked_database_answers_503_and_the_retry_counts_once(app: TestApp) {
    let body = export(
        "shop",
        vec![with_exception(server_span(9, 9, 500), "OSError", "disk")],
    );
    let Some(lock) = app.lock_database().await else {
        return; // only SQLite has a whole-database write lock to hold
    };
    let response = post(&app, "/v1/traces", body.clone(), "application/x-protobuf").await;
    assert!(
        response.status == StatusCode::SERVICE_UNAVAILABLE
            || response.status == StatusCode::TOO_MANY_REQUESTS,
        "{}",
        response.status
    );
    assert!(response.header("retry-after").is_some());
    let status = sentinel_ingest::otlp::response::Status::decode(response.body.as_slice()).unwrap();
    assert_eq!(status.code, 14);
    drop(lock);
    assert_eq!(
        app.incident_count().await,
        0,
        "nothing stored without a 200"
    );
    // The exporter retries the same export: stored now, once.
    let retried = post(&app, "/v1/traces", body, PROTOBUF).await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(app.incidents().await[0].occurrence_count, 1);
}

support::app_tests!(
    a_locked_database_answers_503_and_the_retry_counts_once,
    answers_200_with_an_export_response_in_the_request_encoding,
    refuses_keys_bodies_and_sizes_as_otlp_says,
    rate_limits_answer_429_before_the_body_is_decoded,
    each_rule_and_its_negatives,
    repeats_of_one_trace_count_once,
    service_names_pick_services_of_the_keys_organization,
);
