//! `POST /v1/traces` and `POST /v1/logs`: OTLP/HTTP exports from OpenTelemetry SDKs and the
//! Collector's `otlphttp` exporter, answered as the OTLP specification says.
//!
//! The key is the service's DSN public key, in any of the headers an exporter can be given:
//! `x-sentry-auth: Sentry sentry_key=<key>`, `authorization: Bearer <key>` or
//! `sentinel-key: <key>`. The key is checked, and its rate limit taken, before the body is
//! read, decompressed or decoded. Each resource's `service.name` picks the service of the
//! key's organization with that name; a name the organization does not have (or none) stays
//! with the key's own service, tagged with the name it sent. Events go through the same
//! scrub → fingerprint → classify and the same writer as Sentry's, so an exception groups
//! the same whichever way it came.
//!
//! Answers, in the request's own encoding (protobuf unless it was JSON): 200 with an
//! `Export…ServiceResponse` (`partial_success` counts what was refused: malformed ids,
//! disabled services), 400 undecodable, 401 no or unknown key, 403 revoked key or disabled
//! service, 413 over the size limits, 415 another media type, 429 and 503 with
//! `Retry-After`, which exporters retry.

use super::target::{IngestTarget, ServiceTarget};
use crate::{ApiError, AppState, ErrorCode};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sentinel_core::event::EventKind;
use sentinel_core::rate::Admission;
use sentinel_ingest::auth::parse_sentry_auth;
use sentinel_ingest::decode::{decode_body, DecodeError};
use sentinel_ingest::otlp::response::{self, code, Signal};
use sentinel_ingest::otlp::{
    read_logs, read_traces, OtlpBatch, OtlpEncoding, Rejections, MAX_OTLP_BODY,
    MAX_OTLP_DECOMPRESSED,
};
use sentinel_ingest::prepare::{prepare_event_as, EventIdentity};
use sentinel_store::writer::{WriteError, WriteRequest};
use std::sync::Arc;

pub async fn traces(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    export(&state, &headers, body, Signal::Traces).await
}

pub async fn logs(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    export(&state, &headers, body, Signal::Logs).await
}

async fn export(state: &AppState, headers: &HeaderMap, body: Body, signal: Signal) -> Response {
    let encoding = OtlpEncoding::from_content_type(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let answer_encoding = encoding.unwrap_or(OtlpEncoding::Protobuf);
    match accept(state, headers, body, signal, encoding).await {
        Ok(accepted) => {
            state.metrics.ingest_accepted(accepted.events);
            let body = response::success(
                signal,
                answer_encoding,
                accepted.rejected.count,
                accepted.rejected.reason.as_deref(),
            );
            encoded(StatusCode::OK, answer_encoding, body)
        }
        Err(refusal) => {
            state.metrics.ingest_rejected(refusal.error.code.as_str());
            refusal.into_response(answer_encoding)
        }
    }
}

fn encoded(status: StatusCode, encoding: OtlpEncoding, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response()
}

/// What an accepted export stored and refused.
struct Accepted {
    events: u64,
    rejected: Rejections,
}

/// A refused export: the API error, answered as a `google.rpc.Status`.
struct OtlpRefusal {
    error: ApiError,
}

impl From<ApiError> for OtlpRefusal {
    fn from(error: ApiError) -> Self {
        Self { error }
    }
}

impl OtlpRefusal {
    fn into_response(self, encoding: OtlpEncoding) -> Response {
        let error = self.error;
        let grpc = match error.code {
            ErrorCode::Unauthorized => code::UNAUTHENTICATED,
            ErrorCode::Forbidden => code::PERMISSION_DENIED,
            ErrorCode::PayloadTooLarge => code::RESOURCE_EXHAUSTED,
            ErrorCode::RateLimited | ErrorCode::Unavailable => code::UNAVAILABLE,
            ErrorCode::Internal => code::INTERNAL,
            _ => code::INVALID_ARGUMENT,
        };
        if matches!(error.code, ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::warn!(
                code = error.code.as_str(),
                cause = error.log_text(),
                "OTLP export not stored"
            );
        }
        let body = response::status(encoding, grpc, &error.message);
        let mut answer = encoded(error.code.status(), encoding, body);
        if let Some(value) = error
            .retry_after
            .and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
        {
            answer.headers_mut().insert(header::RETRY_AFTER, value);
        }
        answer
    }
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    signal: Signal,
    encoding: Option<OtlpEncoding>,
) -> Result<Accepted, OtlpRefusal> {
    let ingest = &state.ingest;
    let key = request_key(headers).ok_or_else(|| {
        ApiError::unauthorized(
            "missing key: send authorization: Bearer <DSN public key>, sentinel-key or x-sentry-auth",
        )
    })?;
    let target = ingest
        .targets
        .resolve(&key)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::unauthorized("unknown key"))?;
    if target.revoked {
        return Err(ApiError::forbidden("this key has been revoked").into());
    }
    if !target.service.enabled {
        return Err(ApiError::forbidden("this key's service is disabled").into());
    }
    let encoding = encoding.ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send application/x-protobuf or application/json",
        )
    })?;
    admit(ingest, &target, 1)?;

    let raw = axum::body::to_bytes(body, MAX_OTLP_BODY)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "body larger than 20 MB"))?;
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    // An uncompressed body is read where it is, not copied.
    let is_identity = content_encoding.is_none_or(|e| e.trim().eq_ignore_ascii_case("identity"));
    let decoded = if is_identity {
        raw
    } else {
        let decoded =
            decode_body(content_encoding, &raw, MAX_OTLP_DECOMPRESSED).map_err(decode_refusal)?;
        drop(raw);
        bytes::Bytes::from(decoded)
    };
    let received_at = state.clock.now_ms();
    let batch = match signal {
        Signal::Traces => read_traces(&decoded, encoding, received_at),
        Signal::Logs => read_logs(&decoded, encoding, received_at),
    }
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    drop(decoded);
    let label = match signal {
        Signal::Traces => "spans",
        Signal::Logs => "log_records",
    };
    state.metrics.otlp_items(label, batch.read());

    let (request, rejected) = rows(state, &target, batch, received_at).await?;
    let events = request.events.len() as u64;
    if events > 1 {
        admit(
            ingest,
            &target,
            u32::try_from(events - 1).unwrap_or(u32::MAX),
        )?;
    }
    ingest.writer.submit(request).await.map_err(write_refusal)?;
    Ok(Accepted { events, rejected })
}

