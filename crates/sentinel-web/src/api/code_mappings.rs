//! `/api/v1/services/{id}/code-mappings`: which repository a service's stack frames live in,
//! and how a frame's path prefix becomes a repository path. A mapping with both roots empty
//! only links the service to the repository (frames are then matched against its tree).
//!
//! Also the suspect commit as `GET /api/v1/incidents/{id}` shows it.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::{CodeMappingId, IncidentId, OrgId, RepositoryId, ServiceId};
use sentinel_core::role::Role;
use sentinel_store::code::{CodeMapping, NewCodeMapping};
use sentinel_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The most characters a root may have.
const MAX_ROOT_LEN: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/services/{id}/code-mappings",
            get(list).post(create),
        )
        .route(
            "/api/v1/services/{id}/code-mappings/{mapping_id}",
            delete(remove),
        )
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeMappingAnswer {
    pub id: CodeMappingId,
    pub service_id: ServiceId,
    pub repository_id: RepositoryId,
    pub stack_root: String,
    pub source_root: String,
    pub branch: Option<String>,
    pub created_at: Millis,
}

impl From<CodeMapping> for CodeMappingAnswer {
    fn from(m: CodeMapping) -> Self {
        Self {
            id: m.id,
            service_id: m.service_id,
            repository_id: m.repository_id,
            stack_root: m.stack_root,
            source_root: m.source_root,
            branch: m.branch,
            created_at: m.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateMapping {
    repository_id: String,
    #[serde(default)]
    stack_root: String,
    #[serde(default)]
    source_root: String,
    #[serde(default)]
    branch: Option<String>,
}

fn parse_root(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.len() > MAX_ROOT_LEN || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must be at most {MAX_ROOT_LEN} printable characters"
        )));
    }
    if value.split(['/', '\\']).any(|part| part == "..") {
        return Err(ApiError::bad_request(format!("{field} may not contain ..")));
    }
    Ok(value.to_owned())
}

async fn service_of(store: &Store, org: &OrgId, id: String) -> Result<ServiceId, ApiError> {
    let id = ServiceId::from_string(id);
    match store.get_service(org, &id).await? {
        Some(service) => Ok(service.id),
        None => Err(ApiError::not_found("no such service")),
    }
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DataList<CodeMappingAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let mappings = state
        .store
        .list_code_mappings(&principal.org_id, &service)
        .await?;
    Ok(Json(DataList::new(
        mappings.into_iter().map(CodeMappingAnswer::from).collect(),
    )))
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CreateMapping>,
) -> Result<(StatusCode, Json<CodeMappingAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let branch = match request.branch.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(b) if b.len() <= 255 && !b.starts_with('-') && !b.contains("..") => Some(b.into()),
        Some(_) => return Err(ApiError::bad_request("branch is not a valid branch name")),
    };
    let new = NewCodeMapping {
        service_id: service,
        repository_id: RepositoryId::from_string(request.repository_id),
        stack_root: parse_root("stack_root", &request.stack_root)?,
        source_root: parse_root("source_root", &request.source_root)?,
        branch,
    };
    let created = state
        .store
        .create_code_mapping(&principal.org_id, &new, state.clock.now_ms())
        .await
        .map_err(|err| match err {
            StoreError::NotFound => ApiError::not_found("no such repository"),
            StoreError::Conflict(_) => {
                ApiError::conflict("the service already maps this stack root to this repository")
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, mapping_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    let service = service_of(&state.store, &principal.org_id, id).await?;
    let mapping_id = CodeMappingId::from_string(mapping_id);
    let mappings = state
        .store
        .list_code_mappings(&principal.org_id, &service)
        .await?;
    if !mappings.iter().any(|m| m.id == mapping_id) {
        return Err(ApiError::not_found("no such code mapping"));
    }
    state
        .store
        .delete_code_mapping(&principal.org_id, &mapping_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An incident's suspect commit, as `GET /api/v1/incidents/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct SuspectCommitAnswer {
    pub sha: String,
    pub repository: SuspectRepository,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub authored_at: Option<Millis>,
    pub ai_confidence: Option<f64>,
    pub method: Option<String>,
    pub tool: Option<String>,
    pub reason: String,
    pub path: String,
    pub line: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuspectRepository {
    pub id: RepositoryId,
    pub full_name: String,
}

/// The incident's suspect, `None` until the autopsy found one.
pub async fn suspect_commit(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
) -> Result<Option<SuspectCommitAnswer>, ApiError> {
    let Some(suspect) = store.get_incident_suspect(org, incident).await? else {
        return Ok(None);
    };
    let full_name = store
        .get_repository(org, &suspect.repository_id)
        .await?
        .map(|r| r.full_name)
        .unwrap_or_default();
    Ok(Some(SuspectCommitAnswer {
        sha: suspect.sha,
        repository: SuspectRepository {
            id: suspect.repository_id,
            full_name,
        },
        author: suspect.author_name,
        author_email: suspect.author_email,
        authored_at: suspect.authored_at,
        ai_confidence: suspect.ai_confidence,
        method: suspect.method,
        tool: suspect.tool,
        reason: suspect.reason,
        path: suspect.path,
        line: suspect.line,
    }))
}
