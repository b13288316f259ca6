//! Counters a runtime keeps about its own work, for logs, tests and benchmarks.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct RuntimeStats {
    claims: AtomicU64,
    claimed: AtomicU64,
    completed: AtomicU64,
    retried: AtomicU64,
    discarded: AtomicU64,
    lease_lost: AtomicU64,
}

/// A copy of a runtime's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Claim queries that returned at least one job.
    pub claims: u64,
    /// Jobs those claims returned.
    pub claimed: u64,
    /// Completions the store confirmed.
    pub completed: u64,
    /// Failures scheduled to run again.
    pub retried: u64,
    /// Failures that ended the job.
    pub discarded: u64,
    /// Runs abandoned or not recorded because the lease had passed to someone else.
    pub lease_lost: u64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Claims,
    Claimed,
    Completed,
    Retried,
    Discarded,
    LeaseLost,
}

impl RuntimeStats {
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        let cell = match counter {
            Counter::Claims => &self.claims,
            Counter::Claimed => &self.claimed,
            Counter::Completed => &self.completed,
            Counter::Retried => &self.retried,
            Counter::Discarded => &self.discarded,
            Counter::LeaseLost => &self.lease_lost,
        };
        cell.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            claims: self.claims.load(Ordering::Relaxed),
            claimed: self.claimed.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            lease_lost: self.lease_lost.load(Ordering::Relaxed),
        }
    }
}
