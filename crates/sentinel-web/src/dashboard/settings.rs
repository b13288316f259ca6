//! Settings pages: services (DSNs, setup snippets, alerting settings), API keys and
//! members. Everyone may look at services and members; changes need the admin role, and
//! API keys are shown to admins only.

use super::format::HtmlTime;
use super::snippets::{snippets, Snippet};
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::api::services::build_dsn;
use crate::auth::tokens;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sentinel_core::id::{ApiKeyId, ServiceId, UserId};
use sentinel_core::incident::{ErrorClass, ErrorClassFilter};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{NewApiKey, ServicePatch};
use serde::Deserialize;

pub struct ClassBox {
    value: &'static str,
    label: String,
    checked: bool,
}

pub struct ServiceView {
    id: String,
    name: String,
    platform: String,
    number: i64,
    enabled: bool,
    min_occurrences: i64,
    classes: Vec<ClassBox>,
    dsns: Vec<String>,
    snippets: Vec<Snippet>,
    log_sources: Vec<LogSourceView>,
}

/// A log source as the services page lists it: what is read, and how far.
pub struct LogSourceView {
    path: String,
    format: &'static str,
    poll: String,
    enabled: bool,
    files: Vec<sentinel_store::log_sources::LogFileState>,
}

async fn log_source_views(
    state: &AppState,
    org: &sentinel_core::id::OrgId,
    service: &ServiceId,
) -> Result<Vec<LogSourceView>, PageError> {
    let mut views = Vec::new();
    for source in state.store.list_log_sources(org, service).await? {
        let files = state.store.log_source_files(org, &source.id).await?;
        let ms = source.config.poll_interval_ms;
        views.push(LogSourceView {
            path: source.config.path,
            format: source.config.format.as_str(),
            poll: if ms.rem_euclid(1000) == 0 {
                format!("{} s", ms / 1000)
            } else {
                format!("{ms} ms")
            },
            enabled: source.config.enabled,
            files,
        });
    }
    Ok(views)
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    layout: Layout,
    services: Vec<ServiceView>,
}

/// `GET /settings/services`
pub async fn services(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let mut views = Vec::new();
    for service in state.store.list_services(org).await? {
        let keys = state.store.list_service_keys(org, &service.id).await?;
        let dsns: Vec<String> = keys
            .iter()
            .filter(|k| k.revoked_at.is_none())
            .map(|k| build_dsn(&state.settings.public_url, &k.public_key, service.number))
            .collect();
        let log_sources = log_source_views(&state, org, &service.id).await?;
        views.push(ServiceView {
            log_sources,
            id: service.id.as_str().to_string(),
            snippets: dsns.first().map(|dsn| snippets(dsn)).unwrap_or_default(),
            dsns,
            classes: ErrorClass::ALL
                .iter()
                .map(|c| ClassBox {
                    value: c.as_str(),
                    label: c.as_str().replace('_', " "),
                    checked: service.error_class_filter.admits(*c),
                })
                .collect(),
            name: service.name,
            platform: service.platform,
            number: service.number,
            enabled: service.enabled,
            min_occurrences: service.min_occurrences,
        });
    }
    render(&ServicesPage {
        layout: viewer.layout("Services", "services"),
        services: views,
    })
}

/// `POST /settings/services/{id}`: the form posts `class` once per ticked box, which
/// `serde_urlencoded` cannot gather into a list, so the body is read as pairs.
pub async fn update_service(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    viewer.check_csrf(field("csrf").unwrap_or_default())?;
    viewer.require(Role::Admin)?;
    let min_occurrences: i64 = field("min_occurrences")
        .unwrap_or("1")
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| PageError::BadRequest("minimum occurrences must be 1 to 1000000".into()))?;
    let classes = pairs
        .iter()
        .filter(|(k, _)| k == "class")
        .map(|(_, v)| v.parse::<ErrorClass>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| PageError::BadRequest(err.to_string()))?;
    let patch = ServicePatch {
        enabled: Some(field("enabled").is_some()),
        min_occurrences: Some(min_occurrences),
        error_class_filter: Some(ErrorClassFilter::new(classes)),
    };
    let id = ServiceId::from_string(id);
    state
        .store
        .update_service_settings(&viewer.org.id, &id, &patch)
        .await?
        .ok_or_else(|| PageError::NotFound("no such service".into()))?;
    tracing::info!(service = %id, user = %viewer.user.id, "service settings changed from the dashboard");
    Ok(Redirect::to("/settings/services").into_response())
}

pub struct KeyView {
    id: String,
    name: String,
    prefix: String,
    role: String,
    created: HtmlTime,
    last_used: Option<HtmlTime>,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeyView>,
    roles: Vec<&'static str>,
    /// The secret of a key just created: shown on this one page only.
    created_secret: Option<String>,
}

