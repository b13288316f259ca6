//! Listing and reading incidents: filters, sort orders and keyset pagination.

use super::cursor::{IncidentCursor, InvalidCursor};
use super::rows::{convert_all, IncidentRow, INCIDENT_COLUMNS};
use super::{Incident, Page};
use crate::db::read;
use crate::{Store, StoreError, StoreResult};
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::{count_scale, last_seen_minute, ErrorClass, IncidentStatus};
use std::str::FromStr;

/// The most incidents one page returns, and the page size when none is asked for.
pub const MAX_INCIDENT_PAGE: u32 = 100;
pub const DEFAULT_INCIDENT_PAGE: u32 = 25;

/// How incident lists are ordered; always newest or largest first, ties by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncidentSort {
    #[default]
    LastSeen,
    FirstSeen,
    Count,
}

impl IncidentSort {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentSort::LastSeen => "last_seen",
            IncidentSort::FirstSeen => "first_seen",
            IncidentSort::Count => "count",
        }
    }

    fn column(self) -> &'static str {
        match self {
            IncidentSort::LastSeen => "last_seen",
            IncidentSort::FirstSeen => "first_seen",
            IncidentSort::Count => "occurrence_count",
        }
    }

    /// The coarse key an index orders this sort by, and that key of a value: see
    /// `sentinel_core::incident::sort_keys`. First seen never changes, so its index holds
    /// the value itself.
    fn coarse_key(self) -> Option<CoarseKey> {
        match self {
            IncidentSort::LastSeen => Some(("last_seen_minute", last_seen_minute)),
            IncidentSort::FirstSeen => None,
            IncidentSort::Count => Some(("count_scale", count_scale)),
        }
    }

    /// Cursors remember their sort, so one cannot be replayed against another order.
    fn cursor_tag(self) -> &'static str {
        match self {
            IncidentSort::LastSeen => "l",
            IncidentSort::FirstSeen => "f",
            IncidentSort::Count => "c",
        }
    }

    fn key_of(self, incident: &Incident) -> i64 {
        match self {
            IncidentSort::LastSeen => incident.last_seen,
            IncidentSort::FirstSeen => incident.first_seen,
            IncidentSort::Count => incident.occurrence_count,
        }
    }
}

/// A coarse key's column, and the function that gives it from the sort's value.
type CoarseKey = (&'static str, fn(i64) -> i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown sort {0:?} (expected last_seen, first_seen or count)")]
pub struct UnknownSort(pub String);

impl FromStr for IncidentSort {
    type Err = UnknownSort;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            IncidentSort::LastSeen,
            IncidentSort::FirstSeen,
            IncidentSort::Count,
        ]
        .into_iter()
        .find(|sort| sort.as_str() == s)
        .ok_or_else(|| UnknownSort(s.to_string()))
    }
}

/// Which incidents of an org to list. Every `Some` filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Any of these statuses; `None` (or an empty list) for all.
    pub status: Option<Vec<IncidentStatus>>,
    pub service_id: Option<ServiceId>,
    /// An environment / release any event of the incident had (its tag breakdown), not
    /// only its latest event: as Sentry filters issues.
    pub environment: Option<String>,
    pub release: Option<String>,
    pub error_class: Option<ErrorClass>,
    /// Case-insensitive substring of the title or the message. (Outside ASCII, SQLite
    /// compares case-sensitively.)
    pub text: Option<String>,
    /// Also list quiet incidents (outside the service's class filter).
    pub include_quiet: bool,
    pub sort: IncidentSort,
    /// A previous page's `next_cursor`, for the same sort.
    pub cursor: Option<String>,
    /// 1..=[`MAX_INCIDENT_PAGE`]; 0 means [`DEFAULT_INCIDENT_PAGE`].
    pub limit: u32,
}

impl IncidentQuery {
    /// Checks the cursor before the query runs, so callers can refuse a bad one as the
    /// client's mistake. [`Store::list_incidents`] reports it as [`StoreError::Corrupt`].
    pub fn check_cursor(&self) -> Result<(), InvalidCursor> {
        self.decoded_cursor().map(|_| ())
    }

    fn decoded_cursor(&self) -> Result<Option<IncidentCursor>, InvalidCursor> {
        self.cursor
            .as_deref()
            .map(|text| IncidentCursor::decode(self.sort.cursor_tag(), text))
            .transpose()
    }

    fn page_size(&self) -> u32 {
        match self.limit {
            0 => DEFAULT_INCIDENT_PAGE,
            n => n.min(MAX_INCIDENT_PAGE),
        }
    }
}

/// A bound value of a query assembled at run time.
enum Arg {
    Text(String),
    Int(i64),
}

