//! The batched write path on both backends: grouping, counting, duplicates, thresholds,
//! regressions, large batches, and two writers at once; and the SQLite ingest connection's
//! synchronous path against the pooled one.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sentinel_core::clock::Millis;
use sentinel_core::event::{EventKind, Level};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_store::incidents::{
    write_check_ins, write_events, EventOutcome, NewCheckIn, NewEvent,
};
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::{Store, Tx};

async fn groups_events_by_fingerprint_and_counts_them(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let batch = vec![
        error_event(&org, &service, "e1", "fp-a", T0 + 30),
        error_event(&org, &service, "e2", "fp-b", T0 + 10),
        error_event(&org, &service, "e3", "fp-a", T0 + 10),
        error_event(&org, &service, "e4", "fp-a", T0 + 50),
        error_event(&org, &service, "e5", "fp-b", T0 + 70),
    ];
    let outcomes = write(&store, &batch, T0 + 100).await;
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes
        .iter()
        .all(|o| !o.duplicate && o.event_row_id.is_some()));
    let a = outcomes[0].incident_id.clone().unwrap();
    let b = outcomes[1].incident_id.clone().unwrap();
    assert_ne!(a, b);
    assert_eq!(outcomes[2].incident_id.as_ref(), Some(&a));
    assert_eq!(outcomes[4].incident_id.as_ref(), Some(&b));
    // Creation and the threshold crossing (min 1) land on each incident's first event only.
    let created: Vec<bool> = outcomes.iter().map(|o| o.incident_created).collect();
    assert_eq!(created, [true, true, false, false, false]);
    let crossed: Vec<bool> = outcomes.iter().map(|o| o.crossed_threshold).collect();
    assert_eq!(crossed, [true, true, false, false, false]);

    let incident = store.get_incident(&org, &a).await.unwrap();
    assert_eq!(incident.occurrence_count, 3);
    assert_eq!(incident.status, IncidentStatus::Detected);
    assert_eq!(
        (incident.first_seen, incident.last_seen),
        (T0 + 10, T0 + 50)
    );
    assert_eq!(incident.title, "ValueError: fp-a went wrong");
    assert_eq!(incident.service_id, service);
    // The first occurrence (input order) supplies the trace.
    assert_eq!(incident.trace_id.as_deref(), Some("trace-e1"));
    assert_eq!(incident.trigger_route.as_deref(), Some("/api/things/:id"));

    // A later batch adds to the same incidents.
    let later = vec![error_event(&org, &service, "e6", "fp-a", T0 + 2 * HOUR)];
    let outcomes = write(&store, &later, T0 + 2 * HOUR).await;
    assert_eq!(outcomes[0].incident_id.as_ref(), Some(&a));
    assert!(!outcomes[0].incident_created && !outcomes[0].crossed_threshold);
    let incident = store.get_incident(&org, &a).await.unwrap();
    assert_eq!(incident.occurrence_count, 4);
    assert_eq!(
        (incident.first_seen, incident.last_seen),
        (T0 + 10, T0 + 2 * HOUR)
    );
    assert_eq!(
        store.get_incident(&org, &b).await.unwrap().occurrence_count,
        2
    );
}

