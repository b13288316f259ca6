//! What publishing created on GitHub for an incident (`github_artifacts`, migration 0023):
//! at most one issue, one pull request and one branch per incident, so a re-run finds and
//! updates them instead of creating more.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{GithubArtifactId, IncidentId, OrgId};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GithubArtifactKind {
    Issue,
    Pr,
    Branch,
}

impl GithubArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::Pr => "pr",
            Self::Branch => "branch",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "issue" => Some(Self::Issue),
            "pr" => Some(Self::Pr),
            "branch" => Some(Self::Branch),
            _ => None,
        }
    }
}

/// An artifact as recorded. `number` is the issue's or PR's; `name` the branch's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubArtifact {
    pub id: GithubArtifactId,
    pub incident_id: IncidentId,
    pub kind: GithubArtifactKind,
    pub repo: String,
    pub number: Option<i64>,
    pub name: Option<String>,
    pub url: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An artifact to record for an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGithubArtifact {
    pub kind: GithubArtifactKind,
    pub repo: String,
    pub number: Option<i64>,
    pub name: Option<String>,
    pub url: String,
}

type ArtifactRow = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    String,
    i64,
    i64,
);

fn artifact(row: ArtifactRow) -> StoreResult<GithubArtifact> {
    let (id, incident, kind, repo, number, name, url, created_at, updated_at) = row;
    Ok(GithubArtifact {
        id: GithubArtifactId::from_string(id),
        incident_id: IncidentId::from_string(incident),
        kind: GithubArtifactKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("github artifact kind {kind}")))?,
        repo,
        number,
        name,
        url,
        created_at,
        updated_at,
    })
}

const COLUMNS: &str = "id, incident_id, kind, repo, number, name, url, created_at, updated_at";

impl Store {
    /// Records an artifact, or updates the incident's artifact of that kind (keeping its
    /// id and creation time). An incident outside the organization is `NotFound`.
    pub async fn upsert_github_artifact(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        new: &NewGithubArtifact,
        now: Millis,
    ) -> StoreResult<GithubArtifact> {
        let owned: (i64,) = read!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM incidents WHERE id = $1 AND org_id = $2")
                .bind(incident.as_str())
                .bind(org.as_str())
                .fetch_one(pool)
                .await?
        });
        if owned.0 == 0 {
            return Err(StoreError::NotFound);
        }
        let row: ArtifactRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO github_artifacts (org_id, {COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (incident_id, kind) DO UPDATE SET repo = excluded.repo, \
                 number = excluded.number, name = excluded.name, url = excluded.url, \
                 updated_at = excluded.updated_at RETURNING {COLUMNS}"
            ))
            .bind(org.as_str())
            .bind(GithubArtifactId::generate().as_str())
            .bind(incident.as_str())
            .bind(new.kind.as_str())
            .bind(&new.repo)
            .bind(new.number)
            .bind(new.name.as_deref())
            .bind(&new.url)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        artifact(row)
    }

    /// An incident's artifacts: issue, pr, branch order.
    pub async fn list_github_artifacts(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> StoreResult<Vec<GithubArtifact>> {
        let rows: Vec<ArtifactRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM github_artifacts WHERE org_id = $1 AND incident_id = $2"
            ))
            .bind(org.as_str())
            .bind(incident.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut artifacts = rows
            .into_iter()
            .map(artifact)
            .collect::<StoreResult<Vec<_>>>()?;
        artifacts.sort_by_key(|a| a.kind as u8);
        Ok(artifacts)
    }

    /// The incident's artifact of `kind`, if publishing made one.
    pub async fn get_github_artifact(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        kind: GithubArtifactKind,
    ) -> StoreResult<Option<GithubArtifact>> {
        let artifacts = self.list_github_artifacts(org, incident).await?;
        Ok(artifacts.into_iter().find(|a| a.kind == kind))
    }
}
