//! The commit an incident most likely came from, with that commit's attribution copied onto
//! it (migration 0018). Written by the autopsy's suspect step, read by the incident API.

use crate::db::{read, write};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId, RepositoryId};

/// An incident's suspect commit.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSuspect {
    pub incident_id: IncidentId,
    pub repository_id: RepositoryId,
    pub sha: String,
    /// The repository file the frame mapped to, and the frame's line when it had one.
    pub path: String,
    pub line: Option<i64>,
    /// The commit the search read the repository at.
    pub revision: String,
    /// Why this commit, in words (`blame of app/users.py:13 at 1a2b3c4`).
    pub reason: String,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub authored_at: Option<Millis>,
    /// The commit's attribution when the search ran; `None` when it was not attributed.
    pub ai_confidence: Option<f64>,
    pub method: Option<String>,
    pub tool: Option<String>,
    pub found_at: Millis,
}

#[derive(sqlx::FromRow)]
struct SuspectRow {
    incident_id: String,
    repository_id: String,
    sha: String,
    path: String,
    line: Option<i64>,
    revision: String,
    reason: String,
    author_name: Option<String>,
    author_email: Option<String>,
    authored_at: Option<i64>,
    ai_confidence: Option<f64>,
    method: Option<String>,
    tool: Option<String>,
    found_at: i64,
}

impl From<SuspectRow> for IncidentSuspect {
    fn from(row: SuspectRow) -> Self {
        IncidentSuspect {
            incident_id: IncidentId::from_string(row.incident_id),
            repository_id: RepositoryId::from_string(row.repository_id),
            sha: row.sha,
            path: row.path,
            line: row.line,
            revision: row.revision,
            reason: row.reason,
            author_name: row.author_name,
            author_email: row.author_email,
            authored_at: row.authored_at,
            ai_confidence: row.ai_confidence,
            method: row.method,
            tool: row.tool,
            found_at: row.found_at,
        }
    }
}

const COLUMNS: &str = "incident_id, repository_id, sha, path, line, revision, reason, \
    author_name, author_email, authored_at, ai_confidence, method, tool, found_at";

impl Store {
    /// Records (or replaces) an incident's suspect.
    pub async fn set_incident_suspect(
        &self,
        org: &OrgId,
        suspect: &IncidentSuspect,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            sqlx::query(&format!(
                "INSERT INTO incident_suspects (org_id, {COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (incident_id) DO UPDATE SET repository_id = excluded.repository_id, \
                 sha = excluded.sha, path = excluded.path, line = excluded.line, \
                 revision = excluded.revision, reason = excluded.reason, \
                 author_name = excluded.author_name, author_email = excluded.author_email, \
                 authored_at = excluded.authored_at, ai_confidence = excluded.ai_confidence, \
                 method = excluded.method, tool = excluded.tool, found_at = excluded.found_at"
            ))
            .bind(org.as_str())
            .bind(suspect.incident_id.as_str())
            .bind(suspect.repository_id.as_str())
            .bind(&suspect.sha)
            .bind(&suspect.path)
            .bind(suspect.line)
            .bind(&suspect.revision)
            .bind(&suspect.reason)
            .bind(suspect.author_name.as_deref())
            .bind(suspect.author_email.as_deref())
            .bind(suspect.authored_at)
            .bind(suspect.ai_confidence)
            .bind(suspect.method.as_deref())
            .bind(suspect.tool.as_deref())
            .bind(suspect.found_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn get_incident_suspect(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> StoreResult<Option<IncidentSuspect>> {
        let row: Option<SuspectRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM incident_suspects WHERE org_id = $1 AND incident_id = $2"
            ))
            .bind(org.as_str())
            .bind(incident.as_str())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(IncidentSuspect::from))
    }
}