async fn duplicate_event_ids_are_not_counted_twice(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let first = vec![
        error_event(&org, &service, "same", "fp", T0),
        // Repeated inside the batch: the first wins.
        error_event(&org, &service, "same", "fp", T0 + 1),
        error_event(&org, &service, "other", "fp", T0 + 2),
    ];
    let outcomes = write(&store, &first, T0).await;
    assert!(!outcomes[0].duplicate && outcomes[1].duplicate && !outcomes[2].duplicate);
    assert_eq!(outcomes[1].event_row_id, None);
    assert_eq!(outcomes[1].incident_id, None);
    let incident_id = outcomes[0].incident_id.clone().unwrap();

    // Resent later (an SDK retry): stored already, nothing changes.
    let retry = vec![
        error_event(&org, &service, "same", "fp", T0 + 10),
        error_event(&org, &service, "new", "fp", T0 + 11),
    ];
    let outcomes = write(&store, &retry, T0 + 10).await;
    assert!(outcomes[0].duplicate);
    assert!(!outcomes[0].incident_created && !outcomes[0].crossed_threshold);
    assert!(!outcomes[1].duplicate);
    let incident = store.get_incident(&org, &incident_id).await.unwrap();
    assert_eq!(incident.occurrence_count, 3);
    let hourly = store
        .incident_hourly_counts(&org, &incident_id, T0)
        .await
        .unwrap();
    assert_eq!(hourly, vec![(T0, 3)]);

    // The same SDK id in another service is a different event.
    let other_service = add_service(&store, &org).await;
    let outcomes = write(
        &store,
        &[error_event(&org, &other_service, "same", "fp", T0 + 20)],
        T0 + 20,
    )
    .await;
    assert!(!outcomes[0].duplicate && outcomes[0].incident_created);
}

async fn an_incident_stays_pending_until_its_threshold(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let event = |id: &str, at| {
        let mut event = error_event(&org, &service, id, "fp", at);
        event.incident = Some(seed("fp", 3));
        event
    };
    let outcomes = write(&store, &[event("a", T0), event("b", T0 + 1)], T0).await;
    assert!(outcomes.iter().all(|o| !o.crossed_threshold));
    assert!(outcomes[0].incident_created);
    let id = outcomes[0].incident_id.clone().unwrap();
    let incident = store.get_incident(&org, &id).await.unwrap();
    assert_eq!(incident.status, IncidentStatus::Pending);

    let outcomes = write(&store, &[event("c", T0 + 2), event("d", T0 + 3)], T0 + 3).await;
    // The third occurrence crosses; the fourth is just counted.
    assert!(outcomes[0].crossed_threshold);
    assert!(!outcomes[1].crossed_threshold);
    let incident = store.get_incident(&org, &id).await.unwrap();
    assert_eq!(incident.status, IncidentStatus::Detected);
    assert_eq!(incident.occurrence_count, 4);

    // A new incident whose first batch already reaches the threshold crosses on the event
    // that reached it.
    let batch: Vec<_> = (0..4)
        .map(|i| {
            let mut event = error_event(&org, &service, &format!("x{i}"), "fp-x", T0 + i);
            event.incident = Some(seed("fp-x", 3));
            event
        })
        .collect();
    let outcomes = write(&store, &batch, T0 + 5).await;
    let crossed: Vec<bool> = outcomes.iter().map(|o| o.crossed_threshold).collect();
    assert_eq!(crossed, [false, false, true, false]);
    assert!(outcomes[0].incident_created);
}

async fn a_resolved_incident_regresses_on_a_new_event(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let outcomes = write(&store, &[error_event(&org, &service, "a", "fp", T0)], T0).await;
    let id = outcomes[0].incident_id.clone().unwrap();
    let resolved = store
        .set_incident_status(&org, &id, IncidentStatus::Resolved, T0 + 10)
        .await
        .unwrap();
    assert_eq!(resolved.resolved_at, Some(T0 + 10));

    let outcomes = write(
        &store,
        &[
            error_event(&org, &service, "b", "fp", T0 + 20),
            error_event(&org, &service, "c", "fp", T0 + 21),
        ],
        T0 + 21,
    )
    .await;
    assert!(outcomes[0].regression && !outcomes[0].crossed_threshold);
    assert!(!outcomes[1].regression);
    let incident = store.get_incident(&org, &id).await.unwrap();
    assert_eq!(incident.status, IncidentStatus::Detected);
    assert_eq!(incident.regression_count, 1);
    assert_eq!(incident.resolved_at, None);
    assert_eq!(incident.occurrence_count, 3);
}

