//! Dashboard sessions: `POST /api/v1/auth/login` and `POST /api/v1/auth/logout`.
//!
//! The cookie holds a random secret; the store keeps only its SHA-256. The cookie is
//! `HttpOnly` (scripts cannot read it), `SameSite=Lax` (not sent on cross-site posts) and
//! `Secure` unless the operator turned that off for plain-HTTP development.

use super::{password, tokens};
use crate::api::ApiJson;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use cookie::{Cookie, SameSite};
use sentinel_store::tenancy::NewSession;
use serde::Deserialize;
use serde_json::json;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sentinel_session";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
}

/// The secret of the session cookie, if the request carries one.
pub fn cookie_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE && !cookie.value().is_empty())
        .map(|cookie| cookie.value().to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
    /// The organization's slug; the user's first organization when absent.
    #[serde(default)]
    org: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let refused = || ApiError::unauthorized("wrong e-mail or password");
    let user = state.store.find_user_by_email(&request.email).await?;
    let hash = user
        .as_ref()
        .map_or(password::decoy_hash().to_string(), |u| {
            u.password_hash.clone()
        });
    let candidate = request.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || password::verify_password(&candidate, &hash))
        .await
        .map_err(|err| ApiError::internal(format!("password check failed: {err}")))?;
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(refused()),
    };
    let memberships = state.store.list_organizations_for_user(&user.id).await?;
    let membership = match &request.org {
        Some(slug) => memberships
            .into_iter()
            .find(|m| &m.organization.slug == slug),
        None => memberships.into_iter().next(),
    }
    .ok_or_else(|| ApiError::forbidden("not a member of that organization"))?;

    let now = state.clock.now_ms();
    let secret = tokens::random_token();
    let ttl_ms = state.settings.session_ttl_ms;
    let session = state
        .store
        .create_session(
            &NewSession {
                id_hash: tokens::sha256_hex(&secret),
                user_id: user.id.clone(),
                org_id: membership.organization.id.clone(),
                csrf_token: tokens::random_token(),
                expires_at: now.saturating_add(ttl_ms),
            },
            now,
        )
        .await?;
    tracing::info!(user = %user.id, org = %membership.organization.id, "logged in");
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::milliseconds(ttl_ms))
        .build();
    let body = json!({
        "user": {"id": user.id, "email": user.email, "name": user.name},
        "organization": {
            "id": membership.organization.id,
            "slug": membership.organization.slug,
            "name": membership.organization.name,
        },
        "role": membership.role,
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at,
    });
    Ok(with_cookie(Json(body).into_response(), &cookie))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = cookie_secret(&headers) {
        state
            .store
            .delete_session(&tokens::sha256_hex(&secret))
            .await?;
    }
    let expired = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &expired,
    ))
}

fn with_cookie(mut response: Response, cookie: &Cookie<'_>) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
