//! Detections, monitors and the detector reads on both backends.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{add_service, error_event, org_with_service, run_sql, write, T0};
use sentinel_core::checkin::{MonitorConfig, MonitorSchedule};
use sentinel_core::detection::{latency_bucket, Resolution};
use sentinel_core::event::EventKind;
use sentinel_store::detections::{raise_detection_in, NewDetection, ResolveDetectionError};
use sentinel_store::incidents::{write_check_ins, NewCheckIn, NewEvent};
use sentinel_store::{Store, Tx};
use serde_json::json;

const MIN: i64 = 60_000;

async fn raise(store: &Store, new: &NewDetection, now: i64) -> (String, bool, i64) {
    let mut tx = store.begin().await.unwrap();
    let raised = raise_detection_in(&mut tx, new, now).await.unwrap();
    tx.commit().await.unwrap();
    (
        raised.detection.id,
        raised.opened,
        raised.detection.occurrence_count,
    )
}

async fn detections_dedupe_while_open_and_resolve(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let new = NewDetection {
        org_id: org.clone(),
        service_id: Some(service.as_str().to_string()),
        kind: "HIGH_ERROR_COUNT".into(),
        severity: "warning".into(),
        title: "errors up".into(),
        details: json!({"value": 50}),
        dedup_key: format!("HIGH_ERROR_COUNT:{service}"),
    };
    let (id, opened, count) = raise(&store, &new, T0).await;
    assert!(opened && count == 1);
    let (same, opened, count) = raise(&store, &new, T0 + MIN).await;
    assert_eq!(same, id);
    assert!(!opened && count == 2);
    let open = store
        .list_detections(&org, Some(true), None, 50)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].last_seen, T0 + MIN);

    let resolved = store
        .resolve_detection(&org, &id, Resolution::Dismissed, "user-1", T0 + 2 * MIN)
        .await
        .unwrap();
    assert_eq!(resolved.resolution.as_deref(), Some("dismissed"));
    assert!(matches!(
        store
            .resolve_detection(&org, &id, Resolution::Fixed, "u", T0)
            .await,
        Err(ResolveDetectionError::AlreadyResolved)
    ));
    assert!(matches!(
        store
            .resolve_detection(&org, "nope", Resolution::Fixed, "u", T0)
            .await,
        Err(ResolveDetectionError::NotFound)
    ));
    // Once resolved, the same condition opens a new detection.
    let (fresh, opened, _) = raise(&store, &new, T0 + 3 * MIN).await;
    assert!(opened && fresh != id);
    // Auto-resolution takes only those whose condition has not held since the cutoff.
    assert!(store
        .auto_resolve_detections(T0 + 3 * MIN, T0 + 20 * MIN)
        .await
        .unwrap()
        .is_empty());
    let auto = store
        .auto_resolve_detections(T0 + 3 * MIN + 1, T0 + 20 * MIN)
        .await
        .unwrap();
    assert_eq!(auto.len(), 1);
    assert_eq!(auto[0].resolution.as_deref(), Some("auto_resolved"));
    assert_eq!(
        store
            .list_detections(&org, Some(false), Some("HIGH_ERROR_COUNT"), 50)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn error_counts_are_bucketed_per_service(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let events: Vec<_> = (0..7)
        .map(|i| error_event(&org, &service, &format!("e{i}"), "fp", T0 + i * 2 * MIN))
        .collect();
    write(&store, &events, T0 + 20 * MIN).await;
    let counts = store
        .error_counts_by_bucket(T0, T0 + 15 * MIN, 5 * MIN)
        .await
        .unwrap();
    let mut buckets: Vec<(i64, i64)> = counts.iter().map(|c| (c.bucket, c.count)).collect();
    buckets.sort();
    // Events at 0,2,4 | 6,8 | 10,12 minutes.
    assert_eq!(buckets, vec![(0, 3), (1, 2), (2, 2)]);
    assert!(counts.iter().all(|c| c.service_id == service.as_str()));
}

/// (service, bucket, count), sorted: the detections job's error counts as the store reads
/// them from the per-minute rollup.
async fn rollup_counts(
    store: &Store,
    from: i64,
    until: i64,
    bucket: i64,
) -> Vec<(String, i64, i64)> {
    let mut counts: Vec<_> = store
        .error_counts_by_bucket(from, until, bucket)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.service_id, c.bucket, c.count))
        .collect();
    counts.sort();
    counts
}

