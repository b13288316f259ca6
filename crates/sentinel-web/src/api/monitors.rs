//! `/api/v1/monitors`: cron monitors (schedule, check-in margin, max runtime, time zone).
//! SDK check-ins that carry a `monitor_config` create and update them too.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use sentinel_core::checkin::MonitorConfig;
use sentinel_core::clock::Millis;
use sentinel_core::detection::monitor;
use sentinel_core::id::ServiceId;
use sentinel_core::role::Role;
use sentinel_store::monitors::Monitor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/monitors", get(list).put(upsert))
        .route("/api/v1/monitors/{id}", delete(remove))
}

/// A monitor as answered. Fields are in the order the answer has always had (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct MonitorAnswer {
    /// The [`MonitorConfig`] as a JSON object: its keys have always been answered sorted,
    /// which the struct's field order is not.
    pub config: Value,
    pub created_at: Millis,
    pub id: String,
    pub service_id: ServiceId,
    pub slug: String,
    pub updated_at: Millis,
}

impl From<&Monitor> for MonitorAnswer {
    fn from(m: &Monitor) -> Self {
        Self {
            // A struct of strings and numbers always converts.
            config: serde_json::to_value(&m.config).unwrap_or(Value::Null),
            created_at: m.created_at,
            id: m.id.clone(),
            service_id: m.service_id.clone(),
            slug: m.slug.clone(),
            updated_at: m.updated_at,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<DataList<MonitorAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let monitors = state.store.list_monitors(&principal.org_id).await?;
    Ok(Json(DataList::new(
        monitors.iter().map(MonitorAnswer::from).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpsertMonitor {
    service_id: String,
    slug: String,
    config: MonitorConfig,
}

/// Creates or replaces the monitor `slug` of a service (admins).
async fn upsert(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<UpsertMonitor>,
) -> Result<Json<MonitorAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let slug = request.slug.trim();
    if slug.is_empty() || slug.len() > 128 {
        return Err(ApiError::bad_request("slug must be 1 to 128 characters"));
    }
    monitor::validate(&request.config).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let service = ServiceId::from_string(request.service_id);
    state
        .store
        .get_service(&principal.org_id, &service)
        .await?
        .ok_or_else(|| ApiError::not_found("no such service"))?;
    let m = state
        .store
        .upsert_monitor(
            &principal.org_id,
            &service,
            slug,
            &request.config,
            state.clock.now_ms(),
        )
        .await?;
    Ok(Json(MonitorAnswer::from(&m)))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    if state.store.delete_monitor(&principal.org_id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such monitor"))
    }
}
