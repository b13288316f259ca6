//! `/api/v1/services`: services (Sentry's projects), their alerting settings and DSNs.
//!
//! Settings changed here take effect on the next event: ingest reads them from the store.

use super::{ApiJson, DataList};
use crate::auth::{tokens, Principal};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::{ServiceId, ServiceKeyId};
use sentinel_core::incident::{ErrorClass, ErrorClassFilter};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{NewService, Service, ServiceKey, ServicePatch};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list).post(create))
        .route("/api/v1/services/{id}", get(show).patch(update))
        .route("/api/v1/services/{id}/keys", get(keys))
}

/// The DSN an SDK is configured with: `<scheme>://<public key>@<host>[:port][/path]/<number>`.
/// `public_url` is where SDKs reach this server; a path in it (behind a proxy) is kept.
pub fn build_dsn(public_url: &str, public_key: &str, number: i64) -> String {
    if let Ok(mut url) = url::Url::parse(public_url) {
        if url.set_username(public_key).is_ok() {
            let base = url.path().trim_end_matches('/').to_string();
            url.set_path(&format!("{base}/{number}"));
            url.set_query(None);
            url.set_fragment(None);
            return url.to_string();
        }
    }
    format!(
        "{}/{number}",
        public_url
            .trim_end_matches('/')
            .replacen("://", &format!("://{public_key}@"), 1)
    )
}

/// A service as answered; `dsn` only in the answer that created it (the first key's).
/// Fields here and below are in the order the answer has always had (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceAnswer {
    pub created_at: Millis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
    pub enabled: bool,
    /// `as_str` names (client_4xx, server_5xx, …), the same words the filter is written
    /// with in requests.
    pub error_class_filter: Vec<&'static str>,
    pub id: ServiceId,
    pub min_occurrences: i64,
    pub name: String,
    pub number: i64,
    pub platform: String,
}

impl From<&Service> for ServiceAnswer {
    fn from(service: &Service) -> Self {
        Self {
            created_at: service.created_at,
            dsn: None,
            enabled: service.enabled,
            error_class_filter: service
                .error_class_filter
                .classes()
                .iter()
                .map(|c| c.as_str())
                .collect(),
            id: service.id.clone(),
            min_occurrences: service.min_occurrences,
            name: service.name.clone(),
            number: service.number,
            platform: service.platform.clone(),
        }
    }
}

/// A DSN key of a service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceKeyAnswer {
    pub created_at: Millis,
    pub dsn: String,
    pub id: ServiceKeyId,
    pub label: String,
    pub public_key: String,
    pub rate_limit_per_minute: Option<i64>,
    pub revoked_at: Option<Millis>,
}

impl ServiceKeyAnswer {
    fn new(public_url: &str, service: &Service, key: &ServiceKey) -> Self {
        Self {
            created_at: key.created_at,
            dsn: build_dsn(public_url, &key.public_key, service.number),
            id: key.id.clone(),
            label: key.label.clone(),
            public_key: key.public_key.clone(),
            rate_limit_per_minute: key.rate_limit_per_minute,
            revoked_at: key.revoked_at,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<DataList<ServiceAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let services = state.store.list_services(&principal.org_id).await?;
    Ok(Json(DataList::new(
        services.iter().map(ServiceAnswer::from).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateService {
    name: String,
    #[serde(default)]
    platform: String,
}

/// Creates a service with its first DSN key; the answer includes the DSN.
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateService>,
) -> Result<(StatusCode, Json<ServiceAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let name = request.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("name must be 1 to 100 characters"));
    }
    let now = state.clock.now_ms();
    let service = state
        .store
        .create_service(
            &principal.org_id,
            &NewService {
                name: name.to_string(),
                platform: request.platform.trim().to_string(),
            },
            now,
        )
        .await?;
    let key = state
        .store
        .create_service_key(
            &principal.org_id,
            &service.id,
            &tokens::generate_dsn_public_key(),
            None,
            now,
        )
        .await?;
    tracing::info!(service = %service.id, number = service.number, org = %principal.org_id, "service created");
    let body = ServiceAnswer {
        dsn: Some(build_dsn(
            &state.settings.public_url,
            &key.public_key,
            service.number,
        )),
        ..ServiceAnswer::from(&service)
    };
    Ok((StatusCode::CREATED, Json(body)))
}

async fn find(state: &AppState, principal: &Principal, id: String) -> Result<Service, ApiError> {
    state
        .store
        .get_service(&principal.org_id, &ServiceId::from_string(id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such service"))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ServiceAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let service = find(&state, &principal, id).await?;
    Ok(Json(ServiceAnswer::from(&service)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateService {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    min_occurrences: Option<i64>,
    #[serde(default)]
    error_class_filter: Option<Vec<String>>,
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateService>,
) -> Result<Json<ServiceAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    if let Some(n) = request.min_occurrences {
        if !(1..=1_000_000).contains(&n) {
            return Err(ApiError::bad_request(
                "min_occurrences must be between 1 and 1000000",
            ));
        }
    }
    let error_class_filter = match request.error_class_filter {
        Some(names) => Some(ErrorClassFilter::new(
            names
                .iter()
                .map(|name| name.parse::<ErrorClass>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| {
                    ApiError::bad_request(format!(
                        "error_class_filter: {err}; expected some of {}",
                        ErrorClass::ALL.map(|c| c.as_str()).join(", ")
                    ))
                })?,
        )),
        None => None,
    };
    let patch = ServicePatch {
        enabled: request.enabled,
        min_occurrences: request.min_occurrences,
        error_class_filter,
    };
    let service = state
        .store
        .update_service_settings(&principal.org_id, &ServiceId::from_string(id), &patch)
        .await?
        .ok_or_else(|| ApiError::not_found("no such service"))?;
    tracing::info!(service = %service.id, org = %principal.org_id, "service settings changed");
    Ok(Json(ServiceAnswer::from(&service)))
}

async fn keys(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DataList<ServiceKeyAnswer>>, ApiError> {
    principal.require(Role::Member)?;
    let service = find(&state, &principal, id).await?;
    let keys = state
        .store
        .list_service_keys(&principal.org_id, &service.id)
        .await?;
    let public_url = &state.settings.public_url;
    Ok(Json(DataList::new(
        keys.iter()
            .map(|k| ServiceKeyAnswer::new(public_url, &service, k))
            .collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::build_dsn;

    #[test]
    fn dsns_follow_sentrys_shape() {
        assert_eq!(
            build_dsn("http://127.0.0.1:8080", "abc123", 1),
            "http://abc123@127.0.0.1:8080/1"
        );
        assert_eq!(
            build_dsn("https://errors.example.com/sentinel/", "k", 42),
            "https://k@errors.example.com/sentinel/42"
        );
    }
}
