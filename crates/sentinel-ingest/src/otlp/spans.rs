//! Which spans become events: what failed, and the requests the latency detector times.
//!
//! - each span event named `exception` → an error event with that exception;
//! - a SERVER span with `http.response.status_code` ≥ 500 → a `server_5xx` event for its
//!   route (`http.route`);
//! - any other span with status ERROR → an error event for the span (a SERVER span's 4xx
//!   counts as `client_4xx`; a CLIENT span's status code is kept as a tag only, so a failed
//!   outgoing call is never mistaken for this service answering 5xx);
//! - a local root (a SERVER or CONSUMER span, or one without a parent) → a transaction, as
//!   the Sentry SDKs send one per request, which feeds the latency histograms;
//! - every other span is only counted.
//!
//! One failure is often reported several times in one trace: the exception on the span that
//! raised it and again on each span it escaped through, and as the server span's 500. When a
//! trace of one service carries an exception, its status-only events are dropped and the
//! exception events take the request's route instead; repeats of one exception in one trace
//! are left to the store, which keeps one event per trace and incident.

use super::attributes::Attributes;
use super::resource::ResourceInfo;
use super::{item_event_id, nanos_to_ms, Rejections, ServiceItems};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Level, Request};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The events of one resource's spans.
pub(super) fn read_resource_spans(
    resource_spans: &ResourceSpans,
    received_ms: Millis,
    rejections: &mut Rejections,
) -> ServiceItems {
    let resource = ResourceInfo::read(resource_spans.resource.as_ref());
    let mut items = ServiceItems {
        service_name: resource.service_name.clone(),
        events: Vec::new(),
        read: 0,
    };
    // Status-only events, kept apart until it is known whether their trace has an exception.
    let mut status_events: Vec<(Event, bool)> = Vec::new();
    let mut traces_with_exceptions: HashSet<&[u8]> = HashSet::new();
    for scope_spans in &resource_spans.scope_spans {
        let scope = scope_spans.scope.as_ref();
        for span in &scope_spans.spans {
            items.read += 1;
            if span.trace_id.len() != 16 || span.span_id.len() != 8 {
                rejections
                    .add("span with a trace id other than 16 bytes or a span id other than 8");
                continue;
            }
            let reader = SpanReader {
                span,
                resource: &resource,
                scope,
                received_ms,
            };
            let before = items.events.len();
            reader.exceptions(&mut items.events);
            if items.events.len() > before {
                traces_with_exceptions.insert(&span.trace_id);
            } else if let Some(event) = reader.status_event() {
                status_events.push((event, reader.is_local_root()));
            }
            if reader.is_local_root() {
                items.events.push(reader.transaction());
            }
        }
    }
    let kept = fold_status_events(&mut items.events, status_events, &traces_with_exceptions);
    items.events.extend(kept);
    items
}

/// Keeps the status-only events of traces without an exception; gives the route of a
/// dropped local root's event to the exception events of its trace that have none.
fn fold_status_events(
    events: &mut [Event],
    status_events: Vec<(Event, bool)>,
    traces_with_exceptions: &HashSet<&[u8]>,
) -> Vec<Event> {
    let mut kept = Vec::new();
    for (status_event, local_root) in status_events {
        let trace = status_event
            .trace_id
            .as_deref()
            .and_then(|t| hex::decode(t).ok())
            .unwrap_or_default();
        if !traces_with_exceptions.contains(trace.as_slice()) {
            kept.push(status_event);
            continue;
        }
        if !local_root {
            continue;
        }
        for event in events.iter_mut().filter(|e| {
            e.kind == EventKind::Error && e.trace_id == status_event.trace_id && e.route.is_none()
        }) {
            event.route.clone_from(&status_event.route);
            event.transaction.clone_from(&status_event.transaction);
        }
    }
    kept
}

struct SpanReader<'a> {
    span: &'a Span,
    resource: &'a ResourceInfo,
    scope: Option<&'a InstrumentationScope>,
    received_ms: Millis,
}

