//! The driver-free half of writing a batch, shared by the two write paths (sqlx's, for
//! both backends, and the SQLite ingest connection's): which events are duplicates inside
//! the batch, which incident each event belongs to, the values of new incident and event
//! rows, and what the new events change once the database has said which were new.

use super::batch::BatchChanges;
use super::codec::tags_json;
use super::write::{EventOutcome, FoundIncident, NewEvent};
use sentinel_core::clock::Millis;
use sentinel_core::id::{EventRowId, IncidentId};
use sentinel_core::incident::IncidentStatus;
use std::collections::{BTreeMap, HashMap, HashSet};

/// (service, fingerprint): one incident.
pub(super) type GroupKey<'a> = (&'a str, &'a str);

/// The incident columns an upsert writes, in bind order.
pub(super) const INCIDENT_COLUMNS: &str = "id, org_id, service_id, fingerprint, \
    grouping_version, title, culprit, error_class, error_type, message, status, severity, \
    quiet, occurrence_count, first_seen, last_seen, release, environment, trigger_route, \
    trace_id, regression_count, updated_at";
pub(super) const INCIDENT_COLUMN_COUNT: usize = 22;
/// The incident columns a batch reads back, as a [`FoundIncident`] (a macro, so that the
/// upsert's constant can be built from it).
macro_rules! found_incident_columns {
    () => {
        "id, service_id, fingerprint, status, error_class, quiet, occurrence_count, first_seen, \
         last_seen, release, environment, regression_count, resolved_at"
    };
}
pub(super) const FOUND_INCIDENT_COLUMNS: &str = found_incident_columns!();
/// What the upsert returns: a [`FoundIncident`].
pub(super) const INCIDENT_UPSERT_TAIL: &str = concat!(
    "ON CONFLICT (service_id, fingerprint) DO UPDATE SET updated_at = incidents.updated_at \
     RETURNING ",
    found_incident_columns!()
);

/// The event columns an insert writes, in bind order.
pub(super) const EVENT_COLUMNS: &str = "id, org_id, service_id, incident_id, event_id, kind, \
    received_at, timestamp, level, trace_id, release, environment, transaction_name, \
    duration_ms, tags, payload";
pub(super) const EVENT_COLUMN_COUNT: usize = 16;

/// A batch before it touches the database.
pub(super) struct BatchPlan<'a> {
    pub(super) outcomes: Vec<EventOutcome>,
    /// Indexes of the events that are not duplicates inside the batch.
    pub(super) candidates: Vec<usize>,
    /// The candidates with an incident, by incident, in lock order.
    pub(super) groups: BTreeMap<GroupKey<'a>, Vec<usize>>,
}

impl<'a> BatchPlan<'a> {
    /// Sets aside duplicates inside the batch (the first `(service, event_id)` wins) and
    /// groups the rest by incident.
    pub(super) fn new(events: &'a [NewEvent]) -> Self {
        let mut outcomes = vec![EventOutcome::default(); events.len()];
        let mut seen = HashSet::with_capacity(events.len());
        let mut candidates = Vec::with_capacity(events.len());
        let mut groups: BTreeMap<GroupKey<'a>, Vec<usize>> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            if !seen.insert((event.service_id.as_str(), event.event_id.as_str())) {
                outcomes[index].duplicate = true;
                continue;
            }
            candidates.push(index);
            if let Some(seed) = &event.incident {
                groups
                    .entry((event.service_id.as_str(), seed.fingerprint.as_str()))
                    .or_default()
                    .push(index);
            }
        }
        Self {
            outcomes,
            candidates,
            groups,
        }
    }

    /// The candidates in the order of the events' unique key, so concurrent PostgreSQL
    /// writers wait on each other's uncommitted duplicates in one order and cannot deadlock.
    pub(super) fn insert_order(&self, events: &[NewEvent]) -> Vec<usize> {
        let mut order = self.candidates.clone();
        order.sort_by_key(|i| (events[*i].service_id.as_str(), events[*i].event_id.as_str()));
        order
    }

    /// Which incident each candidate belongs to, given the incidents in group order.
    pub(super) fn incident_of<'i>(
        &self,
        incidents: &'i [FoundIncident],
    ) -> HashMap<usize, &'i str> {
        let mut incident_of = HashMap::with_capacity(self.candidates.len());
        for (members, found) in self.groups.values().zip(incidents) {
            for index in members {
                incident_of.insert(*index, found.id.as_str());
            }
        }
        incident_of
    }

    /// Records which candidates the database took as new (`inserted`, by input index) and
    /// aggregates what they change.
    pub(super) fn settle(
        mut self,
        events: &[NewEvent],
        incidents: &[FoundIncident],
        inserted: HashMap<usize, EventRowId>,
        now: Millis,
    ) -> (Vec<EventOutcome>, BatchChanges) {
        let mut changes = BatchChanges::default();
        for index in self.candidates.iter().copied() {
            match inserted.get(&index) {
                Some(row_id) => {
                    self.outcomes[index].event_row_id = Some(row_id.clone());
                    changes.add_transaction(&events[index]);
                }
                None => self.outcomes[index].duplicate = true,
            }
        }
        for (members, incident) in self.groups.values().zip(incidents) {
            let fresh: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| inserted.contains_key(i))
                .collect();
            changes.add_group(incident, events, &fresh, &mut self.outcomes, now);
        }
        (self.outcomes, changes)
    }
}

/// The row an incident gets if its group creates it: the first member's seed, the group's
/// receipt times, and a fresh id.
pub(super) struct NewIncidentRow<'a> {
    pub(super) id: String,
    pub(super) event: &'a NewEvent,
    pub(super) first_seen: Millis,
    pub(super) last_seen: Millis,
    pub(super) now: Millis,
}

impl<'a> NewIncidentRow<'a> {
    /// `None` if the group's first event has no incident seed (never for a planned group).
    pub(super) fn for_group(
        events: &'a [NewEvent],
        members: &[usize],
        now: Millis,
    ) -> Option<Self> {
        let event = &events[*members.first()?];
        event.incident.as_ref()?;
        let received = members.iter().map(|i| events[*i].received_at);
        Some(Self {
            id: IncidentId::generate().into_string(),
            event,
            first_seen: received.clone().min().unwrap_or(event.received_at),
            last_seen: received.max().unwrap_or(event.received_at),
            now,
        })
    }

    /// The status every incident starts in.
    pub(super) fn status() -> &'static str {
        IncidentStatus::Pending.as_str()
    }
}

/// The stored form of one event besides its own fields: its row id and tags.
pub(super) struct EventRowValues {
    pub(super) index: usize,
    pub(super) id: String,
    pub(super) tags: String,
}

impl EventRowValues {
    pub(super) fn new(events: &[NewEvent], index: usize) -> Self {
        Self {
            index,
            id: EventRowId::generate().into_string(),
            tags: tags_json(&events[index].tags),
        }
    }
}
