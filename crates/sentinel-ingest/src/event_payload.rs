//! Sentry event payloads (the `event` / `transaction` items and `/store/` bodies) into the
//! core [`Event`].
//!
//! The JSON is walked as a value tree so that every variant SDKs send is accepted: tags as
//! an object or a list of pairs, `message` as a string or a `logentry` object, timestamps as
//! numbers or RFC 3339, and so on (see [`crate::values`] and [`crate::interfaces`]). Only a
//! payload that is not a JSON object is refused.

use crate::frames::{RawExceptions, StackFrames};
use crate::interfaces;
use crate::values::{
    data_map, display, field, hex_id, into_text, pairs, strings, text, text_field, timestamp_ms,
    uint,
};
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level, Message, Sdk};
use serde::Deserialize;
use serde_json::Value;

/// Why a payload could not be read as an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("event payload is not a JSON object")]
    NotAnObject,
}

/// The top-level fields Sentinel reads. Each stays a JSON value so that any shape is
/// accepted; fields not listed (`modules`, `debug_meta`, `_meta`, …) are skipped while
/// parsing instead of being built and thrown away.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEvent {
    event_id: Option<Value>,
    timestamp: Option<Value>,
    start_timestamp: Option<Value>,
    #[serde(rename = "type")]
    ty: Option<Value>,
    platform: Option<Value>,
    level: Option<Value>,
    logger: Option<Value>,
    transaction: Option<Value>,
    server_name: Option<Value>,
    release: Option<Value>,
    dist: Option<Value>,
    environment: Option<Value>,
    message: Option<Value>,
    logentry: Option<Value>,
    exception: Option<RawExceptions>,
    threads: Option<Value>,
    stacktrace: Option<StackFrames>,
    tags: Option<Value>,
    fingerprint: Option<Value>,
    breadcrumbs: Option<Value>,
    request: Option<Value>,
    user: Option<Value>,
    contexts: Option<Value>,
    extra: Option<Value>,
    sdk: Option<Value>,
}

/// Parses one event payload. `item_kind` is the envelope item's type when known; a store
/// payload says `"type": "transaction"` itself. The event id is the payload's, when it is a
/// valid id, else empty (the caller decides).
pub fn parse_event(
    bytes: &[u8],
    received_ms: Millis,
    item_kind: Option<EventKind>,
) -> Result<Event, PayloadError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        // Still report broken JSON as such; only valid non-objects are "not an object".
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(PayloadError::NotAnObject),
            Err(e) => Err(PayloadError::Json(e.to_string())),
        };
    }
    let raw: RawEvent =
        serde_json::from_slice(bytes).map_err(|e| PayloadError::Json(e.to_string()))?;
    Ok(build_event(raw, received_ms, item_kind))
}

/// Builds an event from an already parsed payload.
pub fn event_from_value(
    value: Value,
    received_ms: Millis,
    item_kind: Option<EventKind>,
) -> Result<Event, PayloadError> {
    if !value.is_object() {
        return Err(PayloadError::NotAnObject);
    }
    let raw = RawEvent::deserialize(value).map_err(|e| PayloadError::Json(e.to_string()))?;
    Ok(build_event(raw, received_ms, item_kind))
}

