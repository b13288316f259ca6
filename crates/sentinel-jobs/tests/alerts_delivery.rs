//! Alert rules firing, deliveries to stub receivers on 127.0.0.1 (request shapes, retries,
//! permanent failures, resolves) and exactly-once effects across dead workers and runtimes.
#![allow(clippy::unwrap_used)]

mod alerts_support;
mod support;

use alerts_support::*;
use sentinel_core::alerting::{signals, AlertSeverity, RuleEngine, Signal};
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_core::incident::IncidentStatus;
use sentinel_jobs::kinds::{
    self, fire_signal, resolve_incident_alerts, sweep_frequency_rules, AlertDeps,
};
use sentinel_jobs::{JobRuntime, RuntimeHandle};
use sentinel_store::alerts::{AlertFilter, DeliveryStatus, NewAlertRule};
use sentinel_store::jobs::NewJob;
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use support::{manual_clock, quick_config, second_store, wait_until, T0};

const WAIT: Duration = Duration::from_secs(20);

fn start(
    store: &Store,
    deps: AlertDeps,
    clock: sentinel_core::clock::SharedClock,
    worker: &str,
) -> RuntimeHandle {
    let mut runtime = JobRuntime::new(store.clone(), clock, quick_config(worker));
    kinds::register_handlers(&mut runtime, deps);
    runtime.start()
}

fn incident_signal(scope: &str) -> Signal {
    let mut signal = Signal::new(
        signals::INCIDENT_NEW,
        format!("incident:{scope}"),
        "TypeError: x",
    );
    signal.incident_id = Some(scope.to_string());
    signal
}

async fn delivery_status(
    store: &Store,
    org: &OrgId,
    alert: &str,
    channel: &str,
) -> Option<DeliveryStatus> {
    let alert = store.get_alert(org, alert).await.unwrap()?;
    alert
        .deliveries
        .iter()
        .find(|d| d.channel_id == channel && d.action.as_str() == "trigger")
        .map(|d| d.status)
}

async fn new_incident_rule_fires_from_its_job(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let (org, service) = org_and_service(&store, T0).await;
    let outcomes = write(&store, &[error_event(&org, &service, "fp", T0)], T0).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let payload = json!({"incident_id": incident.as_str(), "org_id": org.as_str()});
    store
        .enqueue(
            &NewJob::new(kinds::NEW_INCIDENT_KIND, payload).org(org.clone()),
            T0,
        )
        .await
        .unwrap();
    handle.waker().wake();
    wait_until("alert recorded", WAIT, || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            !store
                .list_alerts(&org, &AlertFilter::default())
                .await
                .unwrap()
                .is_empty()
        }
    })
    .await;
    let alerts = store
        .list_alerts(&org, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_kind, "new_incident");
    assert_eq!(alerts[0].incident_id.as_deref(), Some(incident.as_str()));
    assert_eq!(alerts[0].title, "ValueError: fp");
    // The default rules were created on first evaluation.
    assert_eq!(
        store.list_alert_rules(&org).await.unwrap().len(),
        RuleEngine::standard().kinds().len()
    );
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn regression_rule_fires_from_its_job(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let (org, service) = org_and_service(&store, T0).await;
    let first = write(&store, &[error_event(&org, &service, "fp", T0)], T0).await;
    let incident = first[0].incident_id.clone().unwrap();
    store
        .set_incident_status(&org, &incident, IncidentStatus::Resolved, T0 + 1)
        .await
        .unwrap();
    let again = write(&store, &[error_event(&org, &service, "fp", T0 + 2)], T0 + 2).await;
    assert!(again[0].regression);
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let payload = json!({"incident_id": incident.as_str(), "org_id": org.as_str()});
    store
        .enqueue(
            &NewJob::new(kinds::REGRESSION_KIND, payload).org(org.clone()),
            T0,
        )
        .await
        .unwrap();
    handle.waker().wake();
    wait_until("regression alert", WAIT, || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let filter = AlertFilter {
                rule_kind: Some("regression".into()),
                ..Default::default()
            };
            !store.list_alerts(&org, &filter).await.unwrap().is_empty()
        }
    })
    .await;
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn frequency_rule_fires_at_its_count(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let (org, service) = org_and_service(&store, T0).await;
    store
        .create_alert_rule(
            &org,
            &NewAlertRule {
                name: "busy".into(),
                kind: "incident_frequency".into(),
                params: json!({"count": 5, "window_minutes": 10}),
                severity: AlertSeverity::Warning,
                enabled: true,
                channel_ids: vec![],
            },
            T0,
        )
        .await
        .unwrap();
    let events: Vec<_> = (0..4)
        .map(|i| error_event(&org, &service, "fp", T0 + i * 1000))
        .collect();
    write(&store, &events, T0 + 4000).await;
    assert!(sweep_frequency_rules(&store, &engine, T0 + 5000)
        .await
        .unwrap()
        .is_empty());
    write(
        &store,
        &[error_event(&org, &service, "fp", T0 + 5000)],
        T0 + 5000,
    )
    .await;
    let fired = sweep_frequency_rules(&store, &engine, T0 + 6000)
        .await
        .unwrap();
    let busy: Vec<_> = fired
        .iter()
        .filter(|r| r.alert.rule_kind == "incident_frequency" && r.alert.threshold == Some(5.0))
        .collect();
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].alert.value, Some(5.0));
    assert!(busy[0].created);
    // The next sweep within a day counts another occurrence of the same alert.
    let again = sweep_frequency_rules(&store, &engine, T0 + 66_000)
        .await
        .unwrap();
    let busy_again = again
        .iter()
        .find(|r| r.alert.id == busy[0].alert.id)
        .unwrap();
    assert_eq!(busy_again.alert.occurrence_count, 2);
    // Out of the window nothing fires.
    assert!(sweep_frequency_rules(&store, &engine, T0 + 20 * 60_000)
        .await
        .unwrap()
        .is_empty());
}

