//! The SQLite ingest connection: a whole ingest batch as one synchronous transaction.
//!
//! Through sqlx, a SQLite connection is a thread behind channels, and every statement of a
//! batch is a message to that thread and a wake-up back: about ten awaited round trips per
//! batch, which kept the single writer busy waiting rather than writing. This connection is
//! owned by the ingest writer's own thread and runs the batch there, start to commit, with
//! cached single-row statements. It writes exactly what [`write_events`](super::write_events),
//! [`write_check_ins`](super::write_check_ins) and [`enqueue_in`](crate::jobs::enqueue_in)
//! write; the driver-free part of the work is shared with them (see `plan.rs` and `batch.rs`)
//! and a test writes the same batches both ways and compares every row.

use super::batch::{BatchChanges, IncidentUpdate};
use super::check_ins::{write_check_ins_on_sqlite, NewCheckIn};
use super::codec::kind_str;
use super::plan::{
    BatchPlan, EventRowValues, NewIncidentRow, EVENT_COLUMNS, FOUND_INCIDENT_COLUMNS,
    INCIDENT_COLUMNS, INCIDENT_UPSERT_TAIL,
};
use super::write::{in_group_order, EventOutcome, FoundIncident, NewEvent};
use crate::jobs::{enqueue_on_sqlite, NewJob};
use crate::StoreResult;
use rusqlite::{
    params, params_from_iter, Connection, OptionalExtension, ToSql, TransactionBehavior,
};
use sentinel_core::clock::Millis;
use sentinel_core::id::EventRowId;
use sentinel_core::incident::{count_scale, last_seen_minute};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

/// The statements of a batch, built once per connection (placeholders `?N`, so a value may
/// be used twice).
struct Statements {
    find_incident: String,
    upsert_incident: String,
    insert_event: String,
}

impl Statements {
    fn new() -> Self {
        Self {
            find_incident: format!(
                "SELECT {FOUND_INCIDENT_COLUMNS} FROM incidents \
                 WHERE service_id = ?1 AND fingerprint = ?2"
            ),
            upsert_incident: format!(
                "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ({}) {INCIDENT_UPSERT_TAIL}",
                numbered(super::plan::INCIDENT_COLUMN_COUNT)
            ),
            insert_event: format!(
                "INSERT INTO events ({EVENT_COLUMNS}) VALUES ({}) \
                 ON CONFLICT (service_id, event_id) DO NOTHING",
                numbered(super::plan::EVENT_COLUMN_COUNT)
            ),
        }
    }
}

const UPSERT_HOURLY: &str = "INSERT INTO incident_hourly (incident_id, hour, count) \
    VALUES (?1, ?2, ?3) ON CONFLICT (incident_id, hour) DO UPDATE \
    SET count = incident_hourly.count + excluded.count";
const UPSERT_TAG: &str = "INSERT INTO incident_tags (incident_id, key, value, count, last_seen) \
    VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id, key, value) DO UPDATE \
    SET count = incident_tags.count + excluded.count, \
    last_seen = MAX(incident_tags.last_seen, excluded.last_seen)";
const UPSERT_ERROR_MINUTE: &str = "INSERT INTO service_error_minutes \
    (minute, service_id, org_id, count) VALUES (?1, ?2, ?3, ?4) \
    ON CONFLICT (minute, service_id) DO UPDATE \
    SET count = service_error_minutes.count + excluded.count";
const UPSERT_FACET: &str = "INSERT INTO org_facet_values \
    (org_id, facet, value, last_seen_minute) VALUES (?1, ?2, ?3, ?4) \
    ON CONFLICT (org_id, facet, value) DO UPDATE \
    SET last_seen_minute = excluded.last_seen_minute \
    WHERE excluded.last_seen_minute > org_facet_values.last_seen_minute";
const UPSERT_TRANSACTION_HOUR: &str = "INSERT INTO transaction_hours \
    (hour, service_id, transaction_name, bucket, org_id, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (hour, service_id, transaction_name, bucket) DO UPDATE \
    SET count = transaction_hours.count + excluded.count";
const DELETE_EMPTY_INCIDENT: &str = "DELETE FROM incidents WHERE id = ?1 AND occurrence_count = 0";

/// What one batch wrote.
#[derive(Debug)]
pub struct BatchWritten {
    /// One per event, in input order.
    pub outcomes: Vec<EventOutcome>,
    /// Jobs inserted (those whose dedup key was already taken are not counted).
    pub jobs_enqueued: usize,
}

/// A SQLite connection for the ingest writer's thread. Not `Sync`: one thread owns it.
pub struct SqliteIngestConnection {
    conn: Connection,
    statements: Statements,
}

impl std::fmt::Debug for SqliteIngestConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteIngestConnection")
            .finish_non_exhaustive()
    }
}

