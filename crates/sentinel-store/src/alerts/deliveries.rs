//! Deliveries: one row per (alert, channel, action) whose status the delivery job keeps:
//! `pending` → `delivered`, or `retrying` (with the last error) → ..., or `failed`. A
//! delivered row is never moved back, so a late or repeated attempt cannot undo it.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;

/// Whether a delivery opens the problem at the receiver or closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryAction {
    Trigger,
    Resolve,
}

impl DeliveryAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Resolve => "resolve",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "trigger" => Some(Self::Trigger),
            "resolve" => Some(Self::Resolve),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Retrying,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Retrying, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }
}

/// One alert delivery to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub alert_id: String,
    pub channel_id: String,
    pub action: DeliveryAction,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    alert_id: String,
    channel_id: String,
    action: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    delivered_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("delivery of alert {}", row.alert_id));
        Ok(Self {
            action: DeliveryAction::parse(&row.action).ok_or_else(corrupt)?,
            status: DeliveryStatus::parse(&row.status).ok_or_else(corrupt)?,
            alert_id: row.alert_id,
            channel_id: row.channel_id,
            attempts: row.attempts,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
            updated_at: row.updated_at,
        })
    }
}

const DELIVERY_COLUMNS: &str =
    "alert_id, channel_id, action, status, attempts, last_error, delivered_at, updated_at";
pub(super) const INSERT_DELIVERY: &str =
    "INSERT INTO alert_deliveries (alert_id, channel_id, action, \
     status, attempts, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4) \
     ON CONFLICT (alert_id, channel_id, action) DO NOTHING";

/// Adds a pending delivery inside `tx`; `false` when it already exists.
pub async fn add_delivery_in(
    tx: &mut Tx,
    alert_id: &str,
    channel_id: &str,
    action: DeliveryAction,
    now: Millis,
) -> StoreResult<bool> {
    let added = tx!(tx, |conn| {
        sqlx::query(INSERT_DELIVERY)
            .bind(alert_id)
            .bind(channel_id)
            .bind(action.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(added > 0)
}

impl Store {
    pub async fn alert_deliveries(&self, alert_id: &str) -> StoreResult<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE alert_id = $1 \
                 ORDER BY channel_id, action"
            ))
            .bind(alert_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Delivery::try_from).collect()
    }

    pub async fn get_delivery(
        &self,
        alert_id: &str,
        channel_id: &str,
        action: DeliveryAction,
    ) -> StoreResult<Option<Delivery>> {
        let row: Option<DeliveryRow> = write!(self, |pool| {
            // Read through the writer: a retry must see the status its last attempt wrote.
            sqlx::query_as(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries \
                 WHERE alert_id = $1 AND channel_id = $2 AND action = $3"
            ))
            .bind(alert_id)
            .bind(channel_id)
            .bind(action.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Delivery::try_from).transpose()
    }

    /// Records one attempt's result. A delivered trigger also stamps the alert's `sent_at`
    /// (first delivery wins). A delivery already delivered is never moved back.
    pub async fn record_delivery_attempt(
        &self,
        alert_id: &str,
        channel_id: &str,
        action: DeliveryAction,
        status: DeliveryStatus,
        error: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        let delivered_at = (status == DeliveryStatus::Delivered).then_some(now);
        let mut tx = self.begin().await?;
        tx!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO alert_deliveries (alert_id, channel_id, action, status, attempts, \
                 last_error, delivered_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7) \
                 ON CONFLICT (alert_id, channel_id, action) DO UPDATE SET \
                 status = excluded.status, attempts = alert_deliveries.attempts + 1, \
                 last_error = excluded.last_error, delivered_at = excluded.delivered_at, \
                 updated_at = excluded.updated_at \
                 WHERE alert_deliveries.status <> 'delivered'",
            )
            .bind(alert_id)
            .bind(channel_id)
            .bind(action.as_str())
            .bind(status.as_str())
            .bind(error)
            .bind(delivered_at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if status == DeliveryStatus::Delivered && action == DeliveryAction::Trigger {
                sqlx::query("UPDATE alerts SET sent_at = COALESCE(sent_at, $1) WHERE id = $2")
                    .bind(now)
                    .bind(alert_id)
                    .execute(&mut *conn)
                    .await?;
            }
        });
        tx.commit().await
    }
}
