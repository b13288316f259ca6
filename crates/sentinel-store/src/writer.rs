//! The ingest writer: group commit between the ingest sources and the database.
//!
//! Sources (the HTTP handlers, the log tailer) hand each accepted request's events to the writer through a bounded queue and
//! wait for the answer. The writer drains whatever has queued up into one transaction: it
//! upserts incidents, inserts events and check-ins, and enqueues the jobs the changes cause
//! (a new incident over its threshold → `autopsy.start`, a regression → `alert.regression`),
//! then commits and answers every waiting handler. A handler answers 200 only after that
//! commit, so an SDK that got a 2xx will find its event stored.
//!
//! Under load, requests pile up while a commit is in flight and the next transaction takes
//! them all: the cost of a commit (writing its WAL frames on SQLite, a round trip and a WAL
//! flush on PostgreSQL) is shared by the batch. When the queue
//! is full, [`IngestWriter::submit`] fails at once with [`WriteError::QueueFull`] and the
//! handler answers 429 so the SDK backs off.

use crate::incidents::{
    write_check_ins, write_events, EventOutcome, NewCheckIn, NewEvent, SqliteIngestConnection,
};
use crate::jobs::{enqueue_in, NewJob};
use crate::{Backend, Store, StoreError};
use sentinel_core::clock::SharedClock;
use sentinel_core::ingest::Consequence;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, watch, Mutex, Notify};

/// What one request asks the writer to store.
#[derive(Debug, Default)]
pub struct WriteRequest {
    pub events: Vec<NewEvent>,
    pub check_ins: Vec<NewCheckIn>,
}

impl WriteRequest {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.check_ins.is_empty()
    }
}

/// Why a write did not happen. Nothing of the request was stored in any case.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error("the ingest queue is full")]
    QueueFull,
    #[error("the ingest writer has stopped")]
    Stopped,
    /// The database is away or busy; the same request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage failed: {0}")]
    Failed(String),
}

impl From<StoreError> for WriteError {
    fn from(err: StoreError) -> Self {
        if err.is_transient() {
            WriteError::Unavailable(err.to_string())
        } else {
            WriteError::Failed(err.to_string())
        }
    }
}

/// Tuning for the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Requests that may wait for the writer before new ones get 429.
    pub queue_capacity: usize,
    /// Most events in one transaction.
    pub max_batch_events: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 4096,
            max_batch_events: 1000,
        }
    }
}

/// What the writer has done since it started, for `/metrics`: how well group commit
/// batches, and how much of the wall time the single writer is busy (near 100% means the
/// writer, not HTTP or parsing, bounds ingest).
#[derive(Debug, Default)]
struct WriterCounters {
    batches: AtomicU64,
    requests: AtomicU64,
    events: AtomicU64,
    busy_micros: AtomicU64,
    /// Requests taken off the queue (ahead of `requests`, which counts answered ones).
    taken: AtomicU64,
}

/// A reading of the writer's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions run (each one batch).
    pub batches: u64,
    /// Requests answered from those batches.
    pub requests: u64,
    /// Events in those batches.
    pub events: u64,
    /// Microseconds spent writing batches, transaction and answers included.
    pub busy_micros: u64,
}

struct Pending {
    request: WriteRequest,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, WriteError>>,
}

/// The handle handlers use. Cheap to clone.
#[derive(Clone)]
pub struct IngestWriter {
    sender: mpsc::Sender<Pending>,
    depth: Arc<AtomicUsize>,
    counters: Arc<WriterCounters>,
    stop: Arc<watch::Sender<bool>>,
    /// Resolves when the writer task has finished.
    finished: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
}

/// Called after each commit that enqueued jobs, so an in-process job runtime wakes at once.
pub type JobsWaker = Arc<Notify>;

impl IngestWriter {
    /// Starts the writer task; it runs until [`IngestWriter::shutdown`].
    pub fn spawn(
        store: Store,
        clock: SharedClock,
        options: WriterOptions,
        jobs_waker: Option<JobsWaker>,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
        let (stop, stopped) = watch::channel(false);
        let depth = Arc::new(AtomicUsize::new(0));
        let counters = Arc::new(WriterCounters::default());
        let task = WriterTask {
            store,
            clock,
            options,
            receiver,
            depth: depth.clone(),
            counters: counters.clone(),
            jobs_waker,
            sqlite: None,
        };
        let finished = task.start(stopped);
        Self {
            sender,
            depth,
            counters,
            stop: Arc::new(stop),
            finished: Arc::new(Mutex::new(Some(finished))),
        }
    }

