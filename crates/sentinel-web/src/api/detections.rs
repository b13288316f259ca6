//! `/api/v1/detections`: anomaly detections (HIGH_ERROR_COUNT, LATENCY_DEGRADATION,
//! SERVICE_STALL, ...) and their resolution by people.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::detection::Resolution;
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::detections::{Detection, ResolveDetectionError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/detections", get(list))
        .route("/api/v1/detections/{id}", get(show))
        .route("/api/v1/detections/{id}/resolve", post(resolve))
}

/// A detection as answered. Fields are in the order the answer has always had
/// (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct DetectionAnswer {
    pub dedup_key: String,
    pub details: Value,
    pub first_seen: Millis,
    pub id: String,
    pub kind: String,
    pub last_seen: Millis,
    pub occurrence_count: i64,
    pub resolution: Option<String>,
    pub resolved_at: Option<Millis>,
    pub resolved_by: Option<String>,
    pub service_id: Option<String>,
    pub severity: String,
    /// `open` or `resolved`.
    pub status: &'static str,
    pub title: String,
}

impl From<&Detection> for DetectionAnswer {
    fn from(d: &Detection) -> Self {
        Self {
            dedup_key: d.dedup_key.clone(),
            details: d.details.clone(),
            first_seen: d.first_seen,
            id: d.id.clone(),
            kind: d.kind.clone(),
            last_seen: d.last_seen,
            occurrence_count: d.occurrence_count,
            resolution: d.resolution.clone(),
            resolved_at: d.resolved_at,
            resolved_by: d.resolved_by.clone(),
            service_id: d.service_id.clone(),
            severity: d.severity.clone(),
            status: if d.resolved_at.is_some() {
                "resolved"
            } else {
                "open"
            },
            title: d.title.clone(),
        }
    }
}

/// `status` (`open`|`resolved`), `kind`, `limit`.
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<DataList<DetectionAnswer>>, ApiError> {
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
    Ok(Json(DataList::new(
        found.iter().map(DetectionAnswer::from).collect(),
    )))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DetectionAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let d = state
        .store
        .get_detection(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such detection"))?;
    Ok(Json(DetectionAnswer::from(&d)))
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
) -> Result<Json<DetectionAnswer>, ApiError> {
    principal.require(Role::Member)?;
    let by = match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(key)) => format!("api_key:{key}"),
        (None, None) => "unknown".to_string(),
    };
    let d = resolve_as(&state, &principal.org_id, &id, &request.resolution, &by).await?;
    Ok(Json(DetectionAnswer::from(&d)))
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