async fn an_ignored_incident_stays_ignored(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let outcomes = write(&store, &[error_event(&org, &service, "a", "fp", T0)], T0).await;
    let id = outcomes[0].incident_id.clone().unwrap();
    store
        .set_incident_status(&org, &id, IncidentStatus::Ignored, T0 + 1)
        .await
        .unwrap();
    let outcomes = write(
        &store,
        &[error_event(&org, &service, "b", "fp", T0 + 2)],
        T0 + 2,
    )
    .await;
    assert!(!outcomes[0].regression && !outcomes[0].crossed_threshold);
    let incident = store.get_incident(&org, &id).await.unwrap();
    assert_eq!(incident.status, IncidentStatus::Ignored);
    assert_eq!(incident.occurrence_count, 2);
    assert_eq!(incident.regression_count, 0);
}

async fn first_occurrence_sticks_and_release_follows_the_latest(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let mut first = error_event(&org, &service, "a", "fp", T0);
    first.incident.as_mut().unwrap().quiet = true;
    let outcomes = write(&store, &[first], T0).await;
    assert!(outcomes[0].quiet);
    let id = outcomes[0].incident_id.clone().unwrap();

    let mut second = error_event(&org, &service, "b", "fp", T0 + 5);
    second.release = Some("2.0.0".to_string());
    second.environment = None;
    second.trace_id = Some("trace-later".to_string());
    let seed = second.incident.as_mut().unwrap();
    seed.title = "a different title".to_string();
    seed.quiet = false;
    let outcomes = write(&store, &[second], T0 + 5).await;
    assert!(
        outcomes[0].quiet,
        "the incident stays as quiet as its first occurrence"
    );
    let incident = store.get_incident(&org, &id).await.unwrap();
    assert_eq!(incident.title, "ValueError: fp went wrong");
    assert!(incident.quiet);
    assert_eq!(incident.trace_id.as_deref(), Some("trace-a"));
    assert_eq!(incident.release.as_deref(), Some("2.0.0"));
    // No environment on the latest event: the last known one stays.
    assert_eq!(incident.environment.as_deref(), Some("production"));
}

/// As in Sentry, an incident any of whose events was unhandled is unhandled: a later
/// unhandled event turns a handled incident unhandled, in its own batch or in the batch
/// that creates the incident, and a later handled event does not turn it back.
async fn one_unhandled_event_makes_the_incident_unhandled(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let with_class = |event_id: &str, fingerprint: &str, class: ErrorClass, at: Millis| {
        let mut event = error_event(&org, &service, event_id, fingerprint, at);
        event.incident.as_mut().unwrap().error_class = class;
        event
    };
    let class_of = |outcomes: Vec<EventOutcome>| {
        let store = store.clone();
        let org = org.clone();
        async move {
            let id = outcomes[0].incident_id.clone().unwrap();
            store.get_incident(&org, &id).await.unwrap().error_class
        }
    };

    let first = write(
        &store,
        &[with_class("a1", "later", ErrorClass::HandledException, T0)],
        T0,
    )
    .await;
    assert_eq!(class_of(first.clone()).await, ErrorClass::HandledException);
    let handled_again = write(
        &store,
        &[with_class(
            "a2",
            "later",
            ErrorClass::HandledException,
            T0 + 1,
        )],
        T0 + 1,
    )
    .await;
    assert_eq!(class_of(handled_again).await, ErrorClass::HandledException);
    let unhandled = write(
        &store,
        &[with_class(
            "a3",
            "later",
            ErrorClass::UnhandledException,
            T0 + 2,
        )],
        T0 + 2,
    )
    .await;
    assert_eq!(class_of(unhandled).await, ErrorClass::UnhandledException);
    let handled_after = write(
        &store,
        &[with_class(
            "a4",
            "later",
            ErrorClass::HandledException,
            T0 + 3,
        )],
        T0 + 3,
    )
    .await;
    assert_eq!(
        class_of(handled_after).await,
        ErrorClass::UnhandledException
    );

    let same_batch = write(
        &store,
        &[
            with_class("b1", "together", ErrorClass::HandledException, T0),
            with_class("b2", "together", ErrorClass::UnhandledException, T0 + 1),
        ],
        T0 + 1,
    )
    .await;
    assert_eq!(class_of(same_batch).await, ErrorClass::UnhandledException);

    // Only a handled incident changes: a 5xx stays a 5xx whatever its events say.
    let server = write(
        &store,
        &[error_event(&org, &service, "c1", "server", T0)],
        T0,
    )
    .await;
    write(
        &store,
        &[with_class(
            "c2",
            "server",
            ErrorClass::UnhandledException,
            T0 + 1,
        )],
        T0 + 1,
    )
    .await;
    assert_eq!(class_of(server).await, ErrorClass::Server5xx);
}