/// The same counts straight from the stored event rows, as the job read them before the
/// rollup existed.
async fn event_counts(
    store: &Store,
    from: i64,
    until: i64,
    bucket: i64,
) -> Vec<(String, i64, i64)> {
    const SQL: &str = "SELECT service_id, (received_at - $1) / $3 AS bucket, COUNT(*) AS count \
                       FROM events WHERE received_at >= $1 AND received_at < $2 \
                       AND incident_id IS NOT NULL GROUP BY service_id, (received_at - $1) / $3 \
                       ORDER BY 1, 2";
    let mut tx = store.begin().await.unwrap();
    match &mut tx {
        Tx::Sqlite(t) => sqlx::query_as(SQL)
            .bind(from)
            .bind(until)
            .bind(bucket)
            .fetch_all(&mut **t)
            .await
            .unwrap(),
        Tx::Postgres(t) => sqlx::query_as(SQL)
            .bind(from)
            .bind(until)
            .bind(bucket)
            .fetch_all(&mut **t)
            .await
            .unwrap(),
    }
}

/// The writer's per-minute error counts agree with counting the stored error events:
/// duplicates and transactions are not counted, services are kept apart, migration 0011's
/// backfill computes the same, and retention drops whole minutes.
async fn error_minutes_count_each_stored_error_once(store: Store) {
    let (org, busy) = org_with_service(&store).await;
    let quiet = add_service(&store, &org).await;
    let mut events: Vec<NewEvent> = (0..40)
        .map(|k| {
            let fingerprint = if k % 3 == 0 { "a" } else { "b" };
            error_event(
                &org,
                &busy,
                &format!("busy{k}"),
                fingerprint,
                T0 + k * 23_000,
            )
        })
        .collect();
    events.extend(
        (0..12).map(|k| error_event(&org, &quiet, &format!("quiet{k}"), "q", T0 + k * 61_000)),
    );
    events.push(NewEvent {
        kind: EventKind::Transaction,
        incident: None,
        transaction_name: Some("GET /orders".into()),
        duration_ms: Some(120.0),
        ..error_event(&org, &busy, "txn", "unused", T0 + MIN)
    });
    for (round, chunk) in events.chunks(9).enumerate() {
        write(&store, chunk, T0 + 20 * MIN + round as i64).await;
    }
    // A second delivery of stored events (and one new one among them) counts only the new.
    let mut again: Vec<NewEvent> = events[..5].to_vec();
    again.push(error_event(&org, &busy, "late", "a", T0 + 7 * MIN + 5));
    write(&store, &again, T0 + 21 * MIN).await;

    let windows = [
        (T0, T0 + 15 * MIN, 5 * MIN),
        (T0 + 2 * MIN, T0 + 14 * MIN, 3 * MIN),
        (T0, T0 + 20 * MIN, MIN),
    ];
    for (from, until, bucket) in windows {
        let expected = event_counts(&store, from, until, bucket).await;
        assert!(expected.iter().any(|(s, _, _)| s == quiet.as_str()));
        assert_eq!(rollup_counts(&store, from, until, bucket).await, expected);
    }
    let total: i64 = rollup_counts(&store, T0, T0 + 20 * MIN, 20 * MIN)
        .await
        .iter()
        .map(|c| c.2)
        .sum();
    assert_eq!(
        total, 53,
        "40 + 12 errors and the late one; no duplicate, no transaction"
    );
    // Times inside a minute count from the minute they fall in.
    assert_eq!(
        rollup_counts(&store, T0 + 30_000, T0 + 10 * MIN + 59_000, 5 * MIN).await,
        event_counts(&store, T0, T0 + 10 * MIN, 5 * MIN).await
    );

    // Migration 0011 filled the counts of events stored before it with this SQL.
    let before = rollup_counts(&store, T0, T0 + 20 * MIN, MIN).await;
    run_sql(&store, "DELETE FROM service_error_minutes").await;
    run_sql(
        &store,
        "INSERT INTO service_error_minutes (minute, service_id, org_id, count) \
         SELECT received_at / 60000, service_id, MIN(org_id), COUNT(*) FROM events \
         WHERE incident_id IS NOT NULL GROUP BY received_at / 60000, service_id",
    )
    .await;
    assert_eq!(rollup_counts(&store, T0, T0 + 20 * MIN, MIN).await, before);

    // Retention drops the minutes before the cutoff's own.
    store
        .delete_error_minutes_before(T0 + 5 * MIN + 1)
        .await
        .unwrap();
    let kept = rollup_counts(&store, T0, T0 + 15 * MIN, 5 * MIN).await;
    assert!(kept.iter().all(|(_, bucket, _)| *bucket >= 1));
    assert_eq!(
        kept,
        event_counts(&store, T0 + 5 * MIN, T0 + 15 * MIN, 5 * MIN)
            .await
            .into_iter()
            .map(|(s, b, c)| (s, b + 1, c))
            .collect::<Vec<_>>()
    );
}

