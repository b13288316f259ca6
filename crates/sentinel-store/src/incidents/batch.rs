//! What a batch changes besides the event rows: each incident's new count, status and
//! seen times, the hourly and tag rollups, the error counts per service and minute, the
//! environments and releases each organization has seen, and the histograms of transaction
//! durations per hour, aggregated in memory from the batch's new events and then written
//! with one multi-row statement per table.

use super::codec::hour_of;
use super::write::{value_rows_after, EventOutcome, FoundIncident, NewEvent, ROWS_PER_STATEMENT};
use crate::db::tx;
use crate::{Backend, StoreResult, Tx};
use sentinel_core::clock::{unix_hour, unix_minute, Millis};
use sentinel_core::detection::latency_bucket;
use sentinel_core::event::EventKind;
use sentinel_core::id::IncidentId;
use sentinel_core::incident::{count_scale, last_seen_minute, ErrorClass, IncidentStatus};
use std::collections::BTreeMap;

/// Sentry's limits for tag keys and values; longer ones are cut, so one odd tag cannot bloat
/// the breakdown.
const TAG_KEY_MAX: usize = 32;
const TAG_VALUE_MAX: usize = 200;
/// Tags past this many on one event are kept on the event but left out of the breakdown.
const TAGS_PER_EVENT_MAX: usize = 50;
/// The tags whose values incident lists filter by, and offer per organization
/// (`org_facet_values`).
const FACET_KEYS: [&str; 2] = ["environment", "release"];

/// The new state of one incident after this batch.
pub(super) struct IncidentUpdate {
    pub(super) id: String,
    pub(super) status: &'static str,
    /// The stored class, or `unhandled_exception` once any event of a handled incident was
    /// unhandled: as in Sentry, one unhandled occurrence makes the incident unhandled.
    pub(super) error_class: String,
    pub(super) occurrence_count: i64,
    pub(super) first_seen: i64,
    pub(super) last_seen: i64,
    pub(super) release: Option<String>,
    pub(super) environment: Option<String>,
    pub(super) regression_count: i64,
    pub(super) resolved_at: Option<i64>,
    pub(super) updated_at: i64,
    /// Which of the columns beside the count, `last_seen` and `updated_at` differ from the
    /// stored row (all of them for an incident this batch created).
    pub(super) changed: ChangedColumns,
}

/// The columns of an incident update that may keep their stored values. SQLite rewrites the
/// entries of every index holding a column an UPDATE sets, whether or not its value
/// changed, so its ingest connection sets only these that did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ChangedColumns {
    pub(super) status: bool,
    pub(super) first_seen: bool,
    /// `regression_count` and `resolved_at`, which change together.
    pub(super) regression: bool,
    pub(super) release: bool,
    pub(super) environment: bool,
    pub(super) last_seen_minute: bool,
    pub(super) count_scale: bool,
    pub(super) error_class: bool,
}

impl ChangedColumns {
    const ALL: Self = Self {
        status: true,
        first_seen: true,
        regression: true,
        release: true,
        environment: true,
        last_seen_minute: true,
        count_scale: true,
        error_class: true,
    };
}

/// Everything the batch changes besides the event rows, aggregated.
#[derive(Default)]
pub(super) struct BatchChanges {
    pub(super) incidents: Vec<IncidentUpdate>,
    /// (incident, hour) → new events.
    pub(super) hourly: BTreeMap<(String, i64), i64>,
    /// (incident, key, value) → (new events, latest receipt).
    pub(super) tags: BTreeMap<(String, String, String), (i64, i64)>,
    /// (Unix minute, service) → (its organization, new error events): what the detections
    /// job counts.
    pub(super) error_minutes: BTreeMap<ErrorMinute, (String, i64)>,
    /// (organization, facet, value) → the Unix minute it was last seen in.
    pub(super) facets: BTreeMap<TagKey, i64>,
    /// (Unix hour, service, transaction name, duration bucket) → (its organization, new
    /// transactions): the latency detector's baseline.
    pub(super) transaction_hours: BTreeMap<TransactionBucket, (String, i64)>,
    /// Incidents this batch created whose every event turned out to be stored already.
    pub(super) empty_created: Vec<String>,
}

