//! `POST /api/v1/events`: Sentinel's own JSON event format, for services without a Sentry
//! SDK. Authenticated with an API key (member role or above); the body names the service.
//! The body format is documented in `sentinel_ingest::native`.

use super::sentry::{write_refusal, IngestRefusal};
use super::target::ServiceTarget;
use crate::auth::Principal;
use crate::{ApiError, AppState, ErrorCode};
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sentinel_core::role::Role;
use sentinel_ingest::decode::decode_body;
use sentinel_ingest::limits::MAX_EVENT_ITEM;
use sentinel_ingest::native::parse_native_event;
use sentinel_ingest::prepare::prepare_event;
use serde_json::json;

pub async fn create_event(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&state, &principal, &headers, body).await {
        Ok(id) => {
            state.metrics.ingest_accepted(1);
            Json(json!({ "id": id })).into_response()
        }
        Err(refusal) => {
            state.metrics.ingest_rejected(refusal.error.code.as_str());
            refusal.into_response()
        }
    }
}

async fn accept(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: Body,
) -> Result<String, IngestRefusal> {
    principal.require(Role::Member)?;
    let raw = axum::body::to_bytes(body, MAX_EVENT_ITEM)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "event larger than 1 MB"))?;
    let encoding = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok());
    let decoded = decode_body(encoding, &raw, MAX_EVENT_ITEM)
        .map_err(|e| ApiError::bad_request(format!("could not decode body: {e}")))?;
    let received_at = state.clock.now_ms();
    let native = parse_native_event(&decoded, received_at)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let service = state
        .store
        .find_service_by_name(&principal.org_id, &native.service)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found(format!("no service named {:?}", native.service)))?;
    let target = ServiceTarget::from(service);
    if !target.enabled {
        return Err(ApiError::forbidden("this service is disabled").into());
    }
    let event_id = native.event.event_id.clone();
    let row = prepare_event(&target, &state.ingest.scrubber, native.event, received_at)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let request = sentinel_store::writer::WriteRequest {
        events: vec![row],
        check_ins: Vec::new(),
    };
    state
        .ingest
        .writer
        .submit(request)
        .await
        .map_err(write_refusal)?;
    Ok(event_id)
}
