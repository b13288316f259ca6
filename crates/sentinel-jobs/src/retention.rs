//! Retention: events older than the configured number of days are deleted once a day.
//!
//! Only event rows go, with the per-minute error counts of the same age that the detections
//! job reads; incidents keep their occurrence counts, first/last seen, hourly rollups and
//! tag breakdowns, so history stays readable after the raw payloads are gone.
//! Deletion runs in small batches so each write transaction stays short and ingest is never
//! held up behind one large delete.

use crate::{handler_fn, JobContext, JobError, JobRuntime, Schedule, ScheduleSpec};
use sentinel_core::clock::Millis;
use sentinel_store::{Store, StoreResult};

/// The job kind of the daily purge.
pub const RETENTION_KIND: &str = "retention.events";

/// Events deleted per write transaction.
const DELETE_BATCH: u32 = 2_000;

const DAY_MS: Millis = 24 * 60 * 60 * 1000;

/// How long events are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub event_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self { event_days: 90 }
    }
}

impl RetentionPolicy {
    /// Events received before this time are expired.
    pub fn cutoff(&self, now: Millis) -> Millis {
        now - Millis::from(self.event_days) * DAY_MS
    }
}

/// Deletes every expired event, batch by batch, and the per-minute error counts of the same
/// age; returns how many events went. `keep_going` is asked between batches so a
/// shutting-down worker can stop early (the next run finishes).
pub async fn purge_expired_events(
    store: &Store,
    policy: RetentionPolicy,
    now: Millis,
    keep_going: impl Fn() -> bool,
) -> StoreResult<u64> {
    let cutoff = policy.cutoff(now);
    store.delete_error_minutes_before(cutoff).await?;
    store.delete_transaction_hours_before(cutoff).await?;
    let mut total = 0;
    loop {
        let deleted = store.delete_events_before(cutoff, DELETE_BATCH).await?;
        total += deleted;
        if deleted < u64::from(DELETE_BATCH) || !keep_going() {
            return Ok(total);
        }
    }
}

/// Runs one `retention.events` job.
#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
async fn run_retention(
    store: &Store,
    policy: RetentionPolicy,
    ctx: JobContext,
) -> Result<(), JobError> {
    let deleted = purge_expired_events(store, policy, ctx.now_ms(), || !ctx.is_stopping())
        .await
        .map_err(|err| JobError::retry(err.to_string()))?;
    tracing::info!(deleted, days = policy.event_days, "expired events deleted");
    Ok(())
}

/// Registers the purge and its daily schedule (03:30 UTC).
pub fn register(runtime: &mut JobRuntime, store: &Store, policy: RetentionPolicy) {
    let store = store.clone();
    runtime.register(handler_fn(RETENTION_KIND, move |ctx| {
        let store = store.clone();
        async move { run_retention(&store, policy, ctx).await }
    }));
    runtime.add_schedule(Schedule::new(
        "retention",
        ScheduleSpec::daily_at(3, 30),
        RETENTION_KIND,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_whole_days_back() {
        let policy = RetentionPolicy { event_days: 30 };
        assert_eq!(policy.cutoff(100 * DAY_MS), 70 * DAY_MS);
    }
}
