//! One JSON log line into an event, when its level is ERROR or above.
//!
//! Most lines are not errors, and the tailer must read them at disk speed: a first pass
//! reads only the level and whether an exception field is there (every other value is
//! skipped unparsed); only an error line is parsed whole.

use super::{is_error, level_word, LogReader, Record};
use crate::stacktrace::parse_stack_trace;
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind, Exception, Level, Message};
use sentinel_core::log_source::FieldMapping;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

pub(super) fn read_line(reader: &LogReader, line: &[u8], received_ms: Millis) -> Record {
    if std::str::from_utf8(line).is_err() {
        return Record::Malformed;
    }
    let probe = match probe(&reader.fields, line) {
        Ok(probe) => probe,
        Err(_) => return Record::Malformed,
    };
    // A nested level (`log.level`) is not seen by the probe: such lines are read whole.
    let level = match probe.level {
        Some(level) => level,
        None if probe.exception || probe.nested_level => Level::Error,
        None => return Record::Other,
    };
    if !is_error(level) {
        return Record::Other;
    }
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(line) else {
        return Record::Malformed;
    };
    match error_event(reader, object, received_ms) {
        Some(event) => Record::Error(Box::new(event)),
        None => Record::Other,
    }
}

/// What the first pass reads.
#[derive(Default)]
struct Probe {
    level: Option<Level>,
    exception: bool,
    nested_level: bool,
}

fn probe(fields: &FieldMapping, line: &[u8]) -> Result<Probe, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let probe = de.deserialize_map(ProbeVisitor { fields })?;
    de.end()?;
    Ok(probe)
}

struct ProbeVisitor<'a> {
    fields: &'a FieldMapping,
}

fn candidates<'a>(mapped: &'a Option<String>, defaults: &'a [&'a str]) -> Vec<&'a str> {
    match mapped {
        Some(name) => vec![name.as_str()],
        None => defaults.to_vec(),
    }
}

impl<'de> Visitor<'de> for ProbeVisitor<'_> {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let levels = candidates(&self.fields.level, FieldMapping::LEVEL);
        let exceptions = candidates(&self.fields.exception, FieldMapping::EXCEPTION);
        let mut probe = Probe::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = key.as_ref();
            if probe.level.is_none() && levels.contains(&key) {
                probe.level = level_of(&map.next_value::<Value>()?);
                continue;
            }
            let first = |name: &&str| name.split('.').next() == Some(key);
            if levels.iter().any(|n| n.contains('.') && first(n)) {
                probe.nested_level = true;
            }
            if exceptions.iter().any(first) {
                let value = map.next_value::<Value>()?;
                probe.exception |= !value.is_null() && value != Value::Bool(false);
                continue;
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(probe)
    }
}

/// A level as loggers write it: a word, or pino/bunyan's numbers (50 error, 60 fatal).
fn level_of(value: &Value) -> Option<Level> {
    match value {
        Value::String(word) => level_word(word),
        Value::Number(n) => {
            let n = n.as_f64()?;
            Some(match n {
                n if n >= 60.0 => Level::Fatal,
                n if n >= 50.0 => Level::Error,
                n if n >= 40.0 => Level::Warning,
                n if n >= 30.0 => Level::Info,
                _ => Level::Debug,
            })
        }
        _ => None,
    }
}

/// The value at `path` (dotted for nested objects), taken out of `object`.
fn take(object: &mut Map<String, Value>, path: &str) -> Option<Value> {
    if let Some(value) = object.remove(path) {
        return Some(value);
    }
    let (head, rest) = path.split_once('.')?;
    match object.get_mut(head) {
        Some(Value::Object(inner)) => take(inner, rest),
        _ => None,
    }
}

fn take_first(
    object: &mut Map<String, Value>,
    mapped: &Option<String>,
    defaults: &[&str],
) -> Option<Value> {
    candidates(mapped, defaults)
        .into_iter()
        .find_map(|name| take(object, name).filter(|v| !v.is_null()))
}

