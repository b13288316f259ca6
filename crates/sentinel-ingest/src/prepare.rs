//! From a parsed event to the row the writer stores: scrub, fingerprint, classify, compress.
//! Every source (Sentry envelopes, the native API, OTLP, tailed log files) goes through here.
//!
//! Scrubbing happens here, before the event is serialised, so no secret the SDK sent ever
//! reaches a stored row. Grouping and classification are sentinel-core's pure functions.

use sentinel_core::checkin::CheckIn;
use sentinel_core::classify;
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level};
use sentinel_core::fingerprint::{fingerprint, trace_event_id};
use sentinel_core::ingest::{
    CompressedPayload, IncidentSeed, NewCheckIn, NewEvent, PayloadError, ServiceTarget,
};
use sentinel_core::scrub::Scrubber;

/// Why an accepted event could not be turned into its row (a server fault, never the
/// client's).
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("could not serialise event: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("could not compress event: {0}")]
    Compress(#[from] PayloadError),
}

/// Longest title or message kept on an incident.
const MAX_SUMMARY_CHARS: usize = 1_000;

/// Which id an event is stored under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventIdentity {
    /// The one the sender gave it (Sentry SDKs, the native API).
    AsSent,
    /// For an error of a trace, one per trace and incident
    /// ([`sentinel_core::fingerprint::trace_event_id`]): repeats of one failure in one trace,
    /// as OpenTelemetry reports them, are stored once.
    PerTraceAndIncident,
}

/// Scrubs `event` and builds its row, with the incident it belongs to for errors.
pub fn prepare_event(
    target: &ServiceTarget,
    scrubber: &Scrubber,
    event: Event,
    received_at: Millis,
) -> Result<NewEvent, PrepareError> {
    prepare_event_as(target, scrubber, event, received_at, EventIdentity::AsSent)
}

/// [`prepare_event`], storing the event under the id `identity` names.
pub fn prepare_event_as(
    target: &ServiceTarget,
    scrubber: &Scrubber,
    mut event: Event,
    received_at: Millis,
    identity: EventIdentity,
) -> Result<NewEvent, PrepareError> {
    scrubber.scrub(&mut event);
    let incident = match event.kind {
        EventKind::Error => Some(incident_seed(target, &event)),
        EventKind::Transaction => None,
    };
    if let (EventIdentity::PerTraceAndIncident, Some(seed), Some(trace)) =
        (identity, &incident, event.trace_id.as_deref())
    {
        event.event_id = trace_event_id(trace, &seed.fingerprint);
    }
    // Compressed here, on the handler's thread, so the single writer does not have to.
    let payload = CompressedPayload::compress(&serde_json::to_vec(&event)?)?;
    Ok(NewEvent {
        org_id: target.org_id.clone(),
        service_id: target.service_id.clone(),
        event_id: event.event_id.clone(),
        kind: event.kind,
        received_at,
        timestamp: event.timestamp_ms,
        level: event.level,
        trace_id: event.trace_id.clone(),
        release: event.release.clone(),
        environment: event.environment.clone(),
        transaction_name: event.transaction.clone(),
        duration_ms: event.duration_ms,
        tags: event.tags.clone(),
        payload,
        incident,
    })
}

fn incident_seed(target: &ServiceTarget, event: &Event) -> IncidentSeed {
    let print = fingerprint(event, &target.service_name);
    let error_class = classify::error_class(event);
    let message = event
        .main_exception()
        .and_then(|e| e.value.clone())
        .or_else(|| event.message.as_ref().map(|m| m.formatted.clone()))
        .unwrap_or_default();
    IncidentSeed {
        fingerprint: print.hash,
        grouping_version: i64::from(print.version),
        title: truncate(&classify::title(event)),
        culprit: truncate(&classify::culprit(event)),
        error_class,
        error_type: classify::error_type(event),
        message: truncate(&message),
        severity: severity(event.level).to_string(),
        quiet: !target.error_class_filter.admits(error_class),
        min_occurrences: target.min_occurrences.max(1),
        trigger_route: event.route.clone().or_else(|| event.transaction.clone()),
    }
}

fn severity(level: Level) -> &'static str {
    match level {
        Level::Fatal => "critical",
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info | Level::Debug => "info",
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The row of a cron monitor check-in.
pub fn prepare_check_in(
    target: &ServiceTarget,
    check_in: &CheckIn,
    received_at: Millis,
) -> NewCheckIn {
    NewCheckIn {
        org_id: target.org_id.clone(),
        service_id: target.service_id.clone(),
        check_in_id: check_in.check_in_id.clone(),
        monitor_slug: check_in.monitor_slug.clone(),
        status: check_in.status.as_str().to_string(),
        duration_ms: check_in.duration_ms,
        environment: check_in.environment.clone(),
        monitor_config: check_in
            .monitor_config
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok()),
        received_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_SUMMARY_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_SUMMARY_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
