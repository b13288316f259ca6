//! Set-up for the alerting suites: organizations, services and events in the store, a
//! stub HTTP receiver and e-mail channels on 127.0.0.1, and alerting dependencies with a
//! manual clock.
#![allow(clippy::unwrap_used, dead_code)]

pub mod delivery;
pub mod email;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sentinel_core::alerting::RuleEngine;
use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::detection::DetectionSettings;
use sentinel_core::event::{Event, EventKind, Level};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::ErrorClass;
use sentinel_integrations::ClientDeps;
use sentinel_integrations::{HttpOptions, HttpTransport, SmtpOptions};
use sentinel_jobs::kinds::AlertDeps;
use sentinel_store::alerts::NewChannel;
use sentinel_store::incidents::{
    write_events, CompressedPayload, EventOutcome, IncidentSeed, NewEvent,
};
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::Store;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub fn deps(store: &Store, clock: SharedClock) -> AlertDeps {
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
    };
    AlertDeps {
        store: store.clone(),
        clients: ClientDeps {
            http: HttpTransport::new(&options, clock.clone()).unwrap(),
            smtp: SmtpOptions::default(),
            clock,
        },
        engine: Arc::new(RuleEngine::standard()),
        detection: DetectionSettings::default(),
        public_url: "http://127.0.0.1:8080".into(),
    }
}

pub async fn org_and_service(store: &Store, now: Millis) -> (OrgId, ServiceId) {
    let slug = format!("o-{}", ulid::Ulid::new().to_string().to_lowercase());
    let org = store
        .create_organization(
            &NewOrganization {
                slug: slug.clone(),
                name: slug,
            },
            now,
        )
        .await
        .unwrap();
    let service = store
        .create_service(
            &org.id,
            &NewService {
                name: "checkout".into(),
                platform: "python".into(),
            },
            now,
        )
        .await
        .unwrap();
    (org.id, service.id)
}

pub fn error_event(org: &OrgId, service: &ServiceId, fingerprint: &str, at: Millis) -> NewEvent {
    let event_id = ulid::Ulid::new().to_string();
    NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: event_id.clone(),
        kind: EventKind::Error,
        received_at: at,
        timestamp: at,
        level: Level::Error,
        trace_id: None,
        release: None,
        environment: Some("production".into()),
        transaction_name: None,
        duration_ms: None,
        tags: vec![],
        payload: CompressedPayload::compress(
            &serde_json::to_vec(&Event {
                event_id,
                ..Event::default()
            })
            .unwrap(),
        )
        .unwrap(),
        incident: Some(IncidentSeed {
            fingerprint: fingerprint.to_string(),
            grouping_version: 1,
            title: format!("ValueError: {fingerprint}"),
            culprit: "app.views".into(),
            error_class: ErrorClass::Server5xx,
            error_type: "ValueError".into(),
            message: "boom".into(),
            severity: "error".into(),
            quiet: false,
            min_occurrences: 1,
            trigger_route: None,
        }),
    }
}

pub fn transaction(
    org: &OrgId,
    service: &ServiceId,
    name: &str,
    duration: f64,
    at: Millis,
) -> NewEvent {
    let mut event = error_event(org, service, "unused", at);
    event.kind = EventKind::Transaction;
    event.level = Level::Info;
    event.incident = None;
    event.transaction_name = Some(name.to_string());
    event.duration_ms = Some(duration);
    event
}

pub async fn write(store: &Store, events: &[NewEvent], now: Millis) -> Vec<EventOutcome> {
    let mut tx = store.begin().await.unwrap();
    let outcomes = write_events(&mut tx, events, now).await.unwrap();
    tx.commit().await.unwrap();
    outcomes
}

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub delivery_id: Option<String>,
    pub body: Value,
}

/// A scripted answer.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<&'static str>,
}

#[derive(Clone, Default)]
pub struct Stub {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    /// While set, requests are recorded and then held until `release` is notified.
    pub stalling: Arc<AtomicBool>,
    pub release: Arc<Notify>,
    pub url: String,
}

impl Stub {
    pub async fn start() -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stub = Stub {
            url: format!("http://{}", listener.local_addr().unwrap()),
            ..Stub::default()
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(stub.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        stub
    }

    pub fn script(&self, replies: &[Reply]) {
        self.script.lock().unwrap().extend(replies.iter().copied());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn answer(
    State(stub): State<Stub>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    stub.seen.lock().unwrap().push(Seen {
        path: uri.path().to_string(),
        delivery_id: headers
            .get("x-sentinel-delivery")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if stub.stalling.load(Ordering::SeqCst) {
        let _ = tokio::time::timeout(Duration::from_secs(10), stub.release.notified()).await;
    }
    let reply = stub.script.lock().unwrap().pop_front();
    match reply {
        Some(Reply {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap();
            match retry_after {
                Some(after) => (status, [("retry-after", after)], "slow down").into_response(),
                None => (status, "no").into_response(),
            }
        }
        None => (StatusCode::ACCEPTED, "{\"status\":\"success\"}").into_response(),
    }
}

pub async fn webhook_channel(store: &Store, org: &OrgId, stub: &Stub, now: Millis) -> String {
    store
        .create_channel(
            org,
            &NewChannel {
                name: "hooks".into(),
                config: ChannelConfig::from_parts(
                    "webhook",
                    json!({"url": format!("{}/hook", stub.url), "secret": "a-long-webhook-secret"}),
                )
                .unwrap(),
                enabled: true,
            },
            now,
        )
        .await
        .unwrap()
        .id
        .into_string()
}

pub async fn pagerduty_channel(store: &Store, org: &OrgId, stub: &Stub, now: Millis) -> String {
    store
        .create_channel(
            org,
            &NewChannel {
                name: "pager".into(),
                config: ChannelConfig::from_parts(
                    "pagerduty",
                    json!({"routing_key": "r".repeat(32), "base_url": stub.url}),
                )
                .unwrap(),
                enabled: true,
            },
            now,
        )
        .await
        .unwrap()
        .id
        .into_string()
}
