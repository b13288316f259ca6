//! The alerting API over HTTP on both backends: channels (masked secrets, admin-only
//! changes, test deliveries), rules, alerts (filters, summary, acknowledgement),
//! detections and monitors.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::id::ChannelId;
use sentinel_core::role::Role;
use sentinel_jobs::kinds::fire_signal;
use sentinel_store::detections::{raise_detection_in, NewDetection};
use sentinel_store::jobs::JobStatus;
use serde_json::{json, Value};
use support::{TestApp, NOW};

async fn call(
    app: &TestApp,
    method: &str,
    uri: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {key}"));
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app.send(request.body(body).unwrap()).await;
    (response.status, response.json())
}

async fn channels_mask_secrets_and_need_admins(app: TestApp) {
    let admin = app.api_key(Role::Admin).await;
    let member = app.api_key(Role::Member).await;
    let secret = "whsec-0123456789abcdef";
    let body = json!({"name": "hooks", "kind": "webhook",
        "config": {"url": "https://hooks.example.test/in", "secret": secret}});
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/channels",
        &member,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = call(&app, "POST", "/api/v1/channels", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["config"]["secret"], "••••cdef");
    assert!(!created.to_string().contains(secret));
    let id = created["id"].as_str().unwrap().to_string();
    let (status, listed) = call(&app, "GET", "/api/v1/channels", &member, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!listed.to_string().contains(secret));

    // Invalid configurations are refused with the field named.
    let bad = json!({"name": "pd", "kind": "pagerduty", "config": {"routing_key": " "}});
    let (status, error) = call(&app, "POST", "/api/v1/channels", &admin, Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("routing_key"));
    let bad = json!({"name": "x", "kind": "sms", "config": {}});
    assert_eq!(
        call(&app, "POST", "/api/v1/channels", &admin, Some(bad))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // Sending the masked secret back keeps the stored one.
    let patch = json!({"config": {"url": "https://hooks.example.test/v2", "secret": "••••cdef"}});
    let (status, updated) = call(
        &app,
        "PATCH",
        &format!("/api/v1/channels/{id}"),
        &admin,
        Some(patch),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["config"]["url"], "https://hooks.example.test/v2");
    let stored = app
        .store
        .get_channel(&app.org_id, &ChannelId::from_string(id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config.config_value()["secret"], secret);

    let (status, queued) = call(
        &app,
        "POST",
        &format!("/api/v1/channels/{id}/test"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(queued["job_id"].is_string());
    assert_eq!(
        app.store
            .job_counts()
            .await
            .unwrap()
            .get(JobStatus::Available),
        1
    );
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/api/v1/channels/{id}"),
            &admin,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, "GET", &format!("/api/v1/channels/{id}"), &admin, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn rules_are_validated(app: TestApp) {
    let admin = app.api_key(Role::Admin).await;
    let unknown = json!({"name": "x", "kind": "ai_share", "severity": "warning"});
    assert_eq!(
        call(&app, "POST", "/api/v1/alert-rules", &admin, Some(unknown))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let bad = json!({"name": "x", "kind": "incident_frequency", "severity": "warning", "params": {"count": 0, "window_minutes": 5}});
    assert_eq!(
        call(&app, "POST", "/api/v1/alert-rules", &admin, Some(bad))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let dangling =
        json!({"name": "x", "kind": "new_incident", "severity": "error", "channel_ids": ["nope"]});
    assert_eq!(
        call(&app, "POST", "/api/v1/alert-rules", &admin, Some(dangling))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let good = json!({"name": "busy", "kind": "incident_frequency", "severity": "warning", "params": {"count": 50, "window_minutes": 5}});
    let (status, rule) = call(&app, "POST", "/api/v1/alert-rules", &admin, Some(good)).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = rule["id"].as_str().unwrap();
    let (status, changed) = call(
        &app,
        "PATCH",
        &format!("/api/v1/alert-rules/{id}"),
        &admin,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["enabled"], false);
    let (_, listed) = call(&app, "GET", "/api/v1/alert-rules", &admin, None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

async fn alerts_list_summarise_and_acknowledge(app: TestApp) {
    let member = app.api_key(Role::Member).await;
    let engine = RuleEngine::standard();
    let mut signal = Signal::new(signals::INCIDENT_NEW, "incident:1", "TypeError: x");
    signal.service_id = Some(app.service_id.as_str().to_string());
    fire_signal(&app.store, &engine, &app.org_id, &signal, NOW)
        .await
        .unwrap();
    let mut signal = Signal::new(signals::INCIDENT_REGRESSION, "incident:2", "KeyError: y");
    signal.service_id = Some("other".into());
    fire_signal(&app.store, &engine, &app.org_id, &signal, NOW + 1)
        .await
        .unwrap();

    let (status, all) = call(&app, "GET", "/api/v1/alerts", &member, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let (_, by_kind) = call(
        &app,
        "GET",
        "/api/v1/alerts?rule_kind=regression",
        &member,
        None,
    )
    .await;
    assert_eq!(by_kind["data"][0]["title"], "KeyError: y");
    let uri = format!("/api/v1/alerts?service={}", app.service_id);
    let (_, by_service) = call(&app, "GET", &uri, &member, None).await;
    assert_eq!(by_service["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        call(&app, "GET", "/api/v1/alerts?severity=loud", &member, None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    let id = by_service["data"][0]["id"].as_str().unwrap().to_string();
    let (status, acked) = call(
        &app,
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        &member,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(acked["acknowledged_at"], NOW);
    assert!(acked["acknowledged_by"]
        .as_str()
        .unwrap()
        .starts_with("api_key:"));
    let (_, open) = call(&app, "GET", "/api/v1/alerts?status=open", &member, None).await;
    assert_eq!(open["data"].as_array().unwrap().len(), 1);
    let (_, summary) = call(&app, "GET", "/api/v1/alerts/summary", &member, None).await;
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["unacknowledged"], 1);
    assert_eq!(summary["by_severity"]["error"], 2);
    assert_eq!(summary["most_recent"]["title"], "KeyError: y");
}

async fn detections_resolve_and_monitors_validate(app: TestApp) {
    let admin = app.api_key(Role::Admin).await;
    let mut tx = app.store.begin().await.unwrap();
    let raised = raise_detection_in(
        &mut tx,
        &NewDetection {
            org_id: app.org_id.clone(),
            service_id: Some(app.service_id.as_str().to_string()),
            kind: "SERVICE_STALL".into(),
            severity: "error".into(),
            title: "Cron monitor nightly missed".into(),
            details: json!({}),
            dedup_key: "SERVICE_STALL:x".into(),
        },
        NOW,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let id = raised.detection.id;
    let (_, open) = call(&app, "GET", "/api/v1/detections?status=open", &admin, None).await;
    assert_eq!(open["data"][0]["id"], id.as_str());
    let uri = format!("/api/v1/detections/{id}/resolve");
    assert_eq!(
        call(
            &app,
            "POST",
            &uri,
            &admin,
            Some(json!({"resolution": "auto_resolved"}))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let (status, resolved) = call(
        &app,
        "POST",
        &uri,
        &admin,
        Some(json!({"resolution": "dismissed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["resolution"], "dismissed");
    assert_eq!(
        call(
            &app,
            "POST",
            &uri,
            &admin,
            Some(json!({"resolution": "fixed"}))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let monitor = json!({"service_id": app.service_id.as_str(), "slug": "nightly",
        "config": {"schedule": {"crontab": "0 3 * * *"}, "checkin_margin_min": 5}});
    let (status, created) = call(&app, "PUT", "/api/v1/monitors", &admin, Some(monitor)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["slug"], "nightly");
    let bad = json!({"service_id": app.service_id.as_str(), "slug": "n",
        "config": {"schedule": {"crontab": "0 3 * *"}}});
    assert_eq!(
        call(&app, "PUT", "/api/v1/monitors", &admin, Some(bad))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // Time zones are IANA names; a misspelt one is refused with a message that names it.
    let zoned = |zone: &str| {
        json!({"service_id": app.service_id.as_str(), "slug": "vienna",
            "config": {"schedule": {"crontab": "0 9 * * *"}, "timezone": zone}})
    };
    let (status, refused) = call(
        &app,
        "PUT",
        "/api/v1/monitors",
        &admin,
        Some(zoned("Europe/Viena")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .to_string()
            .contains("unknown time zone `Europe/Viena`"),
        "{refused}"
    );
    let (status, created) = call(
        &app,
        "PUT",
        "/api/v1/monitors",
        &admin,
        Some(zoned("Europe/Vienna")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["config"]["timezone"], "Europe/Vienna");
    let (_, listed) = call(&app, "GET", "/api/v1/monitors", &admin, None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
}

/// Ingest queues `alert.new_incident` in its transaction and the alert follows; resolving
/// the incident queues `incident.resolved`.
async fn ingested_incidents_alert_and_resolving_queues_the_resolve(app: TestApp) {
    let member = app.api_key(Role::Member).await;
    let body = support::envelope(&support::event_json("ValueError", "broken cart"));
    let sent = app
        .post_envelope(&body, &[("x-sentry-auth", &app.auth_header())], None)
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    let clock: sentinel_core::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let mut runtime = sentinel_jobs::JobRuntime::new(
        app.store.clone(),
        clock.clone(),
        sentinel_jobs::RuntimeConfig {
            poll_interval: std::time::Duration::from_millis(20),
            ..Default::default()
        },
    );
    let deps = sentinel_jobs::kinds::AlertDeps::standard(
        app.store.clone(),
        clock,
        "http://127.0.0.1:8080",
    )
    .unwrap();
    sentinel_jobs::kinds::register_handlers(&mut runtime, deps);
    let handle = runtime.start();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let alert = loop {
        let (_, listed) = call(
            &app,
            "GET",
            "/api/v1/alerts?rule_kind=new_incident",
            &member,
            None,
        )
        .await;
        if let Some(first) = listed["data"].as_array().and_then(|a| a.first()).cloned() {
            break first;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new_incident alert"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    handle.shutdown(std::time::Duration::from_secs(2)).await;
    let incident = alert["incident_id"].as_str().unwrap().to_string();
    let waiting = |c: &sentinel_store::jobs::JobCounts| {
        c.get(JobStatus::Available) + c.get(JobStatus::Retryable)
    };
    let before = waiting(&app.store.job_counts().await.unwrap());
    let uri = format!("/api/v1/incidents/{incident}");
    let (status, _) = call(
        &app,
        "PATCH",
        &uri,
        &member,
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(waiting(&app.store.job_counts().await.unwrap()), before + 1);
}

support::app_tests!(
    ingested_incidents_alert_and_resolving_queues_the_resolve,
    channels_mask_secrets_and_need_admins,
    rules_are_validated,
    alerts_list_summarise_and_acknowledge,
    detections_resolve_and_monitors_validate
);
