//! `GET /api/v1/me`: who the credentials belong to.

use crate::auth::{session, tokens, Principal};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

async fn me(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let organization = state
        .store
        .get_organization(&principal.org_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the organization no longer exists"))?;
    let user = match &principal.user_id {
        Some(id) => state.store.get_user(id).await?,
        None => None,
    };
    // A dashboard that reloads needs its CSRF token again; only a session has one.
    let csrf_token = match (&principal.user_id, session::cookie_secret(&headers)) {
        (Some(_), Some(secret)) => state
            .store
            .get_valid_session(&tokens::sha256_hex(&secret), state.clock.now_ms())
            .await?
            .map(|s| s.csrf_token),
        _ => None,
    };
    Ok(Json(json!({
        "organization": {
            "id": organization.id,
            "slug": organization.slug,
            "name": organization.name,
            "plan": organization.plan,
        },
        "role": principal.role,
        "user": user.map(|u| json!({"id": u.id, "email": u.email, "name": u.name})),
        "api_key_id": principal.api_key_id,
        "csrf_token": csrf_token,
    })))
}