async fn keys_page(
    state: &AppState,
    viewer: &Viewer,
    created_secret: Option<String>,
) -> Result<Response, PageError> {
    viewer.require(Role::Admin)?;
    let keys = state.store.list_api_keys(&viewer.org.id).await?;
    render(&KeysPage {
        layout: viewer.layout("API keys", "api-keys"),
        keys: keys
            .into_iter()
            .map(|k| KeyView {
                id: k.id.as_str().to_string(),
                name: k.name,
                prefix: k.prefix,
                role: k.role.to_string(),
                created: HtmlTime(k.created_at),
                last_used: k.last_used_at.map(HtmlTime),
                revoked: k.revoked_at.is_some(),
            })
            .collect(),
        roles: Role::ALL
            .into_iter()
            .filter(|r| viewer.role.includes(*r))
            .map(Role::as_str)
            .collect(),
        created_secret,
    })
}

/// `GET /settings/api-keys`
pub async fn api_keys(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    keys_page(&state, &viewer, None).await
}

#[derive(Deserialize)]
pub struct CreateKeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /settings/api-keys`: creates a key and shows its secret once.
pub async fn create_api_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CreateKeyForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Admin)?;
    let role: Role = form
        .role
        .parse()
        .map_err(|_| PageError::BadRequest(format!("unknown role {:?}", form.role)))?;
    if !viewer.role.includes(role) {
        return Err(PageError::Forbidden(format!(
            "you cannot create a key with the {role} role: yours is {}",
            viewer.role
        )));
    }
    let name = form.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(PageError::BadRequest(
            "a key needs a name of 1 to 200 characters".into(),
        ));
    }
    let generated = tokens::generate_api_key();
    let record = state
        .store
        .create_api_key(
            &viewer.org.id,
            &NewApiKey {
                name: name.to_string(),
                prefix: generated.prefix,
                secret_hash: generated.secret_hash,
                role,
                scopes: Vec::new(),
                expires_at: None,
                created_by: Some(viewer.user.id.clone()),
            },
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(api_key = %record.id, user = %viewer.user.id, role = %record.role, "API key created from the dashboard");
    let mut response = keys_page(&state, &viewer, Some(generated.secret)).await?;
    // The secret must not linger in a cache or be replayed by the back button.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /settings/api-keys/{id}/revoke`
pub async fn revoke_api_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<super::login::CsrfOnly>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.token())?;
    viewer.require(Role::Admin)?;
    let id = ApiKeyId::from_string(id);
    let now = state.clock.now_ms();
    if !state.store.revoke_api_key(&viewer.org.id, &id, now).await?
        && state
            .store
            .get_api_key(&viewer.org.id, &id)
            .await?
            .is_none()
    {
        return Err(PageError::NotFound("no such API key".into()));
    }
    tracing::info!(api_key = %id, user = %viewer.user.id, "API key revoked from the dashboard");
    Ok(Redirect::to("/settings/api-keys").into_response())
}

pub struct MemberView {
    user_id: String,
    name: String,
    email: String,
    role: String,
    joined: HtmlTime,
    /// The viewer may change this member's role (admins, not their own, not above theirs).
    editable: bool,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    members: Vec<MemberView>,
    roles: Vec<&'static str>,
}

/// `GET /settings/members`
pub async fn members(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let members = state.store.list_members(&viewer.org.id).await?;
    let is_admin = viewer.role.includes(Role::Admin);
    render(&MembersPage {
        layout: viewer.layout("Members", "members"),
        members: members
            .into_iter()
            .map(|m| MemberView {
                editable: is_admin && m.user_id != viewer.user.id && viewer.role.includes(m.role),
                user_id: m.user_id.as_str().to_string(),
                name: m.name,
                email: m.email,
                role: m.role.to_string(),
                joined: HtmlTime(m.joined_at),
            })
            .collect(),
        roles: Role::ALL
            .into_iter()
            .filter(|r| viewer.role.includes(*r))
            .map(Role::as_str)
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /settings/members/{user_id}/role`
pub async fn set_member_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user_id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Admin)?;
    let role: Role = form
        .role
        .parse()
        .map_err(|_| PageError::BadRequest(format!("unknown role {:?}", form.role)))?;
    let user_id = UserId::from_string(user_id);
    if user_id == viewer.user.id {
        return Err(PageError::Forbidden(
            "you cannot change your own role".into(),
        ));
    }
    let current = state
        .store
        .member_role(&viewer.org.id, &user_id)
        .await?
        .ok_or_else(|| PageError::NotFound("no such member".into()))?;
    if !viewer.role.includes(role) || !viewer.role.includes(current) {
        return Err(PageError::Forbidden(format!(
            "a {} cannot change roles above their own",
            viewer.role
        )));
    }
    state
        .store
        .set_member_role(&viewer.org.id, &user_id, role)
        .await?;
    tracing::info!(member = %user_id, user = %viewer.user.id, %role, "member role changed from the dashboard");
    Ok(Redirect::to("/settings/members").into_response())
}
