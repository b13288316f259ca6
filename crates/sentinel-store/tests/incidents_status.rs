//! Status changes, retention and organization isolation on both backends.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::*;
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::IncidentStatus;
use sentinel_store::incidents::{IncidentQuery, NewEvent, SetStatusError};
use sentinel_store::{Store, StoreError};

/// Writes `count` events of a new incident, the last received at `last`, and returns it.
async fn incident_with(
    store: &Store,
    org: &OrgId,
    service: &ServiceId,
    fingerprint: &str,
    count: i64,
    last: i64,
    adjust: impl Fn(&mut NewEvent),
) -> IncidentId {
    let batch: Vec<_> = (0..count)
        .map(|i| {
            let mut event = error_event(
                org,
                service,
                &format!("{fingerprint}-{i}"),
                fingerprint,
                last - (count - 1 - i),
            );
            adjust(&mut event);
            event
        })
        .collect();
    let outcomes = write(store, &batch, last).await;
    outcomes[0].incident_id.clone().unwrap()
}

async fn status_changes_follow_the_state_machine(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let id = incident_with(&store, &org, &service, "fp", 1, T0, |_| {}).await;
    let analyzing = store
        .set_incident_status(&org, &id, IncidentStatus::Analyzing, T0 + 1)
        .await
        .unwrap();
    assert_eq!(analyzing.status, IncidentStatus::Analyzing);
    assert_eq!(analyzing.updated_at, T0 + 1);
    match store
        .set_incident_status(&org, &id, IncidentStatus::PrCreated, T0 + 2)
        .await
    {
        Err(SetStatusError::InvalidTransition(from, to)) => {
            assert_eq!(
                (from, to),
                (IncidentStatus::Analyzing, IncidentStatus::PrCreated)
            );
        }
        other => panic!("expected an invalid transition, got {other:?}"),
    }
    let resolved = store
        .set_incident_status(&org, &id, IncidentStatus::Resolved, T0 + 3)
        .await
        .unwrap();
    assert_eq!(resolved.resolved_at, Some(T0 + 3));
    let reopened = store
        .set_incident_status(&org, &id, IncidentStatus::Detected, T0 + 4)
        .await
        .unwrap();
    assert_eq!(reopened.resolved_at, None);
    // Reopening by hand is not a regression.
    assert_eq!(reopened.regression_count, 0);
    assert!(matches!(
        store
            .set_incident_status(&org, &IncidentId::generate(), IncidentStatus::Resolved, T0)
            .await,
        Err(SetStatusError::NotFound)
    ));
}

async fn concurrent_status_changes_do_not_overwrite_each_other(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let id = incident_with(&store, &org, &service, "fp", 1, T0, |_| {}).await;
    // Eight workflow runs try to claim the same incident at once: with compare-and-set,
    // exactly one moves it; the others find it already analyzing.
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let (store, org, id) = (store.clone(), org.clone(), id.clone());
            tokio::spawn(async move {
                store
                    .set_incident_status(&org, &id, IncidentStatus::Analyzing, T0 + i)
                    .await
            })
        })
        .collect();
    let mut moved = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => moved += 1,
            Err(SetStatusError::InvalidTransition(from, _)) => {
                assert_eq!(from, IncidentStatus::Analyzing)
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(moved, 1);
}

async fn retention_deletes_old_events_but_keeps_counts(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let old = incident_with(&store, &org, &service, "fp", 5, T0, |_| {}).await;
    let recent = write(
        &store,
        &[error_event(&org, &service, "recent", "fp", T0 + 10 * HOUR)],
        T0 + 10 * HOUR,
    )
    .await;
    let cutoff = T0 + HOUR;
    assert_eq!(store.delete_events_before(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.delete_events_before(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.delete_events_before(cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.delete_events_before(cutoff, 2).await.unwrap(), 0);

    let incident = store.get_incident(&org, &old).await.unwrap();
    assert_eq!(incident.occurrence_count, 6);
    let hourly: i64 = store
        .incident_hourly_counts(&org, &old, 0)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(hourly, 6);
    let left = store
        .list_incident_events(&org, &old, None, 100)
        .await
        .unwrap();
    assert_eq!(
        ids_of_events(&left.items),
        vec![recent[0].event_row_id.clone().unwrap()]
    );
    assert!(matches!(
        store.get_event(&org, "fp-0").await,
        Err(StoreError::NotFound)
    ));
}

fn ids_of_events(
    events: &[sentinel_store::incidents::StoredEvent],
) -> Vec<sentinel_core::id::EventRowId> {
    events.iter().map(|e| e.id.clone()).collect()
}

async fn one_org_cannot_read_or_change_anothers_incidents(store: Store) {
    let (org_a, service_a) = org_with_service(&store).await;
    let (org_b, _service_b) = org_with_service(&store).await;
    let outcomes = write(
        &store,
        &[error_event(&org_a, &service_a, "a-event", "fp", T0)],
        T0,
    )
    .await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let row_id = outcomes[0].event_row_id.clone().unwrap();

    assert!(matches!(
        store.get_incident(&org_b, &incident).await,
        Err(StoreError::NotFound)
    ));
    let all = IncidentQuery {
        include_quiet: true,
        ..IncidentQuery::default()
    };
    assert!(store
        .list_incidents(&org_b, &all)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .incident_hourly_counts(&org_b, &incident, 0)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .incident_tag_breakdown(&org_b, &incident, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_incident_events(&org_b, &incident, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .latest_event(&org_b, &incident)
        .await
        .unwrap()
        .is_none());
    for id in [row_id.as_str(), "a-event"] {
        assert!(matches!(
            store.get_event(&org_b, id).await,
            Err(StoreError::NotFound)
        ));
    }
    assert!(matches!(
        store
            .set_incident_status(&org_b, &incident, IncidentStatus::Resolved, T0 + 1)
            .await,
        Err(SetStatusError::NotFound)
    ));

    // Org A still sees everything, unchanged.
    let mine = store.get_incident(&org_a, &incident).await.unwrap();
    assert_eq!(mine.status, IncidentStatus::Detected);
    assert_eq!(
        store
            .list_incidents(&org_a, &all)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(store.get_event(&org_a, "a-event").await.is_ok());
    assert_eq!(
        store
            .incident_tag_breakdown(&org_a, &incident, 10)
            .await
            .unwrap()
            .len(),
        4
    );
}

sentinel_store::store_tests!(
    status_changes_follow_the_state_machine,
    concurrent_status_changes_do_not_overwrite_each_other,
    retention_deletes_old_events_but_keeps_counts,
    one_org_cannot_read_or_change_anothers_incidents,
);