impl BatchChanges {
    /// Counts the new events (`fresh`, input order) of one incident, moving its status one
    /// event at a time so each flag lands on the event that caused it.
    pub(super) fn add_group(
        &mut self,
        incident: &FoundIncident,
        events: &[NewEvent],
        fresh: &[usize],
        outcomes: &mut [EventOutcome],
        now: Millis,
    ) {
        if fresh.is_empty() {
            if incident.created {
                self.empty_created.push(incident.id.clone());
            }
            return;
        }
        // A status this build does not know (a newer build wrote it) is kept as it is, and
        // the events are still counted.
        let known_status = super::codec::parse_status(&incident.status).ok();
        let mut status = known_status.unwrap_or(IncidentStatus::Ignored);
        let mut update = IncidentUpdate {
            id: incident.id.clone(),
            status: status.as_str(),
            error_class: incident.error_class.clone(),
            occurrence_count: incident.occurrence_count,
            first_seen: incident.first_seen,
            last_seen: incident.last_seen,
            release: incident.release.clone(),
            environment: incident.environment.clone(),
            regression_count: incident.regression_count,
            resolved_at: incident.resolved_at,
            updated_at: now,
            changed: ChangedColumns::ALL,
        };
        if incident.created {
            update.first_seen = i64::MAX;
            update.last_seen = i64::MIN;
        }
        let incident_id = IncidentId::from_string(incident.id.clone());
        for (position, index) in fresh.iter().copied().enumerate() {
            let event = &events[index];
            let min_occurrences = event.incident.as_ref().map_or(1, |s| s.min_occurrences);
            update.occurrence_count += 1;
            let (next, effect) = status.after_event(update.occurrence_count, min_occurrences);
            status = next;
            if effect.regression {
                update.regression_count += 1;
                update.resolved_at = None;
            }
            update.first_seen = update.first_seen.min(event.received_at);
            update.last_seen = update.last_seen.max(event.received_at);
            if event.release.is_some() {
                update.release.clone_from(&event.release);
            }
            if event.environment.is_some() {
                update.environment.clone_from(&event.environment);
            }
            if let Some(seed) = &event.incident {
                if let Some(class) = class_after(&update.error_class, seed.error_class) {
                    update.error_class = class.as_str().to_string();
                }
            }
            let outcome = &mut outcomes[index];
            outcome.incident_id = Some(incident_id.clone());
            outcome.incident_created = incident.created && position == 0;
            outcome.crossed_threshold = effect.crossed_threshold;
            outcome.regression = effect.regression;
            outcome.quiet = incident.quiet;

            *self
                .hourly
                .entry((incident.id.clone(), hour_of(event.received_at)))
                .or_default() += 1;
            self.add_tags(&incident.id, event);
            self.error_minutes
                .entry((
                    unix_minute(event.received_at),
                    event.service_id.as_str().to_string(),
                ))
                .or_insert_with(|| (event.org_id.as_str().to_string(), 0))
                .1 += 1;
        }
        update.status = match known_status {
            Some(_) => status.as_str(),
            None => KEEP_STATUS,
        };
        if !incident.created {
            update.changed = ChangedColumns {
                status: update.status != incident.status && update.status != KEEP_STATUS,
                first_seen: update.first_seen != incident.first_seen,
                regression: update.regression_count != incident.regression_count
                    || update.resolved_at != incident.resolved_at,
                release: update.release != incident.release,
                environment: update.environment != incident.environment,
                last_seen_minute: last_seen_minute(update.last_seen)
                    != last_seen_minute(incident.last_seen),
                count_scale: count_scale(update.occurrence_count)
                    != count_scale(incident.occurrence_count),
                error_class: update.error_class != incident.error_class,
            };
        }
        self.incidents.push(update);
    }

    /// Counts a newly stored event into the duration histograms if it is a named
    /// transaction with a duration.
    pub(super) fn add_transaction(&mut self, event: &NewEvent) {
        if event.kind != EventKind::Transaction {
            return;
        }
        let (Some(name), Some(duration_ms)) = (&event.transaction_name, event.duration_ms) else {
            return;
        };
        self.transaction_hours
            .entry((
                unix_hour(event.received_at),
                event.service_id.as_str().to_string(),
                name.clone(),
                latency_bucket(duration_ms),
            ))
            .or_insert_with(|| (event.org_id.as_str().to_string(), 0))
            .1 += 1;
    }

