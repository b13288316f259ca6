//! The job queue on both backends: enqueue in the caller's transaction, dedup, fenced
//! leases, retries, reaping, release at shutdown, cancel and counts.
#![allow(clippy::unwrap_used)]

use sentinel_store::jobs::{enqueue_in, FailOutcome, JobStatus, NewJob};
use sentinel_store::Store;
use serde_json::json;
use std::collections::HashSet;

const T0: i64 = 1_700_000_000_000;

async fn rolled_back_enqueue_leaves_no_job(store: Store) {
    let mut tx = store.begin().await.unwrap();
    let id = enqueue_in(&mut tx, &NewJob::new("autopsy", json!({"n": 1})), T0)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    assert_eq!(store.get_job(&id).await.unwrap(), None);
    assert_eq!(store.job_counts().await.unwrap().available, 0);

    let mut tx = store.begin().await.unwrap();
    let id = enqueue_in(&mut tx, &NewJob::new("autopsy", json!({"n": 2})), T0)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let job = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Available);
    assert_eq!(job.payload, json!({"n": 2}));
    assert_eq!(job.run_at, T0);
}

async fn dedup_key_allows_one_unfinished_job(store: Store) {
    let job = NewJob::new("alert", json!({})).dedup_key("incident:1");
    let first = store.enqueue(&job, T0).await.unwrap().unwrap();
    assert_eq!(store.enqueue(&job, T0).await.unwrap(), None);

    // Still unfinished while running: still deduplicated.
    let claimed = store.claim_jobs("w1", &[], 10, 30_000, T0).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(store.enqueue(&job, T0 + 1).await.unwrap(), None);

    // Once finished the key is free again.
    assert!(store
        .complete_job(&first, &claimed[0].lease_token, T0 + 2)
        .await
        .unwrap());
    let second = store.enqueue(&job, T0 + 3).await.unwrap().unwrap();
    assert_ne!(first, second);

    // Jobs without a key are never deduplicated.
    let plain = NewJob::new("alert", json!({}));
    assert!(store.enqueue(&plain, T0).await.unwrap().is_some());
    assert!(store.enqueue(&plain, T0).await.unwrap().is_some());
}

async fn claim_takes_due_jobs_of_asked_kinds_oldest_first(store: Store) {
    let late = store
        .enqueue(&NewJob::new("a", json!(1)).run_at(T0 + 5_000), T0)
        .await
        .unwrap()
        .unwrap();
    let a1 = store
        .enqueue(&NewJob::new("a", json!(2)), T0)
        .await
        .unwrap()
        .unwrap();
    let b1 = store
        .enqueue(&NewJob::new("b", json!(3)), T0 + 1)
        .await
        .unwrap()
        .unwrap();
    let a2 = store
        .enqueue(&NewJob::new("a", json!(4)), T0 + 2)
        .await
        .unwrap()
        .unwrap();

    let claimed = store
        .claim_jobs("w1", &["a"], 10, 1_000, T0 + 10)
        .await
        .unwrap();
    let ids: Vec<_> = claimed.iter().map(|j| j.id.clone()).collect();
    assert_eq!(ids, vec![a1.clone(), a2.clone()]);
    assert!(claimed
        .iter()
        .all(|j| j.attempt == 1 && j.lease_expires_at == T0 + 1_010));
    assert_eq!(claimed[0].payload, json!(2));

    // Nothing else of kind "a" is due; "b" is untouched.
    assert!(store
        .claim_jobs("w2", &["a"], 10, 1_000, T0 + 10)
        .await
        .unwrap()
        .is_empty());
    let b = store
        .claim_jobs("w2", &[], 10, 1_000, T0 + 10)
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].id, b1);

    // The delayed job is claimable once its time has come.
    let later = store
        .claim_jobs("w2", &[], 10, 1_000, T0 + 5_000)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id, late);
    let rec = store.get_job(&late).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Running);
    assert_eq!(rec.worker.as_deref(), Some("w2"));
}

async fn claim_respects_limit(store: Store) {
    for i in 0..5 {
        store
            .enqueue(&NewJob::new("k", json!(i)), T0)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .claim_jobs("w", &[], 3, 1_000, T0)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .claim_jobs("w", &[], 3, 1_000, T0)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .claim_jobs("w", &[], 0, 1_000, T0)
            .await
            .unwrap()
            .len(),
        0
    );
}