async fn transactions_are_stored_without_an_incident(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let mut transaction = error_event(&org, &service, "t1", "unused", T0);
    transaction.kind = EventKind::Transaction;
    transaction.level = Level::Info;
    transaction.incident = None;
    transaction.transaction_name = Some("GET /api/things".to_string());
    transaction.duration_ms = Some(12.5);
    let outcomes = write(&store, &[transaction.clone(), transaction], T0).await;
    assert!(outcomes[0].event_row_id.is_some() && outcomes[0].incident_id.is_none());
    assert!(outcomes[1].duplicate);
    let stored = store.get_event(&org, "t1").await.unwrap();
    assert_eq!(stored.kind, EventKind::Transaction);
    assert_eq!(stored.duration_ms, Some(12.5));
    assert_eq!(stored.transaction_name.as_deref(), Some("GET /api/things"));
    assert_eq!(stored.incident_id, None);
}

async fn payloads_and_columns_round_trip(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let mut event = error_event(&org, &service, "0123456789abcdef0123456789abcdef", "fp", T0);
    event.level = Level::Fatal;
    event.tags.push(("user.id".to_string(), "42".to_string()));
    let written = event.clone();
    let outcomes = write(&store, &[event], T0).await;
    let row_id = outcomes[0].event_row_id.clone().unwrap();

    let by_row = store.get_event(&org, row_id.as_str()).await.unwrap();
    let by_sdk = store
        .get_event(&org, "0123456789abcdef0123456789abcdef")
        .await
        .unwrap();
    assert_eq!(by_row, by_sdk);
    assert_eq!(by_row.id, row_id);
    // Stored compressed, read back as the JSON that was compressed.
    assert_eq!(
        by_row.payload,
        payload("0123456789abcdef0123456789abcdef", "boom in fp")
    );
    assert_eq!(by_row.event().unwrap().event_id, written.event_id);
    assert_eq!(by_row.tags, written.tags);
    assert_eq!(by_row.level, Level::Fatal);
    assert_eq!((by_row.received_at, by_row.timestamp), (T0, T0 - 5));
    assert_eq!(by_row.release.as_deref(), Some("1.0.0"));
    assert_eq!(by_row.incident_id, outcomes[0].incident_id);
    let latest = store
        .latest_event(&org, outcomes[0].incident_id.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.id, row_id);
}

async fn large_batches_span_several_statements(store: Store) {
    let (org, service) = org_with_service(&store).await;
    // More incidents and events than one multi-row statement holds.
    let batch: Vec<_> = (0..700)
        .map(|i| {
            error_event(
                &org,
                &service,
                &format!("e{i}"),
                &format!("fp{}", i % 300),
                T0 + i,
            )
        })
        .collect();
    let outcomes = write(&store, &batch, T0 + 700).await;
    assert!(outcomes.iter().all(|o| o.event_row_id.is_some()));
    assert_eq!(outcomes.iter().filter(|o| o.incident_created).count(), 300);
    let id = outcomes[0].incident_id.clone().unwrap();
    // fp0 got events 0, 300 and 600.
    assert_eq!(
        store
            .get_incident(&org, &id)
            .await
            .unwrap()
            .occurrence_count,
        3
    );
    let again = write(&store, &batch, T0 + 800).await;
    assert!(again.iter().all(|o| o.duplicate));
}

