//! The trace an event belongs to, as the incident page shows it: trace and span ids, and for
//! an event that came from OpenTelemetry, the span's (or log record's) name and attributes.

use super::event_view::Pair;
use sentinel_core::event::Event;
use serde_json::Value;

/// The most attributes listed; an instrumented span rarely has more.
const MAX_ATTRIBUTES: usize = 100;

pub struct TraceView {
    pub(super) trace_id: String,
    pub(super) span_id: String,
    pub(super) span_name: String,
    pub(super) attributes: Vec<Pair>,
}

/// `None` for an event with no trace and no OpenTelemetry context.
pub(super) fn trace_view(event: &Event) -> Option<TraceView> {
    let trace = event.contexts.get("trace");
    let otel = event.contexts.get("otel");
    let text = |value: Option<&Value>, key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let trace_id = event
        .trace_id
        .clone()
        .unwrap_or_else(|| text(trace, "trace_id"));
    if trace_id.is_empty() && otel.is_none() {
        return None;
    }
    let attributes = otel
        .and_then(|o| o.get("attributes"))
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .take(MAX_ATTRIBUTES)
                .map(|(key, value)| Pair {
                    key: key.clone(),
                    value: match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    Some(TraceView {
        trace_id,
        span_id: text(trace, "span_id"),
        span_name: text(otel, "span_name"),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_otel_event_shows_its_trace_and_span_attributes() {
        let mut event = Event {
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ..Event::default()
        };
        event.contexts.insert(
            "trace".into(),
            json!({"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}),
        );
        event.contexts.insert(
            "otel".into(),
            json!({"span_name": "GET /orders/{id}", "attributes": {"http.route": "/orders/{id}", "http.response.status_code": 500}}),
        );
        let view = trace_view(&event).expect("a trace");
        assert_eq!(view.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(view.span_id, "00f067aa0ba902b7");
        assert_eq!(view.span_name, "GET /orders/{id}");
        let pairs: Vec<_> = view
            .attributes
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("http.response.status_code", "500"),
                ("http.route", "/orders/{id}")
            ]
        );
    }

    #[test]
    fn an_event_without_a_trace_shows_none() {
        assert!(trace_view(&Event::default()).is_none());
    }
}
