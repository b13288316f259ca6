//! The batched write path: a batch of events into `events`, their incidents, and the
//! hourly and tag rollups, inside the caller's transaction.
//!
//! Order of work, chosen so that both backends stay correct with two writers at once:
//! 1. duplicates inside the batch are set aside (the first `(service, event_id)` wins);
//! 2. every incident the batch touches is found or created: on SQLite by one multi-row
//!    upsert, on PostgreSQL by locking the existing ones (`FOR UPDATE`) and inserting the
//!    rest. A second writer of the same incident waits here until this transaction ends and
//!    then sees its counts. Incidents are locked in (service, fingerprint) order so two
//!    writers cannot deadlock;
//! 3. the events go in with `ON CONFLICT DO NOTHING RETURNING id`: what comes back is what
//!    was new, the rest were stored before (by an earlier batch or a concurrent writer) and
//!    are not counted again;
//! 4. counts, status moves, hourly and tag rollups are aggregated in memory from the new
//!    events and written with one statement per table.

use super::batch::{delete_empty_incidents, write_changes};
use super::codec::kind_str;
use super::plan::{
    BatchPlan, EventRowValues, GroupKey, NewIncidentRow, EVENT_COLUMNS, EVENT_COLUMN_COUNT,
    FOUND_INCIDENT_COLUMNS, INCIDENT_COLUMNS, INCIDENT_COLUMN_COUNT, INCIDENT_UPSERT_TAIL,
};
use crate::db::tx;
use crate::{Backend, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::EventRowId;
use std::collections::{BTreeMap, HashMap, HashSet};

pub use sentinel_core::ingest::{EventOutcome, IncidentSeed, NewEvent};

/// Rows per multi-row statement: well under both backends' parameter limits (SQLite 32766,
/// PostgreSQL 65535) at the widest table.
pub(super) const ROWS_PER_STATEMENT: usize = 256;

/// Writes a batch of events inside `tx` and returns one outcome per input, in input order.
///
/// An incident's first occurrence decides its title, culprit, message, class, severity,
/// quiet flag, trigger route and trace id; release and environment follow the latest event
/// that has them. Times (first/last seen, hourly buckets) are receipt times.
pub async fn write_events(
    tx: &mut Tx,
    events: &[NewEvent],
    now: Millis,
) -> StoreResult<Vec<EventOutcome>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let plan = BatchPlan::new(events);
    let incidents = find_or_create_incidents(tx, events, &plan.groups, now).await?;
    let inserted = insert_events(tx, events, &plan, &incidents).await?;
    let (outcomes, changes) = plan.settle(events, &incidents, inserted, now);
    write_changes(tx, &changes).await?;
    delete_empty_incidents(tx, &changes.empty_created).await?;
    Ok(outcomes)
}

/// An incident as found (or just created) by the upsert, locked for this transaction on
/// PostgreSQL.
#[derive(sqlx::FromRow)]
pub(super) struct FoundIncident {
    pub(super) id: String,
    pub(super) service_id: String,
    pub(super) fingerprint: String,
    pub(super) status: String,
    pub(super) error_class: String,
    pub(super) quiet: bool,
    pub(super) occurrence_count: i64,
    pub(super) first_seen: i64,
    pub(super) last_seen: i64,
    pub(super) release: Option<String>,
    pub(super) environment: Option<String>,
    pub(super) regression_count: i64,
    pub(super) resolved_at: Option<i64>,
    /// Whether this statement inserted the row (its id is the one we generated).
    #[sqlx(skip)]
    pub(super) created: bool,
}

/// Puts the incidents an upsert returned into the groups' order, marking the ones whose id
/// is one we generated as created.
pub(super) fn in_group_order(
    groups: &BTreeMap<GroupKey<'_>, Vec<usize>>,
    rows: Vec<FoundIncident>,
    new_ids: &HashSet<String>,
) -> StoreResult<Vec<FoundIncident>> {
    let mut found = HashMap::with_capacity(rows.len());
    for mut row in rows {
        row.created = new_ids.contains(&row.id);
        found.insert((row.service_id.clone(), row.fingerprint.clone()), row);
    }
    groups
        .keys()
        .map(|(service, fingerprint)| {
            found
                .remove(&(service.to_string(), fingerprint.to_string()))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "incident upsert returned no row for fingerprint {fingerprint}"
                    ))
                })
        })
        .collect()
}

