//! The runtime on both backends: runs jobs, wakes on demand, retries with backoff and
//! discards, survives a dead worker, and shuts down gracefully.
#![allow(clippy::unwrap_used)]

mod support;

use sentinel_core::clock::SystemClock;
use sentinel_jobs::{handler_fn, JobError, JobRuntime, RuntimeConfig};
use sentinel_store::jobs::{JobStatus, NewJob};
use sentinel_store::testing::TestStore;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{manual_clock, quick_config, wait_until, T0};
use tokio::sync::{mpsc, Notify};

const LIMIT: Duration = Duration::from_secs(30);

async fn runs_jobs_and_records_completion(test: TestStore) {
    let store = test.store.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_handler = seen.clone();
    let runtime = JobRuntime::new(store.clone(), Arc::new(SystemClock), quick_config("w"))
        .with_handler(handler_fn("record", move |ctx| {
            let seen = seen_by_handler.clone();
            async move {
                let n: u32 = ctx.payload()?;
                seen.lock().unwrap().push(n);
                Ok(())
            }
        }))
        .start();
    for n in 0..50_u32 {
        store
            .enqueue(&NewJob::with_payload("record", &n).unwrap(), 0)
            .await
            .unwrap();
    }
    // A kind this runtime has no handler for stays untouched.
    let other = store
        .enqueue(&NewJob::new("other", json!({})), 0)
        .await
        .unwrap()
        .unwrap();
    wait_until("50 completions", LIMIT, || async {
        // The store sees the commit a moment before the runtime counts it.
        store.job_counts().await.unwrap().completed == 50 && runtime.stats().completed == 50
    })
    .await;
    let mut got = seen.lock().unwrap().clone();
    got.sort_unstable();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    assert_eq!(runtime.stats().completed, 50);
    let report = runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.abandoned, 0);
    let other = store.get_job(&other).await.unwrap().unwrap();
    assert_eq!((other.status, other.attempt), (JobStatus::Available, 0));
}

async fn waker_rouses_an_idle_runtime(test: TestStore) {
    let store = test.store.clone();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let config = RuntimeConfig {
        // Polling would take an hour: only a wake-up can explain a prompt run.
        poll_interval: Duration::from_secs(3_600),
        ..quick_config("w")
    };
    let runtime = JobRuntime::new(store.clone(), Arc::new(SystemClock), config)
        .with_handler(handler_fn("tick", move |_ctx| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }))
        .start();
    let waker = runtime.waker();
    for expected in 1..=3 {
        store
            .enqueue(&NewJob::new("tick", json!({})), 0)
            .await
            .unwrap();
        waker.wake();
        wait_until("the woken run", LIMIT, || async {
            runs.load(Ordering::SeqCst) == expected
        })
        .await;
    }
    runtime.shutdown(Duration::from_secs(5)).await;
}

async fn postgres_notify_rouses_an_idle_runtime(test: TestStore) {
    if test.store.backend() == sentinel_store::Backend::Sqlite {
        return; // SQLite has no cross-process notifications; the waker covers it.
    }
    let other_process = support::second_store(&test).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let config = RuntimeConfig {
        poll_interval: Duration::from_secs(3_600),
        ..quick_config("w")
    };
    let runtime = JobRuntime::new(test.store.clone(), Arc::new(SystemClock), config)
        .with_handler(handler_fn("tick", move |_ctx| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }))
        .start();
    for expected in 1..=3 {
        other_process
            .enqueue(&NewJob::new("tick", json!({})), 0)
            .await
            .unwrap();
        wait_until("the notified run", LIMIT, || async {
            runs.load(Ordering::SeqCst) == expected
        })
        .await;
    }
    runtime.shutdown(Duration::from_secs(5)).await;
    other_process.close().await;
}

async fn retries_with_backoff_then_discards(test: TestStore) {
    let store = test.store.clone();
    let (clock, shared_clock) = manual_clock();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let runtime = JobRuntime::new(store.clone(), shared_clock, quick_config("w"))
        .with_handler(handler_fn("flaky", move |_ctx| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Err(JobError::retry("upstream down"))
            }
        }))
        .start();
    let id = store
        .enqueue(&NewJob::new("flaky", json!({})).max_attempts(3), T0)
        .await
        .unwrap()
        .unwrap();
    // Backoff ceilings with base 1 s, cap 4 s: 1 s after the first failure, 2 s after the second.
    for (attempt, ceiling) in [(1, 1_000), (2, 2_000)] {
        wait_until("a retryable failure", LIMIT, || async {
            let job = store.get_job(&id).await.unwrap().unwrap();
            job.status == JobStatus::Retryable && job.attempt == attempt
        })
        .await;
        let job = store.get_job(&id).await.unwrap().unwrap();
        let delay = job.run_at - clock_now(&clock);
        assert!(
            (ceiling / 2..=ceiling).contains(&delay),
            "attempt {attempt}: delay {delay}"
        );
        assert_eq!(job.last_error.as_deref(), Some("upstream down"));
        assert_eq!(calls.load(Ordering::SeqCst), attempt as usize);
        clock.set(job.run_at);
    }
    wait_until("the discard", LIMIT, || async {
        store.get_job(&id).await.unwrap().unwrap().status == JobStatus::Discarded
    })
    .await;
    assert_eq!(store.get_job(&id).await.unwrap().unwrap().attempt, 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let stats = runtime.stats();
    assert_eq!((stats.retried, stats.discarded), (2, 1));
    runtime.shutdown(Duration::from_secs(5)).await;
}

