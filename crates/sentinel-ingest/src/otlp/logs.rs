//! Which log records become events: severity ERROR or above (`severity_number` ≥ 17, or,
//! when a bridge sent no number, a `severity_text` that reads as error or fatal). The body
//! is the message; `exception.*` attributes, when present, are the exception, as Sentry's
//! logging integrations report `logger.exception(…)`. Everything else is only counted.

use super::attributes::{any_text, Attributes};
use super::resource::ResourceInfo;
use super::{item_event_id, nanos_to_ms, Rejections, ServiceItems};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs};
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level, Message};
use serde_json::{json, Map};

/// `SEVERITY_NUMBER_ERROR`; 21 and above are FATAL.
const SEVERITY_ERROR: i32 = 17;
const SEVERITY_FATAL: i32 = 21;

/// The events of one resource's log records.
pub(super) fn read_resource_logs(
    resource_logs: &ResourceLogs,
    received_ms: Millis,
    rejections: &mut Rejections,
) -> ServiceItems {
    let resource = ResourceInfo::read(resource_logs.resource.as_ref());
    let mut items = ServiceItems {
        service_name: resource.service_name.clone(),
        events: Vec::new(),
        read: 0,
    };
    for scope_logs in &resource_logs.scope_logs {
        let logger = scope_logs
            .scope
            .as_ref()
            .map(|s| s.name.clone())
            .filter(|n| !n.is_empty());
        for record in &scope_logs.log_records {
            items.read += 1;
            if !matches!(record.trace_id.len(), 0 | 16) || !matches!(record.span_id.len(), 0 | 8) {
                rejections.add(
                    "log record with a trace id other than 16 bytes or a span id other than 8",
                );
                continue;
            }
            let Some(level) = error_level(record) else {
                continue;
            };
            items.events.push(log_event(
                record,
                level,
                &resource,
                logger.clone(),
                received_ms,
            ));
        }
    }
    items
}

/// The level of a record that is an error, `None` for any other.
fn error_level(record: &LogRecord) -> Option<Level> {
    match record.severity_number {
        n if n >= SEVERITY_FATAL => Some(Level::Fatal),
        n if n >= SEVERITY_ERROR => Some(Level::Error),
        0 => {
            let text = record.severity_text.trim();
            if text.is_empty() {
                return None;
            }
            match Level::parse_lenient(text) {
                // Unknown words fall back to `error` in the lenient parse; here they must
                // say so.
                Level::Error if !text.to_ascii_lowercase().starts_with("err") => None,
                level @ (Level::Error | Level::Fatal) => Some(level),
                _ => None,
            }
        }
        _ => None,
    }
}

fn log_event(
    record: &LogRecord,
    level: Level,
    resource: &ResourceInfo,
    logger: Option<String>,
    received_ms: Millis,
) -> Event {
    let attributes = Attributes(&record.attributes);
    let body = any_text(record.body.as_ref()).filter(|b| !b.trim().is_empty());
    let exception = super::exception::read_exception(attributes, &resource.platform);
    let time = if record.time_unix_nano > 0 {
        record.time_unix_nano
    } else {
        record.observed_time_unix_nano
    };
    let trace_id = (!record.trace_id.is_empty() && record.trace_id.iter().any(|b| *b != 0))
        .then(|| hex::encode(&record.trace_id));
    let mut contexts = Map::new();
    contexts.insert("otel".into(), json!({ "attributes": attributes.to_json() }));
    if let Some(trace) = &trace_id {
        contexts.insert(
            "trace".into(),
            json!({ "trace_id": trace, "span_id": hex::encode(&record.span_id) }),
        );
    }
    let mut tags = Vec::new();
    if !record.severity_text.is_empty() {
        tags.push(("severity".to_string(), record.severity_text.clone()));
    }
    Event {
        event_id: item_event_id(&[
            &record.trace_id,
            &record.span_id,
            &time.to_le_bytes(),
            &record.severity_number.to_le_bytes(),
            body.as_deref().unwrap_or("").as_bytes(),
        ]),
        timestamp_ms: nanos_to_ms(time).unwrap_or(received_ms),
        kind: EventKind::Error,
        platform: resource.platform.clone(),
        level,
        logger,
        server_name: resource.server_name.clone(),
        release: resource.release.clone(),
        environment: resource.environment.clone(),
        message: body.map(|formatted| Message {
            formatted,
            ..Message::default()
        }),
        exceptions: exception.into_iter().collect(),
        tags,
        contexts: contexts.into_iter().collect(),
        sdk: resource.sdk.clone(),
        trace_id,
        ..Event::default()
    }
}
