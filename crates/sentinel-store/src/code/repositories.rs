//! Repositories Sentinel watches: a GitHub repository (reached through an installation), a
//! local clone, or both. Unique per organization by full name and by GitHub id.
//!
//! The per-repository settings are a struct of this crate's own ([`RepositorySettings`]):
//! the attribution rules in `sentinel_core` take their risk patterns from it, converted by
//! the caller, so the stored form does not change when the rules do.

use super::cursor::{self, ListError};
use super::rows::{parse_json, to_json};
use crate::db::{read, tx, write};
use crate::incidents::Page;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::RiskTier;
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::publish::PublishMode;
use serde::{Deserialize, Serialize};

/// One path pattern and the risk tier of the files it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPattern {
    /// A glob over the repository path, e.g. `src/billing/**`.
    pub pattern: String,
    pub tier: RiskTier,
}

/// A repository's settings, stored as JSON. Missing fields take their defaults, so rows
/// written before a field existed still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RepositorySettings {
    /// Tried before the built-in path rules; the first match decides the tier.
    pub risk_patterns: Vec<RiskPattern>,
    /// The command that runs one test file (argv; `{test}` stands for its path), which the
    /// autopsy runs before and after its patch. Set by the operator (`sentinel repo add
    /// --test-command`), never through the API: it runs on the server.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test_command: Vec<String>,
}

impl RepositorySettings {
    /// The attribution rules' form of the risk patterns; fails on a pattern that does not
    /// compile (the API checks them before they are stored).
    pub fn risk_rules(
        &self,
    ) -> Result<sentinel_core::attribution::RiskRules, sentinel_core::attribution::RiskRulesError>
    {
        sentinel_core::attribution::RiskRules::new(sentinel_core::attribution::RiskSettings {
            patterns: self
                .risk_patterns
                .iter()
                .map(|p| sentinel_core::attribution::RiskPattern {
                    pattern: p.pattern.clone(),
                    tier: p.tier,
                })
                .collect(),
            default_tier: None,
        })
    }
}

/// A watched repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub id: RepositoryId,
    pub org_id: OrgId,
    pub github_id: Option<i64>,
    /// The GitHub installation it is reached through; `None` once uninstalled or for a
    /// local-only repository.
    pub installation_id: Option<i64>,
    /// `owner/name`.
    pub full_name: String,
    pub default_branch: String,
    pub clone_path: Option<String>,
    pub settings: RepositorySettings,
    /// What publishing may create on GitHub for its incidents (migration 0024).
    pub publish_mode: PublishMode,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What it takes to add a repository by hand (or from `sentinel repo scan`).
#[derive(Debug, Clone, Default)]
pub struct NewRepository {
    pub full_name: String,
    pub default_branch: String,
    pub github_id: Option<i64>,
    pub installation_id: Option<i64>,
    pub clone_path: Option<String>,
    pub settings: RepositorySettings,
}

/// A repository as an installation webhook lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubRepository {
    pub github_id: i64,
    pub full_name: String,
    pub default_branch: String,
}

/// A partial change; `None` leaves a field as it is. `clone_path: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct RepositoryPatch {
    pub full_name: Option<String>,
    pub default_branch: Option<String>,
    pub clone_path: Option<Option<String>>,
    pub settings: Option<RepositorySettings>,
}

#[derive(sqlx::FromRow)]
struct RepositoryRow {
    id: String,
    org_id: String,
    github_id: Option<i64>,
    installation_id: Option<i64>,
    full_name: String,
    default_branch: String,
    clone_path: Option<String>,
    settings: String,
    publish_mode: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = crate::StoreError;