fn clock_now(clock: &sentinel_core::clock::ManualClock) -> i64 {
    sentinel_core::clock::Clock::now_ms(clock)
}

async fn permanent_errors_discard_and_panics_retry(test: TestStore) {
    let store = test.store.clone();
    let (_clock, shared_clock) = manual_clock();
    let runtime = JobRuntime::new(store.clone(), shared_clock, quick_config("w"))
        .with_handler(handler_fn("typed", |ctx| async move {
            let _n: u64 = ctx.payload()?;
            Ok(())
        }))
        .with_handler(handler_fn("panics", |_ctx| async move {
            if T0 > 0 {
                panic!("handler bug");
            }
            Ok(())
        }))
        .start();
    let bad = store
        .enqueue(&NewJob::new("typed", json!("not a number")), T0)
        .await
        .unwrap()
        .unwrap();
    let panics = store
        .enqueue(&NewJob::new("panics", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    wait_until("both failures recorded", LIMIT, || async {
        let bad = store.get_job(&bad).await.unwrap().unwrap();
        let panics = store.get_job(&panics).await.unwrap().unwrap();
        bad.status == JobStatus::Discarded && panics.status == JobStatus::Retryable
    })
    .await;
    let bad = store.get_job(&bad).await.unwrap().unwrap();
    assert_eq!(bad.attempt, 1);
    assert!(bad.last_error.unwrap().starts_with("payload:"));
    let panics = store.get_job(&panics).await.unwrap().unwrap();
    assert!(panics.last_error.unwrap().contains("handler bug"));
    runtime.shutdown(Duration::from_secs(5)).await;
}

async fn dead_workers_job_runs_elsewhere_after_its_lease(test: TestStore) {
    let store = test.store.clone();
    let (clock, shared_clock) = manual_clock();
    let id = store
        .enqueue(&NewJob::new("once", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    // A worker claims it and dies without a word.
    let dead = store
        .claim_jobs("dead", &[], 1, 1_000, T0)
        .await
        .unwrap()
        .remove(0);

    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let runtime = JobRuntime::new(store.clone(), shared_clock, quick_config("alive"))
        .with_handler(handler_fn("once", move |_ctx| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }))
        .start();
    // While the lease holds, the live runtime runs other work but not the leased job.
    let marker = store
        .enqueue(&NewJob::new("once", json!({})), T0)
        .await
        .unwrap()
        .unwrap();
    wait_until("the marker job", LIMIT, || async {
        store.get_job(&marker).await.unwrap().unwrap().status == JobStatus::Completed
    })
    .await;
    let leased = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(
        (leased.status, leased.worker.as_deref()),
        (JobStatus::Running, Some("dead"))
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    clock.advance(1_001);
    wait_until("the reaped job to complete", LIMIT, || async {
        store.get_job(&id).await.unwrap().unwrap().status == JobStatus::Completed
    })
    .await;
    let job = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!((job.attempt, job.worker.as_deref()), (2, Some("alive")));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // The dead worker wakes up late: refused.
    assert!(!store
        .complete_job(&id, &dead.lease_token, T0 + 2_000)
        .await
        .unwrap());
    runtime.shutdown(Duration::from_secs(5)).await;
}

async fn shutdown_waits_for_runs_that_finish_in_time(test: TestStore) {
    let store = test.store.clone();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let runtime = JobRuntime::new(store.clone(), Arc::new(SystemClock), quick_config("w"))
        .with_handler(handler_fn("polite", move |mut ctx| {
            let started_tx = started_tx.clone();
            async move {
                let _ = started_tx.send(());
                ctx.stopping().await;
                Ok(())
            }
        }))
        .start();
    let id = store
        .enqueue(&NewJob::new("polite", json!({})), 0)
        .await
        .unwrap()
        .unwrap();
    started.recv().await.unwrap();
    let report = runtime.shutdown(LIMIT).await;
    assert_eq!((report.abandoned, report.released), (0, 0));
    let job = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Completed);
}

async fn shutdown_stops_overdue_runs_and_releases_their_leases(test: TestStore) {
    let store = test.store.clone();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let never = Arc::new(Notify::new());
    let runtime = JobRuntime::new(store.clone(), Arc::new(SystemClock), quick_config("w"))
        .with_handler(handler_fn("stubborn", move |_ctx| {
            let started_tx = started_tx.clone();
            let never = never.clone();
            async move {
                let _ = started_tx.send(());
                never.notified().await;
                Ok(())
            }
        }))
        .start();
    let id = store
        .enqueue(&NewJob::new("stubborn", json!({})), 0)
        .await
        .unwrap()
        .unwrap();
    started.recv().await.unwrap();
    let report = runtime.shutdown(Duration::from_millis(50)).await;
    assert_eq!((report.abandoned, report.released), (1, 1));
    let job = store.get_job(&id).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempt), (JobStatus::Available, 0));
    assert_eq!(job.lease_expires_at, None);
}

runtime_tests!(
    runs_jobs_and_records_completion,
    waker_rouses_an_idle_runtime,
    postgres_notify_rouses_an_idle_runtime,
    retries_with_backoff_then_discards,
    permanent_errors_discard_and_panics_retry,
    dead_workers_job_runs_elsewhere_after_its_lease,
    shutdown_waits_for_runs_that_finish_in_time,
    shutdown_stops_overdue_runs_and_releases_their_leases,
);