impl SqliteIngestConnection {
    /// Opens the (already migrated) database file with the settings of the store's own
    /// connections.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(busy_timeout)?;
        // Same settings as the sqlx pools (see `db.rs`): WAL with checkpoints in the
        // background, NORMAL sync (durable at each WAL commit on this file system's order).
        // The page cache is half theirs: some commits end by scanning the whole cache's
        // hash table (SQLite parks a page past the end of the file while it rebalances a
        // b-tree), and that scan grows with the cache. 16 MB holds the interior pages of
        // the two indexes each event lands in at random up to a few million events; past
        // that, like their leaves at any size, they come from the OS page cache (a `pread`
        // rather than a disk read). In the ingest bench 16 MB
        // against 32 MB: more events/s in four pairs of four (+1% to +20%), and 17 MB less
        // peak RSS.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
             PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 20000;",
        )?;
        // Room for the batch's statements and the few dozen variants of `update_incident`.
        conn.set_prepared_statement_cache_capacity(96);
        Ok(Self {
            conn,
            statements: Statements::new(),
        })
    }

    /// Writes `events` and `check_ins` in one `BEGIN IMMEDIATE` transaction, with the jobs
    /// that `jobs_for` derives from the events' outcomes, and commits. On any error the
    /// transaction is rolled back and nothing of the batch is stored.
    pub fn write_batch(
        &mut self,
        events: &[NewEvent],
        check_ins: &[NewCheckIn],
        now: Millis,
        jobs_for: impl FnOnce(&[NewEvent], &[EventOutcome]) -> Vec<NewJob>,
    ) -> StoreResult<BatchWritten> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcomes = write_events(&tx, &self.statements, events, now)?;
        if !check_ins.is_empty() {
            write_check_ins_on_sqlite(&tx, check_ins)?;
        }
        let mut jobs_enqueued = 0;
        for job in jobs_for(events, &outcomes) {
            jobs_enqueued += usize::from(enqueue_on_sqlite(&tx, &job, now)?);
        }
        tx.commit()?;
        Ok(BatchWritten {
            outcomes,
            jobs_enqueued,
        })
    }
}

fn write_events(
    conn: &Connection,
    statements: &Statements,
    events: &[NewEvent],
    now: Millis,
) -> StoreResult<Vec<EventOutcome>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let plan = BatchPlan::new(events);

    let mut new_ids = HashSet::with_capacity(plan.groups.len());
    let mut found = Vec::with_capacity(plan.groups.len());
    // Most batches only join incidents that exist, so each is looked up first and only a
    // missing one goes through the upsert. The upsert's `RETURNING` costs SQLite a temporary
    // table per statement, and its no-op `DO UPDATE` rewrites the row; the look-up does
    // neither. The writer holds the write lock, so nothing can create the incident between
    // the two.
    let mut find = conn.prepare_cached(&statements.find_incident)?;
    let mut upsert = conn.prepare_cached(&statements.upsert_incident)?;
    for (&(service_id, fingerprint), members) in &plan.groups {
        if let Some(existing) = find
            .query_row(params![service_id, fingerprint], found_incident)
            .optional()?
        {
            found.push(existing);
            continue;
        }
        let Some(row) = NewIncidentRow::for_group(events, members, now) else {
            continue;
        };
        let Some(seed) = &row.event.incident else {
            continue;
        };
        let incident = upsert.query_row(
            params![
                row.id,
                row.event.org_id.as_str(),
                row.event.service_id.as_str(),
                seed.fingerprint,
                seed.grouping_version,
                seed.title,
                seed.culprit,
                seed.error_class.as_str(),
                seed.error_type,
                seed.message,
                NewIncidentRow::status(),
                seed.severity,
                seed.quiet,
                0_i64,
                row.first_seen,
                row.last_seen,
                row.event.release,
                row.event.environment,
                seed.trigger_route,
                row.event.trace_id,
                0_i64,
                row.now,
            ],
            found_incident,
        )?;
        new_ids.insert(row.id);
        found.push(incident);
    }
    let incidents = in_group_order(&plan.groups, found, &new_ids)?;

    let incident_of = plan.incident_of(&incidents);
    let mut inserted = HashMap::with_capacity(plan.candidates.len());
    let mut insert = conn.prepare_cached(&statements.insert_event)?;
    for index in plan.insert_order(events) {
        let row = EventRowValues::new(events, index);
        let event = &events[index];
        let changed = insert.execute(params![
            row.id,
            event.org_id.as_str(),
            event.service_id.as_str(),
            incident_of.get(&index).copied(),
            event.event_id,
            kind_str(event.kind),
            event.received_at,
            event.timestamp,
            event.level.as_str(),
            event.trace_id,
            event.release,
            event.environment,
            event.transaction_name,
            event.duration_ms,
            row.tags,
            event.payload.as_bytes(),
        ])?;
        if changed > 0 {
            inserted.insert(index, EventRowId::from_string(row.id));
        }
    }

    let (outcomes, changes) = plan.settle(events, &incidents, inserted, now);
    write_changes(conn, &changes)?;
    Ok(outcomes)
}

