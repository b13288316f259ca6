//! `POST /api/{project_id}/envelope/` and `POST /api/{project_id}/store/`: what Sentry SDKs
//! send, answered as Sentry answers.
//!
//! Limits come before work: the compressed body is read with a cap (20 MB), decompressed with
//! a cap (100 MB), and each event item is capped (1 MB) by the parser. Over a cap: 413.
//! The key comes from the `sentry_key` query parameter, the `X-Sentry-Auth` header, or the
//! envelope header's `dsn`; a key of another project is refused. A key over its rate, or a
//! full writer queue, gets 429 with `Retry-After` and `X-Sentry-Rate-Limits`, so SDKs back off
//! instead of losing events. 200 is sent only after the events are committed.

use super::target::IngestTarget;
use super::IngestState;
use crate::{ApiError, AppState, ErrorCode};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sentinel_core::rate::Admission;
use sentinel_ingest::auth::{dsn_public_key, parse_sentry_auth};
use sentinel_ingest::decode::{decode_body, DecodeError};
use sentinel_ingest::limits::{MAX_DECOMPRESSED, MAX_ENVELOPE_COMPRESSED};
use sentinel_ingest::prepare::{prepare_check_in, prepare_event};
use sentinel_ingest::{read_envelope, read_store_payload, IngestBatch, IngestError};
use sentinel_store::writer::{WriteError, WriteRequest};
use serde::Deserialize;
use serde_json::json;

/// Query parameters SDKs may authenticate with.
#[derive(Debug, Default, Deserialize)]
pub struct AuthQuery {
    sentry_key: Option<String>,
}

/// Which endpoint a request came to; they differ only in how the body is read.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Envelope,
    Store,
}

pub async fn envelope(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(query): Query<AuthQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(state, project, query, headers, body, Endpoint::Envelope).await
}

pub async fn store(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(query): Query<AuthQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(state, project, query, headers, body, Endpoint::Store).await
}

async fn ingest(
    state: AppState,
    project: String,
    query: AuthQuery,
    headers: HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Response {
    match accept(&state, project, query, headers, body, endpoint).await {
        Ok(accepted) => {
            state.metrics.ingest_accepted(accepted.events);
            match accepted.response_id {
                Some(id) => Json(json!({ "id": id })).into_response(),
                None => Json(json!({})).into_response(),
            }
        }
        Err(refusal) => {
            state.metrics.ingest_rejected(refusal.error.code.as_str());
            refusal.into_response()
        }
    }
}

/// What an accepted request stored.
struct Accepted {
    /// The id to answer with: the first event's.
    response_id: Option<String>,
    events: u64,
}

/// An ingest refusal: the API error plus Sentry's rate-limit header when it is a 429.
pub struct IngestRefusal {
    pub(super) error: ApiError,
    sentry_rate_limits: Option<String>,
}

impl From<ApiError> for IngestRefusal {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            sentry_rate_limits: None,
        }
    }
}

impl IngestRefusal {
    /// `retry_after:categories:scope:reason_code` — empty categories mean all of them.
    fn rate_limited(retry_after: u64, scope: &str, reason: &str) -> Self {
        Self {
            error: ApiError::rate_limited(retry_after, format!("rate limited ({reason})")),
            sentry_rate_limits: Some(format!("{retry_after}::{scope}:{reason}")),
        }
    }
}

impl IntoResponse for IngestRefusal {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if let Some(value) = self
            .sentry_rate_limits
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            response.headers_mut().insert("x-sentry-rate-limits", value);
        }
        response
    }
}

