//! Lenient readers for JSON values as SDKs actually send them.
//!
//! The same field arrives as a string in one SDK and a number in another, as an object here
//! and a list of pairs there. These helpers accept every shape seen in the wild and return
//! `None` (never panic) for the rest.

use sentinel_core::clock::Millis;
use sentinel_core::event::DataMap;
use serde_json::Value;

/// The value under `key` of an object, unless absent or null.
pub fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// Text from a string, number or bool; `None` for null, objects, arrays and empty strings.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Text of `object[key]`.
pub fn text_field(object: &Value, key: &str) -> Option<String> {
    field(object, key).and_then(text)
}

/// Any value as display text: strings as they are, everything else as compact JSON.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A non-negative integer from a number (`12`, `12.0`) or a string (`"12"`).
pub fn uint(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

pub fn u32_field(object: &Value, key: &str) -> Option<u32> {
    field(object, key)
        .and_then(uint)
        .and_then(|n| u32::try_from(n).ok())
}

/// A float from a number or a numeric string.
pub fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// A bool from `true`/`false`, `"true"`/`"false"`/`"1"`/`"0"` or `1`/`0`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Unix seconds are below this; larger numbers are taken as milliseconds.
const MAX_PLAUSIBLE_SECONDS: f64 = 100_000_000_000.0;

/// A point in time from Unix seconds (float), Unix milliseconds, a numeric string or
/// RFC 3339 text (a missing offset means UTC, as Python SDKs send it).
pub fn timestamp_ms(value: &Value) -> Option<Millis> {
    match value {
        Value::Number(_) => float(value).and_then(seconds_or_millis),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(number) = s.parse::<f64>() {
                return seconds_or_millis(number);
            }
            if let Ok(time) = chrono::DateTime::parse_from_rfc3339(s) {
                return Some(time.timestamp_millis());
            }
            let naive = s.trim_end_matches('Z');
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| chrono::NaiveDateTime::parse_from_str(naive, format).ok())
                .map(|time| time.and_utc().timestamp_millis())
        }
        _ => None,
    }
}

fn seconds_or_millis(number: f64) -> Option<Millis> {
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let millis = if number >= MAX_PLAUSIBLE_SECONDS {
        number
    } else {
        number * 1000.0
    };
    // Beyond year 9999 is not a time an SDK meant.
    (millis < 253_402_300_800_000.0).then_some(millis.round() as Millis)
}

/// Key/value pairs from an object, a list of `[key, value]` lists or a list of
/// `{"key": …, "value": …}` objects. Null values are dropped.
pub fn pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), display(v)))
            .collect(),
        Value::Array(items) => items.iter().filter_map(pair).collect(),
        _ => Vec::new(),
    }
}

fn pair(item: &Value) -> Option<(String, String)> {
    match item {
        Value::Array(kv) => match kv.as_slice() {
            [k, v, ..] if !v.is_null() => Some((text(k)?, display(v))),
            _ => None,
        },
        Value::Object(_) => {
            let key = text_field(item, "key")?;
            let value = field(item, "value").map(display)?;
            Some((key, value))
        }
        _ => None,
    }
}

/// A query string as pairs, from `"a=1&b=2"` (percent-decoded), pairs or an object.
pub fn query_pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::String(s) => s
            .trim_start_matches('?')
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect(),
        other => pairs(other),
    }
}

/// Cookies as pairs, from a `Cookie` header string (`"a=1; b=2"`), pairs or an object.
pub fn cookie_pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::String(s) => s
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect(),
        other => pairs(other),
    }
}

/// Form-style percent decoding (`+` is a space); invalid escapes stay as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value under `key`, moved out of the object (left as null), unless absent or null.
pub fn take(object: &mut Value, key: &str) -> Option<Value> {
    object
        .get_mut(key)
        .map(Value::take)
        .filter(|v| !v.is_null())
}

/// Text moved out of a string value, or rendered from a number or bool.
pub fn into_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Text of `object[key]`, moved out.
pub fn take_text(object: &mut Value, key: &str) -> Option<String> {
    take(object, key).and_then(into_text)
}

