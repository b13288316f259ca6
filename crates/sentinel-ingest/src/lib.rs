//! Wire formats at Sentinel's edge: Sentry envelopes and store payloads, check-ins and
//! Sentinel's native event API, read into core values; OpenTelemetry's OTLP/HTTP exports in
//! [`otlp`]; GitHub webhooks in [`github`].
//!
//! Request handlers call, in order: [`auth`] to find the key, [`decode::decode_body`] within
//! [`limits`], then [`read_envelope`], [`read_store_payload`] or
//! [`native::parse_native_event`], and [`prepare`] turns each event into the row the writer
//! stores. Nothing past this crate sees raw JSON.

pub mod auth;
pub mod checkin;
pub mod decode;
pub mod envelope;
pub mod event_payload;
pub mod frames;
pub mod github;
pub mod interfaces;
pub mod lenient;
pub mod limits;
pub mod logfile;
pub mod native;
pub mod otlp;
pub mod prepare;
pub mod stacktrace;
pub mod values;

use base64::Engine;
use sentinel_core::checkin::CheckIn;
use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, EventKind};
use std::collections::BTreeMap;
use std::io::Read;

/// Why a request body was refused. Handlers answer 400 for `Malformed` and 413 for
/// `ItemTooLarge`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IngestError {
    #[error("malformed payload: {0}")]
    Malformed(String),
    #[error("{item_type} item of {size} bytes exceeds the limit of {limit} bytes")]
    ItemTooLarge {
        item_type: String,
        size: usize,
        limit: usize,
    },
}

/// What one request carried.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IngestBatch {
    /// The envelope's `dsn` header, for authentication when the request has no key.
    pub dsn: Option<String>,
    /// Error events and transactions, in envelope order.
    pub events: Vec<Event>,
    pub check_ins: Vec<CheckIn>,
    /// Items accepted but not processed, counted by item type (sessions, client reports,
    /// attachments, unknown types, …).
    pub skipped: BTreeMap<String, u32>,
}

/// Reads a (decompressed) envelope. The envelope header's `event_id` wins over the
/// payload's; events without any valid id get a new one.
pub fn read_envelope(bytes: &[u8], received_ms: Millis) -> Result<IngestBatch, IngestError> {
    let envelope = envelope::parse(bytes).map_err(|e| IngestError::Malformed(e.to_string()))?;
    let header_event_id = envelope.event_id().and_then(values::hex_id);
    let mut batch = IngestBatch {
        dsn: envelope.dsn().map(str::to_string),
        ..IngestBatch::default()
    };
    for item in &envelope.items {
        let item_type = item.item_type();
        match item_type {
            "event" | "transaction" => {
                check_size(item_type, item.payload.len(), limits::MAX_EVENT_ITEM)?;
                let kind = if item_type == "transaction" {
                    EventKind::Transaction
                } else {
                    EventKind::Error
                };
                let mut event =
                    event_payload::parse_event(item.payload, received_ms, Some(kind))
                        .map_err(|e| IngestError::Malformed(format!("{item_type} item: {e}")))?;
                if let Some(id) = &header_event_id {
                    event.event_id = id.clone();
                }
                if event.event_id.is_empty() {
                    event.event_id = new_event_id();
                }
                batch.events.push(event);
            }
            "check_in" => {
                check_size(item_type, item.payload.len(), limits::MAX_CHECK_IN_ITEM)?;
                let check_in = checkin::parse_check_in(item.payload, &new_event_id())
                    .map_err(|e| IngestError::Malformed(e.to_string()))?;
                batch.check_ins.push(check_in);
            }
            other => {
                let name = if other.is_empty() { "unknown" } else { other };
                *batch.skipped.entry(name.to_string()).or_insert(0) += 1;
            }
        }
    }
    Ok(batch)
}

/// Reads a legacy `/store/` body: one event (or transaction) as JSON. Very old SDKs sent
/// it base64-encoded and zlib-compressed; that is accepted too.
pub fn read_store_payload(bytes: &[u8], received_ms: Millis) -> Result<IngestBatch, IngestError> {
    let decoded;
    let json = if looks_like_json(bytes) {
        bytes
    } else {
        decoded = legacy_store_body(bytes)
            .ok_or_else(|| IngestError::Malformed("store body is not JSON".into()))?;
        &decoded
    };
    check_size("event", json.len(), limits::MAX_EVENT_ITEM)?;
    let mut event = event_payload::parse_event(json, received_ms, None)
        .map_err(|e| IngestError::Malformed(e.to_string()))?;
    if event.event_id.is_empty() {
        event.event_id = new_event_id();
    }
    Ok(IngestBatch {
        events: vec![event],
        ..IngestBatch::default()
    })
}

fn looks_like_json(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

/// Base64 of a zlib stream, bounded like any event.
fn legacy_store_body(bytes: &[u8]) -> Option<Vec<u8>> {
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .ok()?;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(limits::MAX_EVENT_ITEM as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

fn check_size(item_type: &str, size: usize, limit: usize) -> Result<(), IngestError> {
    if size > limit {
        return Err(IngestError::ItemTooLarge {
            item_type: item_type.to_string(),
            size,
            limit,
        });
    }
    Ok(())
}

/// A fresh event id: 32 lowercase hex characters.
pub fn new_event_id() -> String {
    format!("{:032x}", ulid::Ulid::new().0)
}
