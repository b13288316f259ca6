//! Cron monitors: a schedule per (service, slug), created from check-ins' `monitor_config`
//! or through the API, and the recent check-ins they are judged on.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::checkin::{CheckInStatus, MonitorConfig};
use sentinel_core::clock::Millis;
use sentinel_core::detection::monitor::SeenCheckIn;
use sentinel_core::id::{OrgId, ServiceId};

#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    pub id: String,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub slug: String,
    pub config: MonitorConfig,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The newest configuration a check-in declared for a monitor.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeclaredMonitor {
    pub org_id: String,
    pub service_id: String,
    pub monitor_slug: String,
    pub monitor_config: String,
    pub received_at: i64,
}

#[derive(sqlx::FromRow)]
struct MonitorRow {
    id: String,
    org_id: String,
    service_id: String,
    slug: String,
    config: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<MonitorRow> for Monitor {
    type Error = StoreError;

    fn try_from(row: MonitorRow) -> Result<Self, StoreError> {
        let config = serde_json::from_str(&row.config)
            .map_err(|e| StoreError::Corrupt(format!("monitor {}: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            slug: row.slug,
            config,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, org_id, service_id, slug, config, created_at, updated_at";

impl Store {
    /// Creates or replaces the configuration of the monitor `slug` of a service. A change
    /// older than the stored one (`at` before its `updated_at`) is ignored.
    pub async fn upsert_monitor(
        &self,
        org: &OrgId,
        service: &ServiceId,
        slug: &str,
        config: &MonitorConfig,
        at: Millis,
    ) -> StoreResult<Monitor> {
        let text = serde_json::to_string(config)
            .map_err(|e| StoreError::Corrupt(format!("monitor config: {e}")))?;
        let row: Option<MonitorRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO monitors ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (service_id, slug) DO UPDATE SET config = excluded.config, \
                 updated_at = excluded.updated_at WHERE monitors.updated_at <= excluded.updated_at \
                 RETURNING {COLUMNS}"
            ))
            .bind(ulid::Ulid::new().to_string())
            .bind(org.as_str())
            .bind(service.as_str())
            .bind(slug)
            .bind(&text)
            .bind(at)
            .fetch_optional(pool)
            .await?
        });
        let row = match row {
            Some(row) => row,
            // A newer configuration is stored: keep it.
            None => write!(self, |pool| {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM monitors WHERE service_id = $1 AND slug = $2"
                ))
                .bind(service.as_str())
                .bind(slug)
                .fetch_one(pool)
                .await?
            }),
        };
        Monitor::try_from(row)
    }

    pub async fn list_monitors(&self, org: &OrgId) -> StoreResult<Vec<Monitor>> {
        let rows: Vec<MonitorRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM monitors WHERE org_id = $1 ORDER BY slug, id"
            ))
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Monitor::try_from).collect()
    }

    /// Every monitor of every organization (for the detections job).
    pub async fn list_all_monitors(&self) -> StoreResult<Vec<Monitor>> {
        let rows: Vec<MonitorRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM monitors ORDER BY org_id, id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Monitor::try_from).collect()
    }

    pub async fn delete_monitor(&self, org: &OrgId, id: &str) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query("DELETE FROM monitors WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Check-ins received since `since` that declared a monitor configuration, newest first.
    pub async fn declared_monitors_since(
        &self,
        since: Millis,
    ) -> StoreResult<Vec<DeclaredMonitor>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT org_id, service_id, monitor_slug, monitor_config, received_at \
                 FROM check_ins WHERE monitor_config IS NOT NULL AND received_at >= $1 \
                 ORDER BY received_at DESC",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The newest `limit` check-ins of a monitor, newest first. Rows with a status this
    /// build does not know are skipped.
    pub async fn recent_check_ins(
        &self,
        service: &ServiceId,
        slug: &str,
        limit: u32,
    ) -> StoreResult<Vec<SeenCheckIn>> {
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT status, received_at FROM check_ins WHERE service_id = $1 \
                 AND monitor_slug = $2 ORDER BY received_at DESC, id DESC LIMIT $3",
            )
            .bind(service.as_str())
            .bind(slug)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(status, received_at)| {
                status
                    .parse::<CheckInStatus>()
                    .ok()
                    .map(|status| SeenCheckIn {
                        status,
                        received_at,
                    })
            })
            .collect())
    }
}