async fn wrong_token_changes_nothing(store: Store) {
    let id = store
        .enqueue(&NewJob::new("k", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    let job = store
        .claim_jobs("w", &[], 1, 1_000, T0)
        .await
        .unwrap()
        .remove(0);
    assert!(!store.heartbeat_job(&id, "bogus", 5_000, T0).await.unwrap());
    assert!(!store.complete_job(&id, "bogus", T0).await.unwrap());
    assert_eq!(
        store
            .fail_job(&id, "bogus", "x", Some(T0), T0)
            .await
            .unwrap(),
        FailOutcome::NotLeased
    );
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Running);
    assert_eq!(rec.lease_expires_at, Some(T0 + 1_000));

    assert!(store
        .heartbeat_job(&id, &job.lease_token, 5_000, T0 + 500)
        .await
        .unwrap());
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.lease_expires_at, Some(T0 + 5_500));
    assert!(store
        .complete_job(&id, &job.lease_token, T0 + 600)
        .await
        .unwrap());
    // A second completion is a stale call too.
    assert!(!store
        .complete_job(&id, &job.lease_token, T0 + 700)
        .await
        .unwrap());
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Completed);
    assert_eq!(rec.finished_at, Some(T0 + 600));
}

async fn expired_lease_is_reaped_and_the_late_worker_is_refused(store: Store) {
    let id = store
        .enqueue(&NewJob::new("k", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    let dead = store
        .claim_jobs("dead", &[], 1, 1_000, T0)
        .await
        .unwrap()
        .remove(0);

    // Not yet expired: nothing to reap, nothing to claim.
    assert_eq!(store.reap_expired_leases(T0 + 1_000).await.unwrap(), 0);
    assert!(store
        .claim_jobs("alive", &[], 1, 1_000, T0 + 1_000)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.reap_expired_leases(T0 + 1_001).await.unwrap(), 1);
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Retryable);
    assert_eq!(rec.attempt, 1);
    assert_eq!(rec.last_error.as_deref(), Some("lease expired"));

    let alive = store
        .claim_jobs("alive", &[], 1, 1_000, T0 + 1_001)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(alive.id, id);
    assert_eq!(alive.attempt, 2);
    assert_ne!(alive.lease_token, dead.lease_token);

    assert!(!store
        .complete_job(&id, &dead.lease_token, T0 + 1_100)
        .await
        .unwrap());
    assert!(!store
        .heartbeat_job(&id, &dead.lease_token, 1_000, T0 + 1_100)
        .await
        .unwrap());
    assert!(store
        .complete_job(&id, &alive.lease_token, T0 + 1_200)
        .await
        .unwrap());
}

async fn reaping_the_last_attempt_discards(store: Store) {
    let id = store
        .enqueue(&NewJob::new("k", json!({})).max_attempts(1), T0)
        .await
        .unwrap()
        .unwrap();
    store.claim_jobs("dead", &[], 1, 100, T0).await.unwrap();
    assert_eq!(store.reap_expired_leases(T0 + 101).await.unwrap(), 1);
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Discarded);
    assert_eq!(rec.finished_at, Some(T0 + 101));
}

async fn failures_retry_until_attempts_run_out(store: Store) {
    let id = store
        .enqueue(&NewJob::new("k", json!({})).max_attempts(3), T0)
        .await
        .unwrap()
        .unwrap();
    let mut now = T0;
    for attempt in 1..=2 {
        let job = store
            .claim_jobs("w", &[], 1, 1_000, now)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(job.attempt, attempt);
        let retry_at = now + 10_000;
        let outcome = store
            .fail_job(&id, &job.lease_token, "boom", Some(retry_at), now)
            .await
            .unwrap();
        assert_eq!(outcome, FailOutcome::Retry { at: retry_at });
        // Not due before its retry time.
        assert!(store
            .claim_jobs("w", &[], 1, 1_000, retry_at - 1)
            .await
            .unwrap()
            .is_empty());
        now = retry_at;
    }
    let job = store
        .claim_jobs("w", &[], 1, 1_000, now)
        .await
        .unwrap()
        .remove(0);
    assert!(job.is_last_attempt());
    let outcome = store
        .fail_job(&id, &job.lease_token, "boom again", Some(now + 10_000), now)
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Discarded);
    let rec = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, JobStatus::Discarded);
    assert_eq!(rec.attempt, 3);
    assert_eq!(rec.last_error.as_deref(), Some("boom again"));
    assert!(store
        .claim_jobs("w", &[], 1, 1_000, now + 1_000_000)
        .await
        .unwrap()
        .is_empty());
}

