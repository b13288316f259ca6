//! One repository's metrics computation under its fenced lock: take `metrics:<repository>`
//! with a random token, compute and write the rows a chunk at a time (each write proves the
//! token still holds the lock, and pushes its expiry on), release with the token.
//!
//! A holder that dies mid-run leaves its lock to expire; the next run takes it and redoes the
//! rows (upserts by key, so nothing is duplicated), and a holder that comes back too late has
//! its writes refused.

use rand::RngCore;
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{MetricValues, MetricsSettings, PeriodWindow};
use sentinel_store::metrics::{NewMetricRow, ROWS_PER_WRITE};
use sentinel_store::{Store, StoreResult};
use std::collections::VecDeque;

/// How long a run's lock lasts without a write pushing it on.
pub const LOCK_TTL_MS: Millis = 5 * 60_000;

/// The lock of a repository's metrics.
pub fn lock_name(repository: &RepositoryId) -> String {
    format!("metrics:{repository}")
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A chunk was written; more remain.
    More,
    /// Every row is written.
    Done,
    /// The lock expired and was taken by another run: nothing was written.
    LostLock,
}

/// A run in progress: the lock it holds and the periods it has still to write.
#[derive(Debug)]
pub struct MetricsRun {
    store: Store,
    org: OrgId,
    repository: RepositoryId,
    lock: String,
    token: String,
    time_zone: String,
    hourly_rate: f64,
    pending: VecDeque<PeriodWindow>,
    written: usize,
}

impl MetricsRun {
    /// Takes the repository's lock; `None` while another run holds it.
    pub async fn start(
        store: &Store,
        org: &OrgId,
        repository: &RepositoryId,
        settings: &MetricsSettings,
        windows: Vec<PeriodWindow>,
        now: Millis,
    ) -> StoreResult<Option<Self>> {
        let lock = lock_name(repository);
        let token = random_token();
        if !store.try_lock(&lock, &token, LOCK_TTL_MS, now).await? {
            return Ok(None);
        }
        Ok(Some(Self {
            store: store.clone(),
            org: org.clone(),
            repository: repository.clone(),
            lock,
            token,
            time_zone: settings.time_zone.clone(),
            hourly_rate: settings.hourly_rate,
            pending: windows.into(),
            written: 0,
        }))
    }

    /// Rows written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Computes and writes the next chunk of rows.
    pub async fn step(&mut self, now: Millis) -> StoreResult<Step> {
        if self.pending.is_empty() {
            return Ok(Step::Done);
        }
        let take = self.pending.len().min(ROWS_PER_WRITE);
        let mut rows = Vec::with_capacity(take);
        for window in self.pending.iter().take(take) {
            let facts = self
                .store
                .metric_facts(
                    &self.org,
                    &self.repository,
                    window.starts_at,
                    window.ends_at,
                )
                .await?;
            rows.push(NewMetricRow {
                window: *window,
                time_zone: self.time_zone.clone(),
                values: MetricValues::compute(&facts, self.hourly_rate),
                hourly_rate: self.hourly_rate,
            });
        }
        let held = self
            .store
            .write_repo_metrics_fenced(
                &self.org,
                &self.repository,
                &rows,
                (&self.lock, &self.token),
                now,
                now,
            )
            .await?;
        if !held {
            return Ok(Step::LostLock);
        }
        self.store
            .extend_lock(&self.lock, &self.token, LOCK_TTL_MS, now)
            .await?;
        self.pending.drain(..take);
        self.written += take;
        Ok(if self.pending.is_empty() {
            Step::Done
        } else {
            Step::More
        })
    }

    /// Releases the lock (only this run's token can).
    pub async fn finish(self) -> StoreResult<()> {
        self.store.unlock(&self.lock, &self.token).await?;
        Ok(())
    }

    /// Steps until done (then releases) or until the lock is lost; the clock is read before
    /// each step.
    pub async fn run_to_end(mut self, now: impl Fn() -> Millis) -> StoreResult<RunOutcome> {
        loop {
            match self.step(now()).await? {
                Step::More => continue,
                Step::Done => {
                    let written = self.written;
                    self.finish().await?;
                    return Ok(RunOutcome::Completed { written });
                }
                Step::LostLock => {
                    return Ok(RunOutcome::LostLock {
                        written: self.written,
                    })
                }
            }
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Completed { written: usize },
    LostLock { written: usize },
}

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