async fn monitors_follow_declared_configs(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let config = MonitorConfig {
        schedule: MonitorSchedule::Crontab("0 * * * *".into()),
        checkin_margin_min: Some(5),
        max_runtime_min: None,
        timezone: None,
    };
    let mut tx = store.begin().await.unwrap();
    write_check_ins(
        &mut tx,
        &[NewCheckIn {
            org_id: org.clone(),
            service_id: service.clone(),
            check_in_id: "c1".into(),
            monitor_slug: "nightly".into(),
            status: "in_progress".into(),
            duration_ms: None,
            environment: None,
            monitor_config: Some(serde_json::to_string(&config).unwrap()),
            received_at: T0,
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let declared = store.declared_monitors_since(T0 - MIN).await.unwrap();
    assert_eq!(declared.len(), 1);
    let monitor = store
        .upsert_monitor(&org, &service, "nightly", &config, T0)
        .await
        .unwrap();
    // An older declaration does not overwrite a newer one.
    let mut older = config.clone();
    older.checkin_margin_min = Some(99);
    let kept = store
        .upsert_monitor(&org, &service, "nightly", &older, T0 - 1)
        .await
        .unwrap();
    assert_eq!(kept.config, config);
    assert_eq!(kept.id, monitor.id);
    assert_eq!(store.list_all_monitors().await.unwrap().len(), 1);
    let seen = store
        .recent_check_ins(&service, "nightly", 10)
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].received_at, T0);
    assert!(store.delete_monitor(&org, &monitor.id).await.unwrap());
    assert!(store.list_monitors(&org).await.unwrap().is_empty());
}

/// A transaction in `service` named `name`, received at `at`, that took `duration_ms`.
fn transaction(
    org: &sentinel_core::id::OrgId,
    service: &sentinel_core::id::ServiceId,
    event_id: &str,
    name: &str,
    duration_ms: f64,
    at: i64,
) -> NewEvent {
    NewEvent {
        kind: EventKind::Transaction,
        incident: None,
        transaction_name: Some(name.into()),
        duration_ms: Some(duration_ms),
        ..error_event(org, service, event_id, "unused", at)
    }
}

/// The histogram of transactions per service, name and duration bucket over `[from, until)`
/// (whole hours), counted from the stored transactions themselves.
async fn buckets_from_events(
    store: &Store,
    from: i64,
    until: i64,
) -> Vec<(String, String, i64, i64)> {
    let mut counts = std::collections::BTreeMap::new();
    for row in store.transaction_durations(from, until).await.unwrap() {
        *counts
            .entry((
                row.service_id,
                row.transaction_name,
                latency_bucket(row.duration_ms),
            ))
            .or_insert(0) += 1;
    }
    // The grouped, streamed read the latency detector uses sees the same transactions.
    let mut grouped = std::collections::BTreeMap::new();
    for group in store
        .transaction_durations_grouped(from, until)
        .await
        .unwrap()
    {
        for duration in group.durations_ms {
            *grouped
                .entry((
                    group.service_id.clone(),
                    group.transaction_name.clone(),
                    latency_bucket(duration),
                ))
                .or_insert(0) += 1;
        }
    }
    assert_eq!(grouped, counts);
    counts
        .into_iter()
        .map(|((s, n, b), c)| (s, n, b, c))
        .collect()
}

async fn buckets_from_rollup(
    store: &Store,
    from: i64,
    until: i64,
) -> Vec<(String, String, i64, i64)> {
    let mut rows: Vec<_> = store
        .transaction_duration_buckets(from, until)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.service_id, r.transaction_name, r.bucket, r.count))
        .collect();
    rows.sort();
    rows
}

