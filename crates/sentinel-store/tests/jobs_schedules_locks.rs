//! Cron schedule slots (compare-and-swap) and named locks on both backends.
#![allow(clippy::unwrap_used)]

use sentinel_store::jobs::schedules::claim_schedule_slot_in;
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::Store;
use serde_json::json;

const T0: i64 = 1_700_000_000_000;

async fn ensure_schedule_keeps_an_existing_slot(store: Store) {
    let first = store
        .ensure_schedule("metrics", T0 + 60_000, T0)
        .await
        .unwrap();
    assert_eq!(first.next_run_at, T0 + 60_000);
    assert_eq!(first.last_run_at, None);
    let again = store
        .ensure_schedule("metrics", T0 + 999_999, T0 + 5)
        .await
        .unwrap();
    assert_eq!(again.next_run_at, T0 + 60_000);
}

async fn schedule_slot_goes_to_exactly_one_claimant(store: Store) {
    store.ensure_schedule("detections", T0, T0).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim_schedule_slot("detections", T0, T0 + 60_000, T0)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let rec = store.get_schedule("detections").await.unwrap().unwrap();
    assert_eq!(rec.next_run_at, T0 + 60_000);
    assert_eq!(rec.last_run_at, Some(T0));
    // A stale expectation loses.
    assert!(!store
        .claim_schedule_slot("detections", T0, T0 + 60_000, T0 + 1)
        .await
        .unwrap());
    assert!(!store
        .claim_schedule_slot("unknown", T0, T0 + 1, T0)
        .await
        .unwrap());
}

async fn slot_and_its_job_commit_together(store: Store) {
    store.ensure_schedule("retention", T0, T0).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(
        claim_schedule_slot_in(&mut tx, "retention", T0, T0 + 1_000, T0)
            .await
            .unwrap()
    );
    let job = NewJob::new("retention", json!({})).dedup_key(format!("cron:retention:{T0}"));
    assert!(enqueue_in(&mut tx, &job, T0).await.unwrap().is_some());
    drop(tx);
    // Rolled back: the slot is still open and no job exists.
    assert_eq!(
        store
            .get_schedule("retention")
            .await
            .unwrap()
            .unwrap()
            .next_run_at,
        T0
    );
    assert_eq!(store.job_counts().await.unwrap().available, 0);
}

async fn locks_release_only_with_their_token(store: Store) {
    assert!(store.try_lock("repo-scan", "a", 1_000, T0).await.unwrap());
    assert!(!store
        .try_lock("repo-scan", "b", 1_000, T0 + 10)
        .await
        .unwrap());
    assert!(!store.unlock("repo-scan", "b").await.unwrap());
    assert!(!store
        .extend_lock("repo-scan", "b", 5_000, T0 + 10)
        .await
        .unwrap());
    // Re-taking with the same token extends.
    assert!(store
        .try_lock("repo-scan", "a", 1_000, T0 + 500)
        .await
        .unwrap());
    assert!(!store
        .try_lock("repo-scan", "b", 1_000, T0 + 1_200)
        .await
        .unwrap());
    assert!(store.unlock("repo-scan", "a").await.unwrap());
    assert!(!store.unlock("repo-scan", "a").await.unwrap());
    assert!(store
        .try_lock("repo-scan", "b", 1_000, T0 + 1_300)
        .await
        .unwrap());
}

async fn expired_lock_can_be_taken_and_old_holder_loses_it(store: Store) {
    assert!(store.try_lock("l", "a", 1_000, T0).await.unwrap());
    assert!(store.extend_lock("l", "a", 2_000, T0 + 500).await.unwrap());
    assert!(!store.try_lock("l", "b", 1_000, T0 + 2_499).await.unwrap());
    assert!(store.try_lock("l", "b", 1_000, T0 + 2_500).await.unwrap());
    assert!(!store
        .extend_lock("l", "a", 1_000, T0 + 2_600)
        .await
        .unwrap());
    assert!(!store.unlock("l", "a").await.unwrap());
    assert!(store.unlock("l", "b").await.unwrap());
}

sentinel_store::store_tests!(
    ensure_schedule_keeps_an_existing_slot,
    schedule_slot_goes_to_exactly_one_claimant,
    slot_and_its_job_commit_together,
    locks_release_only_with_their_token,
    expired_lock_can_be_taken_and_old_holder_loses_it,
);
