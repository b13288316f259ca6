//! `/api/v1/channels`: an organization's notification channels (slack, pagerduty, email,
//! webhook). A `(kind, config)` request is parsed into the typed [`ChannelConfig`] here, at
//! the edge, and checked by building its client before it is stored; answers show secrets
//! masked, and an update that sends a masked value back keeps the stored secret.
//! `POST /api/v1/channels/{id}/test` queues a test notification.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::Millis;
use sentinel_core::id::{ChannelId, JobId, OrgId};
use sentinel_core::role::Role;
use sentinel_integrations::check_channel_config;
use sentinel_jobs::kinds::{ChannelTestPayload, CHANNEL_TEST_KIND};
use sentinel_store::alerts::{Channel, ChannelPatch, NewChannel};
use sentinel_store::jobs::NewJob;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/channels", get(list).post(create))
        .route(
            "/api/v1/channels/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/api/v1/channels/{id}/test", post(test))
}

/// A channel as answered: its configuration with secrets masked. Fields are in the order
/// the answer has always had (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct ChannelAnswer {
    pub config: Value,
    pub created_at: Millis,
    pub enabled: bool,
    pub id: ChannelId,
    pub kind: &'static str,
    pub name: String,
    pub updated_at: Millis,
}

impl From<&Channel> for ChannelAnswer {
    fn from(channel: &Channel) -> Self {
        Self {
            config: channel.config.masked(),
            created_at: channel.created_at,
            enabled: channel.enabled,
            id: channel.id.clone(),
            kind: channel.kind(),
            name: channel.name.clone(),
            updated_at: channel.updated_at,
        }
    }
}

/// The answer to a test: the job that delivers it (none when one is already queued).
#[derive(Debug, Clone, Serialize)]
pub struct TestQueued {
    pub job_id: Option<JobId>,
    pub queued: bool,
}

/// Parses `(kind, config)` into the typed configuration (the API and the dashboard).
pub(crate) fn parse(kind: &str, config: Value) -> Result<ChannelConfig, ApiError> {
    ChannelConfig::from_parts(kind, config).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Refuses a configuration its kind's client could not use (the API and the dashboard).
pub(crate) fn check(state: &AppState, config: &ChannelConfig) -> Result<(), ApiError> {
    check_channel_config(config, state.clock.clone())
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
) -> Result<Json<DataList<ChannelAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let channels = state.store.list_channels(&principal.org_id).await?;
    Ok(Json(DataList::new(
        channels.iter().map(ChannelAnswer::from).collect(),
    )))
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
) -> Result<(StatusCode, Json<ChannelAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let name = check_name(&request.name)?;
    let config = parse(&request.kind, request.config)?;
    check(&state, &config)?;
    let channel = state
        .store
        .create_channel(
            &principal.org_id,
            &NewChannel {
                name,
                config,
                enabled: request.enabled,
            },
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(org = %principal.org_id, channel = %channel.id, kind = channel.kind(), "channel created");
    Ok((StatusCode::CREATED, Json(ChannelAnswer::from(&channel))))
}

async fn find(
    state: &AppState,
    principal: &Principal,
    id: &ChannelId,
) -> Result<Channel, ApiError> {
    state
        .store
        .get_channel(&principal.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such channel"))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ChannelId>,
) -> Result<Json<ChannelAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    Ok(Json(ChannelAnswer::from(
        &find(&state, &principal, &id).await?,
    )))
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
    Path(id): Path<ChannelId>,
    ApiJson(request): ApiJson<UpdateChannel>,
) -> Result<Json<ChannelAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let stored = find(&state, &principal, &id).await?;
    let config = match request.config {
        Some(config) => {
            let mut config = parse(stored.kind(), config)?;
            config.keep_masked_secrets(&stored.config);
            check(&state, &config)?;
            Some(config)
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
    Ok(Json(ChannelAnswer::from(&channel)))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ChannelId>,
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
    Path(id): Path<ChannelId>,
) -> Result<(StatusCode, Json<TestQueued>), ApiError> {
    principal.require(Role::Admin)?;
    let channel = find(&state, &principal, &id).await?;
    let job_id = queue_test(&state, &principal.org_id, &channel).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TestQueued {
            job_id,
            queued: true,
        }),
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
        channel_id: channel.id.as_str().to_string(),
    };
    let job = NewJob::with_payload(CHANNEL_TEST_KIND, &payload)
        .map_err(|e| ApiError::bad_request(e.to_string()))?
        .org(org.clone());
    let job_id = state.store.enqueue(&job, state.clock.now_ms()).await?;
    tracing::info!(org = %org, channel = %channel.id, job = ?job_id.as_ref().map(|j| j.as_str()), "channel test queued");
    Ok(job_id)
}