async fn an_empty_batch_writes_nothing(store: Store) {
    let mut tx = store.begin().await.unwrap();
    assert!(write_events(&mut tx, &[], T0).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

/// A writer that finds no incident for its fingerprint, while another transaction is
/// creating it, joins that incident once the other commits instead of making a second one.
/// On PostgreSQL the second writer is seen waiting on the first's uncommitted row before the
/// first commits; SQLite lets one writer in at a time, so there it simply follows.
async fn a_writer_joins_the_incident_another_is_creating(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let mut first = store.begin().await.unwrap();
    let created = write_events(
        &mut first,
        &[error_event(&org, &service, "first", "fp-new", T0)],
        T0,
    )
    .await
    .unwrap();
    let second = tokio::spawn({
        let store = store.clone();
        let event = error_event(&org, &service, "second", "fp-new", T0 + 1);
        async move { write(&store, &[event], T0 + 1).await }
    });
    if let Some(pool) = store.pg_pool() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO incidents%'",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the second writer never waited for the first"
            );
            tokio::task::yield_now().await;
        }
    }
    first.commit().await.unwrap();
    let joined = second.await.unwrap();

    let incident = created[0].incident_id.clone().unwrap();
    assert_eq!(joined[0].incident_id.as_ref(), Some(&incident));
    assert!(!joined[0].incident_created);
    assert!(joined[0].event_row_id.is_some());
    let stored = store.get_incident(&org, &incident).await.unwrap();
    assert_eq!(stored.occurrence_count, 2);
    assert_eq!(stored.last_seen, T0 + 1);
}

async fn two_writers_at_once_count_each_event_once(store: Store) {
    let (org, service) = org_with_service(&store).await;
    // Both writers send the shared events (as two ingest nodes would after an SDK retry),
    // plus events of their own, to the same incidents, in several batches.
    let make = |prefix: &'static str, round: i64| -> Vec<_> {
        let mut batch: Vec<_> = (0..20)
            .map(|i| {
                error_event(
                    &org,
                    &service,
                    &format!("{prefix}-{round}-{i}"),
                    &format!("fp{}", i % 4),
                    T0 + round * 100 + i,
                )
            })
            .collect();
        batch.extend((0..10).map(|i| {
            error_event(
                &org,
                &service,
                &format!("shared-{round}-{i}"),
                &format!("fp{}", (i + 1) % 4),
                T0 + round * 100 + i,
            )
        }));
        batch
    };
    let writer = |prefix: &'static str| {
        let store = store.clone();
        let batches: Vec<_> = (0..8).map(|round| make(prefix, round)).collect();
        tokio::spawn(async move {
            for batch in batches {
                write(&store, &batch, T0 + 1000).await;
            }
        })
    };
    let (left, right) = (writer("left"), writer("right"));
    left.await.unwrap();
    right.await.unwrap();

    // 8 rounds × (20 + 20 own + 10 shared) = 400 distinct events over 4 incidents.
    let mut total = 0;
    let mut created = std::collections::HashSet::new();
    for round in 0..8 {
        for i in 0..20 {
            let event = store
                .get_event(&org, &format!("left-{round}-{i}"))
                .await
                .unwrap();
            created.insert(event.incident_id.unwrap());
        }
    }
    assert_eq!(created.len(), 4, "one incident per fingerprint");
    for id in &created {
        let incident = store.get_incident(&org, id).await.unwrap();
        total += incident.occurrence_count;
        let hourly: i64 = store
            .incident_hourly_counts(&org, id, 0)
            .await
            .unwrap()
            .iter()
            .map(|(_, count)| count)
            .sum();
        assert_eq!(hourly, incident.occurrence_count);
    }
    assert_eq!(total, 400);
}