    fn add_tags(&mut self, incident_id: &str, event: &NewEvent) {
        let derived = [
            ("level", Some(event.level.as_str())),
            ("environment", event.environment.as_deref()),
            ("release", event.release.as_deref()),
        ];
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in event.tags.iter().take(TAGS_PER_EVENT_MAX) {
            pairs.push((truncate(key, TAG_KEY_MAX), truncate(value, TAG_VALUE_MAX)));
        }
        for (key, value) in derived {
            if let Some(value) = value {
                if !pairs.iter().any(|(k, _)| k == key) {
                    pairs.push((key.to_string(), truncate(value, TAG_VALUE_MAX)));
                }
            }
        }
        // An event counts once per (key, value), however often the SDK repeated it.
        pairs.sort();
        pairs.dedup();
        for (key, value) in pairs {
            if FACET_KEYS.contains(&key.as_str()) {
                let minute = self
                    .facets
                    .entry((
                        event.org_id.as_str().to_string(),
                        key.clone(),
                        value.clone(),
                    ))
                    .or_insert(i64::MIN);
                *minute = (*minute).max(unix_minute(event.received_at));
            }
            let entry = self
                .tags
                .entry((incident_id.to_string(), key, value))
                .or_insert((0, event.received_at));
            entry.0 += 1;
            entry.1 = entry.1.max(event.received_at);
        }
    }
}

/// The class an incident of class `stored` takes on after an event of class `event`, when
/// it changes: a handled incident becomes unhandled at its first unhandled event, and never
/// back.
fn class_after(stored: &str, event: ErrorClass) -> Option<ErrorClass> {
    (stored == ErrorClass::HandledException.as_str() && event == ErrorClass::UnhandledException)
        .then_some(ErrorClass::UnhandledException)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

/// The status written for an incident whose stored status this build does not know: the
/// update keeps the stored one.
const KEEP_STATUS: &str = "";

/// (incident, key, value) in the tag rollup; (organization, facet, value) in the facets.
type TagKey = (String, String, String);
/// (Unix minute, service id).
type ErrorMinute = (i64, String);
/// (Unix hour, service id, transaction name, duration bucket).
type TransactionBucket = (i64, String, String, i64);

/// The values of one incident in [`update_incidents_sql`].
const INCIDENT_UPDATE_VALUES: usize = 13;

/// `UPDATE incidents` from `rows` value rows whose placeholders start after `$skip`.
fn update_incidents_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "UPDATE incidents SET \
         status = CASE WHEN v.column2 = '' THEN incidents.status ELSE v.column2 END, \
         occurrence_count = v.column3, first_seen = v.column4, last_seen = v.column5, \
         release = v.column6, environment = v.column7, regression_count = v.column8, \
         resolved_at = v.column9, updated_at = v.column10, last_seen_minute = v.column11, \
         count_scale = v.column12, error_class = v.column13 \
         FROM (VALUES {}) AS v WHERE incidents.id = v.column1",
        value_rows_after(backend, rows, INCIDENT_UPDATE_VALUES, skip)
    )
}

fn upsert_hourly_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "INSERT INTO incident_hourly (incident_id, hour, count) VALUES {} \
         ON CONFLICT (incident_id, hour) DO UPDATE \
         SET count = incident_hourly.count + excluded.count",
        value_rows_after(backend, rows, 3, skip)
    )
}

/// CASE rather than MAX()/GREATEST(): the two dialects name the two-argument maximum
/// differently.
fn upsert_tags_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "INSERT INTO incident_tags (incident_id, key, value, count, last_seen) VALUES {} \
         ON CONFLICT (incident_id, key, value) DO UPDATE \
         SET count = incident_tags.count + excluded.count, \
         last_seen = CASE WHEN excluded.last_seen > incident_tags.last_seen \
         THEN excluded.last_seen ELSE incident_tags.last_seen END",
        value_rows_after(backend, rows, 5, skip)
    )
}

fn upsert_error_minutes_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "INSERT INTO service_error_minutes (minute, service_id, org_id, count) VALUES {} \
         ON CONFLICT (minute, service_id) DO UPDATE \
         SET count = service_error_minutes.count + excluded.count",
        value_rows_after(backend, rows, 4, skip)
    )
}

/// A value is only ever moved later, so the row changes once a minute at most: on SQLite an
/// upsert whose `WHERE` fails writes nothing.
fn upsert_facets_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "INSERT INTO org_facet_values (org_id, facet, value, last_seen_minute) VALUES {} \
         ON CONFLICT (org_id, facet, value) DO UPDATE \
         SET last_seen_minute = excluded.last_seen_minute \
         WHERE excluded.last_seen_minute > org_facet_values.last_seen_minute",
        value_rows_after(backend, rows, 4, skip)
    )
}

fn upsert_transaction_hours_sql(backend: Backend, rows: usize, skip: usize) -> String {
    format!(
        "INSERT INTO transaction_hours \
         (hour, service_id, transaction_name, bucket, org_id, count) VALUES {} \
         ON CONFLICT (hour, service_id, transaction_name, bucket) DO UPDATE \
         SET count = transaction_hours.count + excluded.count",
        value_rows_after(backend, rows, 6, skip)
    )
}

