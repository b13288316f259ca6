//! Anomaly detections, and the reads the detectors judge from (error counts per bucket,
//! from the per-minute counts the ingest writer keeps; recent transaction durations, and
//! the hourly duration histograms it keeps for the baseline).
//!
//! A detection is unique per `(org, dedup_key)` while unresolved (a partial unique index):
//! raising the same condition again increments `occurrence_count` and moves `last_seen`.
//! `last_seen` is therefore the last time the condition held, which is what auto-resolution
//! measures.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::{unix_hour, unix_minute, Millis, MINUTE_MS};
use sentinel_core::detection::Resolution;
use sentinel_core::id::OrgId;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub id: String,
    pub org_id: OrgId,
    pub service_id: Option<String>,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub details: serde_json::Value,
    pub dedup_key: String,
    pub occurrence_count: i64,
    pub first_seen: Millis,
    pub last_seen: Millis,
    pub resolved_at: Option<Millis>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDetection {
    pub org_id: OrgId,
    pub service_id: Option<String>,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub details: serde_json::Value,
    pub dedup_key: String,
}

/// The detection after raising, and whether this raise opened it.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedDetection {
    pub detection: Detection,
    pub opened: bool,
}

/// Why a detection could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveDetectionError {
    #[error("no such detection")]
    NotFound,
    #[error("detection already resolved")]
    AlreadyResolved,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Errors in one bucket of one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct BucketCount {
    pub bucket: i64,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceBucketCount {
    pub org_id: String,
    pub service_id: String,
    pub bucket: i64,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TransactionDuration {
    pub org_id: String,
    pub service_id: String,
    pub transaction_name: String,
    pub received_at: i64,
    pub duration_ms: f64,
}

/// The durations of one service's transactions of one name.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionDurations {
    pub org_id: String,
    pub service_id: String,
    pub transaction_name: String,
    pub durations_ms: Vec<f64>,
}

/// How many transactions of one service and name fell in one duration bucket (see
/// `sentinel_core::detection::latency_bucket`) over a range of hours.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TransactionBucketCount {
    pub org_id: String,
    pub service_id: String,
    pub transaction_name: String,
    pub bucket: i64,
    pub count: i64,
}

/// How many events one incident received in a window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentCount {
    pub incident_id: String,
    pub service_id: String,
    pub count: i64,
}

#[derive(sqlx::FromRow)]
struct DetectionRow {
    id: String,
    org_id: String,
    service_id: Option<String>,
    kind: String,
    severity: String,
    title: String,
    details: String,
    dedup_key: String,
    occurrence_count: i64,
    first_seen: i64,
    last_seen: i64,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
    resolution: Option<String>,
}

impl TryFrom<DetectionRow> for Detection {
    type Error = StoreError;

    fn try_from(row: DetectionRow) -> Result<Self, StoreError> {
        let details = serde_json::from_str(&row.details)
            .map_err(|e| StoreError::Corrupt(format!("detection {}: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            org_id: OrgId::from_string(row.org_id),
            service_id: row.service_id,
            kind: row.kind,
            severity: row.severity,
            title: row.title,
            details,
            dedup_key: row.dedup_key,
            occurrence_count: row.occurrence_count,
            first_seen: row.first_seen,
            last_seen: row.last_seen,
            resolved_at: row.resolved_at,
            resolved_by: row.resolved_by,
            resolution: row.resolution,
        })
    }
}

const COLUMNS: &str = "id, org_id, service_id, kind, severity, title, details, dedup_key, \
     occurrence_count, first_seen, last_seen, resolved_at, resolved_by, resolution";

/// Opens a detection inside `tx`, or, when one with the same dedup key is still open,
/// counts another occurrence of it.
pub async fn raise_detection_in(
    tx: &mut Tx,
    new: &NewDetection,
    now: Millis,
) -> StoreResult<RaisedDetection> {
    let row: DetectionRow = tx!(tx, |conn| {
        sqlx::query_as(&format!(
            "INSERT INTO detections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, \
             NULL, NULL, NULL) \
             ON CONFLICT (org_id, dedup_key) WHERE resolved_at IS NULL DO UPDATE SET \
             occurrence_count = detections.occurrence_count + 1, last_seen = excluded.last_seen, \
             details = excluded.details, title = excluded.title \
             RETURNING {COLUMNS}"
        ))
        .bind(ulid::Ulid::new().to_string())
        .bind(new.org_id.as_str())
        .bind(&new.service_id)
        .bind(&new.kind)
        .bind(&new.severity)
        .bind(&new.title)
        .bind(new.details.to_string())
        .bind(&new.dedup_key)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
    });
    let detection = Detection::try_from(row)?;
    Ok(RaisedDetection {
        opened: detection.occurrence_count == 1 && detection.first_seen == now,
        detection,
    })
}

impl Store {
    pub async fn get_detection(&self, org: &OrgId, id: &str) -> StoreResult<Option<Detection>> {
        let row: Option<DetectionRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM detections WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Detection::try_from).transpose()
    }