async fn permanent_failure_discards_at_once(store: Store) {
    let id = store
        .enqueue(&NewJob::new("k", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    let job = store
        .claim_jobs("w", &[], 1, 1_000, T0)
        .await
        .unwrap()
        .remove(0);
    let outcome = store
        .fail_job(&id, &job.lease_token, "bad payload", None, T0)
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Discarded);
    assert_eq!(store.job_counts().await.unwrap().discarded, 1);
}

async fn release_gives_back_a_workers_leases(store: Store) {
    for i in 0..3 {
        store
            .enqueue(&NewJob::new("k", json!(i)), T0)
            .await
            .unwrap();
    }
    let mine = store
        .claim_jobs("leaving", &[], 2, 60_000, T0)
        .await
        .unwrap();
    let other = store
        .claim_jobs("staying", &[], 1, 60_000, T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .release_worker_leases("leaving", T0 + 5)
            .await
            .unwrap(),
        2
    );
    let counts = store.job_counts().await.unwrap();
    assert_eq!((counts.available, counts.running), (2, 1));
    for job in &mine {
        let rec = store.get_job(&job.id).await.unwrap().unwrap();
        assert_eq!(rec.attempt, 0, "an interrupted attempt does not count");
        assert!(!store
            .complete_job(&job.id, &job.lease_token, T0 + 6)
            .await
            .unwrap());
    }
    assert!(store
        .complete_job(&other[0].id, &other[0].lease_token, T0 + 6)
        .await
        .unwrap());
}

async fn cancel_stops_unfinished_jobs_only(store: Store) {
    let waiting = store
        .enqueue(&NewJob::new("k", json!(1)), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(store.cancel_job(&waiting, T0 + 1).await.unwrap());
    assert!(!store.cancel_job(&waiting, T0 + 2).await.unwrap());
    let running = store
        .enqueue(&NewJob::new("k", json!(2)), T0)
        .await
        .unwrap()
        .unwrap();
    let job = store
        .claim_jobs("w", &[], 1, 1_000, T0)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.id, running);
    assert!(store.cancel_job(&running, T0 + 3).await.unwrap());
    assert!(!store
        .complete_job(&running, &job.lease_token, T0 + 4)
        .await
        .unwrap());
    assert_eq!(store.job_counts().await.unwrap().cancelled, 2);
}

async fn concurrent_claims_never_share_a_job(store: Store) {
    let mut tx = store.begin().await.unwrap();
    for i in 0..200 {
        enqueue_in(&mut tx, &NewJob::new("k", json!(i)), T0)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store
                    .claim_jobs(&format!("w{w}"), &[], 7, 60_000, T0)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 200);
    assert_eq!(unique.len(), 200);
}

async fn finished_jobs_can_be_pruned(store: Store) {
    let keep = store
        .enqueue(&NewJob::new("k", json!(1)), T0)
        .await
        .unwrap()
        .unwrap();
    let done = store
        .enqueue(&NewJob::new("k", json!(2)), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(store.cancel_job(&done, T0 + 10).await.unwrap());
    assert_eq!(store.next_job_run_at().await.unwrap(), Some(T0));
    assert_eq!(store.delete_finished_jobs(T0 + 10, 100).await.unwrap(), 0);
    assert_eq!(store.delete_finished_jobs(T0 + 11, 100).await.unwrap(), 1);
    assert!(store.get_job(&done).await.unwrap().is_none());
    assert!(store.get_job(&keep).await.unwrap().is_some());
}

async fn batch_completion_is_fenced_per_job(store: Store) {
    for i in 0..3 {
        store
            .enqueue(&NewJob::new("k", json!(i)), T0)
            .await
            .unwrap();
    }
    let jobs = store.claim_jobs("w", &[], 3, 1_000, T0).await.unwrap();
    let done = vec![
        (jobs[0].id.clone(), jobs[0].lease_token.clone()),
        (jobs[1].id.clone(), "stale".to_string()),
        (jobs[2].id.clone(), jobs[2].lease_token.clone()),
    ];
    let completed: HashSet<_> = store
        .complete_jobs(&done, T0 + 1)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let expected: HashSet<_> = [jobs[0].id.clone(), jobs[2].id.clone()]
        .into_iter()
        .collect();
    assert_eq!(completed, expected);
    let counts = store.job_counts().await.unwrap();
    assert_eq!((counts.completed, counts.running), (2, 1));
    assert!(store.complete_jobs(&[], T0).await.unwrap().is_empty());
}

async fn postgres_enqueue_notifies_listeners(store: Store) {
    let Some(mut listener) = store.listen_for_jobs().await.unwrap() else {
        assert_eq!(store.backend(), sentinel_store::Backend::Sqlite);
        return;
    };
    store
        .enqueue(&NewJob::new("wake-me", json!({})), T0)
        .await
        .unwrap();
    let kind = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            // Other test schemas share the database's channel; wait for our kind.
            let kind = listener.recv().await.unwrap();
            if kind == "wake-me" {
                return kind;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(kind, "wake-me");
}

sentinel_store::store_tests!(
    batch_completion_is_fenced_per_job,
    postgres_enqueue_notifies_listeners,
    rolled_back_enqueue_leaves_no_job,
    dedup_key_allows_one_unfinished_job,
    claim_takes_due_jobs_of_asked_kinds_oldest_first,
    claim_respects_limit,
    wrong_token_changes_nothing,
    expired_lease_is_reaped_and_the_late_worker_is_refused,
    reaping_the_last_attempt_discards,
    failures_retry_until_attempts_run_out,
    permanent_failure_discards_at_once,
    release_gives_back_a_workers_leases,
    cancel_stops_unfinished_jobs_only,
    concurrent_claims_never_share_a_job,
    finished_jobs_can_be_pruned,
);