/// The rows of each part of a batch's changes that one statement writes.
#[derive(Clone, Copy)]
struct Parts<'a> {
    updates: &'a [IncidentUpdate],
    hourly: &'a [(&'a (String, i64), &'a i64)],
    tags: &'a [(&'a TagKey, &'a (i64, i64))],
    minutes: &'a [(&'a ErrorMinute, &'a (String, i64))],
    facets: &'a [(&'a TagKey, &'a i64)],
    transactions: &'a [(&'a TransactionBucket, &'a (String, i64))],
}

/// No rows of any part: the base of a statement that writes one part.
const NO_PARTS: Parts<'static> = Parts {
    updates: &[],
    hourly: &[],
    tags: &[],
    minutes: &[],
    facets: &[],
    transactions: &[],
};

/// Binds the values of [`update_incidents_sql`], [`upsert_hourly_sql`],
/// [`upsert_tags_sql`], [`upsert_error_minutes_sql`], [`upsert_facets_sql`] and
/// [`upsert_transaction_hours_sql`] for the rows of `$parts`, in that order. (A macro:
/// each backend's query is its own type.)
macro_rules! bind_changes {
    ($query:expr, $parts:expr) => {{
        let parts: Parts<'_> = $parts;
        let mut query = $query;
        for update in parts.updates {
            query = query
                .bind(update.id.as_str())
                .bind(update.status)
                .bind(update.occurrence_count)
                .bind(update.first_seen)
                .bind(update.last_seen)
                .bind(update.release.as_deref())
                .bind(update.environment.as_deref())
                .bind(update.regression_count)
                .bind(update.resolved_at)
                .bind(update.updated_at)
                .bind(last_seen_minute(update.last_seen))
                .bind(count_scale(update.occurrence_count))
                .bind(update.error_class.as_str());
        }
        for ((incident_id, hour), count) in parts.hourly {
            query = query.bind(incident_id.as_str()).bind(*hour).bind(**count);
        }
        for ((incident_id, key, value), (count, last_seen)) in parts.tags {
            query = query
                .bind(incident_id.as_str())
                .bind(key.as_str())
                .bind(value.as_str())
                .bind(*count)
                .bind(*last_seen);
        }
        for ((minute, service_id), (org_id, count)) in parts.minutes {
            query = query
                .bind(*minute)
                .bind(service_id.as_str())
                .bind(org_id.as_str())
                .bind(*count);
        }
        for ((org_id, facet, value), minute) in parts.facets {
            query = query
                .bind(org_id.as_str())
                .bind(facet.as_str())
                .bind(value.as_str())
                .bind(**minute);
        }
        for ((hour, service_id, name, bucket), (org_id, count)) in parts.transactions {
            query = query
                .bind(*hour)
                .bind(service_id.as_str())
                .bind(name.as_str())
                .bind(*bucket)
                .bind(org_id.as_str())
                .bind(*count);
        }
        query
    }};
}