    /// Detections of `org`, most recently seen first; `open` filters on resolved or not.
    pub async fn list_detections(
        &self,
        org: &OrgId,
        open: Option<bool>,
        kind: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Detection>> {
        let mut sql = format!("SELECT {COLUMNS} FROM detections WHERE org_id = $1");
        match open {
            Some(true) => sql.push_str(" AND resolved_at IS NULL"),
            Some(false) => sql.push_str(" AND resolved_at IS NOT NULL"),
            None => {}
        }
        if kind.is_some() {
            sql.push_str(" AND kind = $2");
        }
        sql.push_str(&format!(
            " ORDER BY last_seen DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        ));
        let rows: Vec<DetectionRow> = read!(self, |pool| {
            let mut query = sqlx::query_as(&sql).bind(org.as_str());
            if let Some(kind) = kind {
                query = query.bind(kind);
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter().map(Detection::try_from).collect()
    }

    /// Resolves an open detection with a person's resolution.
    pub async fn resolve_detection(
        &self,
        org: &OrgId,
        id: &str,
        resolution: Resolution,
        by: &str,
        now: Millis,
    ) -> Result<Detection, ResolveDetectionError> {
        let row: Option<DetectionRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE detections SET resolved_at = $1, resolved_by = $2, resolution = $3 \
                 WHERE org_id = $4 AND id = $5 AND resolved_at IS NULL RETURNING {COLUMNS}"
            ))
            .bind(now)
            .bind(by)
            .bind(resolution.as_str())
            .bind(org.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::from)?
        });
        match row {
            Some(row) => Ok(Detection::try_from(row)?),
            None => match self.get_detection(org, id).await? {
                Some(_) => Err(ResolveDetectionError::AlreadyResolved),
                None => Err(ResolveDetectionError::NotFound),
            },
        }
    }

    /// Resolves (as `auto_resolved`) every open detection, in any organization, whose
    /// condition last held before `cleared_before`. Returns them.
    pub async fn auto_resolve_detections(
        &self,
        cleared_before: Millis,
        now: Millis,
    ) -> StoreResult<Vec<Detection>> {
        let rows: Vec<DetectionRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE detections SET resolved_at = $1, resolved_by = 'sentinel', \
                 resolution = $2 WHERE resolved_at IS NULL AND last_seen < $3 RETURNING {COLUMNS}"
            ))
            .bind(now)
            .bind(Resolution::AutoResolved.as_str())
            .bind(cleared_before)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Detection::try_from).collect()
    }

    /// Error events (events with an incident) per service and bucket of `bucket_ms` in
    /// `[from, until)`, across organizations. Bucket `i` covers `from + i·bucket_ms`; empty
    /// buckets are absent.
    ///
    /// The counts come from `service_error_minutes`, which the ingest writer keeps per
    /// minute of receipt, so the three times are taken in whole minutes: `from` and `until`
    /// are rounded down to the minute they fall in, and a bucket is at least a minute.
    pub async fn error_counts_by_bucket(
        &self,
        from: Millis,
        until: Millis,
        bucket_ms: Millis,
    ) -> StoreResult<Vec<ServiceBucketCount>> {
        let bucket_minutes = (bucket_ms / MINUTE_MS).max(1);
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT org_id, service_id, (minute - $1) / $3 AS bucket, \
                 CAST(SUM(count) AS BIGINT) AS count \
                 FROM service_error_minutes WHERE minute >= $1 AND minute < $2 \
                 GROUP BY org_id, service_id, (minute - $1) / $3",
            )
            .bind(unix_minute(from))
            .bind(unix_minute(until))
            .bind(bucket_minutes)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Retention for the error counts: drops the minutes before the one `cutoff` falls in.
    pub async fn delete_error_minutes_before(&self, cutoff: Millis) -> StoreResult<u64> {
        Ok(write!(self, |pool| {
            sqlx::query("DELETE FROM service_error_minutes WHERE minute < $1")
                .bind(unix_minute(cutoff))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Durations of transactions received in `[from, until)`, across organizations.
    pub async fn transaction_durations(
        &self,
        from: Millis,
        until: Millis,
    ) -> StoreResult<Vec<TransactionDuration>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT org_id, service_id, transaction_name, received_at, duration_ms \
                 FROM events WHERE kind = 'transaction' AND received_at >= $1 \
                 AND received_at < $2 AND transaction_name IS NOT NULL \
                 AND duration_ms IS NOT NULL",
            )
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The durations of transactions received in `[from, until)`, across organizations,
    /// grouped by organization, service and transaction name. Rows are read one at a time,
    /// so memory grows by a duration per transaction rather than a row: at OTLP volumes the
    /// latency window holds millions of them.
    pub async fn transaction_durations_grouped(
        &self,
        from: Millis,
        until: Millis,
    ) -> StoreResult<Vec<TransactionDurations>> {
        use futures::TryStreamExt;
        let mut groups: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
        read!(self, |pool| {
            let mut rows = sqlx::query_as::<_, (String, String, String, f64)>(
                "SELECT org_id, service_id, transaction_name, duration_ms \
                 FROM events WHERE kind = 'transaction' AND received_at >= $1 \
                 AND received_at < $2 AND transaction_name IS NOT NULL \
                 AND duration_ms IS NOT NULL",
            )
            .bind(from)
            .bind(until)
            .fetch(pool);
            while let Some((org_id, service_id, name, duration)) = rows.try_next().await? {
                match groups.get_mut(&(org_id.clone(), service_id.clone(), name.clone())) {
                    Some(durations) => durations.push(duration),
                    None => {
                        groups.insert((org_id, service_id, name), vec![duration]);
                    }
                }
            }
        });
        Ok(groups
            .into_iter()
            .map(
                |((org_id, service_id, transaction_name), durations_ms)| TransactionDurations {
                    org_id,
                    service_id,
                    transaction_name,
                    durations_ms,
                },
            )
            .collect())
    }

    /// The duration histograms of transactions received in the whole hours from the one
    /// `from` falls in up to, not including, the one `until` falls in, across
    /// organizations: from `transaction_hours`, which the ingest writer keeps.
    pub async fn transaction_duration_buckets(
        &self,
        from: Millis,
        until: Millis,
    ) -> StoreResult<Vec<TransactionBucketCount>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT MIN(org_id) AS org_id, service_id, transaction_name, bucket, \
                 CAST(SUM(count) AS BIGINT) AS count \
                 FROM transaction_hours WHERE hour >= $1 AND hour < $2 \
                 GROUP BY service_id, transaction_name, bucket",
            )
            .bind(unix_hour(from))
            .bind(unix_hour(until))
            .fetch_all(pool)
            .await?
        }))
    }

    /// Retention for the duration histograms: drops the hours before the one `cutoff`
    /// falls in.
    pub async fn delete_transaction_hours_before(&self, cutoff: Millis) -> StoreResult<u64> {
        Ok(write!(self, |pool| {
            sqlx::query("DELETE FROM transaction_hours WHERE hour < $1")
                .bind(unix_hour(cutoff))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Incidents of `org` with at least `min_count` events received in `[since, until)`.
    pub async fn incident_counts_since(
        &self,
        org: &OrgId,
        since: Millis,
        until: Millis,
        min_count: i64,
    ) -> StoreResult<Vec<IncidentCount>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT incident_id, service_id, COUNT(*) AS count FROM events \
                 WHERE org_id = $1 AND received_at >= $2 AND received_at < $3 \
                 AND incident_id IS NOT NULL GROUP BY incident_id, service_id \
                 HAVING COUNT(*) >= $4",
            )
            .bind(org.as_str())
            .bind(since)
            .bind(until)
            .bind(min_count)
            .fetch_all(pool)
            .await?
        }))
    }
}