async fn deliveries_reach_pagerduty_and_webhooks_and_resolve(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let pd = pagerduty_channel(&store, &org, &stub, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let fired = fire_signal(&store, &engine, &org, &incident_signal("inc-1"), T0)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1);
    let alert = fired[0].alert.clone();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    wait_until("both delivered", WAIT, || {
        let (store, org, id, pd, hook) = (
            store.clone(),
            org.clone(),
            alert.id.clone(),
            pd.clone(),
            hook.clone(),
        );
        async move {
            delivery_status(&store, &org, &id, &pd).await == Some(DeliveryStatus::Delivered)
                && delivery_status(&store, &org, &id, &hook).await
                    == Some(DeliveryStatus::Delivered)
        }
    })
    .await;
    let seen = stub.seen();
    let trigger = seen.iter().find(|s| s.path == "/v2/enqueue").unwrap();
    assert_eq!(trigger.body["event_action"], "trigger");
    assert_eq!(trigger.body["dedup_key"], alert.dedup_key.as_str());
    assert_eq!(trigger.body["routing_key"], "r".repeat(32));
    assert_eq!(trigger.body["payload"]["severity"], "error");
    assert_eq!(trigger.body["payload"]["summary"], "TypeError: x");
    let posted = seen.iter().find(|s| s.path == "/hook").unwrap();
    assert_eq!(
        posted.delivery_id.as_deref(),
        Some(format!("{}:{hook}:trigger", alert.id).as_str())
    );
    assert_eq!(posted.body["dedup_key"], alert.dedup_key.as_str());
    assert_eq!(posted.body["kind"], "trigger");
    assert!(store
        .get_alert(&org, &alert.id)
        .await
        .unwrap()
        .unwrap()
        .sent_at
        .is_some());

    // Resolving the incident closes the PagerDuty alert (webhooks get no resolve).
    assert_eq!(
        resolve_incident_alerts(&store, &org, "inc-1", T0)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        resolve_incident_alerts(&store, &org, "inc-1", T0)
            .await
            .unwrap(),
        0
    );
    handle.waker().wake();
    wait_until("resolve sent", WAIT, || {
        let stub = stub.clone();
        async move {
            stub.seen()
                .iter()
                .any(|s| s.body["event_action"] == "resolve")
        }
    })
    .await;
    let resolve = stub
        .seen()
        .into_iter()
        .find(|s| s.body["event_action"] == "resolve")
        .unwrap();
    assert_eq!(resolve.body["dedup_key"], alert.dedup_key.as_str());
    assert!(resolve.body.get("payload").is_none());
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn retry_after_is_honoured_and_permanent_failures_are_final(test: TestStore) {
    let store = test.store.clone();
    let (manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    stub.script(&[Reply {
        status: 429,
        retry_after: Some("7"),
    }]);
    let alert = fire_signal(&store, &engine, &org, &incident_signal("a"), T0)
        .await
        .unwrap()[0]
        .alert
        .clone();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    wait_until("first attempt throttled", WAIT, || {
        let (store, org, id, hook) = (store.clone(), org.clone(), alert.id.clone(), hook.clone());
        async move { delivery_status(&store, &org, &id, &hook).await == Some(DeliveryStatus::Retrying) }
    })
    .await;
    let delivery = store
        .get_alert(&org, &alert.id)
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .clone();
    assert!(delivery.last_error.unwrap().contains("429"));
    // The retry waits exactly as long as the receiver asked.
    wait_until("retry scheduled", WAIT, || {
        let store = store.clone();
        async move { store.next_job_run_at().await.unwrap() == Some(T0 + 7_000) }
    })
    .await;
    manual.advance(7_000);
    handle.waker().wake();
    wait_until("delivered after Retry-After", WAIT, || {
        let (store, org, id, hook) = (store.clone(), org.clone(), alert.id.clone(), hook.clone());
        async move { delivery_status(&store, &org, &id, &hook).await == Some(DeliveryStatus::Delivered) }
    })
    .await;
    assert_eq!(stub.count(), 2);

    // A 4xx other than 408/429 fails for good after one attempt.
    stub.script(&[Reply {
        status: 400,
        retry_after: None,
    }]);
    let now = T0 + 7_000;
    let bad = fire_signal(&store, &engine, &org, &incident_signal("b"), now)
        .await
        .unwrap()[0]
        .alert
        .clone();
    handle.waker().wake();
    wait_until("failed permanently", WAIT, || {
        let (store, org, id, hook) = (store.clone(), org.clone(), bad.id.clone(), hook.clone());
        async move { delivery_status(&store, &org, &id, &hook).await == Some(DeliveryStatus::Failed) }
    })
    .await;
    wait_until("job discarded", WAIT, || {
        let store = store.clone();
        async move {
            store
                .job_counts()
                .await
                .unwrap()
                .get(sentinel_store::jobs::JobStatus::Discarded)
                == 1
        }
    })
    .await;
    let failed = store
        .get_alert(&org, &bad.id)
        .await
        .unwrap()
        .unwrap()
        .deliveries[0]
        .clone();
    assert_eq!(failed.attempts, 1);
    assert_eq!(stub.count(), 3);
    handle.shutdown(Duration::from_secs(2)).await;
}

/// A worker dies after its requests went out and before it recorded anything; the jobs run
/// again elsewhere and the receivers see the same dedup key and delivery id, once each.
async fn a_worker_dying_after_sending_does_not_notify_twice(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let pd = pagerduty_channel(&store, &org, &stub, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let alert = fire_signal(&store, &engine, &org, &incident_signal("k"), T0)
        .await
        .unwrap()[0]
        .alert
        .clone();

    stub.stalling
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let doomed = start(&store, deps(&store, clock.clone()), clock.clone(), "doomed");
    wait_until("both requests sent by the first worker", WAIT, || {
        let stub = stub.clone();
        async move { stub.count() == 2 }
    })
    .await;
    // The worker goes away mid-request: its leases are abandoned, nothing is recorded.
    doomed.shutdown(Duration::from_millis(1)).await;
    stub.stalling
        .store(false, std::sync::atomic::Ordering::SeqCst);
    stub.release.notify_waiters();
    assert_eq!(
        delivery_status(&store, &org, &alert.id, &pd).await,
        Some(DeliveryStatus::Pending)
    );

    let survivor = start(&store, deps(&store, clock.clone()), clock, "survivor");
    wait_until("delivered by the second worker", WAIT, || {
        let (store, org, id, pd, hook) = (
            store.clone(),
            org.clone(),
            alert.id.clone(),
            pd.clone(),
            hook.clone(),
        );
        async move {
            delivery_status(&store, &org, &id, &pd).await == Some(DeliveryStatus::Delivered)
                && delivery_status(&store, &org, &id, &hook).await
                    == Some(DeliveryStatus::Delivered)
        }
    })
    .await;
    let seen = stub.seen();
    assert_eq!(seen.len(), 4, "each channel was sent to twice");
    let pd_keys: HashSet<String> = seen
        .iter()
        .filter(|s| s.path == "/v2/enqueue")
        .map(|s| s.body["dedup_key"].as_str().unwrap().to_string())
        .collect();
    let hook_ids: HashSet<String> = seen.iter().filter_map(|s| s.delivery_id.clone()).collect();
    assert_eq!(pd_keys.len(), 1, "PagerDuty saw one dedup key");
    assert_eq!(hook_ids.len(), 1, "the webhook saw one delivery id");
    survivor.shutdown(Duration::from_secs(2)).await;
}

/// Two runtimes on one PostgreSQL database deliver every alert once.
async fn two_runtimes_deliver_each_alert_once(test: TestStore) {
    if test.store.backend() != sentinel_store::Backend::Postgres {
        return;
    }
    let store = test.store.clone();
    let other = second_store(&test).await;
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let a = start(&store, deps(&store, clock.clone()), clock.clone(), "a");
    let b = start(&other, deps(&other, clock.clone()), clock, "b");
    for i in 0..20 {
        fire_signal(
            &store,
            &engine,
            &org,
            &incident_signal(&format!("i{i}")),
            T0,
        )
        .await
        .unwrap();
    }
    a.waker().wake();
    b.waker().wake();
    wait_until("all delivered", WAIT, || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let alerts = store
                .list_alerts(&org, &AlertFilter::default())
                .await
                .unwrap();
            alerts.len() == 20
                && alerts
                    .iter()
                    .all(|a| a.deliveries[0].status == DeliveryStatus::Delivered)
        }
    })
    .await;
    a.shutdown(Duration::from_secs(2)).await;
    b.shutdown(Duration::from_secs(2)).await;
    let seen = stub.seen();
    let ids: HashSet<String> = seen.iter().filter_map(|s| s.delivery_id.clone()).collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(seen.len(), 20, "no delivery was sent twice");
    let _ = IncidentId::generate();
}

async fn channel_tests_reach_the_receiver(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let payload = json!({"org_id": org.as_str(), "channel_id": hook});
    store
        .enqueue(
            &NewJob::new(kinds::CHANNEL_TEST_KIND, payload).org(org.clone()),
            T0,
        )
        .await
        .unwrap();
    handle.waker().wake();
    wait_until("test notification received", WAIT, || {
        let stub = stub.clone();
        async move { stub.count() == 1 }
    })
    .await;
    let seen = stub.seen();
    assert_eq!(seen[0].path, "/hook");
    assert_eq!(seen[0].body["class"], "test");
    assert_eq!(seen[0].body["severity"], "info");
    handle.shutdown(Duration::from_secs(2)).await;
}

runtime_tests!(
    channel_tests_reach_the_receiver,
    new_incident_rule_fires_from_its_job,
    regression_rule_fires_from_its_job,
    frequency_rule_fires_at_its_count,
    deliveries_reach_pagerduty_and_webhooks_and_resolve,
    retry_after_is_honoured_and_permanent_failures_are_final,
    a_worker_dying_after_sending_does_not_notify_twice,
    two_runtimes_deliver_each_alert_once
);