    /// Stops taking requests, commits everything already queued, and waits for that to
    /// finish. Requests submitted afterwards fail with [`WriteError::Stopped`].
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        if let Some(finished) = self.finished.lock().await.take() {
            let _ = finished.await;
        }
    }

    /// Queues a request and waits until it is committed.
    pub async fn submit(&self, request: WriteRequest) -> Result<Vec<EventOutcome>, WriteError> {
        if request.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        // Counted before sending, so the writer's decrement can never come first.
        self.depth.fetch_add(1, Ordering::Relaxed);
        self.sender
            .try_send(Pending { request, reply })
            .map_err(|err| {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                match err {
                    mpsc::error::TrySendError::Full(_) => WriteError::QueueFull,
                    mpsc::error::TrySendError::Closed(_) => WriteError::Stopped,
                }
            })?;
        answer.await.map_err(|_| WriteError::Stopped)?
    }

    /// Requests waiting for the writer right now (for `/metrics`).
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// The writer's counters since it started (for `/metrics`).
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            events: self.counters.events.load(Ordering::Relaxed),
            busy_micros: self.counters.busy_micros.load(Ordering::Relaxed),
        }
    }
}

struct WriterTask {
    store: Store,
    clock: SharedClock,
    options: WriterOptions,
    receiver: mpsc::Receiver<Pending>,
    depth: Arc<AtomicUsize>,
    counters: Arc<WriterCounters>,
    jobs_waker: Option<JobsWaker>,
    /// On SQLite, the writer thread's own connection: each batch runs on it synchronously.
    /// `None` on PostgreSQL, and on SQLite if the writer shares the main runtime (a blocking
    /// call there would stall the HTTP handlers).
    sqlite: Option<Box<SqliteIngestConnection>>,
}

impl WriterTask {
    /// Starts the task and returns what resolves when it ends.
    ///
    /// The writer gets a thread and a runtime of its own, so its wake-ups never queue
    /// behind the HTTP handlers: a batch is a chain of database round trips, and on the
    /// shared runtime each one waited for a turn (the writer was busy 91–95% of the time,
    /// much of it waiting). On SQLite the thread also gets a connection of its own that runs
    /// each batch synchronously, start to commit ([`SqliteIngestConnection`]). On
    /// PostgreSQL it gets a pool of its own, opened on its runtime, since a connection
    /// belongs to the runtime that opened it. If any of that cannot be had, the writer runs
    /// on the shared runtime through the store's pool.
    fn start(self, stopped: watch::Receiver<bool>) -> oneshot::Receiver<()> {
        let (done, finished) = oneshot::channel();
        let job = Box::new((self, stopped, done));
        match run_on_own_thread(job) {
            Ok(()) => {}
            Err(job) => {
                let (task, stopped, done) = *job;
                tokio::spawn(async move {
                    task.run(stopped).await;
                    let _ = done.send(());
                });
            }
        }
        finished
    }

