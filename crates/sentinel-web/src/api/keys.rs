//! `/api/v1/api-keys`: list, create (the secret is in the answer, once) and revoke.
//!
//! Managing keys needs the admin role, and nobody can mint a key more powerful than
//! themselves.

use super::{ApiJson, DataList};
use crate::auth::{tokens, Principal};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::{ApiKeyId, UserId};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{ApiKeyRecord, NewApiKey};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/api-keys", get(list).post(create))
        .route("/api/v1/api-keys/{id}", delete(revoke))
}

/// The JSON shape of a stored key (never its secret or hash).
/// An API key as answered; the secret `key` only in the answer that created it. Fields are
/// in the order the answer has always had (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct KeyAnswer {
    pub created_at: Millis,
    pub created_by: Option<UserId>,
    pub expires_at: Option<Millis>,
    pub id: ApiKeyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub last_used_at: Option<Millis>,
    pub name: String,
    pub prefix: String,
    pub revoked_at: Option<Millis>,
    pub role: Role,
    pub scopes: Vec<String>,
}

impl From<&ApiKeyRecord> for KeyAnswer {
    fn from(key: &ApiKeyRecord) -> Self {
        Self {
            created_at: key.created_at,
            created_by: key.created_by.clone(),
            expires_at: key.expires_at,
            id: key.id.clone(),
            key: None,
            last_used_at: key.last_used_at,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            revoked_at: key.revoked_at,
            role: key.role,
            scopes: key.scopes.clone(),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<DataList<KeyAnswer>>, ApiError> {
    principal.require(Role::Admin)?;
    let keys = state.store.list_api_keys(&principal.org_id).await?;
    Ok(Json(DataList::new(
        keys.iter().map(KeyAnswer::from).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    role: Role,
    #[serde(default)]
    scopes: Vec<String>,
    /// Unix milliseconds; never expires when absent.
    #[serde(default)]
    expires_at: Option<Millis>,
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<KeyAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    if !principal.role.includes(request.role) {
        return Err(ApiError::forbidden(format!(
            "cannot create a key with the {} role: yours is {}",
            request.role, principal.role
        )));
    }
    let name = request.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    let now = state.clock.now_ms();
    if request.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::bad_request("expires_at must be in the future"));
    }
    let generated = tokens::generate_api_key();
    let record = state
        .store
        .create_api_key(
            &principal.org_id,
            &NewApiKey {
                name: name.to_string(),
                prefix: generated.prefix,
                secret_hash: generated.secret_hash,
                role: request.role,
                scopes: request.scopes,
                expires_at: request.expires_at,
                created_by: principal.user_id.clone(),
            },
            now,
        )
        .await?;
    tracing::info!(api_key = %record.id, org = %principal.org_id, role = %record.role, "API key created");
    let body = KeyAnswer {
        key: Some(generated.secret),
        ..KeyAnswer::from(&record)
    };
    Ok((StatusCode::CREATED, Json(body)))
}

async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    let id = ApiKeyId::from_string(id);
    let now = state.clock.now_ms();
    if state
        .store
        .revoke_api_key(&principal.org_id, &id, now)
        .await?
    {
        tracing::info!(api_key = %id, org = %principal.org_id, "API key revoked");
        return Ok(StatusCode::NO_CONTENT);
    }
    match state.store.get_api_key(&principal.org_id, &id).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT), // already revoked: the outcome holds
        None => Err(ApiError::not_found("no such API key")),
    }
}
