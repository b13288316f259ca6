//! `/api/v1/repositories`: the repositories an organization watches (through the GitHub App,
//! a local clone, or both) and their settings.
//!
//! Lists are cursor-paged by full name: `limit` (1 to 200, default 50) and `cursor` (the
//! previous page's `next_cursor`); answers are `{"data": [...], "next_cursor": ...}`.
//! Risk patterns are checked when written, so attribution never meets one that does not
//! compile.

use super::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::attribution::{RiskPattern as CorePattern, RiskRules, RiskSettings};
use sentinel_core::clock::Millis;
use sentinel_core::code::RiskTier;
use sentinel_core::id::RepositoryId;
use sentinel_core::publish::PublishMode;
use sentinel_core::role::Role;
use sentinel_store::code::{
    ListError, NewRepository, Repository, RepositoryPatch, RepositorySettings, RiskPattern,
};
use sentinel_store::StoreError;
use serde::{Deserialize, Serialize};

/// Repositories per page when no `limit` is given.
const DEFAULT_PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/repositories", get(list).post(create))
        .route("/api/v1/repositories/{id}", get(show).patch(update))
}

/// A risk pattern as answered and as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskPatternBody {
    pub pattern: String,
    pub tier: RiskTier,
}

/// A repository as answered.
#[derive(Debug, Clone, Serialize)]
pub struct RepositoryAnswer {
    pub clone_path: Option<String>,
    pub created_at: Millis,
    pub default_branch: String,
    pub full_name: String,
    pub github_id: Option<i64>,
    pub id: RepositoryId,
    pub installation_id: Option<i64>,
    /// What an autopsy publishes on GitHub: `off`, `issue` or `draft_pr`.
    pub publish_mode: PublishMode,
    pub risk_patterns: Vec<RiskPatternBody>,
    /// Read-only here: set with `sentinel repo add --test-command`.
    pub test_command: Vec<String>,
    pub updated_at: Millis,
}

