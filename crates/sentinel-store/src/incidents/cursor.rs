//! The incident lists' cursors: events newest first, incidents by a sort column. The codec
//! is the store's shared one (`crate::cursor`).

pub use crate::cursor::InvalidCursor;
use crate::cursor::{decode as decode_parts, encode as encode_parts};

/// Checks a cursor for [`Store::list_incident_events`](crate::Store::list_incident_events)
/// before use, so callers can refuse a bad one as the client's mistake.
pub fn check_event_cursor(text: &str) -> Result<(), InvalidCursor> {
    EventCursor::decode(text).map(|_| ())
}

/// Position after an event in newest-first order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EventCursor {
    pub(super) received_at: i64,
    pub(super) id: String,
}

impl EventCursor {
    pub(super) fn encode(&self) -> String {
        encode_parts("e", self.received_at, &self.id)
    }

    pub(super) fn decode(text: &str) -> Result<Self, InvalidCursor> {
        let (received_at, id) = decode_parts("e", text)?;
        Ok(Self { received_at, id })
    }
}

/// Position after an incident in a list sorted by `sort_tag`'s column, descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IncidentCursor {
    pub(super) value: i64,
    pub(super) id: String,
}

impl IncidentCursor {
    pub(super) fn encode(&self, sort_tag: &str) -> String {
        encode_parts(sort_tag, self.value, &self.id)
    }

    pub(super) fn decode(sort_tag: &str, text: &str) -> Result<Self, InvalidCursor> {
        let (value, id) = decode_parts(sort_tag, text)?;
        Ok(Self { value, id })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = EventCursor {
            received_at: -5,
            id: "01ABC".to_string(),
        };
        assert_eq!(EventCursor::decode(&cursor.encode()).unwrap(), cursor);
        let cursor = IncidentCursor {
            value: 1_700_000_000_000,
            id: "01XYZ".to_string(),
        };
        assert_eq!(
            IncidentCursor::decode("l", &cursor.encode("l")).unwrap(),
            cursor
        );
    }

    #[test]
    fn foreign_or_mangled_cursors_are_refused() {
        let cursor = IncidentCursor {
            value: 3,
            id: "01XYZ".to_string(),
        }
        .encode("c");
        assert_eq!(IncidentCursor::decode("l", &cursor), Err(InvalidCursor));
        assert_eq!(EventCursor::decode("zz"), Err(InvalidCursor));
        assert_eq!(
            EventCursor::decode(&hex::encode("e|x|id")),
            Err(InvalidCursor)
        );
        assert_eq!(
            EventCursor::decode(&hex::encode("e|1|")),
            Err(InvalidCursor)
        );
        assert_eq!(EventCursor::decode(""), Err(InvalidCursor));
    }
}