fn build_event(raw: RawEvent, received_ms: Millis, item_kind: Option<EventKind>) -> Event {
    let kind = item_kind.unwrap_or_else(|| {
        if raw.ty.as_ref().and_then(text).as_deref() == Some("transaction") {
            EventKind::Transaction
        } else {
            EventKind::Error
        }
    });
    let timestamp = raw
        .timestamp
        .as_ref()
        .and_then(timestamp_ms)
        .unwrap_or(received_ms);
    let transaction = raw.transaction.and_then(into_text);
    let duration_ms = match kind {
        EventKind::Transaction => raw
            .start_timestamp
            .as_ref()
            .and_then(timestamp_ms)
            .map(|start| (timestamp - start).max(0) as f64),
        EventKind::Error => None,
    };
    let fingerprint = strings(raw.fingerprint);
    let message = message(raw.message.as_ref(), raw.logentry.as_ref());
    let mut exceptions = interfaces::exceptions(raw.exception, raw.threads);
    // Legacy SDKs (Elixir, old Ruby) send the stack as a top-level `stacktrace` next to an
    // exception without frames: it belongs to the raised exception. A message event's
    // top-level stack (`attach_stacktrace`) stays out of grouping, as Sentry keeps it.
    if let Some(main) = exceptions.last_mut().filter(|e| e.frames.is_empty()) {
        main.frames = raw.stacktrace.map(|stack| stack.0).unwrap_or_default();
    }
    let mut event = Event {
        event_id: raw
            .event_id
            .and_then(into_text)
            .and_then(|id| hex_id(&id))
            .unwrap_or_default(),
        timestamp_ms: timestamp,
        kind,
        platform: raw.platform.and_then(into_text).unwrap_or_default(),
        level: raw
            .level
            .as_ref()
            .and_then(text)
            .map(|l| Level::parse_lenient(&l))
            .unwrap_or(match kind {
                EventKind::Transaction => Level::Info,
                EventKind::Error => Level::Error,
            }),
        logger: raw.logger.and_then(into_text),
        transaction: transaction.clone(),
        server_name: raw.server_name.and_then(into_text),
        release: raw.release.and_then(into_text),
        dist: raw.dist.and_then(into_text),
        environment: raw.environment.and_then(into_text),
        message,
        exceptions,
        tags: raw.tags.as_ref().map(pairs).unwrap_or_default(),
        fingerprint: (!fingerprint.is_empty()).then_some(fingerprint),
        breadcrumbs: interfaces::breadcrumbs(raw.breadcrumbs),
        request: interfaces::request(raw.request),
        user: interfaces::user(raw.user),
        contexts: data_map(raw.contexts),
        extra: data_map(raw.extra),
        sdk: raw.sdk.filter(Value::is_object).map(|sdk| Sdk {
            name: text_field(&sdk, "name").unwrap_or_default(),
            version: text_field(&sdk, "version").unwrap_or_default(),
        }),
        trace_id: None,
        http_status: None,
        route: transaction,
        declared_class: None,
        duration_ms,
    };
    event.trace_id = event
        .contexts
        .get("trace")
        .and_then(|trace| text_field(trace, "trace_id"))
        .and_then(|id| hex_id(&id));
    event.http_status = http_status(&event);
    event
}

/// The response status from `contexts.response.status_code`, the trace context's data, or
/// the tags SDKs use for it.
fn http_status(event: &Event) -> Option<u16> {
    let valid = |n: u64| u16::try_from(n).ok().filter(|s| (100..=599).contains(s));
    let from_contexts = event
        .contexts
        .get("response")
        .and_then(|r| field(r, "status_code"))
        .or_else(|| {
            event
                .contexts
                .get("trace")
                .and_then(|t| field(t, "data"))
                .and_then(|d| field(d, "http.response.status_code"))
        })
        .and_then(uint)
        .and_then(valid);
    from_contexts.or_else(|| {
        [
            "http.status_code",
            "http.response.status_code",
            "status_code",
        ]
        .iter()
        .find_map(|key| event.tag(key))
        .and_then(|s| s.trim().parse::<u64>().ok())
        .and_then(valid)
    })
}

/// `logentry` (or `message` as an object) with its template and params, else `message` as a
/// plain string.
fn message(message: Option<&Value>, logentry: Option<&Value>) -> Option<Message> {
    let plain = message.filter(|m| m.is_string()).map(display);
    let entry = logentry
        .filter(|e| e.is_object())
        .or_else(|| message.filter(|m| m.is_object()));
    let Some(entry) = entry else {
        return plain
            .filter(|m| !m.trim().is_empty())
            .map(|formatted| Message {
                formatted,
                template: None,
                params: Vec::new(),
            });
    };
    let template = text_field(entry, "message");
    let params = match field(entry, "params") {
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
        None => Vec::new(),
    };
    let formatted = text_field(entry, "formatted")
        .or_else(|| template.as_deref().map(|t| format_template(t, &params)))
        .or(plain)
        .filter(|f| !f.trim().is_empty())?;
    let template = template.filter(|t| !params.is_empty() || *t != formatted);
    Some(Message {
        formatted,
        template,
        params,
    })
}

