//! The hand-off between the ingest edge and the writer: what an accepted event becomes
//! ([`NewEvent`], with its [`IncidentSeed`]), what storing it did ([`EventOutcome`]), and the
//! jobs that outcome causes ([`consequences`]).
//!
//! Every source — Sentry envelopes, the native API, OTLP exports, tailed log files — builds
//! the same [`NewEvent`]s and hands them to the same writer, so an error groups, counts and
//! alerts the same way whichever way it came in.

mod consequences;
mod payload;

pub use consequences::{consequences, Consequence};
pub use payload::{CompressedPayload, PayloadError};

use crate::clock::Millis;
use crate::event::{EventKind, Level};
use crate::id::{EventRowId, IncidentId, OrgId, ServiceId};
use crate::incident::{ErrorClass, ErrorClassFilter};

/// The service events are stored for, with the settings that decide what they cause.
#[derive(Debug, Clone)]
pub struct ServiceTarget {
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub service_number: i64,
    pub service_name: String,
    pub enabled: bool,
    pub error_class_filter: ErrorClassFilter,
    pub min_occurrences: i64,
}

/// One event for the writer: the columns of `events`, and the incident it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub org_id: OrgId,
    pub service_id: ServiceId,
    /// The SDK's id; unique per service.
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
    /// JSON of the normalised event, compressed by the caller.
    pub payload: CompressedPayload,
    /// `None` for events that make no incident (transactions).
    pub incident: Option<IncidentSeed>,
}

/// What the ingest side decided about an error event's incident: its grouping, how it reads,
/// and the service settings that applied when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSeed {
    pub fingerprint: String,
    pub grouping_version: i64,
    pub title: String,
    pub culprit: String,
    pub error_class: ErrorClass,
    pub error_type: String,
    pub message: String,
    pub severity: String,
    /// Outside the service's class filter.
    pub quiet: bool,
    /// The service's threshold for `pending → detected`.
    pub min_occurrences: i64,
    pub trigger_route: Option<String>,
}

/// What happened to one event of the batch. The incident flags are set on the one event
/// that caused them (the first new event of a created incident, the event whose count
/// reached the threshold, the first new event of a regressed incident), so a caller that
/// enqueues work per flag enqueues it once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOutcome {
    /// `None` for duplicates.
    pub event_row_id: Option<EventRowId>,
    /// The same `(service_id, event_id)` was already stored, or came earlier in this batch:
    /// nothing changed and it was not counted.
    pub duplicate: bool,
    /// `None` for duplicates and for events without an incident.
    pub incident_id: Option<IncidentId>,
    pub incident_created: bool,
    /// The incident became `detected` with this event.
    pub crossed_threshold: bool,
    /// This event reopened a resolved incident.
    pub regression: bool,
    /// The incident is quiet (outside the class filter when it was created): store, but do
    /// not alert or analyse.
    pub quiet: bool,
}

/// One check-in as the SDK reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCheckIn {
    pub org_id: OrgId,
    pub service_id: ServiceId,
    /// The SDK's id; an `in_progress` and its closing check-in share it.
    pub check_in_id: String,
    pub monitor_slug: String,
    /// `in_progress`, `ok`, `error`, `missed` or `timeout`.
    pub status: String,
    pub duration_ms: Option<f64>,
    pub environment: Option<String>,
    /// JSON of the monitor's configuration, when the SDK upserts it.
    pub monitor_config: Option<String>,
    pub received_at: Millis,
}
