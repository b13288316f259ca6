//! Who is asking: API keys, dashboard sessions and the [`Principal`] every API handler
//! extracts.
//!
//! A request authenticates with `Authorization: Bearer snt_…` (an API key) or with the
//! session cookie set by `POST /api/v1/auth/login`. Cookie-authenticated requests that change
//! state must also send the session's CSRF token in `X-CSRF-Token`; bearer requests need not,
//! since browsers never attach them on their own.

pub mod password;
pub mod session;
pub mod tokens;

pub use session::routes;

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use sentinel_core::id::{ApiKeyId, OrgId, UserId};
use sentinel_core::role::Role;

/// The name of the header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated party of a request: an organization, a role in it, and either the user
/// behind a session or the API key used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org_id: OrgId,
    pub role: Role,
    pub user_id: Option<UserId>,
    pub api_key_id: Option<ApiKeyId>,
}

impl Principal {
    /// Refuses with 403 unless this principal's role includes `required`.
    pub fn require(&self, required: Role) -> Result<(), ApiError> {
        if self.role.includes(required) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this action needs the {required} role; you have {}",
                self.role
            )))
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::unauthorized("the Authorization header must be `Bearer <api key>`")
                })?;
            return principal_from_api_key(state, token).await;
        }
        if let Some(secret) = session::cookie_secret(&parts.headers) {
            return principal_from_session(state, &secret, &parts.method, &parts.headers).await;
        }
        Err(ApiError::unauthorized(
            "authentication required: send `Authorization: Bearer <api key>` or log in",
        ))
    }
}

async fn principal_from_api_key(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    if !tokens::looks_like_api_key(token) {
        return Err(ApiError::unauthorized("invalid API key"));
    }
    let record = state
        .store
        .find_api_key_by_hash(&tokens::sha256_hex(token))
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid API key"))?;
    let now = state.clock.now_ms();
    if record.revoked_at.is_some() {
        return Err(ApiError::unauthorized("this API key has been revoked"));
    }
    if !record.is_usable(now) {
        return Err(ApiError::unauthorized("this API key has expired"));
    }
    if record.last_used_is_stale(now) {
        // Bookkeeping only: a failure here must not refuse a valid key.
        if let Err(err) = state
            .store
            .touch_api_key(&record.org_id, &record.id, now)
            .await
        {
            tracing::debug!(api_key = %record.id, error = %err, "could not record API key use");
        }
    }
    Ok(Principal {
        org_id: record.org_id,
        role: record.role,
        user_id: None,
        api_key_id: Some(record.id),
    })
}

async fn principal_from_session(
    state: &AppState,
    secret: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let now = state.clock.now_ms();
    let session = state
        .store
        .get_valid_session(&tokens::sha256_hex(secret), now)
        .await?
        .ok_or_else(|| ApiError::unauthorized("session expired or unknown; log in again"))?;
    if !is_safe_method(method) {
        let presented = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !tokens::constant_time_eq(presented, &session.csrf_token) {
            return Err(ApiError::forbidden(format!(
                "missing or wrong {CSRF_HEADER} header for a session request"
            )));
        }
    }
    // The role is read now, not at login, so a change of role applies at once.
    let role = state
        .store
        .member_role(&session.org_id, &session.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("no longer a member of this organization"))?;
    Ok(Principal {
        org_id: session.org_id,
        role,
        user_id: Some(session.user_id),
        api_key_id: None,
    })
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn require_compares_roles() {
        let principal = Principal {
            org_id: OrgId::generate(),
            role: Role::Member,
            user_id: None,
            api_key_id: None,
        };
        assert!(principal.require(Role::Viewer).is_ok());
        assert!(principal.require(Role::Member).is_ok());
        let refused = principal.require(Role::Admin).unwrap_err();
        assert_eq!(refused.code, crate::ErrorCode::Forbidden);
    }
}