/// The SQLite ingest connection (the ingest writer's own, synchronous path) writes exactly
/// what the pooled path writes: random batches with duplicates inside and across batches,
/// thresholds, quiet incidents, transactions, check-ins, jobs and a regression go through
/// both into two stores, and every outcome and every row is compared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_ingest_connection_writes_what_the_pooled_path_writes() {
    let pooled = sentinel_store::testing::sqlite().await;
    let direct = sentinel_store::testing::sqlite().await;
    let org = OrgId::generate();
    let services = [ServiceId::generate(), ServiceId::generate()];
    for store in [&pooled.store, &direct.store] {
        insert_org_with_services(store, &org, &services).await;
    }
    let mut connection = direct
        .store
        .open_sqlite_ingest_connection()
        .unwrap()
        .expect("a SQLite store has an ingest connection");
    let mut rng = StdRng::seed_from_u64(0x5e17);
    for round in 0..16 {
        let now = T0 + round * 20 * 60_000;
        let events = random_batch(&mut rng, &org, &services, now);
        let check_ins = random_check_ins(&mut rng, &org, &services, now);

        let mut tx = pooled.store.begin().await.unwrap();
        let expected = write_events(&mut tx, &events, now).await.unwrap();
        write_check_ins(&mut tx, &check_ins).await.unwrap();
        let mut expected_jobs = 0;
        for job in jobs_for(&events, &expected) {
            expected_jobs += usize::from(enqueue_in(&mut tx, &job, now).await.unwrap().is_some());
        }
        tx.commit().await.unwrap();

        let written = connection
            .write_batch(&events, &check_ins, now, jobs_for)
            .unwrap();
        assert_eq!(written.jobs_enqueued, expected_jobs, "round {round}");
        assert_eq!(
            comparable(&pooled.store, &expected).await,
            comparable(&direct.store, &written.outcomes).await,
            "round {round}"
        );
        if round == 7 {
            // Resolve everything in both, so the next rounds regress incidents.
            for store in [&pooled.store, &direct.store] {
                run_sql(
                    store,
                    "UPDATE incidents SET status = 'resolved', resolved_at = 1",
                )
                .await;
            }
        }
    }
    let tables = [
        "SELECT json_array(service_id, fingerprint, grouping_version, title, culprit, \
         error_class, error_type, message, status, severity, quiet, occurrence_count, first_seen, \
         last_seen, release, environment, trigger_route, trace_id, regression_count, resolved_at, \
         updated_at, last_seen_minute, count_scale) FROM incidents \
         ORDER BY service_id, fingerprint",
        "SELECT json_array(e.service_id, e.event_id, i.fingerprint, e.kind, e.received_at, \
         e.timestamp, e.level, e.trace_id, e.release, e.environment, e.transaction_name, \
         e.duration_ms, e.tags, hex(e.payload)) FROM events e \
         LEFT JOIN incidents i ON i.id = e.incident_id ORDER BY e.service_id, e.event_id",
        "SELECT json_array(i.service_id, i.fingerprint, h.hour, h.count) FROM incident_hourly h \
         JOIN incidents i ON i.id = h.incident_id ORDER BY i.service_id, i.fingerprint, h.hour",
        "SELECT json_array(i.service_id, i.fingerprint, t.key, t.value, t.count, t.last_seen) \
         FROM incident_tags t JOIN incidents i ON i.id = t.incident_id \
         ORDER BY i.service_id, i.fingerprint, t.key, t.value",
        "SELECT json_array(service_id, check_in_id, monitor_slug, status, duration_ms, \
         environment, monitor_config, received_at) FROM check_ins \
         ORDER BY received_at, check_in_id, status",
        "SELECT json_array(kind, org_id, payload, status, max_attempts, run_at, dedup_key, \
         created_at) FROM jobs ORDER BY dedup_key",
        "SELECT json_array(minute, service_id, org_id, count) FROM service_error_minutes \
         ORDER BY minute, service_id",
        "SELECT json_array(org_id, facet, value, last_seen_minute) FROM org_facet_values \
         ORDER BY org_id, facet, value",
        "SELECT json_array(hour, service_id, transaction_name, bucket, org_id, count) \
         FROM transaction_hours ORDER BY hour, service_id, transaction_name, bucket",
    ];
    for sql in tables {
        let want = rows(&pooled.store, sql).await;
        assert!(!want.is_empty(), "{sql}");
        assert_eq!(want, rows(&direct.store, sql).await, "{sql}");
    }
}

