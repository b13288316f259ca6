//! The durable job queue: enqueue (inside the caller's transaction, with dedup keys), claim
//! with a fenced lease, heartbeat, complete, fail with retry or discard, cancel, reap expired
//! leases, and release a worker's leases at shutdown.
//!
//! A lease is fenced by its token: every claim hands out a fresh token, and heartbeat,
//! complete and fail only act on a row that is still `running` under that token. A worker
//! whose lease was reaped and re-claimed by someone else therefore changes nothing when it
//! wakes up late.
//!
//! Delivery is at least once, and the PostgreSQL claims and batch completions lean on that:
//! they commit with `synchronous_commit = off`. A server crash can forget the last moment of
//! them (never corrupt anything); a forgotten claim is claimed again, a forgotten
//! completion runs again after its lease. Enqueues stay fully durable (they commit in the
//! caller's transaction). Waiting for the WAL flush on every claim cost more than half of
//! the queue's throughput.
//!
//! Cron schedules live in [`schedules`] and named locks in [`locks`].

mod listener;
pub mod locks;
pub mod schedules;

pub use listener::JobListener;

use crate::db::{tx, write, Pools};
use crate::{Backend, Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::{JobId, OrgId};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The PostgreSQL channel that enqueues notify; its payload is the job's kind.
pub const NOTIFY_CHANNEL: &str = "sentinel_jobs";

/// How many attempts a job gets unless its enqueuer says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 20;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for `run_at`, then for a worker.
    Available,
    /// Leased by a worker.
    Running,
    /// Failed (or its lease expired) and will run again at `run_at`.
    Retryable,
    Completed,
    /// Gave up: attempts exhausted or a permanent error.
    Discarded,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Available,
        JobStatus::Running,
        JobStatus::Retryable,
        JobStatus::Completed,
        JobStatus::Discarded,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Available => "available",
            JobStatus::Running => "running",
            JobStatus::Retryable => "retryable",
            JobStatus::Completed => "completed",
            JobStatus::Discarded => "discarded",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the job will never run again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Discarded | JobStatus::Cancelled
        )
    }
}

/// A job to enqueue. Build with [`NewJob::new`] and the builder methods.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub org_id: Option<OrgId>,
    pub payload: serde_json::Value,
    /// At most one unfinished job per key; a second enqueue with the key is a no-op.
    pub dedup_key: Option<String>,
    /// The earliest time the job may run; anything not after `now` (such as the default 0)
    /// means as soon as possible.
    pub run_at: Millis,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            org_id: None,
            payload,
            dedup_key: None,
            run_at: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// A job whose payload is `payload` serialised to JSON.
    pub fn with_payload<T: Serialize>(
        kind: impl Into<String>,
        payload: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self::new(kind, serde_json::to_value(payload)?))
    }

    pub fn org(mut self, org_id: OrgId) -> Self {
        self.org_id = Some(org_id);
        self
    }

    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }

    pub fn run_at(mut self, at: Millis) -> Self {
        self.run_at = at;
        self
    }

    /// At least 1.
    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// A job leased to a worker. `lease_token` fences every later call about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub org_id: Option<OrgId>,
    pub payload: serde_json::Value,
    /// 1 on the first run.
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease_token: String,
    pub lease_expires_at: Millis,
    pub run_at: Millis,
    pub created_at: Millis,
}

impl ClaimedJob {
    /// The payload as the handler's own type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }

    /// Whether a failure now would discard the job rather than retry it.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// A job as stored, for inspection (API, tests).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub org_id: Option<OrgId>,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: Millis,
    pub lease_expires_at: Option<Millis>,
    pub worker: Option<String>,
    pub dedup_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
}

/// What became of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// It will run again at this time.
    Retry { at: Millis },
    /// No retry was asked for or the attempts are used up.
    Discarded,
    /// The token no longer holds the lease: nothing changed.
    NotLeased,
}

/// How many jobs are in each status (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub available: i64,
    pub running: i64,
    pub retryable: i64,
    pub completed: i64,
    pub discarded: i64,
    pub cancelled: i64,
}

impl JobCounts {
    pub fn get(&self, status: JobStatus) -> i64 {
        match status {
            JobStatus::Available => self.available,
            JobStatus::Running => self.running,
            JobStatus::Retryable => self.retryable,
            JobStatus::Completed => self.completed,
            JobStatus::Discarded => self.discarded,
            JobStatus::Cancelled => self.cancelled,
        }
    }

