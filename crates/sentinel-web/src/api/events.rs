//! `GET /api/v1/events/{id}`: one stored event, by its row id or the SDK's event id, with the
//! whole normalised event (exception chain, frames with their context lines, breadcrumbs,
//! request, user, contexts).
//!
//! Also the JSON shapes of events that the incidents API shares.

use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::classify;
use sentinel_core::event::{Event, EventKind};
use sentinel_core::role::Role;
use sentinel_store::incidents::StoredEvent;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/events/{id}", get(show))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let stored = state.store.get_event(&principal.org_id, &id).await?;
    Ok(Json(event_detail_json(&stored)?))
}

/// The columns every event answer carries.
fn event_columns(stored: &StoredEvent) -> Value {
    json!({
        "id": stored.id,
        "event_id": stored.event_id,
        "service_id": stored.service_id,
        "incident_id": stored.incident_id,
        "kind": match stored.kind {
            EventKind::Error => "error",
            EventKind::Transaction => "transaction",
        },
        "received_at": stored.received_at,
        "timestamp": stored.timestamp,
        "level": stored.level.as_str(),
        "trace_id": stored.trace_id,
        "release": stored.release,
        "environment": stored.environment,
        "transaction": stored.transaction_name,
        "duration_ms": stored.duration_ms,
        "tags": stored
            .tags
            .iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect::<Vec<_>>(),
    })
}

fn decode(stored: &StoredEvent) -> Result<Event, ApiError> {
    stored.event().map_err(|err| {
        ApiError::internal(format!("stored event {} does not decode: {err}", stored.id))
    })
}

/// An event in a list: its columns and the title it would be shown under.
pub(crate) fn event_summary_json(stored: &StoredEvent) -> Result<Value, ApiError> {
    let event = decode(stored)?;
    let mut body = event_columns(stored);
    body["title"] = Value::String(classify::title(&event));
    Ok(body)
}

/// An event with the whole normalised payload under `event`. Frames are oldest call first,
/// as SDKs send them; each keeps `context_line`, `pre_context` and `post_context`.
pub(crate) fn event_detail_json(stored: &StoredEvent) -> Result<Value, ApiError> {
    let event = decode(stored)?;
    let mut body = event_columns(stored);
    body["title"] = Value::String(classify::title(&event));
    body["culprit"] = Value::String(classify::culprit(&event));
    body["event"] = serde_json::to_value(&event)
        .map_err(|err| ApiError::internal(format!("event does not serialize: {err}")))?;
    Ok(body)
}