/// Finds or creates the incident of every group; the result is in the groups' order.
///
/// On SQLite one upsert per chunk does it all. On PostgreSQL the incidents that exist are
/// locked first (`FOR UPDATE`) and only the rest are inserted. The upsert's no-op
/// `DO UPDATE` would lock them too, but it writes a new version of each row; as the table's
/// rows carry indexed columns that change with every batch, that version rarely fits on its
/// page, and every index of `incidents` got an entry for it, once per incident per batch.
/// `FOR UPDATE` only marks the row. Rows are locked in byte order of (service, fingerprint),
/// the order the insert follows too, so two writers take their locks in the same order and
/// cannot deadlock.
async fn find_or_create_incidents(
    tx: &mut Tx,
    events: &[NewEvent],
    groups: &BTreeMap<GroupKey<'_>, Vec<usize>>,
    now: Millis,
) -> StoreResult<Vec<FoundIncident>> {
    let (mut rows, tail) = match &mut *tx {
        Tx::Postgres(conn) => (
            lock_existing_incidents(conn, groups.keys().copied()).await?,
            format!("ON CONFLICT (service_id, fingerprint) DO NOTHING RETURNING {FOUND_INCIDENT_COLUMNS}"),
        ),
        Tx::Sqlite(_) => (Vec::new(), INCIDENT_UPSERT_TAIL.to_string()),
    };
    let missing: BTreeMap<GroupKey<'_>, Vec<usize>> = groups
        .iter()
        .filter(|(key, _)| !rows.iter().any(|row| is_row_of(row, key)))
        .map(|(key, members)| (*key, members.clone()))
        .collect();
    let (created, new_ids) = insert_incidents(tx, events, &missing, now, &tail).await?;
    rows.extend(created);
    if let Tx::Postgres(conn) = &mut *tx {
        // A key another writer created after our lookup was skipped by `DO NOTHING` (once
        // that writer committed); a new statement's snapshot sees it.
        let raced: Vec<GroupKey<'_>> = missing
            .keys()
            .filter(|key| !rows.iter().any(|row| is_row_of(row, key)))
            .copied()
            .collect();
        if !raced.is_empty() {
            rows.extend(lock_existing_incidents(conn, raced.into_iter()).await?);
        }
    }
    in_group_order(groups, rows, &new_ids)
}

fn is_row_of(row: &FoundIncident, (service, fingerprint): &GroupKey<'_>) -> bool {
    row.service_id == *service && row.fingerprint == *fingerprint
}

/// Locks (`FOR UPDATE`) and reads the incidents of `keys` that exist, in byte order.
async fn lock_existing_incidents<'k>(
    conn: &mut sqlx::PgConnection,
    keys: impl Iterator<Item = GroupKey<'k>>,
) -> StoreResult<Vec<FoundIncident>> {
    let (services, fingerprints): (Vec<&str>, Vec<&str>) = keys.unzip();
    let sql = format!(
        "SELECT {FOUND_INCIDENT_COLUMNS} FROM incidents \
         WHERE (service_id, fingerprint) IN (SELECT * FROM UNNEST($1::text[], $2::text[])) \
         ORDER BY service_id COLLATE \"C\", fingerprint COLLATE \"C\" FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, FoundIncident>(&sql)
        .bind(&services)
        .bind(&fingerprints)
        .fetch_all(conn)
        .await?)
}

