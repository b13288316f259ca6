//! Running claimed jobs: the claim loop that fills free slots, one task per job that runs
//! its handler while heartbeating the lease, and the completer that records successes in
//! batches.

use crate::handler::{JobContext, JobError};
use crate::retry::millis;
use crate::runtime::Shared;
use crate::stats::Counter;
use futures::FutureExt;
use sentinel_core::id::JobId;
use sentinel_store::jobs::{ClaimedJob, FailOutcome};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// What the completer is told.
pub(crate) enum Completion {
    Done(JobId, String),
    /// Flush everything received so far, then stop.
    Close(oneshot::Sender<()>),
}

/// How many completions go to the store in one statement at most.
const COMPLETION_BATCH: usize = 1_000;

/// Claims jobs into free slots until the runtime stops; returns the jobs still running.
pub(crate) async fn claim_loop(shared: Arc<Shared>) -> JoinSet<()> {
    let mut running = JoinSet::new();
    let config = &shared.config;
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let kinds: Vec<&str> = shared.kinds.iter().map(String::as_str).collect();
    let mut stop = shared.stop.clone();
    let mut failures: u32 = 0;
    if kinds.is_empty() {
        tracing::info!(worker = %config.worker_id, "no job handlers registered; not claiming");
        let _ = stop.wait_for(|s| *s).await;
        return running;
    }
    loop {
        if *stop.borrow() {
            break;
        }
        while running.try_join_next().is_some() {}
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                slot = slots.clone().acquire_owned() => drop(slot),
            }
            continue;
        }
        // With most slots busy, claiming into the one that just freed would mean one
        // round trip per job: wait briefly for half a batch of slots instead.
        let target = config
            .concurrency
            .min(config.claim_batch as usize)
            .div_ceil(2)
            .max(1);
        if free < target && !running.is_empty() {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                more = slots.acquire_many(u32::try_from(target).unwrap_or(1)) => drop(more),
                () = tokio::time::sleep(config.claim_cooldown) => {}
            }
        }
        let free = slots.available_permits();
        let want = u32::try_from(free)
            .unwrap_or(u32::MAX)
            .min(config.claim_batch.max(1));
        let now = shared.clock.now_ms();
        let lease = millis(config.lease);
        match shared
            .store
            .claim_jobs(&config.worker_id, &kinds, want, lease, now)
            .await
        {
            Ok(jobs) => {
                failures = 0;
                let got = jobs.len();
                if got > 0 {
                    shared.stats.add(Counter::Claims, 1);
                    shared.stats.add(Counter::Claimed, got as u64);
                }
                for job in jobs {
                    // Never waits: `want` was bounded by the free slots and only this loop takes them.
                    let Ok(slot) = slots.clone().acquire_owned().await else {
                        break;
                    };
                    running.spawn(run_job(shared.clone(), job, slot));
                }
                if got < want as usize {
                    // The queue is drained for now: sleep until woken or the next poll.
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => break,
                        () = shared.waker.woken() => {}
                        () = tokio::time::sleep(config.poll_interval) => {}
                    }
                }
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                let pause = config
                    .poll_interval
                    .saturating_mul(2_u32.saturating_pow(failures.min(5)))
                    .min(Duration::from_secs(30));
                tracing::warn!(worker = %config.worker_id, error = %err, retry_in_ms = pause.as_millis() as u64, "claiming jobs failed");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
    running
}

/// Runs one job's handler while keeping its lease, then records the outcome.
async fn run_job(shared: Arc<Shared>, job: ClaimedJob, _slot: OwnedSemaphorePermit) {
    let Some(handler) = shared.handlers.get(&job.kind).cloned() else {
        record_failure(
            &shared,
            &job,
            JobError::permanent("no handler for this kind"),
        )
        .await;
        return;
    };
    let ctx = JobContext::new(
        job.clone(),
        shared.store.clone(),
        shared.clock.clone(),
        shared.stop.clone(),
    );
    let run = AssertUnwindSafe(handler.run(ctx)).catch_unwind();
    let outcome = tokio::select! {
        result = run => Some(result),
        () = keep_lease(&shared, &job) => None,
    };
    match outcome {
        None => {
            shared.stats.add(Counter::LeaseLost, 1);
            tracing::warn!(job_id = %job.id, kind = %job.kind, "lease lost; run abandoned");
        }
        Some(Ok(Ok(()))) => {
            let done = Completion::Done(job.id.clone(), job.lease_token.clone());
            if shared.completions.send(done).is_err() {
                tracing::warn!(job_id = %job.id, "completer gone; the lease will expire and the job rerun");
            }
        }
        Some(Ok(Err(err))) => record_failure(&shared, &job, err).await,
        Some(Err(panic)) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let err = JobError::retry(format!("handler panicked: {message}"));
            record_failure(&shared, &job, err).await;
        }
    }
}