/// The writer's hourly duration histograms agree with bucketing the stored transactions:
/// duplicates and errors are not counted, services and names are kept apart, migration
/// 0014's backfill computes the same, and retention drops whole hours.
async fn transaction_hours_count_each_stored_transaction_once(store: Store) {
    const HOUR: i64 = 60 * MIN;
    let (org, api) = org_with_service(&store).await;
    let worker = add_service(&store, &org).await;
    let durations = [
        0.4, 7.9, 42.0, 99.6, 100.0, 104.0, 250.5, 999.9, 1_234.0, 61_000.0,
    ];
    let mut events: Vec<NewEvent> = (0..60)
        .map(|k| {
            let name = if k % 4 == 0 {
                "POST /cart"
            } else {
                "GET /cart"
            };
            let ms = durations[k % durations.len()];
            transaction(
                &org,
                &api,
                &format!("api{k}"),
                name,
                ms,
                T0 + k as i64 * 7 * MIN,
            )
        })
        .collect();
    events.extend((0..8).map(|k| {
        transaction(
            &org,
            &worker,
            &format!("w{k}"),
            "GET /cart",
            30.0 + k as f64,
            T0 + k * HOUR,
        )
    }));
    events.push(error_event(&org, &api, "err", "boom", T0 + MIN));
    for (round, chunk) in events.chunks(11).enumerate() {
        write(&store, chunk, T0 + 8 * HOUR + round as i64).await;
    }
    // A second delivery of stored transactions (and a new one among them) counts the new.
    let mut again: Vec<NewEvent> = events[..6].to_vec();
    again.push(transaction(
        &org,
        &api,
        "late",
        "GET /cart",
        250.0,
        T0 + 2 * HOUR + 5,
    ));
    write(&store, &again, T0 + 9 * HOUR).await;

    let windows = [
        (T0, T0 + 8 * HOUR),
        (T0 + HOUR, T0 + 3 * HOUR),
        (T0 + 7 * HOUR, T0 + 8 * HOUR),
    ];
    for (from, until) in windows {
        let expected = buckets_from_events(&store, from, until).await;
        assert!(!expected.is_empty());
        assert_eq!(
            buckets_from_rollup(&store, from, until).await,
            expected,
            "{from}..{until}"
        );
    }
    let all = buckets_from_rollup(&store, T0, T0 + 8 * HOUR).await;
    let total: i64 = all.iter().map(|(_, _, _, c)| c).sum();
    assert_eq!(
        total,
        60 + 8 + 1,
        "every transaction once, the late one too"
    );
    assert_eq!(
        all.iter().filter(|(s, ..)| *s == worker.as_str()).count(),
        8
    );
    // Times inside an hour count from the hour they fall in.
    assert_eq!(
        buckets_from_rollup(&store, T0 + 30 * MIN, T0 + 3 * HOUR + 59 * MIN).await,
        buckets_from_events(&store, T0, T0 + 3 * HOUR).await
    );

    // Migration 0014 filled the histograms of transactions stored before it with its SQL.
    let before = buckets_from_rollup(&store, T0, T0 + 8 * HOUR).await;
    let migration = match store.backend() {
        sentinel_store::Backend::Sqlite => {
            include_str!("../migrations/sqlite/0014_transaction_hours.sql")
        }
        sentinel_store::Backend::Postgres => {
            include_str!("../migrations/postgres/0014_transaction_hours.sql")
        }
    };
    let backfill = &migration[migration.find("INSERT INTO transaction_hours").unwrap()..];
    run_sql(&store, "DELETE FROM transaction_hours").await;
    assert!(buckets_from_rollup(&store, T0, T0 + 8 * HOUR)
        .await
        .is_empty());
    run_sql(&store, backfill.trim().trim_end_matches(';')).await;
    assert_eq!(buckets_from_rollup(&store, T0, T0 + 8 * HOUR).await, before);

    // Retention drops the hours before the cutoff's own.
    store
        .delete_transaction_hours_before(T0 + 2 * HOUR + 1)
        .await
        .unwrap();
    assert!(buckets_from_rollup(&store, T0, T0 + 2 * HOUR)
        .await
        .is_empty());
    assert_eq!(
        buckets_from_rollup(&store, T0, T0 + 8 * HOUR).await,
        buckets_from_events(&store, T0 + 2 * HOUR, T0 + 8 * HOUR).await
    );
}

sentinel_store::store_tests!(
    detections_dedupe_while_open_and_resolve,
    error_counts_are_bucketed_per_service,
    error_minutes_count_each_stored_error_once,
    transaction_hours_count_each_stored_transaction_once,
    monitors_follow_declared_configs
);