/// Inserts a new incident row for every group, `tail` saying what a conflict does and what
/// comes back; returns the rows returned, and the ids generated for the new rows.
async fn insert_incidents(
    tx: &mut Tx,
    events: &[NewEvent],
    groups: &BTreeMap<GroupKey<'_>, Vec<usize>>,
    now: Millis,
    tail: &str,
) -> StoreResult<(Vec<FoundIncident>, HashSet<String>)> {
    let mut new_ids = HashSet::with_capacity(groups.len());
    let mut rows = Vec::with_capacity(groups.len());
    let members: Vec<&Vec<usize>> = groups.values().collect();
    for chunk in members.chunks(ROWS_PER_STATEMENT) {
        let new_rows: Vec<NewIncidentRow> = chunk
            .iter()
            .filter_map(|members| NewIncidentRow::for_group(events, members, now))
            .collect();
        let sql = format!(
            "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES {} {tail}",
            value_rows(tx.backend(), new_rows.len(), INCIDENT_COLUMN_COUNT)
        );
        let returned: Vec<FoundIncident> = tx!(tx, |conn| {
            let mut query = sqlx::query_as::<_, FoundIncident>(&sql);
            for row in &new_rows {
                let Some(seed) = &row.event.incident else {
                    continue;
                };
                query = query
                    .bind(row.id.as_str())
                    .bind(row.event.org_id.as_str())
                    .bind(row.event.service_id.as_str())
                    .bind(seed.fingerprint.as_str())
                    .bind(seed.grouping_version)
                    .bind(seed.title.as_str())
                    .bind(seed.culprit.as_str())
                    .bind(seed.error_class.as_str())
                    .bind(seed.error_type.as_str())
                    .bind(seed.message.as_str())
                    .bind(NewIncidentRow::status())
                    .bind(seed.severity.as_str())
                    .bind(seed.quiet)
                    .bind(0_i64)
                    .bind(row.first_seen)
                    .bind(row.last_seen)
                    .bind(row.event.release.as_deref())
                    .bind(row.event.environment.as_deref())
                    .bind(seed.trigger_route.as_deref())
                    .bind(row.event.trace_id.as_deref())
                    .bind(0_i64)
                    .bind(row.now);
            }
            query.fetch_all(&mut *conn).await?
        });
        new_ids.extend(new_rows.into_iter().map(|row| row.id));
        rows.extend(returned);
    }
    Ok((rows, new_ids))
}

/// Inserts the batch's events (duplicates inside the batch already removed) and returns the
/// row id of each one that was new, by input index.
async fn insert_events(
    tx: &mut Tx,
    events: &[NewEvent],
    plan: &BatchPlan<'_>,
    incidents: &[FoundIncident],
) -> StoreResult<HashMap<usize, EventRowId>> {
    let incident_of = plan.incident_of(incidents);
    let order = plan.insert_order(events);
    let mut inserted = HashMap::with_capacity(order.len());
    for chunk in order.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|index| EventRowValues::new(events, *index))
            .collect::<Vec<_>>();
        let by_id: HashMap<&str, usize> = rows.iter().map(|r| (r.id.as_str(), r.index)).collect();
        let sql = format!(
            "INSERT INTO events ({EVENT_COLUMNS}) VALUES {} \
             ON CONFLICT (service_id, event_id) DO NOTHING RETURNING id",
            value_rows(tx.backend(), rows.len(), EVENT_COLUMN_COUNT)
        );
        let returned: Vec<String> = tx!(tx, |conn| {
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for row in &rows {
                let event = &events[row.index];
                query = query
                    .bind(row.id.as_str())
                    .bind(event.org_id.as_str())
                    .bind(event.service_id.as_str())
                    .bind(incident_of.get(&row.index).copied())
                    .bind(event.event_id.as_str())
                    .bind(kind_str(event.kind))
                    .bind(event.received_at)
                    .bind(event.timestamp)
                    .bind(event.level.as_str())
                    .bind(event.trace_id.as_deref())
                    .bind(event.release.as_deref())
                    .bind(event.environment.as_deref())
                    .bind(event.transaction_name.as_deref())
                    .bind(event.duration_ms)
                    .bind(row.tags.as_str())
                    .bind(event.payload.as_bytes());
            }
            query.fetch_all(&mut *conn).await?
        });
        for id in returned {
            if let Some(index) = by_id.get(id.as_str()) {
                inserted.insert(*index, EventRowId::from_string(id));
            }
        }
    }
    Ok(inserted)
}

/// The placeholders of a multi-row `VALUES`: `($1, $2), ($3, $4)` on PostgreSQL and
/// `(?, ?), (?, ?)` on SQLite, where binding numbered parameters looks each name up in a list
/// (quadratic in the parameter count, which dominated large batches).
pub(crate) fn value_rows(backend: Backend, rows: usize, columns: usize) -> String {
    value_rows_after(backend, rows, columns, 0)
}

/// [`value_rows`] whose PostgreSQL placeholders start after `$skip` (for a statement that
/// binds other values first).
pub(super) fn value_rows_after(
    backend: Backend,
    rows: usize,
    columns: usize,
    skip: usize,
) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    let mut number = skip;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            number += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&number.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_numbers_placeholders_across_rows() {
        assert_eq!(
            value_rows(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(value_rows(Backend::Postgres, 1, 1), "($1)");
        assert_eq!(value_rows_after(Backend::Postgres, 1, 2, 3), "($4, $5)");
    }
}
