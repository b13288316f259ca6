//! Incidents, the events that make them up, and the rollups the API reads.
//!
//! The write side is [`write_events`]: the ingest writer calls it inside its own transaction
//! with a whole batch, so the rows and the jobs they cause commit together. It aggregates per
//! incident before touching the database (one upsert per incident per batch, one multi-row
//! insert per table), which is what makes group commit fast.
//!
//! The read side is org-scoped [`Store`](crate::Store) methods: filtered, keyset-paginated
//! incident lists, one incident with its rollups (hourly counts, tag breakdown), its events,
//! status changes by compare-and-set, and retention of old events.

mod batch;
mod check_ins;
mod codec;
mod cursor;
mod direct;
mod events;
mod plan;
mod query;
mod rollups;
mod rows;
mod status;
mod write;

pub use check_ins::{write_check_ins, NewCheckIn};
pub use codec::CompressedPayload;
pub use cursor::{check_event_cursor, InvalidCursor};
pub use direct::{BatchWritten, SqliteIngestConnection};
pub use events::MAX_EVENT_PAGE;
pub(crate) use query::had_tag;
pub use query::{
    IncidentQuery, IncidentSort, UnknownSort, DEFAULT_INCIDENT_PAGE, MAX_INCIDENT_PAGE,
};
pub use rollups::TagBreakdown;
pub use status::SetStatusError;
pub(crate) use write::value_rows;
pub use write::{write_events, EventOutcome, IncidentSeed, NewEvent};

use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level};
use sentinel_core::id::{EventRowId, IncidentId, OrgId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use serde::Serialize;

/// One page of a keyset-paginated list. `next_cursor` is opaque; pass it back unchanged to
/// get the following page. `None` means this was the last page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An incident: every event with one fingerprint in one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    /// SHA-256 hex of the grouping tuple.
    pub fingerprint: String,
    pub grouping_version: i64,
    pub title: String,
    pub culprit: String,
    pub error_class: ErrorClass,
    pub error_type: String,
    /// The message of the first occurrence.
    pub message: String,
    pub status: IncidentStatus,
    pub severity: String,
    /// Outside the service's class filter when it was created: stored and grouped, but it
    /// neither alerts nor shows in default lists.
    pub quiet: bool,
    pub occurrence_count: i64,
    pub first_seen: Millis,
    pub last_seen: Millis,
    /// The latest release and environment seen.
    pub release: Option<String>,
    pub environment: Option<String>,
    /// Route and trace of the first occurrence.
    pub trigger_route: Option<String>,
    pub trace_id: Option<String>,
    pub regression_count: i64,
    pub resolved_at: Option<Millis>,
    pub updated_at: Millis,
}

/// A stored event, its payload decompressed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: EventRowId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    /// `None` for transactions.
    pub incident_id: Option<IncidentId>,
    /// The SDK's id.
    pub event_id: String,
    pub kind: EventKind,
    pub received_at: Millis,
    pub timestamp: Millis,
    pub level: Level,
    pub trace_id: Option<String>,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub transaction_name: Option<String>,
    pub duration_ms: Option<f64>,
    pub tags: Vec<(String, String)>,
    /// JSON of the normalised [`Event`], as the ingest writer handed it in.
    pub payload: Vec<u8>,
}

impl StoredEvent {
    /// The normalised event this row was written from.
    pub fn event(&self) -> Result<Event, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }
}
