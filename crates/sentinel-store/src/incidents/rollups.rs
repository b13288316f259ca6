//! The per-incident rollups the incident page shows: events per hour and the most common
//! tag values.

use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId};
use serde::Serialize;

/// The most common values of one tag across an incident's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagBreakdown {
    pub key: String,
    /// Events that carried this key at all.
    pub total: i64,
    /// The top values, most frequent first (ties by value).
    pub values: Vec<(String, i64)>,
}

#[derive(sqlx::FromRow)]
struct TagRow {
    key: String,
    value: String,
    count: i64,
    total: i64,
}

impl Store {
    /// Events per hour since `since_ms` (hour start in Unix ms, count), oldest first. Hours
    /// without events are left out. Another org's incident has none.
    pub async fn incident_hourly_counts(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        since_ms: Millis,
    ) -> StoreResult<Vec<(Millis, i64)>> {
        let rows: Vec<(i64, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT h.hour, h.count FROM incident_hourly h \
                 JOIN incidents i ON i.id = h.incident_id \
                 WHERE i.org_id = $1 AND h.incident_id = $2 AND h.hour >= $3 \
                 ORDER BY h.hour",
            )
            .bind(org.as_str())
            .bind(incident.as_str())
            .bind(super::codec::hour_of(since_ms))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Per tag key (alphabetical), its `top_n` most common values.
    pub async fn incident_tag_breakdown(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        top_n: u32,
    ) -> StoreResult<Vec<TagBreakdown>> {
        let rows: Vec<TagRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT key, value, count, total FROM ( \
                   SELECT t.key, t.value, t.count, \
                     CAST(SUM(t.count) OVER (PARTITION BY t.key) AS BIGINT) AS total, \
                     ROW_NUMBER() OVER (PARTITION BY t.key ORDER BY t.count DESC, t.value) AS place \
                   FROM incident_tags t JOIN incidents i ON i.id = t.incident_id \
                   WHERE i.org_id = $1 AND t.incident_id = $2 \
                 ) ranked WHERE place <= $3 ORDER BY key, place",
            )
            .bind(org.as_str())
            .bind(incident.as_str())
            .bind(i64::from(top_n))
            .fetch_all(pool)
            .await?
        });
        let mut breakdown: Vec<TagBreakdown> = Vec::new();
        for row in rows {
            match breakdown.last_mut() {
                Some(last) if last.key == row.key => last.values.push((row.value, row.count)),
                _ => breakdown.push(TagBreakdown {
                    key: row.key,
                    total: row.total,
                    values: vec![(row.value, row.count)],
                }),
            }
        }
        Ok(breakdown)
    }
}
