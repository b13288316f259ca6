//! GitHub webhook deliveries as received. The handler stores a delivery and enqueues its
//! processing job in one transaction and answers; a job applies it later. GitHub's delivery
//! GUID is the key, so a redelivery (GitHub's "Redeliver" button, or a retry after a timeout)
//! is recognised and changes nothing.
//!
//! The payload is stored as the caller gives it (the web edge compresses it with zstd); this
//! module does not look inside.

use crate::db::{read, tx, write};
use crate::jobs::{enqueue_in, NewJob};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

/// Where a delivery is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Stored; its job has not finished yet.
    Pending,
    Processed,
    /// Nothing to do (an unclaimed installation, a repository nobody watches).
    Ignored,
    /// Its job gave up; `error` says why.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Processed => "processed",
            DeliveryStatus::Ignored => "ignored",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "pending" => Ok(DeliveryStatus::Pending),
            "processed" => Ok(DeliveryStatus::Processed),
            "ignored" => Ok(DeliveryStatus::Ignored),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(StoreError::Corrupt(format!("delivery status {other:?}"))),
        }
    }
}

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    pub installation_id: Option<i64>,
    /// The organization, when the installation was already claimed.
    pub org_id: Option<OrgId>,
    /// The body, as the caller chose to encode it.
    pub payload: Vec<u8>,
}

/// Whether [`Store::record_webhook_delivery`] stored the delivery or had it already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Recorded,
    /// Seen before: nothing was stored and no job enqueued.
    Duplicate,
}

/// A stored delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    pub delivery_id: String,
    pub event: String,
    pub installation_id: Option<i64>,
    pub org_id: Option<OrgId>,
    pub payload: Vec<u8>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub received_at: Millis,
    pub processed_at: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    delivery_id: String,
    event: String,
    installation_id: Option<i64>,
    org_id: Option<String>,
    payload: Vec<u8>,
    status: String,
    error: Option<String>,
    received_at: i64,
    processed_at: Option<i64>,
}

impl TryFrom<DeliveryRow> for StoredDelivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> StoreResult<Self> {
        Ok(Self {
            status: DeliveryStatus::parse(&row.status)?,
            delivery_id: row.delivery_id,
            event: row.event,
            installation_id: row.installation_id,
            org_id: row.org_id.map(OrgId::from_string),
            payload: row.payload,
            error: row.error,
            received_at: row.received_at,
            processed_at: row.processed_at,
        })
    }
}

const COLUMNS: &str = "delivery_id, event, installation_id, org_id, payload, status, error, \
     received_at, processed_at";

impl Store {
    /// Stores a delivery and, when it is new, enqueues `job` in the same transaction: either
    /// both exist or neither. A delivery id seen before is a [`DeliveryOutcome::Duplicate`]
    /// and changes nothing.
    pub async fn record_webhook_delivery(
        &self,
        delivery: &NewDelivery,
        job: Option<&NewJob>,
        now: Millis,
    ) -> StoreResult<DeliveryOutcome> {
        let mut tx = self.begin().await?;
        let inserted = tx!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO webhook_deliveries (delivery_id, event, installation_id, org_id, \
                 payload, status, received_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6) \
                 ON CONFLICT (delivery_id) DO NOTHING",
            )
            .bind(&delivery.delivery_id)
            .bind(&delivery.event)
            .bind(delivery.installation_id)
            .bind(delivery.org_id.as_ref().map(|o| o.as_str()))
            .bind(&delivery.payload)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
                > 0
        });
        if !inserted {
            // Dropping the transaction rolls it back.
            drop(tx);
            return Ok(DeliveryOutcome::Duplicate);
        }
        if let Some(job) = job {
            enqueue_in(&mut tx, job, now).await?;
        }
        tx.commit().await?;
        Ok(DeliveryOutcome::Recorded)
    }

    /// A delivery by GitHub's GUID. Not scoped: the job that applies it finds the
    /// organization from it.
    pub async fn get_webhook_delivery(
        &self,
        delivery_id: &str,
    ) -> StoreResult<Option<StoredDelivery>> {
        let row: Option<DeliveryRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_deliveries WHERE delivery_id = $1"
            ))
            .bind(delivery_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(StoredDelivery::try_from).transpose()
    }

    /// Records how a delivery's processing ended (or that it is pending again).
    pub async fn mark_webhook_delivery(
        &self,
        delivery_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        org: Option<&OrgId>,
        now: Millis,
    ) -> StoreResult<bool> {
        let processed_at = (status != DeliveryStatus::Pending).then_some(now);
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $1, error = $2, processed_at = $3, \
                 org_id = COALESCE($4, org_id) WHERE delivery_id = $5",
            )
            .bind(status.as_str())
            .bind(error)
            .bind(processed_at)
            .bind(org.map(|o| o.as_str()))
            .bind(delivery_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Queues again the installation's `installation` and `installation_repositories`
    /// deliveries that were ignored because nobody had claimed it yet, so that once an
    /// organization claims it their repositories are attached. `job_for` makes each
    /// delivery's job; jobs run no earlier than the previous one, in the order GitHub sent
    /// them. Returns how many were queued.
    pub async fn requeue_ignored_installation_deliveries(
        &self,
        github_id: i64,
        job_for: impl Fn(&str) -> NewJob,
        now: Millis,
    ) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let ids: Vec<String> = tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "SELECT delivery_id FROM webhook_deliveries WHERE installation_id = $1 \
                 AND status = 'ignored' AND event IN ('installation', 'installation_repositories') \
                 ORDER BY received_at, delivery_id",
            )
            .bind(github_id)
            .fetch_all(&mut *conn)
            .await?
        });
        for (offset, id) in (0..).zip(&ids) {
            tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', processed_at = NULL \
                     WHERE delivery_id = $1",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
            });
            let mut job = job_for(id);
            job.run_at = job.run_at.max(now + offset);
            enqueue_in(&mut tx, &job, now).await?;
        }
        tx.commit().await?;
        Ok(ids.len())
    }

    /// How many deliveries are stored (operators' and tests' view).
    pub async fn count_webhook_deliveries(&self) -> StoreResult<i64> {
        let count: i64 = read!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries")
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }

    /// Deletes deliveries received before `cutoff` (retention); at most `limit` per call.
    pub async fn delete_webhook_deliveries_before(
        &self,
        cutoff: Millis,
        limit: u32,
    ) -> StoreResult<u64> {
        let deleted = write!(self, |pool| {
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE delivery_id IN (SELECT delivery_id \
                 FROM webhook_deliveries WHERE received_at < $1 AND status <> 'pending' LIMIT $2)",
            )
            .bind(cutoff)
            .bind(i64::from(limit))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(deleted)
    }
}
