//! The rollups the write path maintains, on both backends: events per hour and tag
//! breakdowns; and check-ins.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::*;
use sentinel_store::incidents::{write_check_ins, NewCheckIn};
use sentinel_store::Store;

async fn hourly_counts_bucket_by_receipt_hour(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let batch = vec![
        error_event(&org, &service, "a", "fp", T0 + 5),
        error_event(&org, &service, "b", "fp", T0 + HOUR - 1),
        error_event(&org, &service, "c", "fp", T0 + HOUR),
        error_event(&org, &service, "d", "fp", T0 + 3 * HOUR + 7),
    ];
    let outcomes = write(&store, &batch, T0 + 4 * HOUR).await;
    let id = outcomes[0].incident_id.clone().unwrap();
    write(
        &store,
        &[error_event(&org, &service, "e", "fp", T0 + 3 * HOUR + 9)],
        T0 + 4 * HOUR,
    )
    .await;
    let all = store.incident_hourly_counts(&org, &id, 0).await.unwrap();
    assert_eq!(all, vec![(T0, 2), (T0 + HOUR, 1), (T0 + 3 * HOUR, 2)]);
    // `since` inside an hour includes that hour.
    let recent = store
        .incident_hourly_counts(&org, &id, T0 + HOUR + 10)
        .await
        .unwrap();
    assert_eq!(recent, vec![(T0 + HOUR, 1), (T0 + 3 * HOUR, 2)]);
}

async fn tag_breakdown_ranks_values_per_key(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let browsers = ["Firefox", "Chrome", "Chrome", "Safari", "Chrome", "Firefox"];
    let batch: Vec<_> = browsers
        .iter()
        .enumerate()
        .map(|(i, browser)| {
            let mut event = error_event(&org, &service, &format!("e{i}"), "fp", T0 + i as i64);
            event.tags = vec![
                ("browser".to_string(), browser.to_string()),
                // Repeated in one event: counted once.
                ("browser".to_string(), browser.to_string()),
            ];
            if i == 0 {
                event
                    .tags
                    .push(("environment".to_string(), "staging".to_string()));
            }
            event
        })
        .collect();
    let outcomes = write(&store, &batch[..3], T0 + 10).await;
    write(&store, &batch[3..], T0 + 10).await;
    let id = outcomes[0].incident_id.clone().unwrap();

    let breakdown = store.incident_tag_breakdown(&org, &id, 2).await.unwrap();
    let keys: Vec<&str> = breakdown.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(keys, ["browser", "environment", "level", "release"]);
    let browser = &breakdown[0];
    assert_eq!(browser.total, 6);
    assert_eq!(
        browser.values,
        vec![("Chrome".to_string(), 3), ("Firefox".to_string(), 2)]
    );
    // The event's own tag wins over the derived one.
    assert_eq!(
        breakdown[1].values,
        vec![("production".to_string(), 5), ("staging".to_string(), 1)]
    );
    assert_eq!(breakdown[2].values, vec![("error".to_string(), 6)]);
}

async fn check_ins_are_appended(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let check_in = |status: &str, at| NewCheckIn {
        org_id: org.clone(),
        service_id: service.clone(),
        check_in_id: "c0ffee".to_string(),
        monitor_slug: "nightly-report".to_string(),
        status: status.to_string(),
        duration_ms: (status != "in_progress").then_some(1500.0),
        environment: Some("production".to_string()),
        monitor_config: Some(r#"{"schedule":{"type":"crontab","value":"0 2 * * *"}}"#.into()),
        received_at: at,
    };
    let mut tx = store.begin().await.unwrap();
    write_check_ins(
        &mut tx,
        &[check_in("in_progress", T0), check_in("ok", T0 + 1500)],
    )
    .await
    .unwrap();
    write_check_ins(&mut tx, &[]).await.unwrap();
    tx.commit().await.unwrap();
    let rows: Vec<(String, Option<f64>)> = match &mut store.begin().await.unwrap() {
        sentinel_store::Tx::Sqlite(t) => sqlx::query_as(
            "SELECT status, duration_ms FROM check_ins WHERE service_id = $1 ORDER BY received_at",
        )
        .bind(service.as_str())
        .fetch_all(&mut **t)
        .await
        .unwrap(),
        sentinel_store::Tx::Postgres(t) => sqlx::query_as(
            "SELECT status, duration_ms FROM check_ins WHERE service_id = $1 ORDER BY received_at",
        )
        .bind(service.as_str())
        .fetch_all(&mut **t)
        .await
        .unwrap(),
    };
    assert_eq!(
        rows,
        vec![
            ("in_progress".to_string(), None),
            ("ok".to_string(), Some(1500.0))
        ]
    );
}

sentinel_store::store_tests!(
    hourly_counts_bucket_by_receipt_hour,
    tag_breakdown_ranks_values_per_key,
    check_ins_are_appended,
);
