//! An application over a fresh store for the incidents API tests: one organization with a
//! service, API keys by role, events written through the store's write path, and requests
//! through the real router.
#![allow(dead_code, clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use sentinel_core::clock::{ManualClock, Millis, SharedClock};
use sentinel_core::event::{Event, EventKind, Exception, Frame, Level};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::ErrorClass;
use sentinel_core::role::Role;
use sentinel_store::incidents::{
    write_events, CompressedPayload, EventOutcome, IncidentSeed, NewEvent,
};
use sentinel_store::tenancy::{NewApiKey, NewOrganization, NewService};
use sentinel_store::Store;
use sentinel_web::state::WebSettings;
use sentinel_web::AppState;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub const HOUR: Millis = 3_600_000;
pub const NOW: Millis = 1_763_900_000_000;

pub struct App {
    pub router: Router,
    pub store: Store,
    pub org: OrgId,
    pub service: ServiceId,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

pub async fn org_with_service(store: &Store, slug: &str) -> (OrgId, ServiceId) {
    let org = store
        .create_organization(
            &NewOrganization {
                slug: slug.into(),
                name: slug.into(),
            },
            NOW,
        )
        .await
        .unwrap();
    let service = store
        .create_service(
            &org.id,
            &NewService {
                name: "shop".into(),
                platform: "python".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    (org.id, service.id)
}

impl App {
    pub async fn new(store: Store) -> Self {
        Self::with_settings(store, WebSettings::default()).await
    }

    pub async fn with_settings(store: Store, settings: WebSettings) -> Self {
        let (org, service) = org_with_service(&store, "acme").await;
        let clock: SharedClock = Arc::new(ManualClock::new(NOW));
        let state = AppState::new(store.clone(), clock, settings);
        Self {
            router: sentinel_web::router(state),
            store,
            org,
            service,
        }
    }

    pub async fn key(&self, org: &OrgId, role: Role) -> String {
        let generated = sentinel_web::auth::tokens::generate_api_key();
        let new = NewApiKey {
            name: format!("{role} key"),
            prefix: generated.prefix.clone(),
            secret_hash: generated.secret_hash.clone(),
            role,
            scopes: Vec::new(),
            expires_at: None,
            created_by: None,
        };
        self.store.create_api_key(org, &new, NOW).await.unwrap();
        generated.secret
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body }
    }

    pub async fn get(&self, uri: &str, key: &str) -> Answer {
        self.call("GET", uri, Some(key), None).await
    }

    /// Writes events as the ingest writer would.
    pub async fn seed(&self, events: &[NewEvent]) -> Vec<EventOutcome> {
        let mut tx = self.store.begin().await.unwrap();
        let outcomes = write_events(&mut tx, events, NOW).await.unwrap();
        tx.commit().await.unwrap();
        outcomes
    }

    pub fn event(&self, event_id: &str, fingerprint: &str, at: Millis) -> NewEvent {
        error_event(&self.org, &self.service, event_id, fingerprint, at)
    }
}

pub fn error_event(
    org: &OrgId,
    service: &ServiceId,
    event_id: &str,
    fingerprint: &str,
    at: Millis,
) -> NewEvent {
    let event = Event {
        event_id: event_id.to_string(),
        timestamp_ms: at,
        platform: "python".into(),
        exceptions: vec![Exception {
            ty: "ZeroDivisionError".into(),
            value: Some(format!("division by zero in {fingerprint}")),
            frames: vec![
                Frame {
                    filename: Some("app/main.py".into()),
                    function: Some("handle".into()),
                    lineno: Some(10),
                    in_app: Some(true),
                    ..Frame::default()
                },
                Frame {
                    filename: Some("app/billing.py".into()),
                    function: Some("ratio".into()),
                    lineno: Some(42),
                    in_app: Some(true),
                    context_line: Some("    return paid / total".into()),
                    pre_context: vec!["def ratio(paid, total):".into()],
                    post_context: vec!["".into()],
                    ..Frame::default()
                },
            ],
            ..Exception::default()
        }],
        ..Event::default()
    };
    NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: event_id.to_string(),
        kind: EventKind::Error,
        received_at: at,
        timestamp: at,
        level: Level::Error,
        trace_id: None,
        release: Some("shop@1.0.0".into()),
        environment: Some("production".into()),
        transaction_name: Some("/api/billing".into()),
        duration_ms: None,
        tags: vec![("browser".into(), "Firefox".into())],
        payload: CompressedPayload::compress(&serde_json::to_vec(&event).unwrap()).unwrap(),
        incident: Some(IncidentSeed {
            fingerprint: fingerprint.to_string(),
            grouping_version: 1,
            title: format!("ZeroDivisionError: division by zero in {fingerprint}"),
            culprit: "app/billing.py in ratio".into(),
            error_class: ErrorClass::UnhandledException,
            error_type: "ZeroDivisionError".into(),
            message: "division by zero".into(),
            severity: "error".into(),
            quiet: false,
            min_occurrences: 1,
            trigger_route: Some("/api/billing".into()),
        }),
    }
}

pub fn error_code(answer: &Answer) -> &str {
    answer.body["error"]["code"].as_str().unwrap_or("")
}
