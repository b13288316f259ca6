//! Reading stored events back, and retention.

use super::cursor::{EventCursor, InvalidCursor};
use super::rows::{convert_all, EventRow, EVENT_COLUMNS};
use super::{Page, StoredEvent};
use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId};

/// The most events one page returns.
pub const MAX_EVENT_PAGE: u32 = 100;

impl Store {
    /// One event of `org`, by its row id or by the SDK's event id (the newest, if several
    /// services of the org reused one).
    pub async fn get_event(&self, org: &OrgId, id_or_event_id: &str) -> StoreResult<StoredEvent> {
        let by_row = format!("SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND id = $2");
        // Through the org's services, so the lookup uses the unique (service_id, event_id)
        // index that ingest needs anyway; an (org_id, event_id) index of its own cost every
        // ingested event another random index insert (dropped by migration 0008).
        let by_sdk_id = format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE service_id IN (SELECT id FROM services WHERE org_id = $1) \
             AND event_id = $2 AND org_id = $1 \
             ORDER BY received_at DESC, id DESC LIMIT 1"
        );
        let row: Option<EventRow> = read!(self, |pool| {
            let row = sqlx::query_as::<_, EventRow>(&by_row)
                .bind(org.as_str())
                .bind(id_or_event_id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(row),
                None => {
                    sqlx::query_as::<_, EventRow>(&by_sdk_id)
                        .bind(org.as_str())
                        .bind(id_or_event_id)
                        .fetch_optional(pool)
                        .await?
                }
            }
        });
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// The newest event of an incident of `org`.
    pub async fn latest_event(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> StoreResult<Option<StoredEvent>> {
        let page = self.list_incident_events(org, incident, None, 1).await;
        match page {
            Ok(page) => Ok(page.items.into_iter().next()),
            Err(err) => Err(err),
        }
    }

    /// An incident's events, newest first. `cursor` is a previous page's `next_cursor`;
    /// `limit` is clamped to 1..=[`MAX_EVENT_PAGE`]. An unknown incident (or another org's)
    /// has no events.
    pub async fn list_incident_events(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<StoredEvent>> {
        let after = cursor
            .map(EventCursor::decode)
            .transpose()
            .map_err(|err: InvalidCursor| StoreError::Corrupt(err.to_string()))?;
        let limit = limit.clamp(1, MAX_EVENT_PAGE);
        // One more than asked, to know whether another page follows.
        let fetch = i64::from(limit) + 1;
        let rows: Vec<EventRow> = read!(self, |pool| {
            match &after {
                None => {
                    let sql = format!(
                        "SELECT {EVENT_COLUMNS} FROM events \
                         WHERE org_id = $1 AND incident_id = $2 \
                         ORDER BY received_at DESC, id DESC LIMIT $3"
                    );
                    sqlx::query_as::<_, EventRow>(&sql)
                        .bind(org.as_str())
                        .bind(incident.as_str())
                        .bind(fetch)
                        .fetch_all(pool)
                        .await?
                }
                Some(after) => {
                    let sql = format!(
                        "SELECT {EVENT_COLUMNS} FROM events \
                         WHERE org_id = $1 AND incident_id = $2 \
                         AND (received_at < $3 OR (received_at = $3 AND id < $4)) \
                         ORDER BY received_at DESC, id DESC LIMIT $5"
                    );
                    sqlx::query_as::<_, EventRow>(&sql)
                        .bind(org.as_str())
                        .bind(incident.as_str())
                        .bind(after.received_at)
                        .bind(after.id.as_str())
                        .bind(fetch)
                        .fetch_all(pool)
                        .await?
                }
            }
        });
        let mut items: Vec<StoredEvent> = convert_all(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| {
                EventCursor {
                    received_at: last.received_at,
                    id: last.id.as_str().to_string(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Retention: deletes up to `batch_limit` events received before `cutoff_ms`, oldest
    /// first, and returns how many went. Incidents keep their counts and rollups. Call it
    /// until it returns less than `batch_limit`; small batches keep each write short.
    pub async fn delete_events_before(
        &self,
        cutoff_ms: Millis,
        batch_limit: u32,
    ) -> StoreResult<u64> {
        let deleted = write!(self, |pool| {
            sqlx::query(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < $1 \
                 ORDER BY received_at LIMIT $2)",
            )
            .bind(cutoff_ms)
            .bind(i64::from(batch_limit))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(deleted)
    }
}
