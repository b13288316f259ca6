//! Alerts and their deliveries.
//!
//! [`record_alert_in`] is the one way an alert is written: inside the caller's transaction
//! (so the delivery jobs it causes are enqueued atomically with it), one row per dedup key
//! within the window; a repeat increments `occurrence_count`. On PostgreSQL concurrent
//! writers of one key queue on an advisory lock; SQLite's single writer needs none.
//!
//! A new alert gets one pending delivery per channel (see [`super::deliveries`]).

use super::advisory_key;
use super::deliveries::{Delivery, DeliveryAction, INSERT_DELIVERY};
use crate::db::{read, tx, write};
use crate::{Backend, Store, StoreError, StoreResult, Tx};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: String,
    pub org_id: OrgId,
    pub rule_id: String,
    pub rule_kind: String,
    pub scope: String,
    pub service_id: Option<String>,
    pub incident_id: Option<String>,
    pub detection_id: Option<String>,
    pub severity: AlertSeverity,
    pub title: String,
    pub summary: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub dedup_key: String,
    pub occurrence_count: i64,
    pub triggered_at: Millis,
    pub last_triggered_at: Millis,
    pub sent_at: Option<Millis>,
    pub acknowledged_at: Option<Millis>,
    pub acknowledged_by: Option<String>,
    /// Filled by the reads that say so.
    pub deliveries: Vec<Delivery>,
}

/// What a fired rule records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub rule_id: String,
    pub rule_kind: String,
    pub scope: String,
    pub service_id: Option<String>,
    pub incident_id: Option<String>,
    pub detection_id: Option<String>,
    pub severity: AlertSeverity,
    pub title: String,
    pub summary: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub dedup_key: String,
    /// The channels to notify when the alert is new.
    pub channel_ids: Vec<String>,
}

/// The alert as stored after recording, and whether this recording created it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAlert {
    pub alert: Alert,
    pub created: bool,
}

/// Filters for listing alerts; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub acknowledged: Option<bool>,
    pub severity: Option<AlertSeverity>,
    pub rule_kind: Option<String>,
    pub service_id: Option<String>,
    /// At most this many, newest first (capped at 500).
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertSummary {
    pub total: i64,
    pub unacknowledged: i64,
    pub by_severity: Vec<(String, i64)>,
    /// (rule id, rule kind, count)
    pub by_rule: Vec<(String, String, i64)>,
    pub most_recent: Option<Alert>,
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: String,
    org_id: String,
    rule_id: String,
    rule_kind: String,
    scope: String,
    service_id: Option<String>,
    incident_id: Option<String>,
    detection_id: Option<String>,
    severity: String,
    title: String,
    summary: String,
    value: Option<f64>,
    threshold: Option<f64>,
    dedup_key: String,
    occurrence_count: i64,
    triggered_at: i64,
    last_triggered_at: i64,
    sent_at: Option<i64>,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<String>,
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(row: AlertRow) -> Result<Self, StoreError> {
        let severity = AlertSeverity::parse(&row.severity)
            .ok_or_else(|| StoreError::Corrupt(format!("alert {}: severity", row.id)))?;
        Ok(Self {
            id: row.id,
            org_id: OrgId::from_string(row.org_id),
            rule_id: row.rule_id,
            rule_kind: row.rule_kind,
            scope: row.scope,
            service_id: row.service_id,
            incident_id: row.incident_id,
            detection_id: row.detection_id,
            severity,
            title: row.title,
            summary: row.summary,
            value: row.value,
            threshold: row.threshold,
            dedup_key: row.dedup_key,
            occurrence_count: row.occurrence_count,
            triggered_at: row.triggered_at,
            last_triggered_at: row.last_triggered_at,
            sent_at: row.sent_at,
            acknowledged_at: row.acknowledged_at,
            acknowledged_by: row.acknowledged_by,
            deliveries: Vec::new(),
        })
    }
}

const COLUMNS: &str = "id, org_id, rule_id, rule_kind, scope, service_id, incident_id, \
     detection_id, severity, title, summary, value, threshold, dedup_key, occurrence_count, \
     triggered_at, last_triggered_at, sent_at, acknowledged_at, acknowledged_by";
/// Records a firing inside `tx`: a new alert (with a pending trigger delivery per channel)
/// unless an alert with the same dedup key was triggered within `window_ms`, in which case
/// that one's occurrence count grows.
pub async fn record_alert_in(
    tx: &mut Tx,
    org: &OrgId,
    new: &NewAlert,
    window_ms: Millis,
    now: Millis,
) -> StoreResult<RecordedAlert> {
    let is_postgres = tx.backend() == Backend::Postgres;
    let lock = advisory_key(&format!("alert:{}:{}", org.as_str(), new.dedup_key));
    let recorded = tx!(tx, |conn| {
        if is_postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock)
                .execute(&mut *conn)
                .await?;
        }
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM alerts WHERE org_id = $1 AND dedup_key = $2 AND triggered_at > $3 \
             ORDER BY triggered_at DESC LIMIT 1",
        )
        .bind(org.as_str())
        .bind(&new.dedup_key)
        .bind(now - window_ms)
        .fetch_optional(&mut *conn)
        .await?;
        let created = existing.is_none();
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE alerts SET occurrence_count = occurrence_count + 1, \
                     last_triggered_at = $1, value = COALESCE($2, value) WHERE id = $3",
                )
                .bind(now)
                .bind(new.value)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
                id
            }
            None => {
                let id = ulid::Ulid::new().to_string();
                sqlx::query(&format!(
                    "INSERT INTO alerts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, 1, $15, $15, NULL, NULL, NULL)"
                ))
                .bind(&id)
                .bind(org.as_str())
                .bind(&new.rule_id)
                .bind(&new.rule_kind)
                .bind(&new.scope)
                .bind(&new.service_id)
                .bind(&new.incident_id)
                .bind(&new.detection_id)
                .bind(new.severity.as_str())
                .bind(&new.title)
                .bind(&new.summary)
                .bind(new.value)
                .bind(new.threshold)
                .bind(&new.dedup_key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                for channel in &new.channel_ids {
                    sqlx::query(INSERT_DELIVERY)
                        .bind(&id)
                        .bind(channel)
                        .bind(DeliveryAction::Trigger.as_str())
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
                id
            }
        };
        let row: AlertRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
            .bind(&id)
            .fetch_one(&mut *conn)
            .await?;
        (row, created)
    });
    Ok(RecordedAlert {
        alert: Alert::try_from(recorded.0)?,
        created: recorded.1,
    })
}