/// The ingest connection sets only the count and `last_seen` while neither coarse sort key
/// changes, and the keys too when one does: after every batch, each stored key is its
/// function of the stored value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_ingest_connection_keeps_the_coarse_sort_keys_current() {
    let direct = sentinel_store::testing::sqlite().await;
    let org = OrgId::generate();
    let service = ServiceId::generate();
    insert_org_with_services(&direct.store, &org, std::slice::from_ref(&service)).await;
    let mut connection = direct
        .store
        .open_sqlite_ingest_connection()
        .unwrap()
        .expect("a SQLite store has an ingest connection");
    // Batches of one to four events 7 s apart: runs of batches share a minute and a count
    // scale, and the minute and the scale (at 10, 20, 30, …) each change on their own.
    let mut at = T0;
    let mut sent = 0;
    let mut history = Vec::new();
    for round in 0..40 {
        let events: Vec<NewEvent> = (0..round % 4 + 1)
            .map(|_| {
                sent += 1;
                at += 7_000;
                error_event(&org, &service, &format!("e{sent}"), "fp", at)
            })
            .collect();
        connection
            .write_batch(&events, &[], at, |_, _| Vec::new())
            .unwrap();
        assert_sort_keys_current(&direct.store).await;
        let keys = stored_sort_keys(&direct.store).await;
        assert_eq!(keys.len(), 1);
        history.push((keys[0].1, keys[0].3));
    }
    assert_eq!(stored_sort_keys(&direct.store).await[0].0, sent);
    // Both kinds of batch happened: some kept both keys, some changed one.
    let kept = history.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(
        kept > 5 && kept < history.len() - 5,
        "kept {kept} of {}",
        history.len()
    );
}

fn random_batch(
    rng: &mut StdRng,
    org: &OrgId,
    services: &[ServiceId],
    now: Millis,
) -> Vec<NewEvent> {
    let size = rng.gen_range(1..60);
    (0..size)
        .map(|_| {
            let service = &services[rng.gen_range(0..services.len())];
            let event_id = format!("e{}", rng.gen_range(0..600));
            let at = now - rng.gen_range(0..3 * HOUR);
            let bug = rng.gen_range(0..10);
            let mut event = error_event(org, service, &event_id, &format!("fp-{bug}"), at);
            event.release =
                [None, Some("1.0.0"), Some("1.1.0")][rng.gen_range(0..3)].map(String::from);
            event.environment = [None, Some("production")][rng.gen_range(0..2)].map(String::from);
            event.tags = (0..rng.gen_range(0..4))
                .map(|_| {
                    let key = ["browser", "os", "level"][rng.gen_range(0..3)];
                    (key.to_string(), format!("v{}", rng.gen_range(0..3)))
                })
                .collect();
            match bug {
                0 => {
                    event.kind = EventKind::Transaction;
                    event.incident = None;
                    event.duration_ms = Some(f64::from(rng.gen_range(1..500_u32)));
                    event.transaction_name = Some("/checkout".to_string());
                }
                1 | 2 => event.incident = Some(seed(&format!("fp-{bug}"), 3)),
                3 => {
                    if let Some(seed) = &mut event.incident {
                        seed.quiet = true;
                    }
                }
                // One exception, now caught and now not: the incident turns unhandled.
                4 => {
                    if let Some(seed) = &mut event.incident {
                        seed.error_class = [
                            ErrorClass::HandledException,
                            ErrorClass::HandledException,
                            ErrorClass::UnhandledException,
                        ][rng.gen_range(0..3)];
                    }
                }
                _ => {}
            }
            event.level = [Level::Error, Level::Warning][rng.gen_range(0..2)];
            event
        })
        .collect()
}

