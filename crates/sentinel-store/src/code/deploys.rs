//! What each deploy shipped. A deploy code event is linked once to the commits its sha adds
//! over the previous deploy of the same environment (read from the clone or GitHub by the
//! job); afterwards "which deploys shipped this commit" is an index lookup, which is what
//! the suspect-commit search and the metrics ask.

use crate::db::{read, tx};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{CodeEventId, OrgId, RepositoryId};

/// Where the list of shipped commits came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployRangeSource {
    /// `git rev-list` in the repository's local clone.
    Clone,
    /// GitHub's compare API.
    Github,
    /// Neither could say (no clone, no App, or the base is gone): no commits are listed.
    Unknown,
}

impl DeployRangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployRangeSource::Clone => "clone",
            DeployRangeSource::Github => "github",
            DeployRangeSource::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "clone" => Ok(DeployRangeSource::Clone),
            "github" => Ok(DeployRangeSource::Github),
            "unknown" => Ok(DeployRangeSource::Unknown),
            other => Err(crate::StoreError::Corrupt(format!(
                "deploy range source {other:?}"
            ))),
        }
    }
}

/// One deploy's shipped commits, as the job found them.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployRange {
    pub deploy_event_id: CodeEventId,
    pub repository_id: RepositoryId,
    pub environment: String,
    pub head_sha: String,
    pub deployed_at: Millis,
    /// The previous deploy of the environment; `None` for its first deploy.
    pub previous_deploy_id: Option<CodeEventId>,
    pub base_sha: Option<String>,
    pub source: DeployRangeSource,
    /// Newest first.
    pub shas: Vec<String>,
    /// More commits were shipped than are listed.
    pub truncated: bool,
}

/// A deploy that shipped a given commit.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippingDeploy {
    pub deploy_event_id: CodeEventId,
    pub environment: String,
    pub head_sha: String,
    pub deployed_at: Millis,
}

#[derive(sqlx::FromRow)]
struct RangeRow {
    deploy_event_id: String,
    repository_id: String,
    environment: String,
    head_sha: String,
    deployed_at: i64,
    previous_deploy_id: Option<String>,
    base_sha: Option<String>,
    source: String,
    truncated: bool,
}

impl Store {
    /// Records what a deploy shipped, replacing an earlier link of the same deploy (a job
    /// that runs twice writes the same rows once).
    pub async fn link_deploy(
        &self,
        org: &OrgId,
        range: &DeployRange,
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let event = range.deploy_event_id.as_str();
        tx!(&mut tx, |conn| {
            sqlx::query("DELETE FROM deploy_ranges WHERE deploy_event_id = $1 AND org_id = $2")
                .bind(event)
                .bind(org.as_str())
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO deploy_ranges (deploy_event_id, repository_id, org_id, environment, \
                 head_sha, previous_deploy_id, base_sha, source, commit_count, truncated, \
                 deployed_at, linked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(event)
            .bind(range.repository_id.as_str())
            .bind(org.as_str())
            .bind(&range.environment)
            .bind(&range.head_sha)
            .bind(range.previous_deploy_id.as_ref().map(CodeEventId::as_str))
            .bind(range.base_sha.as_deref())
            .bind(range.source.as_str())
            .bind(i64::try_from(range.shas.len()).unwrap_or(i64::MAX))
            .bind(range.truncated)
            .bind(range.deployed_at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        for (position, sha) in range.shas.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            tx!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO deploy_commits (deploy_event_id, repository_id, sha, position, \
                     deployed_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (deploy_event_id, sha) DO NOTHING",
                )
                .bind(event)
                .bind(range.repository_id.as_str())
                .bind(sha)
                .bind(position)
                .bind(range.deployed_at)
                .execute(&mut *conn)
                .await?;
            });
        }
        tx.commit().await
    }

    /// What a deploy shipped, once linked.
    pub async fn get_deploy_range(
        &self,
        org: &OrgId,
        deploy_event_id: &CodeEventId,
    ) -> StoreResult<Option<DeployRange>> {
        let row: Option<RangeRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT deploy_event_id, repository_id, environment, head_sha, deployed_at, \
                 previous_deploy_id, base_sha, source, truncated \
                 FROM deploy_ranges WHERE org_id = $1 AND deploy_event_id = $2",
            )
            .bind(org.as_str())
            .bind(deploy_event_id.as_str())
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let shas: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT sha FROM deploy_commits WHERE deploy_event_id = $1 ORDER BY position",
            )
            .bind(deploy_event_id.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(Some(DeployRange {
            deploy_event_id: CodeEventId::from_string(row.deploy_event_id),
            repository_id: RepositoryId::from_string(row.repository_id),
            environment: row.environment,
            head_sha: row.head_sha,
            deployed_at: row.deployed_at,
            previous_deploy_id: row.previous_deploy_id.map(CodeEventId::from_string),
            base_sha: row.base_sha,
            source: DeployRangeSource::parse(&row.source)?,
            shas: shas.into_iter().map(|(sha,)| sha).collect(),
            truncated: row.truncated,
        }))
    }

    /// The deploys that shipped `sha`, oldest first: the first is when it reached users.
    pub async fn deploys_shipping(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        sha: &str,
    ) -> StoreResult<Vec<ShippingDeploy>> {
        let rows: Vec<(String, String, String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT r.deploy_event_id, r.environment, r.head_sha, r.deployed_at \
                 FROM deploy_commits d JOIN deploy_ranges r ON r.deploy_event_id = d.deploy_event_id \
                 WHERE d.repository_id = $1 AND d.sha = $2 AND r.org_id = $3 \
                 ORDER BY d.deployed_at, r.deploy_event_id",
            )
            .bind(repository.as_str())
            .bind(sha)
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, environment, head_sha, deployed_at)| ShippingDeploy {
                deploy_event_id: CodeEventId::from_string(id),
                environment,
                head_sha,
                deployed_at,
            })
            .collect())
    }
}