/// A row of [`FOUND_INCIDENT_COLUMNS`]; `created` is decided later, by its id.
fn found_incident(r: &rusqlite::Row<'_>) -> rusqlite::Result<FoundIncident> {
    Ok(FoundIncident {
        id: r.get(0)?,
        service_id: r.get(1)?,
        fingerprint: r.get(2)?,
        status: r.get(3)?,
        error_class: r.get(4)?,
        quiet: r.get(5)?,
        occurrence_count: r.get(6)?,
        first_seen: r.get(7)?,
        last_seen: r.get(8)?,
        release: r.get(9)?,
        environment: r.get(10)?,
        regression_count: r.get(11)?,
        resolved_at: r.get(12)?,
        created: false,
    })
}

fn write_changes(conn: &Connection, changes: &BatchChanges) -> StoreResult<()> {
    for incident in &changes.incidents {
        update_incident(conn, incident)?;
    }
    let mut hourly = conn.prepare_cached(UPSERT_HOURLY)?;
    for ((incident_id, hour), count) in &changes.hourly {
        hourly.execute(params![incident_id, hour, count])?;
    }
    let mut tag = conn.prepare_cached(UPSERT_TAG)?;
    for ((incident_id, key, value), (count, last_seen)) in &changes.tags {
        tag.execute(params![incident_id, key, value, count, last_seen])?;
    }
    let mut minute = conn.prepare_cached(UPSERT_ERROR_MINUTE)?;
    for ((at, service_id), (org_id, count)) in &changes.error_minutes {
        minute.execute(params![at, service_id, org_id, count])?;
    }
    let mut facet = conn.prepare_cached(UPSERT_FACET)?;
    for ((org_id, key, value), last_seen_minute) in &changes.facets {
        facet.execute(params![org_id, key, value, last_seen_minute])?;
    }
    let mut transaction = conn.prepare_cached(UPSERT_TRANSACTION_HOUR)?;
    for ((hour, service_id, name, bucket), (org_id, count)) in &changes.transaction_hours {
        transaction.execute(params![hour, service_id, name, bucket, org_id, count])?;
    }
    let mut delete = conn.prepare_cached(DELETE_EMPTY_INCIDENT)?;
    for id in &changes.empty_created {
        delete.execute(params![id])?;
    }
    Ok(())
}

/// Sets the count, `last_seen` and `updated_at`, and of the other columns only those that
/// changed (see [`ChangedColumns`]): most updates then touch the row and no index. There
/// are few distinct statements, each prepared once and cached.
fn update_incident(conn: &Connection, update: &IncidentUpdate) -> StoreResult<()> {
    let changed = update.changed;
    let minute = last_seen_minute(update.last_seen);
    let scale = count_scale(update.occurrence_count);
    let columns: [(&str, &dyn ToSql, bool); 12] = [
        ("occurrence_count", &update.occurrence_count, true),
        ("last_seen", &update.last_seen, true),
        ("updated_at", &update.updated_at, true),
        ("status", &update.status, changed.status),
        ("first_seen", &update.first_seen, changed.first_seen),
        (
            "regression_count",
            &update.regression_count,
            changed.regression,
        ),
        ("resolved_at", &update.resolved_at, changed.regression),
        ("release", &update.release, changed.release),
        ("environment", &update.environment, changed.environment),
        ("last_seen_minute", &minute, changed.last_seen_minute),
        ("count_scale", &scale, changed.count_scale),
        ("error_class", &update.error_class, changed.error_class),
    ];
    let set: Vec<(&str, &dyn ToSql)> = columns
        .into_iter()
        .filter(|(_, _, set)| *set)
        .map(|(column, value, _)| (column, value))
        .collect();
    let assignments: Vec<String> = set
        .iter()
        .map(|(column, _)| format!("{column} = ?"))
        .collect();
    let sql = format!(
        "UPDATE incidents SET {} WHERE id = ?",
        assignments.join(", ")
    );
    let id: &dyn ToSql = &update.id;
    let values = set
        .iter()
        .map(|(_, value)| *value)
        .chain(std::iter::once(id));
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}

/// `?1, ?2, …, ?n`.
fn numbered(count: usize) -> String {
    (1..=count)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_count_from_one() {
        assert_eq!(numbered(3), "?1, ?2, ?3");
    }
}
