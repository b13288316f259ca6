//! [`JobRuntime`]: the registry of handlers and schedules, and the tasks that run them —
//! claim loop, completer, reaper, cron and the PostgreSQL listener — with graceful
//! shutdown through [`RuntimeHandle::shutdown`].

use crate::executor::{claim_loop, completer, Completion};
use crate::handler::JobHandler;
use crate::retry::{millis, RetryPolicy};
use crate::schedule::Schedule;
use crate::stats::{RuntimeStats, StatsSnapshot};
use crate::waker::{listen, Waker};
use sentinel_core::clock::SharedClock;
use sentinel_store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// How a runtime works. `Default` suits a production worker.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Names this process in the `worker` column; unique per runtime.
    pub worker_id: String,
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// At most this many jobs per claim (also bounded by free slots).
    pub claim_batch: u32,
    /// How long a claim or heartbeat holds a job.
    pub lease: Duration,
    /// Heartbeat period; `None` means a third of the lease.
    pub heartbeat: Option<Duration>,
    /// How often an idle claim loop looks for work without being woken.
    pub poll_interval: Duration,
    /// With fewer than half a batch of slots free, how long to wait for more to free up
    /// before claiming into the few there are (bigger batches, fewer round trips).
    pub claim_cooldown: Duration,
    /// How often expired leases are taken back.
    pub reap_interval: Duration,
    /// How often schedules are checked.
    pub schedule_tick: Duration,
    pub retry: RetryPolicy,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            worker_id: format!(
                "worker-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
            concurrency: 16,
            claim_batch: 32,
            lease: Duration::from_secs(30),
            heartbeat: None,
            poll_interval: Duration::from_secs(1),
            claim_cooldown: Duration::from_millis(5),
            reap_interval: Duration::from_secs(5),
            schedule_tick: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

impl RuntimeConfig {
    pub(crate) fn heartbeat_interval(&self) -> Duration {
        self.heartbeat
            .unwrap_or(self.lease / 3)
            .max(Duration::from_millis(10))
    }
}

/// What every task of a started runtime shares.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) clock: SharedClock,
    pub(crate) config: RuntimeConfig,
    pub(crate) handlers: HashMap<String, Arc<dyn JobHandler>>,
    pub(crate) kinds: Vec<String>,
    pub(crate) waker: Waker,
    pub(crate) stats: RuntimeStats,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) completions: mpsc::UnboundedSender<Completion>,
}

/// A job runtime being set up: register handlers and schedules, then [`start`](Self::start).
pub struct JobRuntime {
    store: Store,
    clock: SharedClock,
    config: RuntimeConfig,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    schedules: Vec<Schedule>,
    waker: Waker,
}

impl JobRuntime {
    pub fn new(store: Store, clock: SharedClock, config: RuntimeConfig) -> Self {
        Self {
            store,
            clock,
            config,
            handlers: HashMap::new(),
            schedules: Vec::new(),
            waker: Waker::new(),
        }
    }

    /// Adds the handler of its kind (replacing an earlier one of the same kind).
    pub fn register(&mut self, handler: Arc<dyn JobHandler>) -> &mut Self {
        self.handlers.insert(handler.kind().to_string(), handler);
        self
    }

    pub fn with_handler(mut self, handler: Arc<dyn JobHandler>) -> Self {
        self.register(handler);
        self
    }

    /// Adds a cron schedule. Its job kind needs a handler somewhere, not necessarily here.
    pub fn add_schedule(&mut self, schedule: Schedule) -> &mut Self {
        self.schedules.retain(|s| s.name != schedule.name);
        self.schedules.push(schedule);
        self
    }

    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.add_schedule(schedule);
        self
    }

    /// The handle that wakes this runtime's claim loop; give it to in-process enqueuers
    /// (the ingest writer) to call after they commit. Usable before and after start.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Same as [`waker`](Self::waker).
    pub fn notifier(&self) -> Waker {
        self.waker()
    }

    /// Starts the runtime's tasks on the current tokio runtime.
    pub fn start(self) -> RuntimeHandle {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (completions, inbox) = mpsc::unbounded_channel();
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        let shared = Arc::new(Shared {
            store: self.store,
            clock: self.clock,
            config: self.config,
            handlers: self.handlers,
            kinds,
            waker: self.waker,
            stats: RuntimeStats::default(),
            stop: stop_rx,
            completions,
        });
        tracing::info!(worker = %shared.config.worker_id, kinds = ?shared.kinds, schedules = self.schedules.len(), "job runtime started");
        let background = vec![
            tokio::spawn(reap_loop(shared.clone())),
            tokio::spawn(crate::cron::cron_loop(shared.clone(), self.schedules)),
            tokio::spawn(listen(
                shared.store.clone(),
                shared.kinds.clone(),
                shared.waker.clone(),
                shared.stop.clone(),
            )),
        ];
        RuntimeHandle {
            claim: tokio::spawn(claim_loop(shared.clone())),
            completer: tokio::spawn(completer(shared.clone(), inbox)),
            background,
            stop: stop_tx,
            shared,
        }
    }
}

async fn reap_loop(shared: Arc<Shared>) {
    let mut stop = shared.stop.clone();
    let mut tick = tokio::time::interval(shared.config.reap_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        match shared
            .store
            .reap_expired_leases(shared.clock.now_ms())
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, "expired job leases taken back");
                shared.waker.wake();
            }
            Err(err) => tracing::warn!(error = %err, "reaping expired leases failed"),
        }
    }
}

/// What a shutdown did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Runs that were still going at the deadline and were stopped.
    pub abandoned: usize,
    /// Leases given back to the queue (the stopped runs' jobs).
    pub released: u64,
}

/// A started runtime. Dropping it stops claiming but lets running jobs finish unrecorded
/// (their leases then expire); call [`shutdown`](Self::shutdown) to stop cleanly.
pub struct RuntimeHandle {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    claim: JoinHandle<JoinSet<()>>,
    completer: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl RuntimeHandle {
    pub fn waker(&self) -> Waker {
        self.shared.waker.clone()
    }

    pub fn worker_id(&self) -> &str {
        &self.shared.config.worker_id
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// Stops claiming, lets running jobs finish for up to `grace`, stops the rest,
    /// records every outcome reached, and gives the stopped jobs' leases back.
    pub async fn shutdown(self, grace: Duration) -> ShutdownReport {
        let _ = self.stop.send(true);
        let mut running = self.claim.await.unwrap_or_default();
        for task in self.background {
            let _ = task.await;
        }
        let drained = tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        let abandoned = if drained.is_err() {
            let n = running.len();
            running.shutdown().await;
            n
        } else {
            0
        };
        let (reply, flushed) = oneshot::channel();
        if self
            .shared
            .completions
            .send(Completion::Close(reply))
            .is_ok()
        {
            let _ = flushed.await;
        }
        let _ = self.completer.await;
        let worker = &self.shared.config.worker_id;
        let released = match self
            .shared
            .store
            .release_worker_leases(worker, self.shared.clock.now_ms())
            .await
        {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(worker = %worker, error = %err, "releasing leases failed; they will expire");
                0
            }
        };
        tracing::info!(worker = %worker, abandoned, released, lease_ms = millis(self.shared.config.lease), "job runtime stopped");
        ShutdownReport {
            abandoned,
            released,
        }
    }
}