    fn slot(&mut self, status: JobStatus) -> &mut i64 {
        match status {
            JobStatus::Available => &mut self.available,
            JobStatus::Running => &mut self.running,
            JobStatus::Retryable => &mut self.retryable,
            JobStatus::Completed => &mut self.completed,
            JobStatus::Discarded => &mut self.discarded,
            JobStatus::Cancelled => &mut self.cancelled,
        }
    }
}

const INSERT_JOB: &str = "INSERT INTO jobs \
    (id, kind, org_id, payload, status, attempt, max_attempts, run_at, dedup_key, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, 'available', 0, $5, $6, $7, $8, $8) \
    ON CONFLICT DO NOTHING";

/// Enqueues `job` inside the caller's transaction, so the job exists exactly when the rows
/// that caused it do. `None` when an unfinished job with the same dedup key already exists.
/// On PostgreSQL the enqueue also notifies [`NOTIFY_CHANNEL`], delivered at commit.
pub async fn enqueue_in(tx: &mut Tx, job: &NewJob, now: Millis) -> StoreResult<Option<JobId>> {
    let id = JobId::generate();
    let payload = serde_json::to_string(&job.payload)
        .map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))?;
    let run_at = job.run_at.max(now);
    let max_attempts = i64::from(job.max_attempts.max(1));
    let org_id = job.org_id.as_ref().map(|o| o.as_str());
    let inserted = match tx {
        Tx::Sqlite(t) => {
            sqlx::query(INSERT_JOB)
                .bind(id.as_str())
                .bind(&job.kind)
                .bind(org_id)
                .bind(&payload)
                .bind(max_attempts)
                .bind(run_at)
                .bind(job.dedup_key.as_deref())
                .bind(now)
                .execute(&mut **t)
                .await?
                .rows_affected()
                > 0
        }
        // One round trip: the insert and, only if it inserted, the notification.
        Tx::Postgres(t) => sqlx::query_scalar::<_, String>(&format!(
            "WITH inserted AS ({INSERT_JOB} RETURNING id, kind) \
             SELECT inserted.id FROM inserted, pg_notify($9, inserted.kind)"
        ))
        .bind(id.as_str())
        .bind(&job.kind)
        .bind(org_id)
        .bind(&payload)
        .bind(max_attempts)
        .bind(run_at)
        .bind(job.dedup_key.as_deref())
        .bind(now)
        .bind(NOTIFY_CHANNEL)
        .fetch_optional(&mut **t)
        .await?
        .is_some(),
    };
    if !inserted {
        return Ok(None);
    }
    Ok(Some(id))
}

/// [`enqueue_in`] for the SQLite ingest connection, inside its open transaction. `false`
/// when an unfinished job with the same dedup key already exists.
pub(crate) fn enqueue_on_sqlite(
    conn: &rusqlite::Connection,
    job: &NewJob,
    now: Millis,
) -> StoreResult<bool> {
    let payload = serde_json::to_string(&job.payload)
        .map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))?;
    let mut statement = conn.prepare_cached(INSERT_JOB)?;
    let inserted = statement.execute(rusqlite::params![
        JobId::generate().as_str(),
        job.kind,
        job.org_id.as_ref().map(|o| o.as_str()),
        payload,
        i64::from(job.max_attempts.max(1)),
        job.run_at.max(now),
        job.dedup_key,
        now,
    ])?;
    Ok(inserted > 0)
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: String,
    kind: String,
    org_id: Option<String>,
    payload: String,
    attempt: i64,
    max_attempts: i64,
    lease_expires_at: Option<i64>,
    run_at: i64,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    org_id: Option<String>,
    payload: String,
    status: String,
    attempt: i64,
    max_attempts: i64,
    run_at: i64,
    lease_expires_at: Option<i64>,
    worker: Option<String>,
    dedup_key: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

fn parse_payload(id: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("job {id} payload: {e}")))
}

fn to_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl ClaimedRow {
    fn into_claimed(self, token: &str) -> StoreResult<ClaimedJob> {
        let payload = parse_payload(&self.id, &self.payload)?;
        Ok(ClaimedJob {
            id: JobId::from_string(self.id),
            kind: self.kind,
            org_id: self.org_id.map(OrgId::from_string),
            payload,
            attempt: to_i32(self.attempt),
            max_attempts: to_i32(self.max_attempts),
            lease_token: token.to_string(),
            lease_expires_at: self.lease_expires_at.unwrap_or_default(),
            run_at: self.run_at,
            created_at: self.created_at,
        })
    }
}

