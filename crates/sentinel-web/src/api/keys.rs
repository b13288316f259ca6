//! `/api/v1/api-keys`: list, create (the secret is in the answer, once) and revoke.
//!
//! Managing keys needs the admin role, and nobody can mint a key more powerful than
//! themselves.

use super::ApiJson;
use crate::auth::{tokens, Principal};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::ApiKeyId;
use sentinel_core::role::Role;
use sentinel_store::tenancy::{ApiKeyRecord, NewApiKey};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/api-keys", get(list).post(create))
        .route("/api/v1/api-keys/{id}", delete(revoke))
}

/// The JSON shape of a stored key (never its secret or hash).
pub fn key_json(key: &ApiKeyRecord) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "role": key.role,
        "scopes": key.scopes,
        "created_by": key.created_by,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    })
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Admin)?;
    let keys = state.store.list_api_keys(&principal.org_id).await?;
    Ok(Json(
        json!({"data": keys.iter().map(key_json).collect::<Vec<_>>()}),
    ))
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
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    let mut body = key_json(&record);
    body["key"] = Value::String(generated.secret);
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