    /// Takes the connections the writer's own thread should use (see [`Self::start`]);
    /// keeps the shared ones if those cannot be had. Returns the PostgreSQL pool it opened,
    /// for closing when the writer stops.
    async fn own_connections(&mut self) -> Option<Store> {
        match self.store.backend() {
            Backend::Sqlite => match self.store.open_sqlite_ingest_connection() {
                Ok(connection) => self.sqlite = connection.map(Box::new),
                Err(err) => {
                    tracing::warn!(error = %err, "no SQLite ingest connection; writing through the pool");
                }
            },
            Backend::Postgres => match self.store.with_own_pool(1).await {
                Ok(store) => {
                    self.store = store.clone();
                    return Some(store);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "no PostgreSQL pool for the ingest writer; sharing the server's");
                }
            },
        }
        None
    }

    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        loop {
            let Some(batch) = self.next_batch(&mut stopped).await else {
                break;
            };
            let events: usize = batch.iter().map(|p| p.request.events.len()).sum();
            self.depth.fetch_sub(batch.len(), Ordering::Relaxed);
            let started = Instant::now();
            let requests = batch.len() as u64;
            // Counted before the batch is committed: the commit answers the waiting handlers,
            // and a client that got its answer must already see its batch in `/metrics`.
            self.counters.batches.fetch_add(1, Ordering::Relaxed);
            self.counters
                .requests
                .fetch_add(requests, Ordering::Relaxed);
            self.counters
                .events
                .fetch_add(events as u64, Ordering::Relaxed);
            self.commit_batch(batch).await;
            let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.counters.busy_micros.fetch_add(busy, Ordering::Relaxed);
        }
        tracing::debug!("ingest writer stopped");
    }

    /// Waits for a request, then takes whatever else is queued, up to the batch limit.
    /// `None` once the writer is stopped and the queue is drained.
    ///
    /// The batch never waits for requests still on their way. Under load, the requests
    /// that arrive while one batch commits form the next, so handlers prepare one batch
    /// while the writer commits another. Waiting up to 2 ms for the requests handlers were
    /// preparing made batches twice as large, but moved every connection in lock-step:
    /// handlers idled during each commit and the writer during each wait. Without the wait
    /// the ingest bench accepted 8% more events per second on average (more in 6 of 7
    /// interleaved pairs), with p99 under 45 ms (BENCHMARKS.md).
    async fn next_batch(&mut self, stopped: &mut watch::Receiver<bool>) -> Option<Vec<Pending>> {
        let receiver = &mut self.receiver;
        let first = loop {
            tokio::select! {
                biased;
                next = receiver.recv() => break next?,
                _ = stopped.changed() => {
                    // Refuse new requests, then commit the ones already waiting.
                    receiver.close();
                }
            }
        };
        self.counters.taken.fetch_add(1, Ordering::Relaxed);
        let mut events = first.request.events.len();
        let mut batch = vec![first];
        while events < self.options.max_batch_events {
            match receiver.try_recv() {
                Ok(next) => {
                    events += next.request.events.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        Some(batch)
    }

    async fn commit_batch(&mut self, batch: Vec<Pending>) {
        let requests: Vec<&WriteRequest> = batch.iter().map(|p| &p.request).collect();
        match self.write(&requests).await {
            Ok(outcomes) => {
                for (pending, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = pending.reply.send(Ok(outcome));
                }
            }
            // A batch of several requests that failed for a reason other than the database
            // being away is retried request by request, so one bad request cannot take the
            // others down with it.
            Err(err) if batch.len() > 1 && !err.is_transient() => {
                tracing::warn!(error = %err, requests = batch.len(), "ingest batch failed, retrying one by one");
                for pending in batch {
                    let result = self.write(&[&pending.request]).await;
                    let answer = result
                        .map(|per_request| per_request.into_iter().next().unwrap_or_default())
                        .map_err(WriteError::from);
                    let _ = pending.reply.send(answer);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, requests = batch.len(), "ingest batch not stored");
                let err = WriteError::from(err);
                for pending in batch {
                    let _ = pending.reply.send(Err(err.clone()));
                }
            }
        }
    }

    /// One transaction for all `requests`; returns the outcomes per request.
    async fn write(
        &mut self,
        requests: &[&WriteRequest],
    ) -> Result<Vec<Vec<EventOutcome>>, StoreError> {
        let now = self.clock.now_ms();
        let events: Vec<NewEvent> = requests
            .iter()
            .flat_map(|r| r.events.iter().cloned())
            .collect();
        let check_ins: Vec<NewCheckIn> = requests
            .iter()
            .flat_map(|r| r.check_ins.iter().cloned())
            .collect();
        let (outcomes, enqueued) = match &mut self.sqlite {
            Some(connection) => {
                let written = connection.write_batch(&events, &check_ins, now, consequences)?;
                (written.outcomes, written.jobs_enqueued)
            }
            None => {
                let mut tx = self.store.begin().await?;
                let outcomes = write_events(&mut tx, &events, now).await?;
                if !check_ins.is_empty() {
                    write_check_ins(&mut tx, &check_ins).await?;
                }
                let mut enqueued = 0;
                for job in consequences(&events, &outcomes) {
                    enqueued += usize::from(enqueue_in(&mut tx, &job, now).await?.is_some());
                }
                tx.commit().await?;
                (outcomes, enqueued)
            }
        };
        if enqueued > 0 {
            if let Some(waker) = &self.jobs_waker {
                waker.notify_waiters();
            }
        }
        let mut rest = outcomes.into_iter();
        Ok(requests
            .iter()
            .map(|r| rest.by_ref().take(r.events.len()).collect())
            .collect())
    }
}

type WriterJob = Box<(WriterTask, watch::Receiver<bool>, oneshot::Sender<()>)>;

/// Runs the writer on a thread with a runtime of its own, or hands the job back if the
/// thread or its runtime cannot be had (the caller then shares the main runtime).
fn run_on_own_thread(job: WriterJob) -> Result<(), WriterJob> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::warn!(error = %err, "no runtime for the ingest writer thread; sharing the main one");
            return Err(job);
        }
    };
    // The job goes over only once the thread exists, so a failed spawn still has it.
    let (hand_over, receive) = std::sync::mpsc::sync_channel::<WriterJob>(1);
    let spawned = std::thread::Builder::new()
        .name("ingest-writer".into())
        .spawn(move || {
            if let Ok(job) = receive.recv() {
                let (mut task, stopped, done) = *job;
                runtime.block_on(async move {
                    let own_pool = task.own_connections().await;
                    task.run(stopped).await;
                    if let Some(pool) = own_pool {
                        pool.close().await;
                    }
                });
                let _ = done.send(());
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "no ingest writer thread; sharing the main runtime");
        return Err(job);
    }
    hand_over.send(job).map_err(|returned| returned.0)
}

