//! `/api/v1/services/{id}/log-sources`: the log files the tailer reads for a service — a
//! path glob, the line format, the field mapping, the poll interval — and, per source, how
//! far each file has been read with its line, error and malformed counts.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::{LogSourceId, OrgId, ServiceId};
use sentinel_core::log_source::{
    FieldMapping, LogFormat, LogSourceConfig, DEFAULT_POLL_INTERVAL_MS,
};
use sentinel_core::role::Role;
use sentinel_store::log_sources::{LogFileState, LogSource};
use sentinel_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services/{id}/log-sources", get(list).post(create))
        .route(
            "/api/v1/services/{id}/log-sources/{source_id}",
            get(show).put(update).delete(remove),
        )
}

/// One file a source has read.
#[derive(Debug, Clone, Serialize)]
pub struct LogFileAnswer {
    pub path: String,
    pub offset: i64,
    pub lines: i64,
    pub errors: i64,
    pub malformed: i64,
}

impl From<LogFileState> for LogFileAnswer {
    fn from(f: LogFileState) -> Self {
        Self {
            path: f.path,
            offset: f.offset,
            lines: f.lines,
            errors: f.errors,
            malformed: f.malformed,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LogSourceAnswer {
    pub id: LogSourceId,
    pub service_id: ServiceId,
    pub path: String,
    pub format: LogFormat,
    pub fields: FieldMapping,
    pub poll_interval_ms: i64,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub files: Vec<LogFileAnswer>,
}

impl LogSourceAnswer {
    fn new(source: LogSource, files: Vec<LogFileState>) -> Self {
        Self {
            id: source.id,
            service_id: source.service_id,
            path: source.config.path,
            format: source.config.format,
            fields: source.config.fields,
            poll_interval_ms: source.config.poll_interval_ms,
            enabled: source.config.enabled,
            created_at: source.created_at,
            updated_at: source.updated_at,
            files: files.into_iter().map(LogFileAnswer::from).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceRequest {
    path: String,
    #[serde(default)]
    format: LogFormat,
    #[serde(default)]
    fields: FieldMapping,
    #[serde(default = "default_poll")]
    poll_interval_ms: i64,
    #[serde(default = "default_enabled")]
    enabled: bool,
}

fn default_poll() -> i64 {
    DEFAULT_POLL_INTERVAL_MS
}

fn default_enabled() -> bool {
    true
}

impl SourceRequest {
    fn config(self) -> Result<LogSourceConfig, ApiError> {
        let config = LogSourceConfig {
            path: self.path.trim().to_string(),
            format: self.format,
            fields: self.fields,
            poll_interval_ms: self.poll_interval_ms,
            enabled: self.enabled,
        };
        config
            .validate()
            .map_err(|err| ApiError::bad_request(err.to_string()))?;
        Ok(config)
    }
}

async fn service_of(store: &Store, org: &OrgId, id: String) -> Result<ServiceId, ApiError> {
    let id = ServiceId::from_string(id);
    match store.get_service(org, &id).await? {
        Some(service) => Ok(service.id),
        None => Err(ApiError::not_found("no such service")),
    }
}

/// The service's source `id`, or 404.
async fn source_of(
    store: &Store,
    org: &OrgId,
    service: &ServiceId,
    id: String,
) -> Result<LogSource, ApiError> {
    match store
        .get_log_source(org, &LogSourceId::from_string(id))
        .await?
    {
        Some(source) if &source.service_id == service => Ok(source),
        _ => Err(ApiError::not_found("no such log source")),
    }
}

async fn answer(store: &Store, source: LogSource) -> Result<LogSourceAnswer, ApiError> {
    let files = store.log_source_files(&source.org_id, &source.id).await?;
    Ok(LogSourceAnswer::new(source, files))
}

fn conflict(err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found("no such service"),
        StoreError::Conflict(_) => ApiError::conflict("the service already reads this path"),
        other => other.into(),
    }
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DataList<LogSourceAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let sources = state
        .store
        .list_log_sources(&principal.org_id, &service)
        .await?;
    let mut answers = Vec::with_capacity(sources.len());
    for source in sources {
        answers.push(answer(&state.store, source).await?);
    }
    Ok(Json(DataList::new(answers)))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, source_id)): Path<(String, String)>,
) -> Result<Json<LogSourceAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let source = source_of(&state.store, &principal.org_id, &service, source_id).await?;
    Ok(Json(answer(&state.store, source).await?))
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<(StatusCode, Json<LogSourceAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let config = request.config()?;
    let created = state
        .store
        .create_log_source(&principal.org_id, &service, &config, state.clock.now_ms())
        .await
        .map_err(conflict)?;
    tracing::info!(source = %created.id, service = %service, path = %created.config.path, "log source added");
    Ok((
        StatusCode::CREATED,
        Json(LogSourceAnswer::new(created, Vec::new())),
    ))
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, source_id)): Path<(String, String)>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<Json<LogSourceAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let source = source_of(&state.store, &principal.org_id, &service, source_id).await?;
    let config = request.config()?;
    let updated = state
        .store
        .update_log_source(&principal.org_id, &source.id, &config, state.clock.now_ms())
        .await
        .map_err(conflict)?
        .ok_or_else(|| ApiError::not_found("no such log source"))?;
    Ok(Json(answer(&state.store, updated).await?))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, source_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let source = source_of(&state.store, &principal.org_id, &service, source_id).await?;
    state
        .store
        .delete_log_source(&principal.org_id, &source.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
