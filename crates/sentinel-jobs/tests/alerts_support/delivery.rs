//! Driving deliveries in the runtime: a runtime with the alerting handlers, the jobs and
//! signals that raise alerts, and waits (with a deadline) on what the jobs record.

use crate::support::{quick_config, wait_until};
use sentinel_core::alerting::{signals, Signal};
use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_jobs::kinds::{self, AlertDeps};
use sentinel_jobs::{JobRuntime, RuntimeHandle};
use sentinel_store::alerts::{Alert, AlertFilter, Delivery};
use sentinel_store::jobs::{JobStatus, NewJob};
use sentinel_store::Store;
use serde_json::json;
use std::time::Duration;

/// How long a test waits for a runtime to get something done.
pub const WAIT: Duration = Duration::from_secs(20);

/// A started runtime with the alerting handlers and no cron schedules.
pub fn start(store: &Store, deps: AlertDeps, clock: SharedClock, worker: &str) -> RuntimeHandle {
    let mut runtime = JobRuntime::new(store.clone(), clock, quick_config(worker));
    kinds::register_handlers(&mut runtime, deps);
    runtime.start()
}

/// A new-incident signal scoped to the incident id `scope`.
pub fn incident_signal(scope: &str) -> Signal {
    let mut signal = Signal::new(
        signals::INCIDENT_NEW,
        format!("incident:{scope}"),
        "TypeError: x",
    );
    signal.incident_id = Some(scope.to_string());
    signal
}

/// Queues the `kind` job (`alert.new_incident`, `alert.regression`) the ingest writer
/// would queue for `incident`, and wakes the runtime.
pub async fn enqueue_incident_job(
    store: &Store,
    handle: &RuntimeHandle,
    kind: &str,
    org: &OrgId,
    incident: &IncidentId,
    now: Millis,
) {
    let payload = json!({"incident_id": incident.as_str(), "org_id": org.as_str()});
    store
        .enqueue(&NewJob::new(kind, payload).org(org.clone()), now)
        .await
        .unwrap();
    handle.waker().wake();
}

/// Waits until `filter` finds an alert of `org`, then returns every one it finds.
pub async fn wait_for_alerts(store: &Store, org: &OrgId, filter: &AlertFilter) -> Vec<Alert> {
    wait_until("alert recorded", WAIT, || async move {
        !store.list_alerts(org, filter).await.unwrap().is_empty()
    })
    .await;
    store.list_alerts(org, filter).await.unwrap()
}

/// The trigger delivery of `alert` to `channel`, if one is recorded.
pub async fn delivery(store: &Store, org: &OrgId, alert: &str, channel: &str) -> Option<Delivery> {
    store
        .get_alert(org, alert)
        .await
        .unwrap()?
        .deliveries
        .into_iter()
        .find(|d| d.channel_id == channel && d.action.as_str() == "trigger")
}

/// Waits until the trigger delivery of `alert` to `channel` satisfies `check`.
pub async fn wait_for_delivery(
    what: &str,
    store: &Store,
    org: &OrgId,
    alert: &str,
    channel: &str,
    check: impl Fn(&Delivery) -> bool,
) -> Delivery {
    let check = &check;
    wait_until(what, WAIT, || async move {
        delivery(store, org, alert, channel)
            .await
            .is_some_and(|d| check(&d))
    })
    .await;
    delivery(store, org, alert, channel).await.unwrap()
}

/// Waits until a job waits for an attempt due after `after`, and returns when it is due.
pub async fn wait_for_retry(store: &Store, after: Millis) -> Millis {
    wait_until("retry scheduled", WAIT, || async move {
        store
            .next_job_run_at()
            .await
            .unwrap()
            .is_some_and(|t| t > after)
    })
    .await;
    store.next_job_run_at().await.unwrap().unwrap()
}

/// Waits until `count` jobs are discarded (failed for good, never to run again).
pub async fn wait_for_discarded(store: &Store, count: i64) {
    wait_until("jobs discarded", WAIT, || async move {
        store.job_counts().await.unwrap().get(JobStatus::Discarded) == count
    })
    .await;
}
