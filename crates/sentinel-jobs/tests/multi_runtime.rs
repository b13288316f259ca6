//! Several runtimes sharing one database, as separate processes would: every job's effect
//! happens once, and every cron slot runs once.
#![allow(clippy::unwrap_used)]

mod support;

use sentinel_core::clock::SystemClock;
use sentinel_jobs::{handler_fn, JobRuntime, RuntimeConfig, Schedule, ScheduleSpec};
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::testing::TestStore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{manual_clock, quick_config, second_store, wait_until, T0};

const JOBS: usize = 5_000;

async fn two_runtimes_run_each_job_exactly_once(test: TestStore) {
    let stores = [test.store.clone(), second_store(&test).await];
    let effects: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let mut runtimes = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let effects = effects.clone();
        let config = RuntimeConfig {
            concurrency: 32,
            claim_batch: 32,
            ..quick_config(&format!("runtime-{i}"))
        };
        let runtime = JobRuntime::new(store.clone(), Arc::new(SystemClock), config)
            .with_handler(handler_fn("effect", move |ctx| {
                let effects = effects.clone();
                async move {
                    *effects
                        .lock()
                        .unwrap()
                        .entry(ctx.id().to_string())
                        .or_default() += 1;
                    Ok(())
                }
            }))
            .start();
        runtimes.push(runtime);
    }
    let mut enqueued = Vec::with_capacity(JOBS);
    for chunk in 0..JOBS / 500 {
        let mut tx = stores[chunk % 2].begin().await.unwrap();
        for n in 0..500 {
            let job = NewJob::with_payload("effect", &(chunk * 500 + n)).unwrap();
            enqueued.push(enqueue_in(&mut tx, &job, 0).await.unwrap().unwrap());
        }
        tx.commit().await.unwrap();
        for runtime in &runtimes {
            runtime.waker().wake();
        }
    }
    wait_until("every job completed", Duration::from_secs(180), || async {
        // Counted by the runtimes too, which learn of their commits a moment later.
        let counted: u64 = runtimes.iter().map(|r| r.stats().completed).sum();
        test.store.job_counts().await.unwrap().completed == JOBS as i64 && counted == JOBS as u64
    })
    .await;

    let mut completed = 0;
    for runtime in runtimes {
        let stats = runtime.stats();
        assert_eq!(stats.lease_lost, 0, "{}", runtime.worker_id());
        completed += stats.completed;
        runtime.shutdown(Duration::from_secs(10)).await;
    }
    assert_eq!(completed, JOBS as u64);
    {
        let effects = effects.lock().unwrap();
        assert_eq!(effects.len(), JOBS);
        for id in &enqueued {
            assert_eq!(effects.get(id.as_str()), Some(&1), "job {id}");
        }
    }
    let counts = test.store.job_counts().await.unwrap();
    assert_eq!(
        (counts.available, counts.running, counts.retryable),
        (0, 0, 0)
    );
    stores[1].close().await;
}

async fn three_runtimes_run_each_cron_slot_once(test: TestStore) {
    let (clock, shared_clock) = manual_clock();
    let spec: ScheduleSpec = "every minute".parse().unwrap();
    let first_slot = spec.next_after(T0);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut stores = vec![test.store.clone()];
    for _ in 0..2 {
        stores.push(second_store(&test).await);
    }
    let mut runtimes = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let runs = runs.clone();
        let runtime = JobRuntime::new(
            store.clone(),
            shared_clock.clone(),
            quick_config(&format!("node-{i}")),
        )
        .with_schedule(Schedule::new("detections", spec, "detect"))
        .with_handler(handler_fn("detect", move |_ctx| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }))
        .start();
        runtimes.push(runtime);
    }
    let store = &test.store;
    wait_until("the schedule row", Duration::from_secs(30), || async {
        store.get_schedule("detections").await.unwrap().is_some()
    })
    .await;
    assert_eq!(
        store
            .get_schedule("detections")
            .await
            .unwrap()
            .unwrap()
            .next_run_at,
        first_slot
    );

    for (slot, expected_runs) in [(first_slot, 1), (first_slot + 60_000, 2)] {
        clock.set(slot);
        wait_until("the slot's run", Duration::from_secs(30), || async {
            runs.load(Ordering::SeqCst) == expected_runs
                && store.job_counts().await.unwrap().completed == expected_runs as i64
        })
        .await;
        let schedule = store.get_schedule("detections").await.unwrap().unwrap();
        assert_eq!(schedule.next_run_at, slot + 60_000);
        assert_eq!(schedule.last_run_at, Some(slot));
    }
    for runtime in runtimes {
        runtime.shutdown(Duration::from_secs(10)).await;
    }
    // With every node stopped, nothing more can have been enqueued for either slot.
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let counts = store.job_counts().await.unwrap();
    assert_eq!(counts.completed, 2);
    assert_eq!(counts.available + counts.running + counts.retryable, 0);
    for extra in &stores[1..] {
        extra.close().await;
    }
}

runtime_tests!(
    two_runtimes_run_each_job_exactly_once,
    three_runtimes_run_each_cron_slot_once,
);