impl JobRow {
    fn into_record(self) -> StoreResult<JobRecord> {
        let payload = parse_payload(&self.id, &self.payload)?;
        let status = JobStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("job status {:?}", self.status)))?;
        Ok(JobRecord {
            id: JobId::from_string(self.id),
            kind: self.kind,
            org_id: self.org_id.map(OrgId::from_string),
            payload,
            status,
            attempt: to_i32(self.attempt),
            max_attempts: to_i32(self.max_attempts),
            run_at: self.run_at,
            lease_expires_at: self.lease_expires_at,
            worker: self.worker,
            dedup_key: self.dedup_key,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }
}

const COMPLETE_JOB: &str = "UPDATE jobs SET status = 'completed', finished_at = $3, \
    updated_at = $3, lease_token = NULL, lease_expires_at = NULL \
    WHERE id = $1 AND lease_token = $2 AND status = 'running'";

/// The claim statement. Both backends take the oldest due jobs through the partial index
/// `jobs_due`, which is already in claim order, so a claim reads its batch and stops.
/// The dialects differ in three places: SQLite is told the index (`INDEXED BY`; without
/// statistics it would rather sort every waiting job), PostgreSQL skips rows another
/// worker has locked (`FOR UPDATE SKIP LOCKED`), and the kind filter binds an array on
/// PostgreSQL and a JSON array on SQLite.
fn claim_sql(backend: Backend, filter_kinds: bool) -> String {
    let kinds = match (filter_kinds, backend) {
        (false, _) => "",
        (true, Backend::Postgres) => "AND kind = ANY($6) ",
        (true, Backend::Sqlite) => "AND kind IN (SELECT value FROM json_each($6)) ",
    };
    let (index, lock) = match backend {
        Backend::Postgres => ("", "FOR UPDATE SKIP LOCKED"),
        Backend::Sqlite => ("INDEXED BY jobs_due", ""),
    };
    format!(
        "UPDATE jobs SET status = 'running', attempt = attempt + 1, lease_token = $1, \
         lease_expires_at = $2, worker = $3, updated_at = $4 \
         WHERE id IN (SELECT id FROM jobs {index} \
             WHERE status IN ('available', 'retryable') AND run_at <= $4 {kinds}\
             ORDER BY run_at, id LIMIT $5 {lock}) \
         RETURNING id, kind, org_id, payload, attempt, max_attempts, lease_expires_at, run_at, created_at"
    )
}

