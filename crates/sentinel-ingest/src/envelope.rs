//! Sentry envelope framing.
//!
//! ```text
//! Envelope = Headers { "\n" Item } [ "\n" ] ;
//! Item     = Headers "\n" Payload ;
//! ```
//! Headers are one line of JSON. An item with a `length` header has exactly that many payload
//! bytes, followed by `\n` or the end; without it the payload runs to the next `\n`. The
//! parser is lenient where SDKs differ (no trailing newline, a last item header without
//! newline, blank lines between items, unknown item types) and strict where being lenient
//! would misread data (a `length` that overruns, bytes where the newline must be).
//! Payloads are borrowed from the input, not copied.

use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("empty envelope")]
    Empty,
    #[error("invalid envelope header: {0}")]
    InvalidEnvelopeHeader(String),
    #[error("invalid header of item {index}: {reason}")]
    InvalidItemHeader { index: usize, reason: String },
    #[error("item {index} declares {length} bytes but only {available} remain")]
    Truncated {
        index: usize,
        length: u64,
        available: usize,
    },
    #[error("item {index} is not followed by a newline")]
    MissingNewline { index: usize },
}

/// A parsed envelope; payloads borrow from the request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    pub headers: Map<String, Value>,
    pub items: Vec<Item<'a>>,
}

/// One envelope item: its headers (with `type`) and its raw payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> {
    pub headers: Map<String, Value>,
    pub payload: &'a [u8],
}

impl Envelope<'_> {
    /// The envelope's `event_id` header.
    pub fn event_id(&self) -> Option<&str> {
        self.headers.get("event_id").and_then(Value::as_str)
    }

    /// The envelope's `dsn` header (an SDK's self-authentication).
    pub fn dsn(&self) -> Option<&str> {
        self.headers.get("dsn").and_then(Value::as_str)
    }

    /// The envelope's `sent_at` header (RFC 3339), used for clock-drift correction.
    pub fn sent_at(&self) -> Option<&str> {
        self.headers.get("sent_at").and_then(Value::as_str)
    }
}

impl Item<'_> {
    /// The item's `type` header (`event`, `transaction`, `check_in`, `session`, …).
    pub fn item_type(&self) -> &str {
        self.headers
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Splits an envelope into its headers and items.
pub fn parse(bytes: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let header_end = line_end(bytes, 0);
    let headers =
        parse_object(&bytes[..header_end]).map_err(EnvelopeError::InvalidEnvelopeHeader)?;
    let mut items = Vec::new();
    let mut pos = header_end + 1;
    while pos < bytes.len() {
        let end = line_end(bytes, pos);
        let line = &bytes[pos..end];
        if line.iter().all(u8::is_ascii_whitespace) {
            // Blank lines between items and trailing whitespace are tolerated.
            pos = end + 1;
            continue;
        }
        let index = items.len();
        let headers = parse_object(line)
            .map_err(|reason| EnvelopeError::InvalidItemHeader { index, reason })?;
        if !headers.get("type").is_some_and(Value::is_string) {
            return Err(EnvelopeError::InvalidItemHeader {
                index,
                reason: "missing string \"type\"".into(),
            });
        }
        let payload_start = (end + 1).min(bytes.len());
        let (payload, next) = match headers.get("length") {
            Some(length) if !length.is_null() => {
                let length = length
                    .as_u64()
                    .ok_or_else(|| EnvelopeError::InvalidItemHeader {
                        index,
                        reason: "\"length\" is not a non-negative integer".into(),
                    })?;
                let available = bytes.len() - payload_start;
                let payload_len = usize::try_from(length)
                    .ok()
                    .filter(|len| *len <= available)
                    .ok_or(EnvelopeError::Truncated {
                        index,
                        length,
                        available,
                    })?;
                let payload_end = payload_start + payload_len;
                match bytes.get(payload_end) {
                    None => (&bytes[payload_start..payload_end], payload_end),
                    Some(b'\n') => (&bytes[payload_start..payload_end], payload_end + 1),
                    Some(_) => return Err(EnvelopeError::MissingNewline { index }),
                }
            }
            _ => {
                let payload_end = line_end(bytes, payload_start);
                (&bytes[payload_start..payload_end], payload_end + 1)
            }
        };
        items.push(Item { headers, payload });
        pos = next;
    }
    Ok(Envelope { headers, items })
}

/// Index of the next `\n` at or after `from`, or the end of the input.
fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
        .map_or(bytes.len(), |at| from + at)
}

fn parse_object(line: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not a JSON object".into()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42\"}\n{\"type\":\"attachment\",\"length\":10,\"content_type\":\"text/plain\",\"filename\":\"hello.txt\"}\n\xef\xbb\xbfHello\r\n\n{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\",\"filename\":\"application.log\"}\n{\"message\":\"hello world\",\"level\":\"error\"}\n";
        let envelope = parse(body).unwrap();
        assert_eq!(
            envelope.event_id(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
        assert!(envelope.dsn().is_some_and(|d| d.contains("@sentry.io/42")));
        assert_eq!(envelope.items.len(), 2);
        assert_eq!(envelope.items[0].item_type(), "attachment");
        assert_eq!(envelope.items[0].payload, b"\xef\xbb\xbfHello\r\n");
        assert_eq!(envelope.items[1].item_type(), "event");
        assert_eq!(
            envelope.items[1].payload,
            b"{\"message\":\"hello world\",\"level\":\"error\"}"
        );
    }

    #[test]
    fn items_without_length_and_without_trailing_newline_parse() {
        let body = b"{}\n{\"type\":\"event\"}\n{\"a\":1}\n{\"type\":\"session\"}\n{\"b\":2}";
        let envelope = parse(body).unwrap();
        let payloads: Vec<&[u8]> = envelope.items.iter().map(|i| i.payload).collect();
        assert_eq!(payloads, vec![&b"{\"a\":1}"[..], &b"{\"b\":2}"[..]]);
        // A last item header with nothing after it has an empty payload.
        let envelope = parse(b"{}\n{\"type\":\"client_report\"}").unwrap();
        assert_eq!(envelope.items[0].payload, b"");
        // Headers only is a valid, empty envelope.
        assert!(parse(b"{\"event_id\":\"x\"}\n").unwrap().items.is_empty());
        assert!(parse(b"{}").unwrap().items.is_empty());
    }

    #[test]
    fn unknown_item_types_are_kept() {
        let envelope = parse(b"{}\n{\"type\":\"future_thing\",\"length\":2}\nhi\n").unwrap();
        assert_eq!(envelope.items[0].item_type(), "future_thing");
        assert_eq!(envelope.items[0].payload, b"hi");
    }

    #[test]
    fn broken_framing_is_rejected() {
        assert_eq!(parse(b""), Err(EnvelopeError::Empty));
        assert!(matches!(
            parse(b"not json\n"),
            Err(EnvelopeError::InvalidEnvelopeHeader(_))
        ));
        assert!(matches!(
            parse(b"{}\n{\"length\":2}\nhi"),
            Err(EnvelopeError::InvalidItemHeader { index: 0, .. })
        ));
        assert!(matches!(
            parse(b"{}\n{\"type\":\"event\",\"length\":50}\n{}"),
            Err(EnvelopeError::Truncated { index: 0, .. })
        ));
        assert_eq!(
            parse(b"{}\n{\"type\":\"event\",\"length\":2}\n{}X"),
            Err(EnvelopeError::MissingNewline { index: 0 })
        );
        assert!(matches!(
            parse(b"{}\n{\"type\":\"event\",\"length\":-1}\n{}"),
            Err(EnvelopeError::InvalidItemHeader { .. })
        ));
    }
}