async fn accept(
    state: &AppState,
    project: String,
    query: AuthQuery,
    headers: HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Result<Accepted, IngestRefusal> {
    let ingest: &IngestState = &state.ingest;
    let project: i64 = project
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid project id {project:?}")))?;
    let request_key = request_key(&query, &headers);

    let raw = axum::body::to_bytes(body, MAX_ENVELOPE_COMPRESSED)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "body larger than 20 MB"))?;
    let encoding = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok());
    let decoded = decode_body(encoding, &raw, MAX_DECOMPRESSED).map_err(decode_refusal)?;

    let received_at = state.clock.now_ms();
    let batch = match endpoint {
        Endpoint::Envelope => read_envelope(&decoded, received_at),
        Endpoint::Store => read_store_payload(&decoded, received_at),
    }
    .map_err(parse_refusal)?;

    let key = authenticating_key(request_key, &batch)?;
    let target = resolve(ingest, &key, project).await?;

    let weight = u32::try_from(batch.events.len().max(1)).unwrap_or(u32::MAX);
    if let Admission::Limited { retry_after_secs } = ingest.targets.admit(&target, weight) {
        return Err(IngestRefusal::rate_limited(
            retry_after_secs,
            "key",
            "key_quota",
        ));
    }

    let response_id = batch.events.first().map(|e| e.event_id.clone());
    let mut request = WriteRequest::default();
    for event in batch.events {
        let row = prepare_event(&target.service, &ingest.scrubber, event, received_at)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        request.events.push(row);
    }
    for check_in in &batch.check_ins {
        request
            .check_ins
            .push(prepare_check_in(&target.service, check_in, received_at));
    }
    let events = request.events.len() as u64;
    ingest.writer.submit(request).await.map_err(write_refusal)?;
    Ok(Accepted {
        response_id,
        events,
    })
}

/// The key from the query string or the auth header (`X-Sentry-Auth`, or `Authorization:
/// Sentry …` as some SDKs send it).
fn request_key(query: &AuthQuery, headers: &HeaderMap) -> Option<String> {
    if let Some(key) = query.sentry_key.as_deref().filter(|k| !k.is_empty()) {
        return Some(key.to_string());
    }
    ["x-sentry-auth", "authorization"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .filter_map(parse_sentry_auth)
        .map(|auth| auth.key)
        .find(|key| !key.is_empty())
}

/// The request's key, checked against the envelope's own `dsn` header when both are given.
fn authenticating_key(
    request_key: Option<String>,
    batch: &IngestBatch,
) -> Result<String, IngestRefusal> {
    let envelope_key = batch
        .dsn
        .as_deref()
        .and_then(dsn_public_key)
        .map(|parts| parts.public_key);
    match (request_key, envelope_key) {
        (Some(request), Some(envelope)) if request != envelope => Err(ApiError::unauthorized(
            "the envelope's dsn does not match the request's key",
        )
        .into()),
        (Some(key), _) | (None, Some(key)) => Ok(key),
        (None, None) => Err(ApiError::unauthorized(
            "missing DSN key: send X-Sentry-Auth, ?sentry_key= or an envelope dsn",
        )
        .into()),
    }
}

async fn resolve(
    ingest: &IngestState,
    key: &str,
    project: i64,
) -> Result<std::sync::Arc<IngestTarget>, IngestRefusal> {
    let target = ingest
        .targets
        .resolve(key)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::unauthorized("unknown DSN key"))?;
    if target.revoked {
        return Err(ApiError::forbidden("this DSN key has been revoked").into());
    }
    if target.service.service_number != project {
        return Err(ApiError::forbidden("this DSN key belongs to another project").into());
    }
    if !target.service.enabled {
        return Err(ApiError::forbidden("this project is disabled").into());
    }
    Ok(target)
}

fn decode_refusal(err: DecodeError) -> IngestRefusal {
    match err {
        DecodeError::TooLarge { .. } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            "decompressed body larger than 100 MB",
        ),
        DecodeError::Unsupported(encoding) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("unsupported content encoding {encoding:?}"),
        ),
        other => ApiError::bad_request(format!("could not decompress body: {other}")),
    }
    .into()
}

fn parse_refusal(err: IngestError) -> IngestRefusal {
    match err {
        IngestError::ItemTooLarge { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge, err.to_string())
        }
        other => ApiError::bad_request(other.to_string()),
    }
    .into()
}

pub(super) fn write_refusal(err: WriteError) -> IngestRefusal {
    match err {
        WriteError::QueueFull => IngestRefusal::rate_limited(1, "organization", "queue_full"),
        WriteError::Stopped => ApiError::unavailable("the server is shutting down").into(),
        WriteError::Unavailable(msg) => {
            ApiError::unavailable(format!("storage unavailable: {msg}")).into()
        }
        WriteError::Failed(msg) => ApiError::internal(format!("storage failed: {msg}")).into(),
    }
}
