//! Shared helpers for the runtime tests: both backends, quick cadences, waiting on a
//! condition with a deadline.
#![allow(clippy::unwrap_used, dead_code)]

use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_jobs::{RetryPolicy, RuntimeConfig};
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub const T0: i64 = 1_700_000_000_000;

/// Declares one test per backend for each `async fn name(test: TestStore)`.
#[macro_export]
macro_rules! runtime_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(sentinel_store::testing::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = sentinel_store::testing::postgres().await else {
                        eprintln!("skipped: {} is not set", sentinel_store::testing::PG_URL_VAR);
                        return;
                    };
                    super::$name(test).await;
                }
            )*
        }
    };
}

/// A runtime configuration with test cadences: quick polls, reaps and schedule checks.
pub fn quick_config(worker: &str) -> RuntimeConfig {
    RuntimeConfig {
        worker_id: worker.to_string(),
        concurrency: 8,
        claim_batch: 8,
        lease: Duration::from_secs(30),
        heartbeat: None,
        poll_interval: Duration::from_millis(20),
        claim_cooldown: Duration::from_millis(5),
        reap_interval: Duration::from_millis(20),
        schedule_tick: Duration::from_millis(20),
        retry: RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(4),
        },
    }
}

pub fn manual_clock() -> (ManualClock, SharedClock) {
    let clock = ManualClock::new(T0);
    let shared: SharedClock = Arc::new(clock.clone());
    (clock, shared)
}

/// Another connection set to the same database, as a second process would have.
pub async fn second_store(test: &TestStore) -> Store {
    Store::open(&test.options).await.unwrap()
}

/// Polls `check` until it returns true; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
