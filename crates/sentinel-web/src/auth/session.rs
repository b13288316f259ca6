//! Dashboard sessions: how one starts and ends, and `POST /api/v1/auth/login` and
//! `POST /api/v1/auth/logout`. The dashboard's login form uses the same functions.
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
use sentinel_core::id::{OrgId, UserId};
use sentinel_store::tenancy::{NewSession, SessionRecord, User};
use sentinel_store::StoreResult;
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
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the cookie called `name`, if the request carries it and it is not empty.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name && !cookie.value().is_empty())
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
    let Some(user) = check_credentials(&state, &request.email, request.password).await? else {
        return Err(ApiError::unauthorized("wrong e-mail or password"));
    };
    let memberships = state.store.list_organizations_for_user(&user.id).await?;
    let membership = match &request.org {
        Some(slug) => memberships
            .into_iter()
            .find(|m| &m.organization.slug == slug),
        None => memberships.into_iter().next(),
    }
    .ok_or_else(|| ApiError::forbidden("not a member of that organization"))?;

    let started = start_session(&state, &user.id, &membership.organization.id).await?;
    tracing::info!(user = %user.id, org = %membership.organization.id, "logged in");
    let body = json!({
        "user": {"id": user.id, "email": user.email, "name": user.name},
        "organization": {
            "id": membership.organization.id,
            "slug": membership.organization.slug,
            "name": membership.organization.name,
        },
        "role": membership.role,
        "csrf_token": started.record.csrf_token,
        "expires_at": started.record.expires_at,
    });
    Ok(with_cookie(Json(body).into_response(), &started.cookie))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = cookie_secret(&headers) {
        state
            .store
            .delete_session(&tokens::sha256_hex(&secret))
            .await?;
    }
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &expired_session_cookie(&state),
    ))
}

/// The user these credentials belong to, or `None` when the e-mail is unknown or the password
/// wrong. An unknown e-mail is checked against a decoy hash so that both refusals take as
/// long, and say nothing about which accounts exist.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
) -> StoreResult<Option<User>> {
    let user = state.store.find_user_by_email(email).await?;
    let hash = user
        .as_ref()
        .map_or(password::decoy_hash().to_string(), |u| {
            u.password_hash.clone()
        });
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = match tokio::task::spawn_blocking(move || {
        password::verify_password(&password, &hash)
    })
    .await
    {
        Ok(matches) => matches,
        Err(err) => {
            // A check that did not finish refuses the login rather than letting it in.
            tracing::error!(error = %err, "the password check did not finish");
            false
        }
    };
    Ok(user.filter(|_| matches))
}

/// A session just created: the cookie that carries it and what the store keeps of it.
#[derive(Debug)]
pub struct StartedSession {
    pub cookie: Cookie<'static>,
    pub record: SessionRecord,
}

/// Creates a session of `user` in `org`. Every login (the API's, the dashboard's) and every
/// switch of organization comes through here, so the secret, its hash, the CSRF token, the
/// lifetime and the cookie's attributes are decided in one place.
pub async fn start_session(
    state: &AppState,
    user: &UserId,
    org: &OrgId,
) -> StoreResult<StartedSession> {
    let now = state.clock.now_ms();
    let secret = tokens::random_token();
    let ttl_ms = state.settings.session_ttl_ms;
    let record = state
        .store
        .create_session(
            &NewSession {
                id_hash: tokens::sha256_hex(&secret),
                user_id: user.clone(),
                org_id: org.clone(),
                csrf_token: tokens::random_token(),
                expires_at: now.saturating_add(ttl_ms),
            },
            now,
        )
        .await?;
    let cookie = session_cookie(state, secret, cookie::time::Duration::milliseconds(ttl_ms));
    Ok(StartedSession { cookie, record })
}

/// The cookie that makes the browser forget its session.
pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    session_cookie(state, String::new(), cookie::time::Duration::ZERO)
}

fn session_cookie(
    state: &AppState,
    value: String,
    max_age: cookie::time::Duration,
) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .build()
}

/// `response` with `cookie` appended as a `Set-Cookie` header.
pub fn with_cookie(mut response: Response, cookie: &Cookie<'_>) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