/// Heartbeats until the lease is lost (returns then); cancelled with the run.
async fn keep_lease(shared: &Shared, job: &ClaimedJob) {
    let lease = millis(shared.config.lease);
    loop {
        tokio::time::sleep(shared.config.heartbeat_interval()).await;
        let now = shared.clock.now_ms();
        match shared
            .store
            .heartbeat_job(&job.id, &job.lease_token, lease, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(job_id = %job.id, error = %err, "heartbeat failed; will retry");
            }
        }
    }
}

async fn record_failure(shared: &Shared, job: &ClaimedJob, err: JobError) {
    let now = shared.clock.now_ms();
    let retry_at = match &err {
        JobError::Permanent { .. } => None,
        JobError::Retryable {
            after: Some(after), ..
        } => Some(now.saturating_add(millis(*after))),
        JobError::Retryable { after: None, .. } => {
            let delay = shared
                .config
                .retry
                .delay_ms(job.attempt, &mut rand::thread_rng());
            Some(now.saturating_add(delay))
        }
    };
    let message = err.to_string();
    match shared
        .store
        .fail_job(&job.id, &job.lease_token, &message, retry_at, now)
        .await
    {
        Ok(FailOutcome::Retry { at }) => {
            shared.stats.add(Counter::Retried, 1);
            tracing::info!(job_id = %job.id, kind = %job.kind, attempt = job.attempt, retry_at = at, error = %message, "job failed; will retry");
        }
        Ok(FailOutcome::Discarded) => {
            shared.stats.add(Counter::Discarded, 1);
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempt, error = %message, "job failed; discarded");
        }
        Ok(FailOutcome::NotLeased) => {
            shared.stats.add(Counter::LeaseLost, 1);
            tracing::warn!(job_id = %job.id, kind = %job.kind, "failure not recorded: lease lost");
        }
        Err(store_err) => {
            tracing::warn!(job_id = %job.id, error = %store_err, "recording failure failed; the lease will expire and the job rerun");
        }
    }
}

/// Records completions in batches: whatever has arrived while the last batch was written.
pub(crate) async fn completer(shared: Arc<Shared>, mut inbox: mpsc::UnboundedReceiver<Completion>) {
    let mut batch: Vec<(JobId, String)> = Vec::new();
    while let Some(first) = inbox.recv().await {
        let mut close = None;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Completion::Done(id, token) => batch.push((id, token)),
                Completion::Close(reply) => {
                    close = Some(reply);
                    break;
                }
            }
            if batch.len() < COMPLETION_BATCH {
                next = inbox.try_recv().ok();
            }
        }
        flush(&shared, &mut batch).await;
        if let Some(reply) = close {
            let _ = reply.send(());
            return;
        }
    }
    flush(&shared, &mut batch).await;
}

async fn flush(shared: &Shared, batch: &mut Vec<(JobId, String)>) {
    if batch.is_empty() {
        return;
    }
    let mut tries = 0;
    loop {
        tries += 1;
        match shared
            .store
            .complete_jobs(batch, shared.clock.now_ms())
            .await
        {
            Ok(done) => {
                shared.stats.add(Counter::Completed, done.len() as u64);
                let lost = batch.len() - done.len();
                if lost > 0 {
                    shared.stats.add(Counter::LeaseLost, lost as u64);
                    tracing::warn!(count = lost, "completions refused: leases lost");
                }
                break;
            }
            Err(err) if tries < 5 => {
                tracing::warn!(error = %err, count = batch.len(), "recording completions failed; retrying");
                tokio::time::sleep(Duration::from_millis(50 * tries)).await;
            }
            Err(err) => {
                tracing::warn!(error = %err, count = batch.len(), "recording completions failed; the jobs will rerun after their leases expire");
                break;
            }
        }
    }
    batch.clear();
}
