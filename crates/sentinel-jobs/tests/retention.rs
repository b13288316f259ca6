//! Retention deletes expired events and their minutes' error counts only, and incidents keep
//! their counts.
#![allow(clippy::unwrap_used)]

use sentinel_core::event::{EventKind, Level};
use sentinel_core::incident::ErrorClass;
use sentinel_jobs::retention::{purge_expired_events, RetentionPolicy};
use sentinel_store::incidents::{write_events, IncidentQuery, IncidentSeed, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::testing::TestStore;

const DAY: i64 = 24 * 60 * 60 * 1000;
const NOW: i64 = 1_763_900_000_000;

async fn expired_events_go_and_incidents_keep_their_counts(test: TestStore) {
    let store = test.store;
    let org = store
        .create_organization(
            &NewOrganization {
                slug: "acme".into(),
                name: "Acme".into(),
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
    let event = |n: usize, received_at: i64| NewEvent {
        org_id: org.id.clone(),
        service_id: service.id.clone(),
        event_id: format!("{n:032x}"),
        kind: EventKind::Error,
        received_at,
        timestamp: received_at,
        level: Level::Error,
        trace_id: None,
        release: None,
        environment: None,
        transaction_name: None,
        duration_ms: None,
        tags: vec![("region".into(), "eu".into())],
        payload: sentinel_store::incidents::CompressedPayload::compress(br#"{"event_id":"x"}"#)
            .unwrap(),
        incident: Some(IncidentSeed {
            fingerprint: "f".repeat(64),
            grouping_version: 1,
            title: "ValueError: bad".into(),
            culprit: "app.main in handle".into(),
            error_class: ErrorClass::HandledException,
            error_type: "ValueError".into(),
            message: "bad".into(),
            severity: "error".into(),
            quiet: false,
            min_occurrences: 1,
            trigger_route: None,
        }),
    };
    // Five events 100 days old, three from yesterday.
    let old: Vec<NewEvent> = (0..5).map(|n| event(n, NOW - 100 * DAY)).collect();
    let recent: Vec<NewEvent> = (5..8).map(|n| event(n, NOW - DAY)).collect();
    let mut tx = store.begin().await.unwrap();
    write_events(&mut tx, &old, NOW - 100 * DAY).await.unwrap();
    write_events(&mut tx, &recent, NOW - DAY).await.unwrap();
    tx.commit().await.unwrap();

    let error_counts = |from: i64| {
        let store = store.clone();
        async move {
            store
                .error_counts_by_bucket(from, NOW, DAY)
                .await
                .unwrap()
                .iter()
                .map(|c| c.count)
                .sum::<i64>()
        }
    };
    assert_eq!(error_counts(NOW - 101 * DAY).await, 8);

    let deleted = purge_expired_events(&store, RetentionPolicy { event_days: 90 }, NOW, || true)
        .await
        .unwrap();
    assert_eq!(deleted, 5);
    // The per-minute error counts of the expired events go with them.
    assert_eq!(error_counts(NOW - 101 * DAY).await, 3);
    for n in 0..5 {
        assert!(
            store
                .get_event(&org.id, &format!("{n:032x}"))
                .await
                .is_err(),
            "event {n} expired"
        );
    }
    for n in 5..8 {
        store
            .get_event(&org.id, &format!("{n:032x}"))
            .await
            .unwrap();
    }
    let incidents = store
        .list_incidents(
            &org.id,
            &IncidentQuery {
                include_quiet: true,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        incidents[0].occurrence_count, 8,
        "the incident keeps its count"
    );

    // Nothing more to do on a second run.
    let again = purge_expired_events(&store, RetentionPolicy { event_days: 90 }, NOW, || true)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn expired_events_go_and_incidents_keep_their_counts() {
        super::expired_events_go_and_incidents_keep_their_counts(
            sentinel_store::testing::sqlite().await,
        )
        .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn expired_events_go_and_incidents_keep_their_counts() {
        let Some(test) = sentinel_store::testing::postgres().await else {
            eprintln!(
                "skipped: {} is not set",
                sentinel_store::testing::PG_URL_VAR
            );
            return;
        };
        super::expired_events_go_and_incidents_keep_their_counts(test).await;
    }
}
