//! Shared set-up for the incident suites: organizations and services inserted directly, and
//! builders for events, so these tests depend on nothing but the incident store.
#![allow(clippy::unwrap_used, dead_code)]

use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level, Message};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::ErrorClass;
use sentinel_store::incidents::{
    write_events, CompressedPayload, EventOutcome, IncidentSeed, NewEvent,
};
use sentinel_store::{Store, Tx};
use std::sync::atomic::{AtomicI64, Ordering};

/// One hour in ms.
pub const HOUR: Millis = 3_600_000;
pub const MINUTE: Millis = 60_000;
/// A fixed "now" on an hour boundary: 2024-01-01T00:00:00Z.
pub const T0: Millis = 1_704_067_200_000;

static NEXT_NUMBER: AtomicI64 = AtomicI64::new(1);

macro_rules! execute {
    ($tx:expr, $sql:expr $(, $arg:expr)*) => {
        match $tx {
            Tx::Sqlite(t) => {
                sqlx::query($sql)$(.bind($arg))*.execute(&mut **t).await.unwrap();
            }
            Tx::Postgres(t) => {
                sqlx::query($sql)$(.bind($arg))*.execute(&mut **t).await.unwrap();
            }
        }
    };
}

/// A new organization with one service.
pub async fn org_with_service(store: &Store) -> (OrgId, ServiceId) {
    let org = create_org(store).await;
    let service = add_service(store, &org).await;
    (org, service)
}

pub async fn create_org(store: &Store) -> OrgId {
    let org = OrgId::generate();
    insert_org_with_services(store, &org, &[]).await;
    org
}

pub async fn add_service(store: &Store, org: &OrgId) -> ServiceId {
    let service = ServiceId::generate();
    let mut tx = store.begin().await.unwrap();
    insert_service(&mut tx, org, &service).await;
    tx.commit().await.unwrap();
    service
}

async fn insert_service(tx: &mut Tx, org: &OrgId, service: &ServiceId) {
    let number = NEXT_NUMBER.fetch_add(1, Ordering::SeqCst);
    execute!(
        tx,
        "INSERT INTO services (id, org_id, number, name, error_class_filter, created_at) \
         VALUES ($1, $2, $3, $4, 'server_5xx', 0)",
        service.as_str(),
        org.as_str(),
        number,
        format!("service-{number}")
    );
}

/// A normalised event's JSON, as the ingest writer would hand it in.
pub fn payload(event_id: &str, message: &str) -> Vec<u8> {
    let event = Event {
        event_id: event_id.to_string(),
        timestamp_ms: T0,
        message: Some(Message {
            formatted: message.to_string(),
            ..Message::default()
        }),
        ..Event::default()
    };
    serde_json::to_vec(&event).unwrap()
}

/// An error event of `fingerprint` in `service`, received at `at`.
pub fn error_event(
    org: &OrgId,
    service: &ServiceId,
    event_id: &str,
    fingerprint: &str,
    at: Millis,
) -> NewEvent {
    NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: event_id.to_string(),
        kind: EventKind::Error,
        received_at: at,
        timestamp: at - 5,
        level: Level::Error,
        trace_id: Some(format!("trace-{event_id}")),
        release: Some("1.0.0".to_string()),
        environment: Some("production".to_string()),
        transaction_name: None,
        duration_ms: None,
        tags: vec![("browser".to_string(), "Firefox".to_string())],
        payload: CompressedPayload::compress(&payload(event_id, &format!("boom in {fingerprint}")))
            .unwrap(),
        incident: Some(seed(fingerprint, 1)),
    }
}

pub fn seed(fingerprint: &str, min_occurrences: i64) -> IncidentSeed {
    IncidentSeed {
        fingerprint: fingerprint.to_string(),
        grouping_version: 1,
        title: format!("ValueError: {fingerprint} went wrong"),
        culprit: "app.views in handler".to_string(),
        error_class: ErrorClass::Server5xx,
        error_type: "ValueError".to_string(),
        message: format!("{fingerprint} went wrong"),
        severity: "error".to_string(),
        quiet: false,
        min_occurrences,
        trigger_route: Some("/api/things/:id".to_string()),
    }
}

/// Writes one batch in its own transaction.
pub async fn write(store: &Store, events: &[NewEvent], now: Millis) -> Vec<EventOutcome> {
    let mut tx = store.begin().await.unwrap();
    let outcomes = write_events(&mut tx, events, now).await.unwrap();
    tx.commit().await.unwrap();
    outcomes
}

/// An organization and services with the given ids (two stores can then hold the same ones).
pub async fn insert_org_with_services(store: &Store, org: &OrgId, services: &[ServiceId]) {
    let mut tx = store.begin().await.unwrap();
    execute!(
        &mut tx,
        "INSERT INTO organizations (id, slug, name, created_at) VALUES ($1, $2, $2, 0)",
        org.as_str(),
        format!("org-{}", org.as_str().to_lowercase())
    );
    for service in services {
        insert_service(&mut tx, org, service).await;
    }
    tx.commit().await.unwrap();
}

/// Runs one SQL statement in its own transaction (test set-up and tampering).
pub async fn run_sql(store: &Store, sql: &str) {
    let mut tx = store.begin().await.unwrap();
    execute!(&mut tx, sql);
    tx.commit().await.unwrap();
}

/// Every incident's (occurrence_count, count_scale, last_seen, last_seen_minute), as stored.
pub async fn stored_sort_keys(store: &Store) -> Vec<(i64, i64, i64, i64)> {
    const SQL: &str = "SELECT occurrence_count, count_scale, last_seen, last_seen_minute \
                       FROM incidents ORDER BY id";
    let mut tx = store.begin().await.unwrap();
    match &mut tx {
        Tx::Sqlite(t) => sqlx::query_as(SQL).fetch_all(&mut **t).await.unwrap(),
        Tx::Postgres(t) => sqlx::query_as(SQL).fetch_all(&mut **t).await.unwrap(),
    }
}

/// Asserts that each stored coarse sort key is its function of the stored value.
pub async fn assert_sort_keys_current(store: &Store) {
    use sentinel_core::incident::{count_scale, last_seen_minute};
    let stored = stored_sort_keys(store).await;
    assert!(!stored.is_empty());
    for (count, scale, last_seen, minute) in stored {
        assert_eq!(
            (scale, minute),
            (count_scale(count), last_seen_minute(last_seen)),
            "count {count}, last_seen {last_seen}"
        );
    }
}
