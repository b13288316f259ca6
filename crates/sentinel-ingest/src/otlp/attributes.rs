//! OTLP attributes (`KeyValue` lists of `AnyValue`) read by their semantic-convention names.

use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use serde_json::{Map, Value};

/// Nesting beyond this depth is shown as text: attributes come from the client.
const MAX_DEPTH: usize = 8;

/// A borrowed attribute list with lookups by key. Lists are short, so a scan is cheapest.
#[derive(Clone, Copy)]
pub struct Attributes<'a>(pub &'a [KeyValue]);

impl<'a> Attributes<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Any> {
        self.0
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| v.value.as_ref())
    }

    /// A string attribute (other scalars as their text); empty strings count as absent.
    pub fn text(&self, key: &str) -> Option<String> {
        let text = match self.get(key)? {
            Any::StringValue(s) => s.clone(),
            Any::IntValue(i) => i.to_string(),
            Any::DoubleValue(d) => d.to_string(),
            Any::BoolValue(b) => b.to_string(),
            _ => return None,
        };
        (!text.trim().is_empty()).then_some(text)
    }

    /// The first of `keys` present as text (current names before deprecated ones).
    pub fn first_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| self.text(key))
    }

    /// An integer attribute; instrumentations send status codes as ints or strings.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Any::IntValue(i) => Some(*i),
            Any::StringValue(s) => s.trim().parse().ok(),
            Any::DoubleValue(d) if d.fract() == 0.0 => Some(*d as i64),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Any::BoolValue(b) => Some(*b),
            Any::StringValue(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// All attributes as a JSON object, for the event's contexts.
    pub fn to_json(self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|kv| (kv.key.clone(), any_json(kv.value.as_ref(), 0)))
            .collect()
    }
}

/// An `AnyValue` as JSON: bytes as hex, nested lists and maps as arrays and objects.
pub fn any_json(value: Option<&AnyValue>, depth: usize) -> Value {
    let Some(value) = value.and_then(|v| v.value.as_ref()) else {
        return Value::Null;
    };
    match value {
        Any::StringValue(s) => Value::String(s.clone()),
        Any::BoolValue(b) => Value::Bool(*b),
        Any::IntValue(i) => Value::from(*i),
        Any::DoubleValue(d) => serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number),
        Any::BytesValue(b) => Value::String(hex::encode(b)),
        Any::ArrayValue(list) if depth < MAX_DEPTH => Value::Array(
            list.values
                .iter()
                .map(|v| any_json(Some(v), depth + 1))
                .collect(),
        ),
        Any::KvlistValue(map) if depth < MAX_DEPTH => Value::Object(
            map.values
                .iter()
                .map(|kv| (kv.key.clone(), any_json(kv.value.as_ref(), depth + 1)))
                .collect(),
        ),
        _ => Value::String("…".into()),
    }
}

/// A log body as text: strings as they are, structured bodies as JSON.
pub fn any_text(value: Option<&AnyValue>) -> Option<String> {
    match value.and_then(|v| v.value.as_ref())? {
        Any::StringValue(s) => Some(s.clone()),
        _ => match any_json(value, 0) {
            Value::Null => None,
            other => Some(other.to_string()),
        },
    }
}