impl Store {
    pub async fn get_alert(&self, org: &OrgId, id: &str) -> StoreResult<Option<Alert>> {
        let row: Option<AlertRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let mut alert = Alert::try_from(row)?;
        alert.deliveries = self.alert_deliveries(&alert.id).await?;
        Ok(Some(alert))
    }

    /// Alerts of `org`, newest first, with their deliveries.
    pub async fn list_alerts(&self, org: &OrgId, filter: &AlertFilter) -> StoreResult<Vec<Alert>> {
        let mut sql = format!("SELECT {COLUMNS} FROM alerts WHERE org_id = $1");
        let mut binds = vec![org.as_str().to_string()];
        match filter.acknowledged {
            Some(true) => sql.push_str(" AND acknowledged_at IS NOT NULL"),
            Some(false) => sql.push_str(" AND acknowledged_at IS NULL"),
            None => {}
        }
        let mut add = |column: &str, value: Option<String>| {
            if let Some(value) = value {
                binds.push(value);
                sql.push_str(&format!(" AND {column} = ${}", binds.len()));
            }
        };
        add("severity", filter.severity.map(|s| s.as_str().to_string()));
        add("rule_kind", filter.rule_kind.clone());
        add("service_id", filter.service_id.clone());
        let limit = filter.limit.unwrap_or(100).clamp(1, 500);
        sql.push_str(&format!(
            " ORDER BY triggered_at DESC, id DESC LIMIT {limit}"
        ));
        let rows: Vec<AlertRow> = read!(self, |pool| {
            let mut query = sqlx::query_as(&sql);
            for value in &binds {
                query = query.bind(value);
            }
            query.fetch_all(pool).await?
        });
        let mut alerts = Vec::with_capacity(rows.len());
        for row in rows {
            let mut alert = Alert::try_from(row)?;
            alert.deliveries = self.alert_deliveries(&alert.id).await?;
            alerts.push(alert);
        }
        Ok(alerts)
    }

    /// Alerts raised about one incident (to resolve them at the receivers).
    pub async fn alerts_for_incident(
        &self,
        org: &OrgId,
        incident_id: &str,
    ) -> StoreResult<Vec<Alert>> {
        let rows: Vec<AlertRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE org_id = $1 AND incident_id = $2 \
                 ORDER BY triggered_at"
            ))
            .bind(org.as_str())
            .bind(incident_id)
            .fetch_all(pool)
            .await?
        });
        let mut alerts = Vec::with_capacity(rows.len());
        for row in rows {
            let mut alert = Alert::try_from(row)?;
            alert.deliveries = self.alert_deliveries(&alert.id).await?;
            alerts.push(alert);
        }
        Ok(alerts)
    }

    pub async fn alert_summary(&self, org: &OrgId) -> StoreResult<AlertSummary> {
        let (total, unacknowledged): (i64, i64) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) \
                 FROM alerts WHERE org_id = $1",
            )
            .bind(org.as_str())
            .fetch_one(pool)
            .await?
        });
        let by_severity: Vec<(String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT severity, COUNT(*) FROM alerts WHERE org_id = $1 GROUP BY severity \
                 ORDER BY severity",
            )
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        let by_rule: Vec<(String, String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT rule_id, rule_kind, COUNT(*) FROM alerts WHERE org_id = $1 \
                 GROUP BY rule_id, rule_kind ORDER BY COUNT(*) DESC, rule_id",
            )
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        let most_recent = self
            .list_alerts(
                org,
                &AlertFilter {
                    limit: Some(1),
                    ..AlertFilter::default()
                },
            )
            .await?
            .into_iter()
            .next();
        Ok(AlertSummary {
            total,
            unacknowledged,
            by_severity,
            by_rule,
            most_recent,
        })
    }

    /// Records who acknowledged the alert and when (the first acknowledgement stands).
    pub async fn acknowledge_alert(
        &self,
        org: &OrgId,
        id: &str,
        by: &str,
        now: Millis,
    ) -> StoreResult<Option<Alert>> {
        write!(self, |pool| {
            sqlx::query(
                "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 \
                 WHERE org_id = $3 AND id = $4 AND acknowledged_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(org.as_str())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        self.get_alert(org, id).await
    }
}