/// Substitutes params into a log template: `%s`/`%d`/`%r`-style positional, `{}`/`{0}`
/// positional and `{name}` from a single object param. Unknown placeholders stay.
pub fn format_template(template: &str, params: &[Value]) -> String {
    let named = match params {
        [Value::Object(map)] => Some(map),
        _ => None,
    };
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '%' => match chars.peek().map(|(_, c)| *c) {
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                Some('s' | 'd' | 'r' | 'i' | 'f' | 'x') if named.is_none() => {
                    chars.next();
                    match params.get(next) {
                        Some(param) => out.push_str(&display(param)),
                        None => out.push_str(&template[at..at + 2]),
                    }
                    next += 1;
                }
                _ => out.push('%'),
            },
            '{' => {
                let rest = &template[at + 1..];
                let Some(close) = rest.find('}').filter(|close| !rest[..*close].contains('{'))
                else {
                    out.push('{');
                    continue;
                };
                let name = &rest[..close];
                let replacement = if name.is_empty() {
                    next += 1;
                    params.get(next - 1).map(display)
                } else if let Ok(index) = name.parse::<usize>() {
                    params.get(index).map(display)
                } else {
                    named.and_then(|map| map.get(name)).map(display)
                };
                match replacement {
                    Some(text) => {
                        out.push_str(&text);
                        for _ in 0..=close {
                            chars.next();
                        }
                    }
                    None => out.push('{'),
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Event {
        event_from_value(value, 1_000, None).unwrap()
    }

    #[test]
    fn templates_are_formatted() {
        assert_eq!(
            format_template("User %s has %d items", &[json!("bob"), json!(3)]),
            "User bob has 3 items"
        );
        assert_eq!(
            format_template("Here is a new {foo}", &[json!({"foo": "bar"})]),
            "Here is a new bar"
        );
        assert_eq!(
            format_template("{} and {1}", &[json!("a"), json!("b")]),
            "a and b"
        );
        assert_eq!(
            format_template("100%% {missing} %s", &[]),
            "100% {missing} %s"
        );
    }

    #[test]
    fn messages_in_every_shape() {
        let plain = parse(json!({"message": "hello"}));
        assert_eq!(plain.message.unwrap().formatted, "hello");
        let entry = parse(json!({"logentry": {"message": "User %s", "params": ["bob"]}}));
        let entry = entry.message.unwrap();
        assert_eq!(entry.formatted, "User bob");
        assert_eq!(entry.template.as_deref(), Some("User %s"));
        let object = parse(json!({"message": {"formatted": "done", "message": "done"}}));
        assert_eq!(object.message.unwrap().template, None);
        assert_eq!(parse(json!({"message": ""})).message, None);
    }

    #[test]
    fn derived_fields_are_filled() {
        let event = parse(json!({
            "event_id": "9EC79C33EC9942AB8353589FCB2E04DC",
            "timestamp": "2023-10-20T14:18:34Z",
            "transaction": "/api/users/{id}",
            "contexts": {"trace": {"trace_id": "6a02ac9d014e460dbb1d7f279ecaee07"}, "response": {"status_code": 502}, "os": null},
            "tags": [["http.status_code", "404"]],
            "fingerprint": [],
        }));
        assert_eq!(event.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
        assert_eq!(event.timestamp_ms, 1_697_811_514_000);
        assert_eq!(
            event.trace_id.as_deref(),
            Some("6a02ac9d014e460dbb1d7f279ecaee07")
        );
        assert_eq!(event.http_status, Some(502));
        assert_eq!(event.route.as_deref(), Some("/api/users/{id}"));
        assert_eq!(event.fingerprint, None);
        assert!(!event.contexts.contains_key("os"));
        let tagged = parse(json!({"tags": {"http.status_code": "404"}}));
        assert_eq!(tagged.http_status, Some(404));
        assert_eq!(tagged.timestamp_ms, 1_000);
    }

    #[test]
    fn transactions_have_a_duration() {
        let event = parse(
            json!({"type": "transaction", "transaction": "GET /x", "start_timestamp": 100.0, "timestamp": 100.25}),
        );
        assert_eq!(event.kind, EventKind::Transaction);
        assert_eq!(event.duration_ms, Some(250.0));
        assert_eq!(event.level, Level::Info);
    }

    #[test]
    fn non_objects_are_refused() {
        assert_eq!(
            event_from_value(json!([1]), 0, None),
            Err(PayloadError::NotAnObject)
        );
        assert!(matches!(
            parse_event(b"{", 0, None),
            Err(PayloadError::Json(_))
        ));
        assert_eq!(
            parse_event(b" [1, 2]", 0, None),
            Err(PayloadError::NotAnObject)
        );
        assert!(matches!(
            parse_event(b"[1, ", 0, None),
            Err(PayloadError::Json(_))
        ));
    }
}