impl Store {
    /// Enqueues one job in a transaction of its own. See [`enqueue_in`].
    pub async fn enqueue(&self, job: &NewJob, now: Millis) -> StoreResult<Option<JobId>> {
        let mut tx = self.begin().await?;
        let id = enqueue_in(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Leases up to `limit` due jobs (oldest `run_at` first) to `worker` for `lease_ms`.
    /// `kinds` empty means every kind. All jobs of one claim share one fresh lease token.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        kinds: &[&str],
        limit: u32,
        lease_ms: Millis,
        now: Millis,
    ) -> StoreResult<Vec<ClaimedJob>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let token = ulid::Ulid::new().to_string();
        let sql = claim_sql(self.backend(), !kinds.is_empty());
        let expires = now.saturating_add(lease_ms);
        let mut rows: Vec<ClaimedRow> = match &*self.pools {
            Pools::Postgres(pool) => {
                let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
                let mut tx = pool.begin().await?;
                // Statistics lag behind a burst of enqueues; planned from stale ones, the
                // claim would sort every waiting job instead of reading `jobs_due` in order.
                sqlx::query("SET LOCAL enable_sort = off")
                    .execute(&mut *tx)
                    .await?;
                // See the module doc: a claim lost in a server crash only means the job is
                // claimed again, so it need not wait for the WAL flush.
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                let query = sqlx::query_as(&sql)
                    .bind(&token)
                    .bind(expires)
                    .bind(worker)
                    .bind(now)
                    .bind(i64::from(limit));
                let query = if kinds.is_empty() {
                    query
                } else {
                    query.bind(kinds)
                };
                let rows = query.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
            Pools::Sqlite { .. } => {
                let kinds_json = serde_json::to_string(kinds)
                    .map_err(|e| StoreError::Corrupt(format!("job kinds: {e}")))?;
                // BEGIN IMMEDIATE: the write lock is taken before the read, so two processes
                // sharing the file never both read the same candidates.
                let mut tx = self.begin().await?;
                let rows = tx!(&mut tx, |conn| {
                    let query = sqlx::query_as(&sql)
                        .bind(&token)
                        .bind(expires)
                        .bind(worker)
                        .bind(now)
                        .bind(i64::from(limit));
                    let query = if kinds.is_empty() {
                        query
                    } else {
                        query.bind(kinds_json.clone())
                    };
                    query.fetch_all(&mut *conn).await?
                });
                tx.commit().await?;
                rows
            }
        };
        rows.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
        rows.into_iter().map(|r| r.into_claimed(&token)).collect()
    }

    /// Extends a lease. `false` when the token no longer holds it.
    pub async fn heartbeat_job(
        &self,
        id: &JobId,
        token: &str,
        lease_ms: Millis,
        now: Millis,
    ) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
                 WHERE id = $1 AND lease_token = $2 AND status = 'running'",
            )
            .bind(id.as_str())
            .bind(token)
            .bind(now.saturating_add(lease_ms))
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Marks a leased job completed. `false` (and nothing changed) when the token no longer
    /// holds the lease.
    pub async fn complete_job(&self, id: &JobId, token: &str, now: Millis) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query(COMPLETE_JOB)
                .bind(id.as_str())
                .bind(token)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Completes many leased jobs at once (each fenced by its own token); returns the ids
    /// that were still leased under their token and are now completed.
    pub async fn complete_jobs(
        &self,
        done: &[(JobId, String)],
        now: Millis,
    ) -> StoreResult<Vec<JobId>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let completed: Vec<String> = match &*self.pools {
            // One statement: the pairs travel as two parallel arrays.
            Pools::Postgres(pool) => {
                let ids: Vec<&str> = done.iter().map(|(id, _)| id.as_str()).collect();
                let tokens: Vec<&str> = done.iter().map(|(_, t)| t.as_str()).collect();
                let mut tx = pool.begin().await?;
                // A completion lost in a server crash only means the job runs again.
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query_scalar(
                    "UPDATE jobs SET status = 'completed', finished_at = $3, updated_at = $3, \
                     lease_token = NULL, lease_expires_at = NULL \
                     FROM (SELECT unnest($1::text[]) AS id, unnest($2::text[]) AS token) AS done \
                     WHERE jobs.id = done.id AND jobs.lease_token = done.token \
                       AND jobs.status = 'running' \
                     RETURNING jobs.id",
                )
                .bind(ids)
                .bind(tokens)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                done
            }
            // One statement per lease token (a claim hands one token to its whole batch),
            // with that token's ids as a JSON array, all in one transaction.
            Pools::Sqlite { .. } => {
                let mut by_token: Vec<(&str, Vec<&str>)> = Vec::new();
                for (id, token) in done {
                    match by_token.iter_mut().find(|(t, _)| *t == token.as_str()) {
                        Some((_, ids)) => ids.push(id.as_str()),
                        None => by_token.push((token.as_str(), vec![id.as_str()])),
                    }
                }
                let mut tx = self.begin().await?;
                let mut completed = Vec::with_capacity(done.len());
                if let Tx::Sqlite(t) = &mut tx {
                    for (token, ids) in by_token {
                        let ids = serde_json::to_string(&ids)
                            .map_err(|e| StoreError::Corrupt(format!("job ids: {e}")))?;
                        let ids: Vec<String> = sqlx::query_scalar(
                            "UPDATE jobs SET status = 'completed', finished_at = $3, \
                             updated_at = $3, lease_token = NULL, lease_expires_at = NULL \
                             WHERE id IN (SELECT value FROM json_each($2)) \
                               AND lease_token = $1 AND status = 'running' \
                             RETURNING id",
                        )
                        .bind(token)
                        .bind(ids)
                        .bind(now)
                        .fetch_all(&mut **t)
                        .await?;
                        completed.extend(ids);
                    }
                }
                tx.commit().await?;
                completed
            }
        };
        Ok(completed.into_iter().map(JobId::from_string).collect())
    }

    /// Records a failed run. With `retry_at` and attempts left the job becomes retryable at
    /// that time; otherwise it is discarded.
    pub async fn fail_job(
        &self,
        id: &JobId,
        token: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<FailOutcome> {
        let row: Option<(String, i64)> = write!(self, |pool| {
            sqlx::query_as(
                "UPDATE jobs SET \
                   status = CASE WHEN $4 >= 0 AND attempt < max_attempts \
                            THEN 'retryable' ELSE 'discarded' END, \
                   run_at = CASE WHEN $4 >= 0 AND attempt < max_attempts \
                            THEN $4 ELSE run_at END, \
                   finished_at = CASE WHEN $4 >= 0 AND attempt < max_attempts \
                            THEN NULL ELSE $5 END, \
                   last_error = $3, updated_at = $5, \
                   lease_token = NULL, lease_expires_at = NULL \
                 WHERE id = $1 AND lease_token = $2 AND status = 'running' \
                 RETURNING status, run_at",
            )
            .bind(id.as_str())
            .bind(token)
            .bind(error)
            // -1 stands for "no retry": a typed sentinel keeps the CASE free of NULL typing.
            .bind(retry_at.map_or(-1, |at| at.max(now)))
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            None => FailOutcome::NotLeased,
            Some((status, at)) if status == JobStatus::Retryable.as_str() => {
                FailOutcome::Retry { at }
            }
            Some(_) => FailOutcome::Discarded,
        })
    }

    /// Cancels a job that has not finished. A worker still running it will find its
    /// lease gone. `false` when the job is unknown or already finished.
    pub async fn cancel_job(&self, id: &JobId, now: Millis) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2, \
                 lease_token = NULL, lease_expires_at = NULL \
                 WHERE id = $1 AND status IN ('available', 'running', 'retryable')",
            )
            .bind(id.as_str())
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Takes expired leases back: such jobs become retryable now (the attempt they used
    /// counts), or discarded when that was their last attempt. Returns how many.
    pub async fn reap_expired_leases(&self, now: Millis) -> StoreResult<u64> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET \
                   status = CASE WHEN attempt < max_attempts THEN 'retryable' ELSE 'discarded' END, \
                   finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE $1 END, \
                   run_at = $1, updated_at = $1, last_error = 'lease expired', \
                   lease_token = NULL, lease_expires_at = NULL \
                 WHERE status = 'running' AND lease_expires_at < $1",
            )
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed)
    }

    /// Gives back every lease `worker` holds (at shutdown, for runs it stopped): the jobs
    /// are available again at once and the interrupted attempt does not count.
    pub async fn release_worker_leases(&self, worker: &str, now: Millis) -> StoreResult<u64> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET status = 'available', \
                   attempt = CASE WHEN attempt > 0 THEN attempt - 1 ELSE 0 END, \
                   run_at = $2, updated_at = $2, lease_token = NULL, lease_expires_at = NULL \
                 WHERE status = 'running' AND worker = $1",
            )
            .bind(worker)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed)
    }

    /// One job as stored.
    pub async fn get_job(&self, id: &JobId) -> StoreResult<Option<JobRecord>> {
        let row: Option<JobRow> = crate::db::read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, kind, org_id, payload, status, attempt, max_attempts, run_at, \
                 lease_expires_at, worker, dedup_key, last_error, created_at, updated_at, \
                 finished_at FROM jobs WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(JobRow::into_record).transpose()
    }

    /// How many jobs are in each status.
    pub async fn job_counts(&self) -> StoreResult<JobCounts> {
        let rows: Vec<(String, i64)> = crate::db::read!(self, |pool| {
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
                .fetch_all(pool)
                .await?
        });
        let mut counts = JobCounts::default();
        for (status, n) in rows {
            if let Some(status) = JobStatus::parse(&status) {
                *counts.slot(status) += n;
            }
        }
        Ok(counts)
    }

    /// The earliest `run_at` among jobs waiting to run, so a worker can sleep until then.
    pub async fn next_job_run_at(&self) -> StoreResult<Option<Millis>> {
        let next: Option<i64> = crate::db::read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT MIN(run_at) FROM jobs WHERE status IN ('available', 'retryable')",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(next)
    }

    /// Deletes up to `limit` finished jobs that finished before `cutoff` (retention).
    pub async fn delete_finished_jobs(&self, cutoff: Millis, limit: u32) -> StoreResult<u64> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
                 WHERE status IN ('completed', 'discarded', 'cancelled') AND finished_at < $1 \
                 LIMIT $2)",
            )
            .bind(cutoff)
            .bind(i64::from(limit))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed)
    }
}