impl SpanReader<'_> {
    fn kind(&self) -> SpanKind {
        SpanKind::try_from(self.span.kind).unwrap_or(SpanKind::Unspecified)
    }

    fn is_local_root(&self) -> bool {
        self.span.parent_span_id.is_empty()
            || matches!(self.kind(), SpanKind::Server | SpanKind::Consumer)
    }

    fn attributes(&self) -> Attributes<'_> {
        Attributes(&self.span.attributes)
    }

    fn http_status(&self) -> Option<u16> {
        let attributes = self.attributes();
        attributes
            .int("http.response.status_code")
            .or_else(|| attributes.int("http.status_code"))
            .and_then(|s| u16::try_from(s).ok())
    }

    fn status(&self) -> StatusCode {
        self.span
            .status
            .as_ref()
            .and_then(|s| StatusCode::try_from(s.code).ok())
            .unwrap_or(StatusCode::Unset)
    }

    /// One error event per `exception` span event.
    fn exceptions(&self, out: &mut Vec<Event>) {
        let exceptions = self
            .span
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.name == "exception");
        for (index, span_event) in exceptions {
            let Some(exception) = super::exception::read_exception(
                Attributes(&span_event.attributes),
                &self.resource.platform,
            ) else {
                continue;
            };
            let mut event = self.error_event(&index.to_le_bytes(), span_event.time_unix_nano);
            event.exceptions.push(exception);
            out.push(event);
        }
    }

    /// The event of a span that failed without an exception, if it failed.
    fn status_event(&self) -> Option<Event> {
        let kind = self.kind();
        let status = self.http_status();
        let server_error = kind == SpanKind::Server && status.is_some_and(|s| s >= 500);
        if !server_error && self.status() != StatusCode::Error {
            return None;
        }
        let mut event = self.error_event(b"status", self.span.end_time_unix_nano);
        if kind == SpanKind::Server {
            event.http_status = status;
        }
        if let Some(message) = self
            .span
            .status
            .as_ref()
            .map(|s| s.message.trim())
            .filter(|m| !m.is_empty())
        {
            event
                .extra
                .insert("otel.status_message".into(), Value::String(message.into()));
        }
        Some(event)
    }

    /// An error event with everything the span says about where and when.
    fn error_event(&self, discriminator: &[u8], time_nanos: u64) -> Event {
        let span = self.span;
        let attributes = self.attributes();
        let mut tags = vec![("span.kind".to_string(), kind_name(self.kind()).to_string())];
        if let Some(status) = self.http_status() {
            tags.push(("http.status_code".into(), status.to_string()));
        }
        let request = attributes
            .first_text(&["url.full", "http.url"])
            .map(|url| Request {
                url: Some(url),
                method: attributes.first_text(&["http.request.method", "http.method"]),
                ..Request::default()
            });
        let mut contexts = Map::new();
        contexts.insert("trace".into(), self.trace_context());
        contexts.insert(
            "otel".into(),
            json!({ "span_name": span.name, "attributes": attributes.to_json() }),
        );
        Event {
            event_id: item_event_id(&[&span.trace_id, &span.span_id, discriminator]),
            timestamp_ms: nanos_to_ms(time_nanos).unwrap_or(self.received_ms),
            kind: EventKind::Error,
            platform: self.resource.platform.clone(),
            level: Level::Error,
            logger: self.scope.map(|s| s.name.clone()).filter(|n| !n.is_empty()),
            transaction: Some(span.name.clone()).filter(|n| !n.is_empty()),
            server_name: self.resource.server_name.clone(),
            release: self.resource.release.clone(),
            environment: self.resource.environment.clone(),
            tags,
            request,
            contexts: contexts.into_iter().collect(),
            sdk: self.resource.sdk.clone(),
            trace_id: Some(hex::encode(&span.trace_id)),
            route: attributes.text("http.route"),
            ..Event::default()
        }
    }

    /// The span as a transaction: its name, duration and trace.
    fn transaction(&self) -> Event {
        let span = self.span;
        let duration_ns = span
            .end_time_unix_nano
            .saturating_sub(span.start_time_unix_nano);
        let mut contexts = std::collections::BTreeMap::new();
        contexts.insert("trace".to_string(), self.trace_context());
        Event {
            event_id: item_event_id(&[&span.trace_id, &span.span_id, b"transaction"]),
            timestamp_ms: nanos_to_ms(span.end_time_unix_nano).unwrap_or(self.received_ms),
            kind: EventKind::Transaction,
            platform: self.resource.platform.clone(),
            level: Level::Info,
            transaction: Some(span.name.clone()).filter(|n| !n.is_empty()),
            release: self.resource.release.clone(),
            environment: self.resource.environment.clone(),
            contexts,
            trace_id: Some(hex::encode(&span.trace_id)),
            http_status: self.http_status(),
            route: self.attributes().text("http.route"),
            duration_ms: Some(duration_ns as f64 / 1_000_000.0),
            ..Event::default()
        }
    }

    /// Sentry's `contexts.trace`, with the span's kind as `op`.
    fn trace_context(&self) -> Value {
        let span = self.span;
        let status = match self.status() {
            StatusCode::Ok => "ok",
            StatusCode::Error => "internal_error",
            StatusCode::Unset => "unknown",
        };
        let mut trace = json!({
            "trace_id": hex::encode(&span.trace_id),
            "span_id": hex::encode(&span.span_id),
            "op": kind_name(self.kind()),
            "status": status,
        });
        if !span.parent_span_id.is_empty() {
            trace["parent_span_id"] = Value::String(hex::encode(&span.parent_span_id));
        }
        trace
    }
}

fn kind_name(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
        SpanKind::Unspecified => "unspecified",
    }
}
