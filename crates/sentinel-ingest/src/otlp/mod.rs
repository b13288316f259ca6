//! OTLP/HTTP: OpenTelemetry's trace and log exports (`POST /v1/traces`, `POST /v1/logs`),
//! in protobuf or in OTLP's JSON mapping (hex trace and span ids, int64 as strings,
//! lowerCamelCase names), read into core events.
//!
//! [`OtlpEncoding::from_content_type`] picks the encoding, [`read_traces`] and [`read_logs`]
//! decode a (decompressed) body and turn what failed into error events and local-root spans
//! into transactions ([`spans`] and [`logs`] say which), grouped by the resource's
//! `service.name`. [`response`] writes the answers the exporters expect.

mod attributes;
mod exception;
mod logs;
mod resource;
pub mod response;
mod spans;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use sentinel_core::clock::Millis;
use sentinel_core::event::Event;
use sha2::{Digest, Sha256};

pub use resource::ResourceInfo;

/// Largest OTLP body accepted as sent (compressed or not), as the Collector's default.
pub const MAX_OTLP_BODY: usize = 20 * 1024 * 1024;
/// Largest OTLP body after decompression.
pub const MAX_OTLP_DECOMPRESSED: usize = 64 * 1024 * 1024;

/// How an export is encoded; answers use the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpEncoding {
    Protobuf,
    Json,
}

impl OtlpEncoding {
    /// `application/x-protobuf` or `application/json` (parameters such as `charset` are
    /// ignored); `None` for any other media type.
    pub fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        let media = content_type?.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Self::Protobuf),
            "application/json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// Why an export body was refused (400).
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("undecodable protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("undecodable OTLP JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// What one resource's spans or logs turned into.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceItems {
    /// The resource's `service.name`, if it named one.
    pub service_name: Option<String>,
    /// Error events and transactions, in the order they were read.
    pub events: Vec<Event>,
    /// Spans or log records read, events or not (rejected ones included).
    pub read: u64,
}

/// What one export turned into.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OtlpBatch {
    pub services: Vec<ServiceItems>,
    /// Spans or log records refused while reading, with the first reason.
    pub rejected: Rejections,
}

impl OtlpBatch {
    /// Spans or log records in the export.
    pub fn read(&self) -> u64 {
        self.services.iter().map(|s| s.read).sum()
    }
}

/// Items refused, and why the first of them was.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rejections {
    pub count: u64,
    pub reason: Option<String>,
}

impl Rejections {
    pub fn add(&mut self, reason: &str) {
        self.add_many(1, reason);
    }

    pub fn add_many(&mut self, count: u64, reason: &str) {
        if count == 0 {
            return;
        }
        self.count += count;
        if self.reason.is_none() {
            self.reason = Some(reason.to_string());
        }
    }
}

/// Decodes a trace export and reads its spans.
pub fn read_traces(
    body: &[u8],
    encoding: OtlpEncoding,
    received_ms: Millis,
) -> Result<OtlpBatch, OtlpError> {
    let request: ExportTraceServiceRequest = match encoding {
        OtlpEncoding::Protobuf => ExportTraceServiceRequest::decode(body)?,
        OtlpEncoding::Json => serde_json::from_slice(body)?,
    };
    let mut batch = OtlpBatch::default();
    for resource_spans in &request.resource_spans {
        let items = spans::read_resource_spans(resource_spans, received_ms, &mut batch.rejected);
        batch.services.push(items);
    }
    Ok(batch)
}

/// Decodes a log export and reads its records.
pub fn read_logs(
    body: &[u8],
    encoding: OtlpEncoding,
    received_ms: Millis,
) -> Result<OtlpBatch, OtlpError> {
    let request: ExportLogsServiceRequest = match encoding {
        OtlpEncoding::Protobuf => ExportLogsServiceRequest::decode(body)?,
        OtlpEncoding::Json => serde_json::from_slice(body)?,
    };
    let mut batch = OtlpBatch::default();
    for resource_logs in &request.resource_logs {
        let items = logs::read_resource_logs(resource_logs, received_ms, &mut batch.rejected);
        batch.services.push(items);
    }
    Ok(batch)
}

/// A stable event id for an item: the same span or record sent again (an exporter retrying
/// after a timeout) gets the same id, which the store keeps once.
fn item_event_id(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// Unix nanoseconds as milliseconds; `None` for 0 (unset).
fn nanos_to_ms(nanos: u64) -> Option<Millis> {
    (nanos > 0).then(|| i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
