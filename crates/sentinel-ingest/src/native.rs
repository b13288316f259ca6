//! Sentinel's own event API, `POST /api/v1/events`, for services without a Sentry SDK.
//!
//! The body is one JSON object:
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `service` | string, **required** | the service's name |
//! | `event_id` | string | 32 hex characters; generated when absent |
//! | `error_class` | string | `client_4xx`, `server_5xx`, `unhandled_exception`, `handled_exception`, `message`, `latency` or `crash`; derived when absent |
//! | `message` | string | the error message |
//! | `exception_type` | string | e.g. `TypeError`; read from `stack_trace` when absent |
//! | `stack_trace` | string or list | a trace as the runtime printed it (Python, JavaScript, Java, Go, Ruby), or a list of frames `{filename, function, module, lineno, colno, in_app, context_line}` oldest first |
//! | `route` | string | route template or path of the failed request |
//! | `status_code` | integer | HTTP status of the failed request |
//! | `trace_id` | string | 32 hex characters (W3C trace id) |
//! | `release`, `environment`, `platform`, `server_name` | string | |
//! | `timestamp` | RFC 3339 string, Unix seconds or Unix milliseconds | receipt time when absent |
//! | `level` | string | `debug`, `info`, `warning`, `error` (default), `fatal` |
//! | `tags` | object or list of `[key, value]` | |
//! | `extra` | object | free-form data |
//!
//! An event with `exception_type` or a stack trace becomes an exception whose value is the
//! message; otherwise it is a message event.

use crate::interfaces::stack_frames;
use crate::stacktrace::parse_stack_trace;
use crate::values::{data_map, field, hex_id, pairs, text_field, timestamp_ms, uint};
use crate::{new_event_id, IngestError};
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, Exception, Level, Message};
use sentinel_core::incident::ErrorClass;
use serde_json::Value;

/// A native event with the service it names.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeEvent {
    pub service: String,
    pub event: Event,
}

/// Parses a native event body.
pub fn parse_native_event(bytes: &[u8], received_ms: Millis) -> Result<NativeEvent, IngestError> {
    if bytes.len() > crate::limits::MAX_EVENT_ITEM {
        return Err(IngestError::ItemTooLarge {
            item_type: "event".into(),
            size: bytes.len(),
            limit: crate::limits::MAX_EVENT_ITEM,
        });
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::Malformed(format!("invalid JSON: {e}")))?;
    if !value.is_object() {
        return Err(IngestError::Malformed("body is not a JSON object".into()));
    }
    let service = text_field(&value, "service")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| IngestError::Malformed("missing \"service\"".into()))?;
    let declared_class = match text_field(&value, "error_class") {
        Some(class) => Some(
            class
                .trim()
                .parse::<ErrorClass>()
                .map_err(|e| IngestError::Malformed(format!("invalid \"error_class\": {e}")))?,
        ),
        None => None,
    };
    let message = text_field(&value, "message").filter(|m| !m.trim().is_empty());
    let (mut exception_type, mut trace_value, frames) = match field(&value, "stack_trace") {
        Some(Value::String(text)) => {
            let parsed = parse_stack_trace(text);
            (parsed.exception_type, parsed.value, parsed.frames)
        }
        Some(list @ Value::Array(_)) => (None, None, stack_frames(Some(list.clone()))),
        _ => (None, None, Vec::new()),
    };
    if let Some(declared) = text_field(&value, "exception_type") {
        exception_type = Some(declared);
        trace_value = None;
    }
    let route = text_field(&value, "route");
    let mut event = Event {
        event_id: text_field(&value, "event_id")
            .and_then(|id| hex_id(&id))
            .unwrap_or_else(new_event_id),
        timestamp_ms: field(&value, "timestamp")
            .and_then(timestamp_ms)
            .unwrap_or(received_ms),
        platform: text_field(&value, "platform").unwrap_or_else(|| "other".into()),
        level: text_field(&value, "level")
            .map(|l| Level::parse_lenient(&l))
            .unwrap_or_default(),
        transaction: route.clone(),
        server_name: text_field(&value, "server_name"),
        release: text_field(&value, "release"),
        environment: text_field(&value, "environment"),
        tags: field(&value, "tags").map(pairs).unwrap_or_default(),
        extra: data_map(field(&value, "extra").cloned()),
        trace_id: text_field(&value, "trace_id").and_then(|id| hex_id(&id)),
        http_status: field(&value, "status_code")
            .and_then(uint)
            .and_then(|s| u16::try_from(s).ok()),
        route,
        declared_class,
        ..Event::default()
    };
    if exception_type.is_some() || !frames.is_empty() {
        event.exceptions.push(Exception {
            ty: exception_type.unwrap_or_else(|| "Error".into()),
            value: message.or(trace_value),
            frames,
            ..Exception::default()
        });
    } else if let Some(formatted) = message {
        event.message = Some(Message {
            formatted,
            ..Message::default()
        });
    }
    Ok(NativeEvent { service, event })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_full_native_event_parses() {
        let body = br#"{"service":"checkout","error_class":"server_5xx","message":"upstream timed out","exception_type":"TimeoutError","stack_trace":"Traceback (most recent call last):\n  File \"/srv/app/pay.py\", line 3, in charge\n    call()\nTimeoutError: x","route":"/api/pay","status_code":504,"trace_id":"6A02AC9D014E460DBB1D7F279ECAEE07","release":"1.2.3","environment":"prod","timestamp":"2024-05-01T10:00:00Z","level":"warning","tags":{"region":"eu"}}"#;
        let native = parse_native_event(body, 5).unwrap();
        assert_eq!(native.service, "checkout");
        let event = native.event;
        assert_eq!(event.declared_class, Some(ErrorClass::Server5xx));
        assert_eq!(event.exceptions[0].ty, "TimeoutError");
        assert_eq!(
            event.exceptions[0].value.as_deref(),
            Some("upstream timed out")
        );
        assert_eq!(
            event.exceptions[0].frames[0].function.as_deref(),
            Some("charge")
        );
        assert_eq!(event.http_status, Some(504));
        assert_eq!(
            event.trace_id.as_deref(),
            Some("6a02ac9d014e460dbb1d7f279ecaee07")
        );
        assert_eq!(event.timestamp_ms, 1_714_557_600_000);
        assert_eq!(event.level, Level::Warning);
        assert_eq!(event.tag("region"), Some("eu"));
        assert_eq!(event.event_id.len(), 32);
    }

    #[test]
    fn frame_lists_and_plain_messages() {
        let body =
            br#"{"service":"api","stack_trace":[{"filename":"a.ts","function":"f","lineno":"3"}]}"#;
        let event = parse_native_event(body, 5).unwrap().event;
        assert_eq!(event.exceptions[0].ty, "Error");
        assert_eq!(event.exceptions[0].frames[0].lineno, Some(3));
        assert_eq!(event.timestamp_ms, 5);

        let body = br#"{"service":"api","message":"cache miss storm","timestamp":1714557600}"#;
        let event = parse_native_event(body, 5).unwrap().event;
        assert!(event.exceptions.is_empty());
        assert_eq!(
            event.message.map(|m| m.formatted).as_deref(),
            Some("cache miss storm")
        );
        assert_eq!(event.timestamp_ms, 1_714_557_600_000);
    }

    #[test]
    fn invalid_native_events_are_malformed() {
        for body in [
            &br#"{"message":"no service"}"#[..],
            br#"{"service":"a","error_class":"bogus"}"#,
            br#"[]"#,
            b"{",
        ] {
            assert!(matches!(
                parse_native_event(body, 0),
                Err(IngestError::Malformed(_))
            ));
        }
    }
}
