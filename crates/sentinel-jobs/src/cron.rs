//! The leaderless cron: every runtime checks its schedules each tick; when a slot is due
//! each tries the store's compare-and-swap, and only the winner enqueues the slot's job
//! (in the same transaction, with dedup key `cron:<name>:<slot>`).

use crate::runtime::Shared;
use crate::schedule::Schedule;
use sentinel_core::clock::Millis;
use sentinel_store::jobs::schedules::claim_schedule_slot_in;
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::StoreResult;
use std::sync::Arc;

/// Fires due schedules until the runtime stops.
pub(crate) async fn cron_loop(shared: Arc<Shared>, schedules: Vec<Schedule>) {
    if schedules.is_empty() {
        return;
    }
    let mut stop = shared.stop.clone();
    // The next slot of each schedule as last seen in the store; `None` until known.
    let mut next: Vec<Option<Millis>> = vec![None; schedules.len()];
    let mut tick = tokio::time::interval(shared.config.schedule_tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        for (schedule, known) in schedules.iter().zip(next.iter_mut()) {
            match fire_if_due(&shared, schedule, *known).await {
                Ok(slot) => *known = Some(slot),
                Err(err) => {
                    // Re-read from the store next tick.
                    *known = None;
                    tracing::warn!(schedule = %schedule.name, error = %err, "schedule check failed");
                }
            }
        }
    }
}

/// Returns the schedule's next slot after this check.
async fn fire_if_due(
    shared: &Shared,
    schedule: &Schedule,
    known: Option<Millis>,
) -> StoreResult<Millis> {
    let now = shared.clock.now_ms();
    let slot = match known {
        Some(slot) => slot,
        None => {
            shared
                .store
                .ensure_schedule(&schedule.name, schedule.spec.next_after(now), now)
                .await?
                .next_run_at
        }
    };
    if slot > now {
        return Ok(slot);
    }
    // Missed slots collapse into this one run; the next is the first one after now.
    let following = schedule.spec.next_after(now);
    let job = NewJob {
        dedup_key: Some(schedule.dedup_key(slot)),
        ..schedule.job.clone()
    };
    let mut tx = shared.store.begin().await?;
    let won = claim_schedule_slot_in(&mut tx, &schedule.name, slot, following, now).await?;
    if !won {
        drop(tx);
        // Someone else took it; learn the slot they set.
        let stored = shared.store.get_schedule(&schedule.name).await?;
        return Ok(stored.map_or(following, |s| s.next_run_at));
    }
    let job_id = enqueue_in(&mut tx, &job, now).await?;
    tx.commit().await?;
    tracing::info!(schedule = %schedule.name, slot, job_id = job_id.as_ref().map(|id| id.as_str()), "schedule fired");
    shared.waker.wake();
    Ok(following)
}