fn random_check_ins(
    rng: &mut StdRng,
    org: &OrgId,
    services: &[ServiceId],
    now: Millis,
) -> Vec<NewCheckIn> {
    (0..rng.gen_range(0..3))
        .map(|n| NewCheckIn {
            org_id: org.clone(),
            service_id: services[0].clone(),
            check_in_id: format!("c{}", rng.gen_range(0..1000)),
            monitor_slug: "nightly".to_string(),
            status: ["ok", "error", "in_progress"][n % 3].to_string(),
            duration_ms: Some(12.5),
            environment: Some("production".to_string()),
            monitor_config: (n == 0).then(|| r#"{"schedule":"0 3 * * *"}"#.to_string()),
            received_at: now + n as i64,
        })
        .collect()
}

/// A job per created incident and per regression, keyed by fingerprint so both stores
/// hold the same rows.
fn jobs_for(events: &[NewEvent], outcomes: &[EventOutcome]) -> Vec<NewJob> {
    events
        .iter()
        .zip(outcomes)
        .filter_map(|(event, outcome)| {
            let fingerprint = &event.incident.as_ref()?.fingerprint;
            let kind = match (outcome.incident_created, outcome.regression) {
                (true, _) => "test.created",
                (_, true) => "test.regressed",
                _ => return None,
            };
            Some(
                NewJob::new(kind, serde_json::json!({ "fingerprint": fingerprint }))
                    .org(event.org_id.clone())
                    .dedup_key(format!("{kind}:{}:{fingerprint}", event.service_id)),
            )
        })
        .collect()
}

/// Outcomes with incident ids replaced by fingerprints (each store made its own ids).
async fn comparable(store: &Store, outcomes: &[EventOutcome]) -> Vec<String> {
    let fingerprints: std::collections::HashMap<String, String> = rows(
        store,
        "SELECT json_array(id, service_id || '/' || fingerprint) FROM incidents",
    )
    .await
    .into_iter()
    .map(|row| {
        let pair: (String, String) = serde_json::from_str(&row).unwrap();
        pair
    })
    .collect();
    outcomes
        .iter()
        .map(|o| {
            let incident = o.incident_id.as_ref().map(|id| &fingerprints[id.as_str()]);
            format!(
                "row {} dup {} incident {incident:?} created {} crossed {} regression {} quiet {}",
                o.event_row_id.is_some(),
                o.duplicate,
                o.incident_created,
                o.crossed_threshold,
                o.regression,
                o.quiet
            )
        })
        .collect()
}

async fn rows(store: &Store, sql: &str) -> Vec<String> {
    let mut tx = store.begin().await.unwrap();
    let Tx::Sqlite(conn) = &mut tx else {
        panic!("a SQLite store");
    };
    sqlx::query_scalar(sql)
        .fetch_all(&mut **conn)
        .await
        .unwrap()
}

sentinel_store::store_tests!(
    groups_events_by_fingerprint_and_counts_them,
    duplicate_event_ids_are_not_counted_twice,
    an_incident_stays_pending_until_its_threshold,
    a_resolved_incident_regresses_on_a_new_event,
    an_ignored_incident_stays_ignored,
    first_occurrence_sticks_and_release_follows_the_latest,
    one_unhandled_event_makes_the_incident_unhandled,
    transactions_are_stored_without_an_incident,
    payloads_and_columns_round_trip,
    large_batches_span_several_statements,
    an_empty_batch_writes_nothing,
    two_writers_at_once_count_each_event_once,
    a_writer_joins_the_incident_another_is_creating,
);
