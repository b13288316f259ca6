//! `GET /api/v1/me`: who the credentials belong to.

use crate::auth::{session, tokens, Principal};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::id::{ApiKeyId, OrgId, UserId};
use sentinel_core::role::Role;
use serde::Serialize;

/// Who is asking. Fields here and below are in the order the answer has always had
/// (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct MeAnswer {
    pub api_key_id: Option<ApiKeyId>,
    pub csrf_token: Option<String>,
    pub organization: OrganizationAnswer,
    pub role: Role,
    pub user: Option<UserAnswer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationAnswer {
    pub id: OrgId,
    pub name: String,
    pub plan: String,
    pub slug: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserAnswer {
    pub email: String,
    pub id: UserId,
    pub name: String,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

async fn me(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Json<MeAnswer>, ApiError> {
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
    Ok(Json(MeAnswer {
        api_key_id: principal.api_key_id.clone(),
        csrf_token,
        organization: OrganizationAnswer {
            id: organization.id,
            name: organization.name,
            plan: organization.plan,
            slug: organization.slug,
        },
        role: principal.role,
        user: user.map(|u| UserAnswer {
            email: u.email,
            id: u.id,
            name: u.name,
        }),
    }))
}