/// An object as a map without null entries; anything else is empty.
pub fn data_map(value: Option<Value>) -> DataMap {
    match value {
        Some(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => DataMap::new(),
    }
}

/// A list of strings from a list (non-text entries skipped) or a single string.
pub fn strings(value: Option<Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.into_iter().filter_map(into_text).collect(),
        Some(Value::String(s)) => vec![s],
        _ => Vec::new(),
    }
}

/// The entries of Sentry's `{"values": [...]}` containers, also accepting a bare list or a
/// single object.
pub fn values_list(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Object(mut map)) => match map.remove("values") {
            Some(Value::Array(items)) => items,
            Some(_) => Vec::new(),
            None if map.is_empty() => Vec::new(),
            None => vec![Value::Object(map)],
        },
        _ => Vec::new(),
    }
}

/// A 32-character lowercase hex id (dashes of UUID form removed), if `text` is one.
pub fn hex_id(text: &str) -> Option<String> {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (compact.len() == 32 && compact.bytes().all(|b| b.is_ascii_hexdigit())).then_some(compact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_in_every_shape() {
        let expected = Some(1_697_811_514_277);
        assert_eq!(
            timestamp_ms(&json!("2023-10-20T14:18:34.277268Z")),
            expected
        );
        assert_eq!(timestamp_ms(&json!("2023-10-20T14:18:34.277268")), expected);
        assert_eq!(
            timestamp_ms(&json!("2023-10-20T16:18:34.277+02:00")),
            expected
        );
        assert_eq!(timestamp_ms(&json!(1_697_811_514.277)), expected);
        assert_eq!(timestamp_ms(&json!(1_697_811_514_277_i64)), expected);
        assert_eq!(timestamp_ms(&json!("1697811514.277")), expected);
        assert_eq!(timestamp_ms(&json!("yesterday")), None);
        assert_eq!(timestamp_ms(&json!(-5)), None);
        assert_eq!(timestamp_ms(&json!(1e300)), None);
    }

    #[test]
    fn pairs_in_every_shape() {
        let expected = vec![("a".to_string(), "1".to_string())];
        assert_eq!(pairs(&json!({"a": 1, "n": null})), expected);
        assert_eq!(pairs(&json!([["a", "1"], ["n", null], ["x"]])), expected);
        assert_eq!(pairs(&json!([{"key": "a", "value": "1"}])), expected);
        assert_eq!(
            query_pairs(&json!("?a=1&b=x%20y+z&c")),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(
            cookie_pairs(&json!("sid=abc; theme=dark")),
            vec![
                ("sid".into(), "abc".into()),
                ("theme".into(), "dark".into())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn scalars_are_read_leniently() {
        assert_eq!(uint(&json!("12")), Some(12));
        assert_eq!(uint(&json!(12.0)), Some(12));
        assert_eq!(uint(&json!(-1)), None);
        assert_eq!(boolean(&json!("true")), Some(true));
        assert_eq!(text(&json!(42)), Some("42".into()));
        assert_eq!(
            hex_id("9EC79C33-EC99-42AB-8353-589FCB2E04DC"),
            Some("9ec79c33ec9942ab8353589fcb2e04dc".into())
        );
        assert_eq!(hex_id("xyz"), None);
        assert_eq!(values_list(Some(json!({"values": [1, 2]}))).len(), 2);
        assert_eq!(values_list(Some(json!([1]))).len(), 1);
        assert_eq!(values_list(Some(json!({"type": "E"}))).len(), 1);
        assert!(values_list(Some(json!({}))).is_empty());
        let mut object = json!({"a": "x", "n": null});
        assert_eq!(take_text(&mut object, "a"), Some("x".into()));
        assert_eq!(object["a"], Value::Null);
        assert_eq!(take(&mut object, "n"), None);
        assert_eq!(strings(Some(json!(["a", 1, null]))), vec!["a", "1"]);
    }
}