/// The jobs the stored events cause ([`sentinel_core::ingest::consequences`]), as the rows
/// the writer's transaction enqueues.
fn consequences(events: &[NewEvent], outcomes: &[EventOutcome]) -> Vec<NewJob> {
    sentinel_core::ingest::consequences(events, outcomes)
        .into_iter()
        .map(job_of)
        .collect()
}

fn job_of(consequence: Consequence) -> NewJob {
    let payload = serde_json::json!({
        "incident_id": consequence.payload.incident_id,
        "org_id": consequence.payload.org_id,
    });
    NewJob::new(consequence.kind, payload)
        .org(consequence.org_id)
        .dedup_key(consequence.dedup_key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tenancy::{NewOrganization, NewService};
    use sentinel_core::clock::{Clock, ManualClock, SystemClock};
    use std::time::Duration;

    fn check_in(service: &crate::tenancy::Service, id: &str) -> NewCheckIn {
        NewCheckIn {
            org_id: service.org_id.clone(),
            service_id: service.id.clone(),
            check_in_id: id.to_string(),
            monitor_slug: "nightly".to_string(),
            status: "ok".to_string(),
            duration_ms: None,
            environment: None,
            monitor_config: None,
            received_at: 0,
        }
    }

    /// Requests that queue while a batch waits for the database are committed together,
    /// as the next batch: group commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_queued_during_a_commit_form_the_next_batch() {
        let test = crate::testing::sqlite_with(|options| {
            // The writer waits for the test's lock rather than failing.
            options.busy_timeout = Duration::from_secs(60);
        })
        .await;
        let org = test
            .store
            .create_organization(
                &NewOrganization {
                    slug: "acme".into(),
                    name: "Acme".into(),
                },
                0,
            )
            .await
            .unwrap();
        let service = test
            .store
            .create_service(
                &org.id,
                &NewService {
                    name: "api".into(),
                    platform: "python".into(),
                },
                0,
            )
            .await
            .unwrap();
        let clock: SharedClock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let writer = IngestWriter::spawn(test.store.clone(), clock, WriterOptions::default(), None);
        let submit = |id: &str| {
            let writer = writer.clone();
            let request = WriteRequest {
                check_ins: vec![check_in(&service, id)],
                ..WriteRequest::default()
            };
            tokio::spawn(async move { writer.submit(request).await })
        };

        // Another connection holds the write lock, so the first batch waits in its commit.
        let lock = crate::testing::hold_sqlite_write_lock(&test.options)
            .await
            .unwrap();
        let first = submit("first");
        let deadline = Instant::now() + Duration::from_secs(30);
        // Taken, and the batch formed (the queue count drops once the batch is complete).
        while writer.counters.taken.load(Ordering::Relaxed) == 0 || writer.queue_depth() > 0 {
            assert!(
                Instant::now() < deadline,
                "the writer never took the request"
            );
            tokio::task::yield_now().await;
        }
        let queued: Vec<_> = ["b", "c", "d", "e", "f"].into_iter().map(submit).collect();
        while writer.queue_depth() < queued.len() {
            assert!(Instant::now() < deadline, "the requests never queued");
            tokio::task::yield_now().await;
        }
        drop(lock);

        first.await.unwrap().unwrap();
        for request in queued {
            request.await.unwrap().unwrap();
        }
        // The counters are written after the answers; once stopped, the writer is done.
        writer.shutdown().await;
        let stats = writer.stats();
        assert_eq!((stats.batches, stats.requests), (2, 6));
    }
}
