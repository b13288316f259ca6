//! Detections, monitors and the detector reads on both backends.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{error_event, org_with_service, write, T0};
use sentinel_core::checkin::{MonitorConfig, MonitorSchedule};
use sentinel_core::detection::Resolution;
use sentinel_store::detections::{raise_detection_in, NewDetection, ResolveDetectionError};
use sentinel_store::incidents::{write_check_ins, NewCheckIn};
use sentinel_store::Store;
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

sentinel_store::store_tests!(
    detections_dedupe_while_open_and_resolve,
    error_counts_are_bucketed_per_service,
    monitors_follow_declared_configs
);