/// ` AND` an event of the incident had tag `key` (a constant) with the value bound to
/// `placeholder`. The incident's own release and environment columns follow its latest
/// event and are not indexed (migration 0013); the tag rollup's primary key answers this.
pub(crate) fn had_tag(key: &'static str, placeholder: &str) -> String {
    format!(
        " AND EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = incidents.id \
         AND t.key = '{key}' AND t.value = {placeholder})"
    )
}

/// Escapes LIKE's wildcards so user text matches literally (with `ESCAPE '\'`).
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

impl Store {
    /// One incident of `org`.
    pub async fn get_incident(&self, org: &OrgId, id: &IncidentId) -> StoreResult<Incident> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1 AND id = $2");
        let row: Option<IncidentRow> = read!(self, |pool| {
            sqlx::query_as::<_, IncidentRow>(&sql)
                .bind(org.as_str())
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// A page of `org`'s incidents matching `query`.
    pub async fn list_incidents(
        &self,
        org: &OrgId,
        query: &IncidentQuery,
    ) -> StoreResult<Page<Incident>> {
        let after = query
            .decoded_cursor()
            .map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let limit = query.page_size();
        let mut args = vec![Arg::Text(org.as_str().to_string())];
        let next = |args: &mut Vec<Arg>, arg: Arg| {
            args.push(arg);
            format!("${}", args.len())
        };
        let mut sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1");
        if let Some(statuses) = query.status.as_ref().filter(|s| !s.is_empty()) {
            let list: Vec<String> = statuses
                .iter()
                .map(|s| next(&mut args, Arg::Text(s.as_str().to_string())))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
        }
        if let Some(service) = &query.service_id {
            let p = next(&mut args, Arg::Text(service.as_str().to_string()));
            sql.push_str(&format!(" AND service_id = {p}"));
        }
        if let Some(environment) = &query.environment {
            let p = next(&mut args, Arg::Text(environment.clone()));
            sql.push_str(&had_tag("environment", &p));
        }
        if let Some(release) = &query.release {
            let p = next(&mut args, Arg::Text(release.clone()));
            sql.push_str(&had_tag("release", &p));
        }
        if let Some(class) = query.error_class {
            let p = next(&mut args, Arg::Text(class.as_str().to_string()));
            sql.push_str(&format!(" AND error_class = {p}"));
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let p = next(&mut args, Arg::Text(like_pattern(text.trim())));
            sql.push_str(&format!(
                " AND (LOWER(title) LIKE {p} ESCAPE '\\' OR LOWER(message) LIKE {p} ESCAPE '\\')"
            ));
        }
        if !query.include_quiet {
            sql.push_str(" AND quiet = FALSE");
        }
        let column = query.sort.column();
        let coarse = query.sort.coarse_key();
        if let Some(after) = &after {
            // The coarse key's bound is implied by the value's; it is there so the walk of
            // the coarse index starts at the cursor.
            if let Some((key, key_of)) = coarse {
                let bound = next(&mut args, Arg::Int(key_of(after.value)));
                sql.push_str(&format!(" AND {key} <= {bound}"));
            }
            let value = next(&mut args, Arg::Int(after.value));
            let id = next(&mut args, Arg::Text(after.id.clone()));
            sql.push_str(&format!(
                " AND ({column} < {value} OR ({column} = {value} AND id < {id}))"
            ));
        }
        let fetch = next(&mut args, Arg::Int(i64::from(limit) + 1));
        let order = match coarse {
            Some((key, _)) => format!("{key} DESC, {column} DESC, id DESC"),
            None => format!("{column} DESC, id DESC"),
        };
        sql.push_str(&format!(" ORDER BY {order} LIMIT {fetch}"));

        let rows: Vec<IncidentRow> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, IncidentRow>(&sql);
            for arg in &args {
                q = match arg {
                    Arg::Text(text) => q.bind(text.as_str()),
                    Arg::Int(int) => q.bind(*int),
                };
            }
            q.fetch_all(pool).await?
        });
        let mut items: Vec<Incident> = convert_all(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| {
                IncidentCursor {
                    value: query.sort.key_of(last),
                    id: last.id.as_str().to_string(),
                }
                .encode(query.sort.cursor_tag())
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("Disk 100%_Full"), "%disk 100\\%\\_full%");
        assert_eq!(like_pattern("a\\b"), "%a\\\\b%");
    }

    #[test]
    fn sorts_parse_and_pages_are_bounded() {
        assert_eq!("count".parse(), Ok(IncidentSort::Count));
        assert!("bogus".parse::<IncidentSort>().is_err());
        let mut query = IncidentQuery::default();
        assert_eq!(query.page_size(), DEFAULT_INCIDENT_PAGE);
        query.limit = 1000;
        assert_eq!(query.page_size(), MAX_INCIDENT_PAGE);
        query.cursor = Some("nonsense".to_string());
        assert!(query.check_cursor().is_err());
    }
}