/// Takes `n` events from the key's rate limit.
fn admit(ingest: &super::IngestState, target: &IngestTarget, n: u32) -> Result<(), OtlpRefusal> {
    match ingest.targets.admit(target, n) {
        Admission::Admitted => Ok(()),
        Admission::Limited { retry_after_secs } => {
            Err(ApiError::rate_limited(retry_after_secs, "rate limited (key_quota)").into())
        }
    }
}

/// The rows of an export's events, each for the service its resource named.
async fn rows(
    state: &AppState,
    target: &IngestTarget,
    batch: OtlpBatch,
    received_at: i64,
) -> Result<(WriteRequest, Rejections), OtlpRefusal> {
    let ingest = &state.ingest;
    let mut rejected = batch.rejected;
    let mut request = WriteRequest::default();
    let own = Arc::new(target.service.clone());
    for items in batch.services {
        let service = match items.service_name.as_deref() {
            Some(name) if name != own.service_name => ingest
                .targets
                .resolve_service(&target.service.org_id, name)
                .await
                .map_err(ApiError::from)?
                .unwrap_or_else(|| own.clone()),
            _ => own.clone(),
        };
        if !service.enabled {
            rejected.add_many(
                items.read,
                &format!("service {:?} is disabled", service.service_name),
            );
            continue;
        }
        for mut event in items.events {
            let identity = match event.kind {
                EventKind::Error => EventIdentity::PerTraceAndIncident,
                EventKind::Transaction => EventIdentity::AsSent,
            };
            if let Some(name) = items.service_name.as_deref() {
                if event.kind == EventKind::Error && name != service.service_name {
                    event.tags.push(("service.name".into(), name.to_string()));
                }
            }
            let row = prepare_row(&service, state, event, received_at, identity)?;
            request.events.push(row);
        }
    }
    Ok((request, rejected))
}

fn prepare_row(
    service: &ServiceTarget,
    state: &AppState,
    event: sentinel_core::event::Event,
    received_at: i64,
    identity: EventIdentity,
) -> Result<sentinel_store::incidents::NewEvent, OtlpRefusal> {
    prepare_event_as(
        service,
        &state.ingest.scrubber,
        event,
        received_at,
        identity,
    )
    .map_err(|e| ApiError::internal(e.to_string()).into())
}

/// The key from `authorization: Bearer …`, `sentinel-key`, or a Sentry-style
/// `x-sentry-auth` / `authorization: Sentry …` header.
fn request_key(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(key) = text("sentinel-key") {
        return Some(key.to_string());
    }
    if let Some(authorization) = text("authorization") {
        let bearer = authorization
            .get(..7)
            .filter(|prefix| prefix.eq_ignore_ascii_case("bearer "))
            .map(|_| authorization[7..].trim())
            .filter(|key| !key.is_empty());
        if let Some(key) = bearer {
            return Some(key.to_string());
        }
    }
    ["x-sentry-auth", "authorization"]
        .into_iter()
        .filter_map(text)
        .filter_map(parse_sentry_auth)
        .map(|auth| auth.key)
        .next()
}

fn decode_refusal(err: DecodeError) -> OtlpRefusal {
    match err {
        DecodeError::TooLarge { .. } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            "decompressed body larger than 64 MB",
        ),
        DecodeError::Unsupported(encoding) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("unsupported content encoding {encoding:?}"),
        ),
        other => ApiError::bad_request(format!("could not decompress body: {other}")),
    }
    .into()
}

fn write_refusal(err: WriteError) -> OtlpRefusal {
    match err {
        WriteError::QueueFull => ApiError::rate_limited(1, "the ingest queue is full"),
        WriteError::Stopped => ApiError::unavailable("the server is shutting down"),
        WriteError::Unavailable(msg) => {
            ApiError::unavailable(format!("storage unavailable: {msg}"))
        }
        WriteError::Failed(msg) => ApiError::internal(format!("storage failed: {msg}")),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                *name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        map
    }

    #[test]
    fn keys_come_from_any_documented_header() {
        let key = "0123456789abcdef0123456789abcdef";
        for pairs in [
            vec![("authorization", format!("Bearer {key}"))],
            vec![("authorization", format!("bearer  {key} "))],
            vec![("sentinel-key", key.to_string())],
            vec![(
                "x-sentry-auth",
                format!("Sentry sentry_key={key}, sentry_version=7"),
            )],
            vec![("authorization", format!("Sentry sentry_key={key}"))],
        ] {
            let pairs: Vec<(&'static str, &str)> =
                pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(
                request_key(&headers(&pairs)).as_deref(),
                Some(key),
                "{pairs:?}"
            );
        }
        assert_eq!(request_key(&headers(&[("authorization", "Bearer ")])), None);
        assert_eq!(request_key(&HeaderMap::new()), None);
    }
}
