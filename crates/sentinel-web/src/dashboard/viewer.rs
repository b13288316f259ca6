//! Who is looking at a dashboard page: the [`Viewer`] extractor (session cookie only), the
//! page chrome it fills in, and [`PageError`], the answer when a page cannot be shown.

use crate::auth::{session, tokens};
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{Membership, Organization, User};
use sentinel_store::StoreError;

/// A logged-in person on a dashboard page, in the organization of their session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub org: Organization,
    pub role: Role,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// SHA-256 of the session cookie's secret, to end this session.
    pub session_hash: String,
    /// Every organization this user belongs to, for the switcher.
    pub memberships: Vec<Membership>,
}

impl Viewer {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        if tokens::constant_time_eq(presented, &self.csrf) {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "the form's security token is missing or out of date; reload the page and try again"
                    .to_string(),
            ))
        }
    }

    /// Refuses unless the viewer's role includes `required`.
    pub fn require(&self, required: Role) -> Result<(), PageError> {
        if self.role.includes(required) {
            Ok(())
        } else {
            Err(PageError::Forbidden(format!(
                "this needs the {required} role; you are a {} of {}",
                self.role, self.org.name
            )))
        }
    }

    /// The page chrome for a page titled `title` in the navigation `section`.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        Layout {
            title: title.into(),
            section,
            org_name: self.org.name.clone(),
            org_slug: self.org.slug.clone(),
            user_email: self.user.email.clone(),
            role: self.role.to_string(),
            csrf: self.csrf.clone(),
            can_write: self.role.includes(Role::Member),
            is_admin: self.role.includes(Role::Admin),
            orgs: self
                .memberships
                .iter()
                .map(|m| OrgChoice {
                    slug: m.organization.slug.clone(),
                    name: m.organization.name.clone(),
                    current: m.organization.id == self.org.id,
                })
                .collect(),
        }
    }
}

/// What the base template needs on every logged-in page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// Which navigation entry is highlighted: `incidents`, `alerts`, `detections`, `code` or a
    /// settings page (`services`, `channels`, `rules`, `api-keys`, `members`, `llm`).
    pub section: &'static str,
    pub org_name: String,
    pub org_slug: String,
    pub user_email: String,
    pub role: String,
    pub csrf: String,
    /// Member or above: may change incidents.
    pub can_write: bool,
    /// Admin or above: may change settings, keys and members.
    pub is_admin: bool,
    pub orgs: Vec<OrgChoice>,
}

#[derive(Debug, Clone)]
pub struct OrgChoice {
    pub slug: String,
    pub name: String,
    pub current: bool,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let login_required = || {
            let next = parts
                .extensions
                .get::<OriginalUri>()
                .map_or_else(|| parts.uri.to_string(), |uri| uri.0.to_string());
            PageError::LoginRequired { next }
        };
        let secret = session::cookie_secret(&parts.headers).ok_or_else(login_required)?;
        let session_hash = tokens::sha256_hex(&secret);
        let now = state.clock.now_ms();
        let Some(session) = state.store.get_valid_session(&session_hash, now).await? else {
            return Err(login_required());
        };
        // The role is read on every request, so a change of role applies at once.
        let Some(role) = state
            .store
            .member_role(&session.org_id, &session.user_id)
            .await?
        else {
            return Err(login_required());
        };
        let (Some(user), Some(org)) = (
            state.store.get_user(&session.user_id).await?,
            state.store.get_organization(&session.org_id).await?,
        ) else {
            return Err(login_required());
        };
        let memberships = state.store.list_organizations_for_user(&user.id).await?;
        Ok(Viewer {
            user,
            org,
            role,
            csrf: session.csrf_token,
            session_hash,
            memberships,
        })
    }
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("log in to continue")]
    LoginRequired { next: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The database did not answer (an API check shared with the pages said so).
    #[error("{0}")]
    Unavailable(String),
    /// A fault of ours an API check shared with the pages reported.
    #[error("{0}")]
    Internal(String),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("rendering failed: {0}")]
    Render(#[from] askama::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::LoginRequired { next } => {
                let target = if is_local_path(next) {
                    next.as_str()
                } else {
                    "/"
                };
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", target)
                    .finish();
                return Redirect::to(&format!("/login?{query}")).into_response();
            }
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            PageError::Store(StoreError::Unavailable(_) | StoreError::Busy(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            PageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Store(_) | PageError::Render(_) | PageError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            PageError::Store(StoreError::NotFound) => "not found".to_string(),
            PageError::Store(err) => {
                tracing::warn!(error = %err, "dashboard page failed in the store");
                "the database did not answer; try again shortly".to_string()
            }
            PageError::Internal(err) => {
                tracing::warn!(error = %err, "dashboard page failed");
                "something went wrong on our side".to_string()
            }
            PageError::Render(err) => {
                tracing::warn!(error = %err, "dashboard template failed");
                "the page could not be rendered".to_string()
            }
            other => other.to_string(),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error"),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.message).into_response(),
        }
    }
}

/// The API's checks are shared with the pages; their refusals keep their meaning here.
impl From<crate::ApiError> for PageError {
    fn from(err: crate::ApiError) -> Self {
        use crate::error::ErrorCode;
        match err.code {
            ErrorCode::NotFound => PageError::NotFound(err.message),
            ErrorCode::Forbidden | ErrorCode::Unauthorized => PageError::Forbidden(err.message),
            ErrorCode::Conflict => PageError::Conflict(err.message),
            ErrorCode::Unavailable | ErrorCode::RateLimited => PageError::Unavailable(err.message),
            ErrorCode::Internal => PageError::Internal(err.log_text().to_string()),
            ErrorCode::BadRequest
            | ErrorCode::PayloadTooLarge
            | ErrorCode::UnsupportedMediaType => PageError::BadRequest(err.message),
        }
    }
}

/// Only paths on this site are followed after logging in, never another host.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\")
}

/// Where a form goes back to: the page (with its filters) the person posted from when it lies
/// within `section`, else the section itself.
pub fn redirect_back(back: &str, section: &str) -> Redirect {
    if back.starts_with(section) && is_local_path(back) {
        Redirect::to(back)
    } else {
        Redirect::to(section)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{is_local_path, redirect_back};
    use axum::response::IntoResponse;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/incidents?status=open"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
    }

    #[test]
    fn forms_go_back_only_within_their_section() {
        let location = |back: &str| {
            let response = redirect_back(back, "/alerts").into_response();
            response.headers()["location"].to_str().unwrap().to_string()
        };
        assert_eq!(location("/alerts?status=open"), "/alerts?status=open");
        assert_eq!(location("/incidents"), "/alerts");
        assert_eq!(location("//evil.example/alerts"), "/alerts");
        assert_eq!(location(""), "/alerts");
    }
}
