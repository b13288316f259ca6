//! Row structs as the database returns them, and their conversion into domain values.

use super::codec::{decompress, parse_class, parse_kind, parse_level, parse_status, parse_tags};
use super::{Incident, StoredEvent};
use crate::StoreError;
use sentinel_core::id::{EventRowId, IncidentId, OrgId, ServiceId};

/// Every column of `incidents`, in [`IncidentRow`]'s order. Prefix with `i.` where joined.
pub(super) const INCIDENT_COLUMNS: &str = "id, org_id, service_id, fingerprint, \
    grouping_version, title, culprit, error_class, error_type, message, status, severity, \
    quiet, occurrence_count, first_seen, last_seen, release, environment, trigger_route, \
    trace_id, regression_count, resolved_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct IncidentRow {
    id: String,
    org_id: String,
    service_id: String,
    fingerprint: String,
    grouping_version: i64,
    title: String,
    culprit: String,
    error_class: String,
    error_type: String,
    message: String,
    status: String,
    severity: String,
    quiet: bool,
    occurrence_count: i64,
    first_seen: i64,
    last_seen: i64,
    release: Option<String>,
    environment: Option<String>,
    trigger_route: Option<String>,
    trace_id: Option<String>,
    regression_count: i64,
    resolved_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<IncidentRow> for Incident {
    type Error = StoreError;

    fn try_from(row: IncidentRow) -> Result<Self, Self::Error> {
        Ok(Self {
            status: parse_status(&row.status)?,
            error_class: parse_class(&row.error_class)?,
            id: IncidentId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            fingerprint: row.fingerprint,
            grouping_version: row.grouping_version,
            title: row.title,
            culprit: row.culprit,
            error_type: row.error_type,
            message: row.message,
            severity: row.severity,
            quiet: row.quiet,
            occurrence_count: row.occurrence_count,
            first_seen: row.first_seen,
            last_seen: row.last_seen,
            release: row.release,
            environment: row.environment,
            trigger_route: row.trigger_route,
            trace_id: row.trace_id,
            regression_count: row.regression_count,
            resolved_at: row.resolved_at,
            updated_at: row.updated_at,
        })
    }
}

/// Every column of `events`, in [`EventRow`]'s order.
pub(super) const EVENT_COLUMNS: &str = "id, org_id, service_id, incident_id, event_id, kind, \
    received_at, timestamp, level, trace_id, release, environment, transaction_name, \
    duration_ms, tags, payload";

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: String,
    org_id: String,
    service_id: String,
    incident_id: Option<String>,
    event_id: String,
    kind: String,
    received_at: i64,
    timestamp: i64,
    level: String,
    trace_id: Option<String>,
    release: Option<String>,
    environment: Option<String>,
    transaction_name: Option<String>,
    duration_ms: Option<f64>,
    tags: String,
    payload: Vec<u8>,
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, Self::Error> {
        Ok(Self {
            kind: parse_kind(&row.kind)?,
            level: parse_level(&row.level),
            tags: parse_tags(&row.tags)?,
            payload: decompress(&row.payload)?,
            id: EventRowId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            incident_id: row.incident_id.map(IncidentId::from_string),
            event_id: row.event_id,
            received_at: row.received_at,
            timestamp: row.timestamp,
            trace_id: row.trace_id,
            release: row.release,
            environment: row.environment,
            transaction_name: row.transaction_name,
            duration_ms: row.duration_ms,
        })
    }
}

/// Converts a list of rows, failing on the first corrupt one.
pub(super) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