    fn try_from(row: RepositoryRow) -> Result<Self, Self::Error> {
        let settings = parse_json(&format!("repository {} settings", row.id), &row.settings)?;
        let publish_mode = PublishMode::parse(&row.publish_mode).ok_or_else(|| {
            crate::StoreError::Corrupt(format!(
                "repository {} publish mode {:?}",
                row.id, row.publish_mode
            ))
        })?;
        Ok(Self {
            id: RepositoryId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            github_id: row.github_id,
            installation_id: row.installation_id,
            full_name: row.full_name,
            default_branch: row.default_branch,
            clone_path: row.clone_path,
            settings,
            publish_mode,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, org_id, github_id, installation_id, full_name, default_branch, \
     clone_path, settings, created_at, updated_at";
/// What a row reads: the written columns and the publish mode, which only
/// [`Store::set_repository_publish_mode`] writes.
const READ_COLUMNS: &str = "id, org_id, github_id, installation_id, full_name, default_branch, \
     clone_path, settings, publish_mode, created_at, updated_at";

/// The list's cursor tag: repositories are listed by full name.
const LIST_TAG: &str = "r";

impl Store {
    /// Adds a repository. A full name or GitHub id already used in the organization is a
    /// [`StoreError::Conflict`](crate::StoreError::Conflict).
    pub async fn create_repository(
        &self,
        org: &OrgId,
        new: &NewRepository,
        now: Millis,
    ) -> StoreResult<Repository> {
        let settings = to_json("repository settings", &new.settings)?;
        let row: RepositoryRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO repositories ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 RETURNING {READ_COLUMNS}"
            ))
            .bind(RepositoryId::generate().as_str())
            .bind(org.as_str())
            .bind(new.github_id)
            .bind(new.installation_id)
            .bind(&new.full_name)
            .bind(&new.default_branch)
            .bind(new.clone_path.as_deref())
            .bind(&settings)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        row.try_into()
    }

    pub async fn get_repository(
        &self,
        org: &OrgId,
        id: &RepositoryId,
    ) -> StoreResult<Option<Repository>> {
        self.find_repository(org, "id = $2", id.as_str()).await
    }

    pub async fn get_repository_by_full_name(
        &self,
        org: &OrgId,
        full_name: &str,
    ) -> StoreResult<Option<Repository>> {
        self.find_repository(org, "full_name = $2", full_name).await
    }

    pub async fn get_repository_by_github_id(
        &self,
        org: &OrgId,
        github_id: i64,
    ) -> StoreResult<Option<Repository>> {
        let row: Option<RepositoryRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {READ_COLUMNS} FROM repositories WHERE org_id = $1 AND github_id = $2"
            ))
            .bind(org.as_str())
            .bind(github_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Repository::try_from).transpose()
    }