fn text_of(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

fn error_event(
    reader: &LogReader,
    mut object: Map<String, Value>,
    received_ms: Millis,
) -> Option<Event> {
    let fields = &reader.fields;
    let level = take_first(&mut object, &fields.level, FieldMapping::LEVEL)
        .and_then(|v| level_of(&v))
        .unwrap_or(Level::Error);
    if !is_error(level) {
        return None;
    }
    let message = take_first(&mut object, &fields.message, FieldMapping::MESSAGE).map(text_of);
    let exception = take_first(&mut object, &fields.exception, FieldMapping::EXCEPTION)
        .and_then(|value| exception_of(value, &reader.platform));
    let timestamp_ms = take_first(&mut object, &fields.time, FieldMapping::TIME)
        .and_then(|v| time_of(&v))
        .unwrap_or(received_ms);
    let trace_id = take_first(&mut object, &fields.trace_id, FieldMapping::TRACE_ID)
        .map(text_of)
        .and_then(|t| trace_id_of(&t));
    let logger = ["logger", "name", "logger_name"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str).map(str::to_string));
    let mut contexts = sentinel_core::event::DataMap::new();
    if let Some(trace) = &trace_id {
        contexts.insert("trace".into(), serde_json::json!({ "trace_id": trace }));
    }
    Some(Event {
        timestamp_ms,
        kind: EventKind::Error,
        platform: reader.platform.clone(),
        level,
        logger,
        message: message.map(|formatted| Message {
            formatted,
            ..Message::default()
        }),
        exceptions: exception.into_iter().collect(),
        contexts,
        extra: object.into_iter().collect(),
        trace_id,
        ..Event::default()
    })
}

/// An exception field: a formatted traceback, or an object with type, message and stack.
fn exception_of(value: Value, platform: &str) -> Option<Exception> {
    let (ty, message, stack) = match value {
        Value::String(text) => (None, None, Some(text)),
        Value::Object(mut o) => {
            let mut pick = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| o.remove(*n).filter(|v| !v.is_null()).map(text_of))
            };
            let ty = pick(&["type", "name", "class", "kind"]);
            let message = pick(&["message", "value", "msg"]);
            let stack = pick(&["stack", "stacktrace", "stack_trace", "traceback"]);
            (ty, message, stack)
        }
        _ => return None,
    };
    Some(exception_from_text(ty, message, stack.as_deref(), platform))
}

/// The exception a traceback's text describes, with what was given separately winning.
pub(super) fn exception_from_text(
    ty: Option<String>,
    message: Option<String>,
    stack: Option<&str>,
    platform: &str,
) -> Exception {
    let trace = stack.map(parse_stack_trace).unwrap_or_default();
    let ty = ty
        .or(trace.exception_type)
        .unwrap_or_else(|| "Error".into());
    let (module, ty) = match ty.rsplit_once('.') {
        Some((package, class)) if platform == "java" && !class.is_empty() => {
            (Some(package.to_string()), class.to_string())
        }
        _ => (None, ty),
    };
    Exception {
        ty,
        value: message.or(trace.value),
        module,
        mechanism: None,
        frames: trace.frames,
    }
}

/// A time as loggers write it: RFC 3339 text, or Unix seconds, milliseconds or nanoseconds.
pub(super) fn time_of(value: &Value) -> Option<Millis> {
    match value {
        Value::String(text) => parse_time_text(text),
        Value::Number(n) => {
            let n = n.as_f64()?;
            let ms = match n {
                n if n > 1e17 => n / 1e6,
                n if n > 1e11 => n,
                n => n * 1e3,
            };
            Some(ms as Millis)
        }
        _ => None,
    }
}

pub(super) fn parse_time_text(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    let normalised = text.replace(',', ".");
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(&normalised, format) {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(time) = chrono::DateTime::parse_from_str(&normalised, format) {
            return Some(time.timestamp_millis());
        }
    }
    None
}

/// A trace id in OTel's form (32 lowercase hex characters); other forms are not kept.
fn trace_id_of(text: &str) -> Option<String> {
    let text = text.trim().replace('-', "");
    (text.len() == 32
        && text.bytes().all(|b| b.is_ascii_hexdigit())
        && text.bytes().any(|b| b != b'0'))
    .then(|| text.to_ascii_lowercase())
}
