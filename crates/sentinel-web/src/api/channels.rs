//! `/api/v1/channels`: an organization's notification channels (slack, pagerduty, email,
//! webhook). Configurations are validated into the integrations' structs before they are
//! stored; answers show secrets masked, and an update that sends a masked value back keeps
//! the stored secret. `POST /api/v1/channels/{id}/test` queues a test notification.

use super::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::id::{JobId, OrgId};
use sentinel_core::role::Role;
use sentinel_jobs::kinds::channels::{check_channel_config, masked_config, merge_masked_secrets};
use sentinel_jobs::kinds::{ChannelTestPayload, CHANNEL_TEST_KIND};
use sentinel_store::alerts::{Channel, ChannelPatch, NewChannel};
use sentinel_store::jobs::NewJob;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/channels", get(list).post(create))
        .route(
            "/api/v1/channels/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/api/v1/channels/{id}/test", post(test))
}

pub fn channel_json(channel: &Channel) -> Value {
    json!({
        "id": channel.id,
        "name": channel.name,
        "kind": channel.kind,
        "config": masked_config(&channel.kind, &channel.config),
        "enabled": channel.enabled,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    })
}

/// Refuses a configuration its kind's client could not use (the API and the dashboard).
pub(crate) fn check(state: &AppState, kind: &str, config: &Value) -> Result<(), ApiError> {
    check_channel_config(kind, config, state.clock.clone())
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A channel's name, trimmed, of 1 to 100 characters (the API and the dashboard).
pub(crate) fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("name must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let channels = state.store.list_channels(&principal.org_id).await?;
    Ok(Json(
        json!({"data": channels.iter().map(channel_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateChannel {
    name: String,
    kind: String,
    config: Value,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateChannel>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require(Role::Admin)?;
    let name = check_name(&request.name)?;
    check(&state, &request.kind, &request.config)?;
    let channel = state
        .store
        .create_channel(
            &principal.org_id,
            &NewChannel {
                name,
                kind: request.kind,
                config: request.config,
                enabled: request.enabled,
            },
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(org = %principal.org_id, channel = %channel.id, kind = %channel.kind, "channel created");
    Ok((StatusCode::CREATED, Json(channel_json(&channel))))
}

async fn find(state: &AppState, principal: &Principal, id: &str) -> Result<Channel, ApiError> {
    state
        .store
        .get_channel(&principal.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such channel"))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    Ok(Json(channel_json(&find(&state, &principal, &id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateChannel {
    name: Option<String>,
    config: Option<Value>,
    enabled: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateChannel>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Admin)?;
    let stored = find(&state, &principal, &id).await?;
    let config = match &request.config {
        Some(config) => {
            let merged = merge_masked_secrets(&stored.kind, &stored.config, config);
            check(&state, &stored.kind, &merged)?;
            Some(merged)
        }
        None => None,
    };
    let patch = ChannelPatch {
        name: request.name.as_deref().map(check_name).transpose()?,
        config,
        enabled: request.enabled,
    };
    let channel = state
        .store
        .update_channel(&principal.org_id, &id, &patch, state.clock.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("no such channel"))?;
    Ok(Json(channel_json(&channel)))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    if state.store.delete_channel(&principal.org_id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such channel"))
    }
}

/// Queues a test notification to the channel; the answer carries the job id.
async fn test(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require(Role::Admin)?;
    let channel = find(&state, &principal, &id).await?;
    let job_id = queue_test(&state, &principal.org_id, &channel).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"queued": true, "job_id": job_id.map(|j| j.as_str().to_string())})),
    ))
}

/// Queues a `channel.test` job for `channel` of `org`: what both the API's `/test` and the
/// dashboard's "Send a test" do. The worker delivers it like any notification, so the
/// answer is the job (whose status tells the outcome), not the delivery itself.
pub async fn queue_test(
    state: &AppState,
    org: &OrgId,
    channel: &Channel,
) -> Result<Option<JobId>, ApiError> {
    let payload = ChannelTestPayload {
        org_id: org.as_str().to_string(),
        channel_id: channel.id.clone(),
    };
    let job = NewJob::with_payload(CHANNEL_TEST_KIND, &payload)
        .map_err(|e| ApiError::bad_request(e.to_string()))?
        .org(org.clone());
    let job_id = state.store.enqueue(&job, state.clock.now_ms()).await?;
    tracing::info!(org = %org, channel = %channel.id, job = ?job_id.as_ref().map(|j| j.as_str()), "channel test queued");
    Ok(job_id)
}
