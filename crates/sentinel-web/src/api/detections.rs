//! `/api/v1/detections`: anomaly detections (HIGH_ERROR_COUNT, LATENCY_DEGRADATION,
//! SERVICE_STALL, ...) and their resolution by people.

use super::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::detection::Resolution;
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::detections::{Detection, ResolveDetectionError};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/detections", get(list))
        .route("/api/v1/detections/{id}", get(show))
        .route("/api/v1/detections/{id}/resolve", post(resolve))
}

pub fn detection_json(d: &Detection) -> Value {
    json!({
        "id": d.id,
        "service_id": d.service_id,
        "kind": d.kind,
        "severity": d.severity,
        "title": d.title,
        "details": d.details,
        "dedup_key": d.dedup_key,
        "occurrence_count": d.occurrence_count,
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
        "status": if d.resolved_at.is_some() { "resolved" } else { "open" },
        "resolved_at": d.resolved_at,
        "resolved_by": d.resolved_by,
        "resolution": d.resolution,
    })
}

/// `status` (`open`|`resolved`), `kind`, `limit`.
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let (mut open, mut kind, mut limit) = (None, None, 100_u32);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "status" => {
                open = Some(match value.as_ref() {
                    "open" => true,
                    "resolved" => false,
                    _ => return Err(ApiError::bad_request("status must be open or resolved")),
                })
            }
            "kind" => kind = Some(value.into_owned()),
            "limit" => {
                limit = value
                    .parse()
                    .map_err(|_| ApiError::bad_request("limit must be a number"))?
            }
            other => return Err(ApiError::bad_request(format!("unknown parameter {other}"))),
        }
    }
    let found = state
        .store
        .list_detections(&principal.org_id, open, kind.as_deref(), limit)
        .await?;
    Ok(Json(
        json!({"data": found.iter().map(detection_json).collect::<Vec<_>>()}),
    ))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let d = state
        .store
        .get_detection(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such detection"))?;
    Ok(Json(detection_json(&d)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    resolution: String,
}

/// Resolves with `acknowledged`, `dismissed`, `escalated` or `fixed` (members and up).
async fn resolve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ResolveRequest>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Member)?;
    let by = match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(key)) => format!("api_key:{key}"),
        (None, None) => "unknown".to_string(),
    };
    let d = resolve_as(&state, &principal.org_id, &id, &request.resolution, &by).await?;
    Ok(Json(detection_json(&d)))
}

/// Resolves detection `id` of `org` with a person's `resolution` (`auto_resolved` is the
/// detections job's alone), recording `by`: the API and the dashboard both resolve here.
pub(crate) async fn resolve_as(
    state: &AppState,
    org: &OrgId,
    id: &str,
    resolution: &str,
    by: &str,
) -> Result<Detection, ApiError> {
    let resolution = Resolution::parse(resolution)
        .filter(|r| *r != Resolution::AutoResolved)
        .ok_or_else(|| {
            ApiError::bad_request("resolution must be acknowledged, dismissed, escalated or fixed")
        })?;
    match state
        .store
        .resolve_detection(org, id, resolution, by, state.clock.now_ms())
        .await
    {
        Ok(d) => Ok(d),
        Err(ResolveDetectionError::NotFound) => Err(ApiError::not_found("no such detection")),
        Err(ResolveDetectionError::AlreadyResolved) => {
            Err(ApiError::conflict("the detection is already resolved"))
        }
        Err(ResolveDetectionError::Store(err)) => Err(err.into()),
    }
}
