//! Aggregates the dashboard shows beside incident lists: how many incidents each status
//! chip would list under the other filters, and the environments and releases to filter by.

use crate::db::read;
use crate::incidents::{had_tag, IncidentQuery};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{EventRowId, IncidentId, OrgId};
use sentinel_core::incident::IncidentStatus;
use std::collections::HashMap;

/// The most distinct values [`Store::incident_facets`] returns per facet.
const MAX_FACET_VALUES: i64 = 50;

/// The environments and releases of an organization's events, most recently seen first (to
/// the minute; values seen in the same minute by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFacets {
    pub environments: Vec<String>,
    pub releases: Vec<String>,
}

impl Store {
    /// Per status, how many of `org`'s incidents match every filter of `query` except its
    /// statuses, cursor, sort and limit. Statuses without incidents are left out.
    pub async fn count_incidents_by_status(
        &self,
        org: &OrgId,
        query: &IncidentQuery,
    ) -> StoreResult<Vec<(IncidentStatus, i64)>> {
        let mut args: Vec<String> = vec![org.as_str().to_string()];
        let mut next = |value: String| {
            args.push(value);
            format!("${}", args.len())
        };
        let mut sql = String::from("SELECT status, COUNT(*) FROM incidents WHERE org_id = $1");
        if let Some(service) = &query.service_id {
            sql.push_str(&format!(
                " AND service_id = {}",
                next(service.as_str().to_string())
            ));
        }
        if let Some(environment) = &query.environment {
            sql.push_str(&had_tag("environment", &next(environment.clone())));
        }
        if let Some(release) = &query.release {
            sql.push_str(&had_tag("release", &next(release.clone())));
        }
        if let Some(class) = query.error_class {
            sql.push_str(&format!(
                " AND error_class = {}",
                next(class.as_str().to_string())
            ));
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let p = next(like_pattern(text.trim()));
            sql.push_str(&format!(
                " AND (LOWER(title) LIKE {p} ESCAPE '\\' OR LOWER(message) LIKE {p} ESCAPE '\\')"
            ));
        }
        if !query.include_quiet {
            sql.push_str(" AND quiet = FALSE");
        }
        sql.push_str(" GROUP BY status");
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for arg in &args {
                q = q.bind(arg.as_str());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(status, count)| {
                IncidentStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == status)
                    .map(|s| (s, count))
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown incident status {status}")))
            })
            .collect()
    }

    /// The environments and releases `org`'s events have had, from `org_facet_values`,
    /// which the ingest writer keeps.
    pub async fn incident_facets(&self, org: &OrgId) -> StoreResult<IncidentFacets> {
        let environments = self.facet_values(org, "environment").await?;
        let releases = self.facet_values(org, "release").await?;
        Ok(IncidentFacets {
            environments,
            releases,
        })
    }
}

impl Store {
    async fn facet_values(&self, org: &OrgId, facet: &str) -> StoreResult<Vec<String>> {
        Ok(read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT value FROM org_facet_values WHERE org_id = $1 AND facet = $2 \
                 ORDER BY last_seen_minute DESC, value LIMIT $3",
            )
            .bind(org.as_str())
            .bind(facet)
            .bind(MAX_FACET_VALUES)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// The events either side of one event of an incident, in the order the incident page
/// navigates them (by arrival, ties by id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventNeighbours {
    pub newest: Option<EventRowId>,
    pub newer: Option<EventRowId>,
    pub older: Option<EventRowId>,
    pub oldest: Option<EventRowId>,
}

impl Store {
    /// Events per hour since `since_ms` for several incidents of `org` at once (one query
    /// for a whole list page), keyed by incident; hours without events are left out.
    pub async fn hourly_counts_for_incidents(
        &self,
        org: &OrgId,
        incidents: &[IncidentId],
        since_ms: Millis,
    ) -> StoreResult<HashMap<IncidentId, Vec<(Millis, i64)>>> {
        let mut counts: HashMap<IncidentId, Vec<(Millis, i64)>> = HashMap::new();
        if incidents.is_empty() {
            return Ok(counts);
        }
        let placeholders: Vec<String> = (0..incidents.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        // Both sides are narrowed to the listed incidents so neither planner starts from
        // `org_id`, which matches every incident of the organization: with a plain join,
        // SQLite walked all of them and PostgreSQL hashed all of them. CROSS JOIN makes
        // SQLite read the rollups first (PostgreSQL treats it as an inner join).
        let list = placeholders.join(", ");
        let sql = format!(
            "SELECT h.incident_id, h.hour, h.count FROM incident_hourly h \
             CROSS JOIN incidents i \
             WHERE i.id = h.incident_id AND i.org_id = $1 AND h.hour >= $2 \
             AND h.incident_id IN ({list}) AND i.id IN ({list}) \
             ORDER BY h.incident_id, h.hour"
        );
        let hour = since_ms - since_ms.rem_euclid(3_600_000);
        let rows: Vec<(String, i64, i64)> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql)
                .bind(org.as_str())
                .bind(hour);
            for id in incidents {
                q = q.bind(id.as_str());
            }
            q.fetch_all(pool).await?
        });
        for (incident, hour, count) in rows {
            counts
                .entry(IncidentId::from_string(incident))
                .or_default()
                .push((hour, count));
        }
        Ok(counts)
    }

    /// The newest, next newer, next older and oldest events of `incident` around the event
    /// `current`. An event of another incident or organization has no neighbours.
    pub async fn event_neighbours(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        current: &EventRowId,
    ) -> StoreResult<EventNeighbours> {
        let position: Option<(i64,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT received_at FROM events WHERE org_id = $1 AND incident_id = $2 AND id = $3",
            )
            .bind(org.as_str())
            .bind(incident.as_str())
            .bind(current.as_str())
            .fetch_optional(pool)
            .await?
        });
        let Some((received_at,)) = position else {
            return Ok(EventNeighbours::default());
        };
        const BASE: &str = "SELECT id FROM events WHERE org_id = $1 AND incident_id = $2";
        let newer_sql = format!(
            "{BASE} AND (received_at > $3 OR (received_at = $3 AND id > $4)) \
             ORDER BY received_at ASC, id ASC LIMIT 1"
        );
        let older_sql = format!(
            "{BASE} AND (received_at < $3 OR (received_at = $3 AND id < $4)) \
             ORDER BY received_at DESC, id DESC LIMIT 1"
        );
        let newest_sql = format!("{BASE} ORDER BY received_at DESC, id DESC LIMIT 1");
        let oldest_sql = format!("{BASE} ORDER BY received_at ASC, id ASC LIMIT 1");
        let found: Vec<Option<String>> = read!(self, |pool| {
            let mut found = Vec::with_capacity(4);
            for sql in [&newest_sql, &newer_sql, &older_sql, &oldest_sql] {
                let mut q = sqlx::query_scalar::<_, String>(sql)
                    .bind(org.as_str())
                    .bind(incident.as_str());
                if sql.contains("$3") {
                    q = q.bind(received_at).bind(current.as_str());
                }
                found.push(q.fetch_optional(pool).await?);
            }
            found
        });
        let mut found = found.into_iter().map(|id| {
            id.filter(|id| id != current.as_str())
                .map(EventRowId::from_string)
        });
        Ok(EventNeighbours {
            newest: found.next().flatten(),
            newer: found.next().flatten(),
            older: found.next().flatten(),
            oldest: found.next().flatten(),
        })
    }
}

/// Escapes LIKE's wildcards so user text matches literally (with `ESCAPE '\'`), as the
/// incident list does.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