impl From<&Repository> for RepositoryAnswer {
    fn from(repo: &Repository) -> Self {
        Self {
            clone_path: repo.clone_path.clone(),
            created_at: repo.created_at,
            default_branch: repo.default_branch.clone(),
            full_name: repo.full_name.clone(),
            github_id: repo.github_id,
            id: repo.id.clone(),
            installation_id: repo.installation_id,
            publish_mode: repo.publish_mode,
            risk_patterns: repo
                .settings
                .risk_patterns
                .iter()
                .map(|p| RiskPatternBody {
                    pattern: p.pattern.clone(),
                    tier: p.tier,
                })
                .collect(),
            test_command: repo.settings.test_command.clone(),
            updated_at: repo.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
struct RepositoryPage {
    data: Vec<RepositoryAnswer>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<Json<RepositoryPage>, ApiError> {
    principal.require(Role::Viewer)?;
    let limit = match query.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=sentinel_store::code::MAX_CODE_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "limit must be a number from 1 to {}",
                sentinel_store::code::MAX_CODE_PAGE
            )))
        }
    };
    let cursor = query.cursor.filter(|c| !c.is_empty());
    let page = state
        .store
        .list_repositories(&principal.org_id, cursor.as_deref(), limit)
        .await
        .map_err(list_error)?;
    Ok(Json(RepositoryPage {
        data: page.items.iter().map(RepositoryAnswer::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A list's failure as an answer: a cursor it did not hand out is the client's mistake.
pub fn list_error(err: ListError) -> ApiError {
    match err {
        ListError::InvalidCursor(_) => {
            ApiError::bad_request("invalid cursor (it must come from this list)")
        }
        ListError::Store(err) => err.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRepository {
    full_name: String,
    #[serde(default)]
    default_branch: Option<String>,
    #[serde(default)]
    clone_path: Option<String>,
    #[serde(default)]
    risk_patterns: Vec<RiskPatternBody>,
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateRepository>,
) -> Result<(StatusCode, Json<RepositoryAnswer>), ApiError> {
    principal.require(Role::Admin)?;
    let full_name = parse_full_name(&request.full_name)?;
    let default_branch = parse_branch(request.default_branch.as_deref().unwrap_or("main"))?;
    let new = NewRepository {
        full_name,
        default_branch,
        github_id: None,
        installation_id: None,
        clone_path: parse_clone_path(request.clone_path)?,
        settings: parse_settings(request.risk_patterns)?,
    };
    let now = state.clock.now_ms();
    let repo = match state
        .store
        .create_repository(&principal.org_id, &new, now)
        .await
    {
        Ok(repo) => repo,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(format!(
                "{} is already watched",
                new.full_name
            )))
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(repository = %repo.id, full_name = %repo.full_name, org = %principal.org_id, "repository added");
    Ok((StatusCode::CREATED, Json(RepositoryAnswer::from(&repo))))
}

/// The repository with this id in the principal's organization, or 404.
pub async fn find(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Repository, ApiError> {
    state
        .store
        .get_repository(&principal.org_id, &RepositoryId::from_string(id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such repository"))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<RepositoryAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let repo = find(&state, &principal, &id).await?;
    Ok(Json(RepositoryAnswer::from(&repo)))
}

/// A change; absent fields stay. `clone_path: null` removes the clone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRepository {
    #[serde(default)]
    default_branch: Option<String>,
    #[serde(default, deserialize_with = "present")]
    clone_path: Option<Option<String>>,
    #[serde(default)]
    risk_patterns: Option<Vec<RiskPatternBody>>,
    /// `off`, `issue` or `draft_pr`; anything else is refused by the parser.
    #[serde(default)]
    publish_mode: Option<PublishMode>,
}

/// Tells `"clone_path": null` (clear it) from a missing field (keep it).
fn present<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(Some)
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateRepository>,
) -> Result<Json<RepositoryAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let id = RepositoryId::from_string(id);
    let settings = match request.risk_patterns {
        Some(patterns) => {
            let mut settings = parse_settings(patterns)?;
            // The operator's test command survives a change of the risk patterns.
            if let Some(existing) = state.store.get_repository(&principal.org_id, &id).await? {
                settings.test_command = existing.settings.test_command;
            }
            Some(settings)
        }
        None => None,
    };
    let patch = RepositoryPatch {
        full_name: None,
        default_branch: request
            .default_branch
            .as_deref()
            .map(parse_branch)
            .transpose()?,
        clone_path: request.clone_path.map(parse_clone_path).transpose()?,
        settings,
    };
    let now = state.clock.now_ms();
    let repo = state
        .store
        .update_repository(&principal.org_id, &id, &patch, now)
        .await?
        .ok_or_else(|| ApiError::not_found("no such repository"))?;
    let repo = match request.publish_mode {
        Some(mode) => state
            .store
            .set_repository_publish_mode(&principal.org_id, &id, mode, now)
            .await?
            .ok_or_else(|| ApiError::not_found("no such repository"))?,
        None => repo,
    };
    tracing::info!(repository = %repo.id, org = %principal.org_id, "repository settings changed");
    Ok(Json(RepositoryAnswer::from(&repo)))
}

/// `owner/name`, as GitHub allows them (see [`sentinel_core::code::parse_full_name`]).
pub fn parse_full_name(text: &str) -> Result<String, ApiError> {
    sentinel_core::code::parse_full_name(text).map_err(|err| ApiError::bad_request(err.to_string()))
}

fn parse_branch(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.len() > 255 || text.contains(char::is_whitespace) {
        return Err(ApiError::bad_request(
            "default_branch must be a branch name without spaces",
        ));
    }
    Ok(text.to_string())
}

fn parse_clone_path(path: Option<String>) -> Result<Option<String>, ApiError> {
    match path.map(|p| p.trim().to_string()) {
        None => Ok(None),
        Some(p) if p.is_empty() => Ok(None),
        Some(p) if std::path::Path::new(&p).is_absolute() => Ok(Some(p)),
        Some(p) => Err(ApiError::bad_request(format!(
            "clone_path must be an absolute path, got {p:?}"
        ))),
    }
}

/// Checks that every pattern compiles before it is stored.
fn parse_settings(patterns: Vec<RiskPatternBody>) -> Result<RepositorySettings, ApiError> {
    let rules = RiskSettings {
        patterns: patterns
            .iter()
            .map(|p| CorePattern {
                pattern: p.pattern.clone(),
                tier: p.tier,
            })
            .collect(),
        default_tier: None,
    };
    RiskRules::new(rules).map_err(|err| ApiError::bad_request(err.to_string()))?;
    Ok(RepositorySettings {
        risk_patterns: patterns
            .into_iter()
            .map(|p| RiskPattern {
                pattern: p.pattern,
                tier: p.tier,
            })
            .collect(),
        // Only the operator sets the test command (it runs on the server); see `update`.
        test_command: Vec::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn full_names_are_owner_slash_name() {
        assert_eq!(parse_full_name(" acme/shop.api ").unwrap(), "acme/shop.api");
        for bad in [
            "acme",
            "/shop",
            "acme/",
            "acme/shop/x",
            "acme/sh op",
            "../x",
            "a/..",
        ] {
            assert!(parse_full_name(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_pattern_that_does_not_compile_is_refused() {
        let bad = vec![RiskPatternBody {
            pattern: "src/{a,b".to_string(),
            tier: RiskTier::T4,
        }];
        assert!(parse_settings(bad).is_err());
        let good = vec![RiskPatternBody {
            pattern: "src/billing/**".to_string(),
            tier: RiskTier::T4,
        }];
        assert_eq!(parse_settings(good).unwrap().risk_patterns.len(), 1);
    }
}
