//! The Sentry ingest endpoints over HTTP, against a real store: authentication, encodings,
//! limits, malformed input, rate limits, and a database that is locked while events arrive.
//! Each test runs on SQLite and, when configured, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::{Request, StatusCode};
use support::{envelope, event_json, TestApp};

async fn accepts_an_envelope_authenticated_by_header(app: TestApp) {
    let body = envelope(&event_json("ValueError", "bad value"));
    let response = app
        .post_envelope(&body, &[("x-sentry-auth", &app.auth_header())], None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let id = response.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    app.store.get_event(&app.org_id, &id).await.unwrap();
    assert_eq!(app.incident_count().await, 1);

    // The writer counts the batch it committed.
    let metrics = app
        .send(
            Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        metrics
            .text
            .contains("sentinel_ingest_writer_batches_total 1\n"),
        "{}",
        metrics.text
    );
    assert!(metrics
        .text
        .contains("sentinel_ingest_writer_events_total 1\n"));
    assert!(metrics
        .text
        .contains("sentinel_ingest_writer_requests_total 1\n"));
}

async fn accepts_the_key_in_the_query_and_in_the_envelope_dsn(app: TestApp) {
    let body = envelope(&event_json("KeyError", "'a'"));
    let uri = format!(
        "/api/{}/envelope/?sentry_key={}",
        app.project, app.public_key
    );
    let response = app.post(&uri, body.clone(), &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);

    let dsn = format!("http://{}@127.0.0.1/{}", app.public_key, app.project);
    let with_dsn = envelope_with_header(
        &format!(r#"{{"dsn":"{dsn}"}}"#),
        &event_json("KeyError", "'b'"),
    );
    let response = app
        .post(&format!("/api/{}/envelope/", app.project), with_dsn, &[])
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

async fn refuses_missing_wrong_foreign_and_revoked_keys(app: TestApp) {
    let body = envelope(&event_json("ValueError", "x"));
    let path = format!("/api/{}/envelope/", app.project);
    assert_eq!(
        app.post(&path, body.clone(), &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = "Sentry sentry_version=7, sentry_key=0123456789abcdef0123456789abcdef";
    let refused = app
        .post(&path, body.clone(), &[("x-sentry-auth", wrong)])
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.json()["error"]["code"].is_string());

    let other = app.second_service().await;
    let foreign = format!("/api/{}/envelope/", other.number);
    let response = app
        .post(
            &foreign,
            body.clone(),
            &[("x-sentry-auth", &app.auth_header())],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::FORBIDDEN,
        "a key of another project is refused"
    );

    app.revoke_key().await;
    let response = app
        .post(&path, body, &[("x-sentry-auth", &app.auth_header())])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.incident_count().await, 0);
}

async fn decodes_every_content_encoding(app: TestApp) {
    for encoding in ["gzip", "deflate", "deflate-raw", "br", "zstd"] {
        // A fresh event id per delivery, so each one counts.
        let plain = envelope(&event_json("ZeroDivisionError", "division by zero"));
        let (header, body) = support::encode(encoding, &plain);
        let response = app
            .post_envelope(
                &body,
                &[("x-sentry-auth", &app.auth_header())],
                Some(header),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{encoding}: {}",
            response.text
        );
    }
    // Five deliveries of the same bug: one incident counting five events.
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].occurrence_count, 5);
}

async fn refuses_bad_encodings_and_keeps_serving(app: TestApp) {
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    let garbage = app
        .post_envelope(b"definitely not gzip", &headers, Some("gzip"))
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let unknown = app.post_envelope(b"{}", &headers, Some("lzma")).await;
    assert_eq!(unknown.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let truncated = envelope(&event_json("ValueError", "cut"));
    let truncated = &truncated[..truncated.len() / 2];
    let response = app.post_envelope(truncated, &headers, None).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    let framing = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":500}\n{}\n";
    assert_eq!(
        app.post_envelope(framing, &headers, None).await.status,
        StatusCode::BAD_REQUEST
    );
    let ok = app
        .post_envelope(&envelope(&event_json("ValueError", "fine")), &headers, None)
        .await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "the server keeps serving after bad input"
    );
}

async fn refuses_oversized_bodies_with_413(app: TestApp) {
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    // One event item over 1 MB.
    let big_value = "x".repeat(1_100_000);
    let big = envelope(&event_json("ValueError", &big_value));
    assert_eq!(
        app.post_envelope(&big, &headers, None).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A small zstd body that inflates past 100 MB.
    let bomb = zstd::encode_all(&vec![b' '; 101 * 1024 * 1024][..], 3).unwrap();
    assert_eq!(
        app.post_envelope(&bomb, &headers, Some("zstd"))
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(app.incident_count().await, 0);
}

async fn accepts_non_error_items_without_creating_incidents(app: TestApp) {
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    let transaction = r#"{"event_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
{"type":"transaction"}
{"type":"transaction","transaction":"/api/users","start_timestamp":1700000000.0,"timestamp":1700000000.25,"contexts":{"trace":{"trace_id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","span_id":"cccccccccccccccc","op":"http.server"}},"spans":[]}
{"type":"session"}
{"sid":"7c7b6585-2f9b-4a5b-b6d2-2b6c6e2a0c8e","status":"ok","started":"2026-11-23T10:00:00Z","attrs":{"release":"a@1"}}
{"type":"client_report"}
{"timestamp":1700000000,"discarded_events":[{"reason":"queue_overflow","category":"error","quantity":2}]}
{"type":"check_in"}
{"check_in_id":"dddddddddddddddddddddddddddddddd","monitor_slug":"nightly-export","status":"error","duration":12.5}
{"type":"something_new"}
{"whatever":true}
"#;
    let response = app
        .post_envelope(transaction.as_bytes(), &headers, None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(app.incident_count().await, 0);
    app.store
        .get_event(&app.org_id, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .await
        .unwrap();
}

async fn accepts_every_real_sdk_store_payload(app: TestApp) {
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/incoming_events");
    let mut sent = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("envelope") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let response = app
            .post(&format!("/api/{}/store/", app.project), body, &headers)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{name}: {}", response.text);
        sent += 1;
    }
    assert!(sent >= 15, "fixtures found: {sent}");
    assert!(app.incident_count().await >= 10);
}

async fn rate_limited_keys_get_429_with_sentry_headers(app: TestApp) {
    app.set_rate_limit(2).await;
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    for n in 0..2 {
        let body = envelope(&event_json("ValueError", &format!("n={n}")));
        assert_eq!(
            app.post_envelope(&body, &headers, None).await.status,
            StatusCode::OK
        );
    }
    let response = app
        .post_envelope(
            &envelope(&event_json("ValueError", "third")),
            &headers,
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    let limits = response.header("x-sentry-rate-limits").unwrap();
    assert!(limits.starts_with(&format!("{retry_after}:")), "{limits}");
}

async fn browser_preflight_is_allowed(app: TestApp) {
    let request = Request::builder()
        .method("OPTIONS")
        .uri(format!("/api/{}/envelope/", app.project))
        .header("origin", "https://shop.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-sentry-auth",
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert!(response.status.is_success(), "{}", response.status);
    assert_eq!(
        response.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

async fn a_locked_database_answers_503_and_loses_nothing(app: TestApp) {
    let auth = app.auth_header();
    let headers = [("x-sentry-auth", auth.as_str())];
    let body = envelope(&event_json("ValueError", "while locked"));
    let id = support::event_id_of(&body);
    let Some(lock) = app.lock_database().await else {
        return; // only SQLite has a whole-database write lock to hold
    };
    let response = app.post_envelope(&body, &headers, None).await;
    assert!(
        response.status == StatusCode::SERVICE_UNAVAILABLE
            || response.status == StatusCode::TOO_MANY_REQUESTS,
        "{} {}",
        response.status,
        response.text
    );
    assert!(response.header("retry-after").is_some());
    drop(lock);
    assert!(
        app.store.get_event(&app.org_id, &id).await.is_err(),
        "no row without a 200"
    );
    // The SDK retries the same envelope: now it is stored, exactly once.
    let retried = app.post_envelope(&body, &headers, None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text);
    let incidents = app.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].occurrence_count, 1);
}

fn envelope_with_header(header: &str, event: &str) -> Vec<u8> {
    format!("{header}\n{{\"type\":\"event\"}}\n{event}\n").into_bytes()
}

support::app_tests!(
    accepts_an_envelope_authenticated_by_header,
    accepts_the_key_in_the_query_and_in_the_envelope_dsn,
    refuses_missing_wrong_foreign_and_revoked_keys,
    decodes_every_content_encoding,
    refuses_bad_encodings_and_keeps_serving,
    refuses_oversized_bodies_with_413,
    accepts_non_error_items_without_creating_incidents,
    accepts_every_real_sdk_store_payload,
    rate_limited_keys_get_429_with_sentry_headers,
    browser_preflight_is_allowed,
    a_locked_database_answers_503_and_loses_nothing,
);

/// Secrets in every place an SDK can put them; none may reach any stored row.
mod scrubbing {
    use super::support::{envelope, TestApp};
    use axum::http::StatusCode;

    const PASSWORD: &str = "hunter2-correct-horse";
    const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.sig";
    const API_KEY: &str = "sk_live_51HxQzT8bQpL0aMv";
    const COOKIE: &str = "sessionid=9f8e7d6c5b4a39281706";
    const CARD: &str = "4111 1111 1111 1111";

    fn leaky_event() -> String {
        serde_json::json!({
            "platform": "python",
            "level": "error",
            "message": format!("login failed for password={PASSWORD} card {CARD}"),
            "exception": {"values": [{
                "type": "AuthError",
                "value": format!("bad token Bearer {BEARER} api_key={API_KEY}"),
                "stacktrace": {"frames": [{
                    "filename": "app/auth.py", "function": "login", "in_app": true,
                    "vars": {"password": PASSWORD, "auth": format!("Bearer {BEARER}"), "card": CARD, "api_key": API_KEY}
                }]}
            }]},
            "request": {
                "url": format!("https://shop.example.com/login?api_key={API_KEY}"),
                "method": "POST",
                "headers": {"Authorization": format!("Bearer {BEARER}"), "Cookie": COOKIE, "X-Api-Key": API_KEY},
                "query_string": format!("password={PASSWORD}&api_key={API_KEY}"),
                "data": {"password": PASSWORD, "card_number": CARD, "note": format!("my card is {CARD}")},
                "cookies": COOKIE
            },
            "breadcrumbs": {"values": [
                {"category": "http", "message": format!("POST /login password={PASSWORD}"), "data": {"Authorization": format!("Bearer {BEARER}"), "cookie": COOKIE}}
            ]},
            "extra": {"password": PASSWORD, "payment": {"card": CARD}, "token": BEARER, "api_key": API_KEY},
            "tags": {"api_key": API_KEY, "session": COOKIE, "password": PASSWORD},
            "user": {"id": "42", "email": "a@example.com", "password": PASSWORD}
        })
        .to_string()
    }

    async fn no_secret_reaches_any_stored_row(app: TestApp) {
        let response = app
            .post_envelope(
                &envelope(&leaky_event()),
                &[("x-sentry-auth", &app.auth_header())],
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        let stored = sentinel_store::testing::all_stored_text(&app.store).await;
        assert!(stored.contains("AuthError"), "the event itself was stored");
        for secret in [
            PASSWORD,
            BEARER,
            API_KEY,
            "9f8e7d6c5b4a39281706",
            CARD,
            "4111111111111111",
        ] {
            let line = stored.lines().find(|l| l.contains(secret));
            assert!(
                line.is_none(),
                "{secret:?} is stored: {}",
                line.unwrap_or_default()
            );
        }
    }

    super::support::app_tests!(no_secret_reaches_any_stored_row);
}

/// `POST /api/v1/events`, for services without a Sentry SDK.
mod native {
    use super::support::TestApp;
    use axum::http::StatusCode;
    use sentinel_core::role::Role;

    fn native_event(message: &str) -> Vec<u8> {
        serde_json::json!({
            "service": "shop",
            "error_class": "server_5xx",
            "message": message,
            "exception_type": "UpstreamTimeout",
            "stack_trace": "Traceback (most recent call last):\n  File \"/srv/app/payments.py\", line 88, in charge\n    resp = client.post(url)\nUpstreamTimeout: gateway timed out",
            "route": "/api/payments/:id",
            "status_code": 504,
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "release": "shop@3.0.0",
            "environment": "production"
        })
        .to_string()
        .into_bytes()
    }

    async fn creates_incidents_from_native_events(app: TestApp) {
        let key = app.api_key(Role::Member).await;
        let bearer = format!("Bearer {key}");
        for attempt in 0..3 {
            let body = native_event(&format!("gateway timed out after {}ms", 3000 + attempt));
            let response = app
                .post("/api/v1/events", body, &[("authorization", &bearer)])
                .await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        }
        let incidents = app.incidents().await;
        assert_eq!(incidents.len(), 1, "{incidents:#?}");
        let incident = &incidents[0];
        assert_eq!(incident.occurrence_count, 3);
        assert_eq!(incident.error_class.as_str(), "server_5xx");
        assert_eq!(incident.trigger_route.as_deref(), Some("/api/payments/:id"));
        assert_eq!(
            incident.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    async fn refuses_viewers_unknown_services_and_bad_keys(app: TestApp) {
        let viewer = format!("Bearer {}", app.api_key(Role::Viewer).await);
        let response = app
            .post(
                "/api/v1/events",
                native_event("x"),
                &[("authorization", &viewer)],
            )
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        let member = format!("Bearer {}", app.api_key(Role::Member).await);
        let unknown = br#"{"service":"nope","message":"x"}"#.to_vec();
        let response = app
            .post("/api/v1/events", unknown, &[("authorization", &member)])
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        let malformed = b"{not json".to_vec();
        let response = app
            .post("/api/v1/events", malformed, &[("authorization", &member)])
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        let response = app
            .post(
                "/api/v1/events",
                native_event("x"),
                &[("authorization", "Bearer snt_aaaaaaaa_wrong")],
            )
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.incident_count().await, 0);
    }

    super::support::app_tests!(
        creates_incidents_from_native_events,
        refuses_viewers_unknown_services_and_bad_keys
    );
}
