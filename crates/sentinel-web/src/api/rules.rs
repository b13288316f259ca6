//! `/api/v1/alert-rules`: an organization's alert rules as data (kind, params, severity,
//! enabled, channels). A rule's kind must have an evaluator and its params must suit it.

use super::{ApiJson, DataList};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::alerting::{AlertSeverity, RuleEngine};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::alerts::{AlertRule, AlertRulePatch, NewAlertRule};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alert-rules", get(list).post(create))
        .route(
            "/api/v1/alert-rules/{id}",
            get(show).patch(update).delete(remove),
        )
}

/// A rule as answered. Fields are in the order the answer has always had (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct RuleAnswer {
    pub channel_ids: Vec<String>,
    pub created_at: Millis,
    pub enabled: bool,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub params: Value,
    pub severity: AlertSeverity,
    pub updated_at: Millis,
}

impl From<&AlertRule> for RuleAnswer {
    fn from(rule: &AlertRule) -> Self {
        Self {
            channel_ids: rule.channel_ids.clone(),
            created_at: rule.created_at,
            enabled: rule.enabled,
            id: rule.id.clone(),
            kind: rule.kind.clone(),
            name: rule.name.clone(),
            params: rule.params.clone(),
            severity: rule.severity,
            updated_at: rule.updated_at,
        }
    }
}

/// Reads a severity name (the API and the dashboard).
pub(crate) fn severity(text: &str) -> Result<AlertSeverity, ApiError> {
    AlertSeverity::parse(text)
        .ok_or_else(|| ApiError::bad_request("severity must be critical, error, warning or info"))
}

/// Refuses a kind without an evaluator or params that do not suit it (the API and the
/// dashboard).
pub(crate) fn validate(kind: &str, params: &Value) -> Result<(), ApiError> {
    RuleEngine::standard()
        .validate(kind, params)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Refuses channel ids that are not channels of `org` (the API and the dashboard).
pub(crate) async fn check_channels(
    state: &AppState,
    org: &OrgId,
    ids: &[String],
) -> Result<(), ApiError> {
    let known = state.store.list_channels(org).await?;
    match ids
        .iter()
        .find(|id| !known.iter().any(|c| c.id.as_str() == id.as_str()))
    {
        Some(id) => Err(ApiError::bad_request(format!("no such channel: {id}"))),
        None => Ok(()),
    }
}

/// A rule's name, trimmed, of 1 to 100 characters (the API and the dashboard).
pub(crate) fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("name must be 1 to 100 characters"));
    }
    Ok(name.to_string())
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<DataList<RuleAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let rules = state.store.list_alert_rules(&principal.org_id).await?;
    Ok(Json(DataList::new(
        rules.iter().map(RuleAnswer::from).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRule {
    name: String,
    kind: String,
    #[serde(default = "empty_object")]
    params: Value,
    severity: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    channel_ids: Vec<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

fn yes() -> bool {
    true
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateRule>,
) -> Result<(StatusCode, Json<RuleAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let name = check_name(&request.name)?;
    validate(&request.kind, &request.params)?;
    check_channels(&state, &principal.org_id, &request.channel_ids).await?;
    let rule = state
        .store
        .create_alert_rule(
            &principal.org_id,
            &NewAlertRule {
                name,
                kind: request.kind,
                params: request.params,
                severity: severity(&request.severity)?,
                enabled: request.enabled,
                channel_ids: request.channel_ids,
            },
            state.clock.now_ms(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(RuleAnswer::from(&rule))))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<RuleAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let rule = state
        .store
        .get_alert_rule(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert rule"))?;
    Ok(Json(RuleAnswer::from(&rule)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRule {
    name: Option<String>,
    params: Option<Value>,
    severity: Option<String>,
    enabled: Option<bool>,
    channel_ids: Option<Vec<String>>,
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateRule>,
) -> Result<Json<RuleAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let stored = state
        .store
        .get_alert_rule(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert rule"))?;
    if let Some(params) = &request.params {
        validate(&stored.kind, params)?;
    }
    if let Some(ids) = &request.channel_ids {
        check_channels(&state, &principal.org_id, ids).await?;
    }
    let patch = AlertRulePatch {
        name: request.name.as_deref().map(check_name).transpose()?,
        params: request.params,
        severity: request.severity.as_deref().map(severity).transpose()?,
        enabled: request.enabled,
        channel_ids: request.channel_ids,
    };
    let rule = state
        .store
        .update_alert_rule(&principal.org_id, &id, &patch, state.clock.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert rule"))?;
    Ok(Json(RuleAnswer::from(&rule)))
}

async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    if state
        .store
        .delete_alert_rule(&principal.org_id, &id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such alert rule"))
    }
}
