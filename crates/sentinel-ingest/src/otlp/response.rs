//! The answers OTLP exporters expect, in the request's own encoding: an
//! `Export…ServiceResponse` (with `partial_success` when items were refused) for 200, and a
//! `google.rpc.Status` for every error.

use super::OtlpEncoding;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;

/// Which export an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
}

/// `google.rpc.Status`, without details: what OTLP/HTTP sends with an error.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// gRPC status codes used in error bodies.
pub mod code {
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The body of a 200: full success, or the refused count and why.
pub fn success(
    signal: Signal,
    encoding: OtlpEncoding,
    rejected: u64,
    error_message: Option<&str>,
) -> Vec<u8> {
    let rejected_count = i64::try_from(rejected).unwrap_or(i64::MAX);
    let error_message = error_message.unwrap_or_default().to_string();
    if encoding == OtlpEncoding::Json && rejected == 0 && error_message.is_empty() {
        // serde would write `"partialSuccess": null`; a full success is the empty message.
        return b"{}".to_vec();
    }
    match signal {
        Signal::Traces => {
            let response = ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: rejected_count,
                    error_message,
                })
                .filter(|p| p.rejected_spans > 0 || !p.error_message.is_empty()),
            };
            encode(encoding, &response)
        }
        Signal::Logs => {
            let response = ExportLogsServiceResponse {
                partial_success: Some(ExportLogsPartialSuccess {
                    rejected_log_records: rejected_count,
                    error_message,
                })
                .filter(|p| p.rejected_log_records > 0 || !p.error_message.is_empty()),
            };
            encode(encoding, &response)
        }
    }
}

/// The body of an error answer.
pub fn status(encoding: OtlpEncoding, code: i32, message: &str) -> Vec<u8> {
    encode(
        encoding,
        &Status {
            code,
            message: message.to_string(),
        },
    )
}

fn encode<T: Message + serde::Serialize>(encoding: OtlpEncoding, message: &T) -> Vec<u8> {
    match encoding {
        OtlpEncoding::Protobuf => message.encode_to_vec(),
        // Serialising these plain structs cannot fail; an empty object is still valid OTLP.
        OtlpEncoding::Json => serde_json::to_vec(message).unwrap_or_else(|_| b"{}".to_vec()),
    }
}