    async fn find_repository(
        &self,
        org: &OrgId,
        condition: &str,
        value: &str,
    ) -> StoreResult<Option<Repository>> {
        let row: Option<RepositoryRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {READ_COLUMNS} FROM repositories WHERE org_id = $1 AND {condition}"
            ))
            .bind(org.as_str())
            .bind(value)
            .fetch_optional(pool)
            .await?
        });
        row.map(Repository::try_from).transpose()
    }

    /// The organization's repositories by full name, a page at a time.
    pub async fn list_repositories(
        &self,
        org: &OrgId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Repository>, ListError> {
        let after = cursor
            .map(|text| cursor::decode(LIST_TAG, text))
            .transpose()?
            .map(|(_, name)| name);
        let limit = limit.clamp(1, super::MAX_CODE_PAGE);
        let sql = format!(
            "SELECT {READ_COLUMNS} FROM repositories WHERE org_id = $1 AND full_name > $2 \
             ORDER BY full_name LIMIT {}",
            limit + 1
        );
        let rows: Vec<RepositoryRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .bind(after.as_deref().unwrap_or(""))
                .fetch_all(pool)
                .await
                .map_err(crate::StoreError::from)?
        });
        let mut items = rows
            .into_iter()
            .map(Repository::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| cursor::encode(LIST_TAG, 0, &last.full_name))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Applies a change and returns the repository as it now is; `None` when it does not
    /// exist in this organization.
    pub async fn update_repository(
        &self,
        org: &OrgId,
        id: &RepositoryId,
        patch: &RepositoryPatch,
        now: Millis,
    ) -> StoreResult<Option<Repository>> {
        let settings = patch
            .settings
            .as_ref()
            .map(|s| to_json("repository settings", s))
            .transpose()?;
        let row: Option<RepositoryRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE repositories SET full_name = COALESCE($1, full_name), \
                 default_branch = COALESCE($2, default_branch), \
                 clone_path = CASE WHEN $3 THEN $4 ELSE clone_path END, \
                 settings = COALESCE($5, settings), updated_at = $6 \
                 WHERE org_id = $7 AND id = $8 RETURNING {READ_COLUMNS}"
            ))
            .bind(patch.full_name.as_deref())
            .bind(patch.default_branch.as_deref())
            .bind(patch.clone_path.is_some())
            .bind(patch.clone_path.clone().flatten())
            .bind(settings)
            .bind(now)
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Repository::try_from).transpose()
    }

    /// Adds the repositories an installation was given access to (an `installation` or
    /// `installation_repositories` webhook), for the organization that claimed it. A
    /// repository already known by GitHub id is renamed and re-attached; one added by hand
    /// under the same full name gets the GitHub id. One transaction.
    pub async fn attach_installation_repositories(
        &self,
        org: &OrgId,
        installation_id: i64,
        repositories: &[GithubRepository],
        now: Millis,
    ) -> StoreResult<Vec<Repository>> {
        let mut tx = self.begin().await?;
        let mut attached = Vec::with_capacity(repositories.len());
        for repo in repositories {
            let row: RepositoryRow = tx!(&mut tx, |conn| {
                let by_github_id: Option<RepositoryRow> = sqlx::query_as(&format!(
                    "UPDATE repositories SET installation_id = $1, full_name = $2, \
                     default_branch = $3, updated_at = $4 \
                     WHERE org_id = $5 AND github_id = $6 RETURNING {READ_COLUMNS}"
                ))
                .bind(installation_id)
                .bind(&repo.full_name)
                .bind(&repo.default_branch)
                .bind(now)
                .bind(org.as_str())
                .bind(repo.github_id)
                .fetch_optional(&mut *conn)
                .await?;
                let by_name = match by_github_id {
                    Some(row) => Some(row),
                    None => {
                        sqlx::query_as(&format!(
                            "UPDATE repositories SET installation_id = $1, github_id = $2, \
                             default_branch = $3, updated_at = $4 \
                             WHERE org_id = $5 AND full_name = $6 AND github_id IS NULL \
                             RETURNING {READ_COLUMNS}"
                        ))
                        .bind(installation_id)
                        .bind(repo.github_id)
                        .bind(&repo.default_branch)
                        .bind(now)
                        .bind(org.as_str())
                        .bind(&repo.full_name)
                        .fetch_optional(&mut *conn)
                        .await?
                    }
                };
                match by_name {
                    Some(row) => row,
                    None => {
                        sqlx::query_as(&format!(
                            "INSERT INTO repositories ({COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6, NULL, '{{}}', $7, $7) RETURNING {READ_COLUMNS}"
                        ))
                        .bind(RepositoryId::generate().as_str())
                        .bind(org.as_str())
                        .bind(repo.github_id)
                        .bind(installation_id)
                        .bind(&repo.full_name)
                        .bind(&repo.default_branch)
                        .bind(now)
                        .fetch_one(&mut *conn)
                        .await?
                    }
                }
            });
            attached.push(Repository::try_from(row)?);
        }
        tx.commit().await?;
        Ok(attached)
    }

    /// Detaches repositories an installation lost access to. They stay, with their history,
    /// but are no longer reached through GitHub. Returns how many were detached.
    pub async fn detach_installation_repositories(
        &self,
        installation_id: i64,
        github_ids: &[i64],
        now: Millis,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut detached = 0;
        for github_id in github_ids {
            detached += tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE repositories SET installation_id = NULL, updated_at = $1 \
                     WHERE installation_id = $2 AND github_id = $3",
                )
                .bind(now)
                .bind(installation_id)
                .bind(github_id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
        }
        tx.commit().await?;
        Ok(detached)
    }

    /// Sets what publishing may create for the repository's incidents; `None` when it does
    /// not exist in this organization.
    pub async fn set_repository_publish_mode(
        &self,
        org: &OrgId,
        id: &RepositoryId,
        mode: PublishMode,
        now: Millis,
    ) -> StoreResult<Option<Repository>> {
        let row: Option<RepositoryRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE repositories SET publish_mode = $1, updated_at = $2 \
                 WHERE org_id = $3 AND id = $4 RETURNING {READ_COLUMNS}"
            ))
            .bind(mode.as_str())
            .bind(now)
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Repository::try_from).transpose()
    }
}