/// Writes the incidents' new state, the hourly and tag rollups, the error minutes, the
/// organizations' facet values and the transaction duration histograms.
///
/// On PostgreSQL a batch that fits one statement per table writes them all in one
/// statement (data-modifying CTEs): each statement is a round trip, and the single ingest
/// writer spends most of its time waiting on them.
pub(super) async fn write_changes(tx: &mut Tx, changes: &BatchChanges) -> StoreResult<()> {
    let hourly: Vec<(&(String, i64), &i64)> = changes.hourly.iter().collect();
    let tags: Vec<(&TagKey, &(i64, i64))> = changes.tags.iter().collect();
    let minutes: Vec<(&ErrorMinute, &(String, i64))> = changes.error_minutes.iter().collect();
    let facets: Vec<(&TagKey, &i64)> = changes.facets.iter().collect();
    let transactions: Vec<(&TransactionBucket, &(String, i64))> =
        changes.transaction_hours.iter().collect();
    let updates = &changes.incidents;
    if let Tx::Postgres(conn) = tx {
        let parts: [(usize, usize, SqlOf); 6] = [
            (updates.len(), INCIDENT_UPDATE_VALUES, update_incidents_sql),
            (hourly.len(), 3, upsert_hourly_sql),
            (tags.len(), 5, upsert_tags_sql),
            (minutes.len(), 4, upsert_error_minutes_sql),
            (facets.len(), 4, upsert_facets_sql),
            (transactions.len(), 6, upsert_transaction_hours_sql),
        ];
        if let Some(sql) = one_postgres_statement(&parts) {
            let all = Parts {
                updates,
                hourly: &hourly,
                tags: &tags,
                minutes: &minutes,
                facets: &facets,
                transactions: &transactions,
            };
            bind_changes!(sqlx::query(&sql), all)
                .execute(&mut **conn)
                .await?;
            return Ok(());
        }
    }
    let backend = tx.backend();
    // One part at a time, each in statements of at most ROWS_PER_STATEMENT rows; `$chunk`
    // names the part's rows in the `bind_changes!` arguments, the other parts bind nothing.
    macro_rules! in_chunks {
        ($rows:expr, $sql_of:expr, |$chunk:ident| $parts:expr) => {
            for $chunk in $rows.chunks(ROWS_PER_STATEMENT) {
                let sql = $sql_of(backend, $chunk.len(), 0);
                tx!(tx, |conn| {
                    bind_changes!(sqlx::query(&sql), $parts)
                        .execute(&mut *conn)
                        .await?;
                });
            }
        };
    }
    in_chunks! { updates, update_incidents_sql, |c| Parts { updates: c, ..NO_PARTS } }
    in_chunks! { hourly, upsert_hourly_sql, |c| Parts { hourly: c, ..NO_PARTS } }
    in_chunks! { tags, upsert_tags_sql, |c| Parts { tags: c, ..NO_PARTS } }
    in_chunks! { minutes, upsert_error_minutes_sql, |c| Parts { minutes: c, ..NO_PARTS } }
    in_chunks! { facets, upsert_facets_sql, |c| Parts { facets: c, ..NO_PARTS } }
    in_chunks! { transactions, upsert_transaction_hours_sql, |c| Parts { transactions: c, ..NO_PARTS } }
    Ok(())
}

/// The SQL of one part of [`write_changes`]: its row count and the placeholders before it.
type SqlOf = fn(Backend, usize, usize) -> String;

/// One PostgreSQL statement writing every part that has rows, each but the last as a
/// data-modifying CTE, with placeholders in the parts' order (as [`bind_changes!`] binds).
/// `None` when a part has more rows than one statement takes, or no part has any.
fn one_postgres_statement(parts: &[(usize, usize, SqlOf)]) -> Option<String> {
    if parts.iter().any(|&(rows, _, _)| rows > ROWS_PER_STATEMENT) {
        return None;
    }
    let mut skip = 0;
    let mut statements = Vec::with_capacity(parts.len());
    for &(rows, values_per_row, sql_of) in parts {
        if rows > 0 {
            statements.push(sql_of(Backend::Postgres, rows, skip));
            skip += rows * values_per_row;
        }
    }
    let last = statements.pop()?;
    if statements.is_empty() {
        return Some(last);
    }
    let ctes: Vec<String> = statements
        .iter()
        .enumerate()
        .map(|(n, sql)| format!("part{n} AS ({sql})"))
        .collect();
    Some(format!("WITH {} {last}", ctes.join(", ")))
}

pub(super) async fn delete_empty_incidents(tx: &mut Tx, ids: &[String]) -> StoreResult<()> {
    for id in ids {
        tx!(tx, |conn| {
            sqlx::query("DELETE FROM incidents WHERE id = $1 AND occurrence_count = 0")
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?;
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_skips_empty_parts_and_numbers_placeholders_in_order() {
        let parts: [(usize, usize, SqlOf); 3] = [
            (1, 3, upsert_hourly_sql),
            (0, 5, upsert_tags_sql),
            (2, 4, upsert_facets_sql),
        ];
        let sql = one_postgres_statement(&parts).unwrap();
        assert!(sql.starts_with("WITH part0 AS (INSERT INTO incident_hourly"));
        assert!(!sql.contains("incident_tags"));
        assert!(sql.contains("($1, $2, $3)"));
        assert!(sql.contains("($4, $5, $6, $7), ($8, $9, $10, $11)"));
        let alone = one_postgres_statement(&parts[1..]).unwrap();
        assert!(alone.starts_with("INSERT INTO org_facet_values"));
        assert!(alone.contains("($1, $2, $3, $4), ($5"));
        assert_eq!(one_postgres_statement(&parts[1..2]), None);
        let too_many: [(usize, usize, SqlOf); 1] = [(ROWS_PER_STATEMENT + 1, 3, upsert_hourly_sql)];
        assert_eq!(one_postgres_statement(&too_many), None);
    }

    #[test]
    fn truncate_cuts_on_character_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
