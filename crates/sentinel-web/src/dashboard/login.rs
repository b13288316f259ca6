//! Logging in and out of the dashboard, and switching organization.
//!
//! The login form is protected against cross-site posts with a double-submit token: the
//! form and a `SameSite=Strict` cookie carry the same random value, which a foreign page can
//! neither read nor set. Once logged in, forms carry the session's own CSRF token.

use super::viewer::{is_local_path, Viewer};
use super::{render, PageError};
use crate::auth::session::{self, cookie_value, with_cookie};
use crate::auth::tokens;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cookie::{Cookie, SameSite};
use serde::Deserialize;

/// The cookie holding the login form's double-submit token.
const LOGIN_CSRF_COOKIE: &str = "sentinel_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /login`
pub async fn form(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let next = query
        .next
        .filter(|n| is_local_path(n))
        .unwrap_or_else(|| "/incidents".to_string());
    login_page(&state, next, String::new(), None, StatusCode::OK)
}

fn login_page(
    state: &AppState,
    next: String,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let csrf = tokens::random_token();
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, csrf.clone()))
        .path("/login")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .build();
    let mut response = render(&LoginPage {
        csrf,
        next,
        email,
        error,
    })?;
    *response.status_mut() = status;
    Ok(with_cookie(response, &cookie))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !tokens::constant_time_eq(&form.csrf, &expected) {
        return Err(PageError::Forbidden(
            "the login form expired or came from another site; reload the page and try again"
                .to_string(),
        ));
    }
    let next = if is_local_path(&form.next) {
        form.next.clone()
    } else {
        "/incidents".to_string()
    };
    let email = form.email.trim().to_lowercase();
    let user = session::check_credentials(&state, &email, form.password).await?;
    let refused = |state: &AppState, message: &str| {
        login_page(
            state,
            next.clone(),
            email.clone(),
            Some(message.to_string()),
            StatusCode::UNAUTHORIZED,
        )
    };
    let Some(user) = user else {
        return refused(&state, "Wrong e-mail or password.");
    };
    let memberships = state.store.list_organizations_for_user(&user.id).await?;
    let Some(membership) = memberships.into_iter().next() else {
        return refused(&state, "This account belongs to no organization.");
    };
    let started = session::start_session(&state, &user.id, &membership.organization.id).await?;
    tracing::info!(user = %user.id, org = %membership.organization.id, "logged in to the dashboard");
    let response = Redirect::to(&next).into_response();
    let cleared = Cookie::build((LOGIN_CSRF_COOKIE, ""))
        .path("/login")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok(with_cookie(
        with_cookie(response, &started.cookie),
        &cleared,
    ))
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl CsrfOnly {
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    state.store.delete_session(&viewer.session_hash).await?;
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        &session::expired_session_cookie(&state),
    ))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
}

/// `POST /switch-org`: a new session in another of the viewer's organizations.
pub async fn switch_org(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SwitchForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let membership = viewer
        .memberships
        .iter()
        .find(|m| m.organization.slug == form.org)
        .ok_or_else(|| PageError::Forbidden("you are not a member of that organization".into()))?;
    let started =
        session::start_session(&state, &viewer.user.id, &membership.organization.id).await?;
    state.store.delete_session(&viewer.session_hash).await?;
    Ok(with_cookie(
        Redirect::to("/incidents").into_response(),
        &started.cookie,
    ))
}
