//! How incident and event values are written into columns and read back: the payload's
//! decompression (payloads are compressed at the edge, [`CompressedPayload`]) and the text
//! forms of enums.

use crate::StoreError;
use sentinel_core::event::{EventKind, Level};
use sentinel_core::incident::{ErrorClass, IncidentStatus};

pub use sentinel_core::ingest::CompressedPayload;

/// Decompresses a stored payload.
pub(super) fn decompress(stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    zstd::stream::decode_all(stored)
        .map_err(|err| StoreError::Corrupt(format!("event payload does not decompress: {err}")))
}

pub(super) fn kind_str(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Error => "error",
        EventKind::Transaction => "transaction",
    }
}

pub(super) fn parse_kind(text: &str) -> Result<EventKind, StoreError> {
    match text {
        "error" => Ok(EventKind::Error),
        "transaction" => Ok(EventKind::Transaction),
        other => Err(StoreError::Corrupt(format!("unknown event kind {other:?}"))),
    }
}

pub(super) fn parse_level(text: &str) -> Level {
    Level::parse_lenient(text)
}

pub(super) fn parse_status(text: &str) -> Result<IncidentStatus, StoreError> {
    text.parse()
        .map_err(|err: sentinel_core::incident::UnknownStatus| StoreError::Corrupt(err.to_string()))
}

pub(super) fn parse_class(text: &str) -> Result<ErrorClass, StoreError> {
    text.parse()
        .map_err(|err: sentinel_core::incident::UnknownErrorClass| {
            StoreError::Corrupt(err.to_string())
        })
}

/// Event tags are stored as a JSON list of pairs.
pub(super) fn tags_json(tags: &[(String, String)]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_string())
}

pub(super) fn parse_tags(text: &str) -> Result<Vec<(String, String)>, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("event tags: {err}")))
}

/// The start of the hour `ms` falls in.
pub(super) fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(3_600_000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_shrink() {
        let json =
            br#"{"event_id":"abc","message":"the same words the same words the same words"}"#
                .repeat(20);
        let stored = CompressedPayload::compress(&json).unwrap();
        assert!(
            stored.as_bytes().len() < json.len() / 4,
            "{} vs {}",
            stored.as_bytes().len(),
            json.len()
        );
        assert_eq!(decompress(stored.as_bytes()).unwrap(), json);
        // The thread's reused context gives the same bytes again.
        assert_eq!(CompressedPayload::compress(&json).unwrap(), stored);
        assert!(decompress(b"not zstd").is_err());
    }

    #[test]
    fn hours_start_on_the_hour() {
        assert_eq!(hour_of(3_600_000 * 5 + 1234), 3_600_000 * 5);
        assert_eq!(hour_of(3_600_000 * 5), 3_600_000 * 5);
        assert_eq!(hour_of(-1), -3_600_000);
    }

    #[test]
    fn tags_round_trip() {
        let tags = vec![("browser".to_string(), "Firefox \"1\"".to_string())];
        assert_eq!(parse_tags(&tags_json(&tags)).unwrap(), tags);
    }
}
