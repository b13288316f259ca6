//! Reading a commit back with its files' attributions: what the commit page and
//! `GET /api/v1/repositories/{id}/commits/{sha}` show.

use crate::code::rows::parse_json;
use crate::db::read;
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::{AiTool, AttributionMethod, RiskTier, Signal};
use sentinel_core::id::{OrgId, RepositoryId};

/// Where a commit is in its attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStatus {
    /// Announced by a push; not read yet.
    Pending,
    Attributed,
    /// Its content could not be read (see `unavailable_reason`).
    Unavailable,
}

impl CommitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitStatus::Pending => "pending",
            CommitStatus::Attributed => "attributed",
            CommitStatus::Unavailable => "unavailable",
        }
    }

    pub(super) fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "pending" => Ok(CommitStatus::Pending),
            "attributed" => Ok(CommitStatus::Attributed),
            "unavailable" => Ok(CommitStatus::Unavailable),
            other => Err(StoreError::Corrupt(format!("commit status {other:?}"))),
        }
    }
}

/// A stored commit with its attribution.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCommit {
    pub repository_id: RepositoryId,
    pub sha: String,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub authored_at: Option<Millis>,
    pub author_offset_minutes: Option<i32>,
    pub committer_name: Option<String>,
    pub committer_email: Option<String>,
    pub committed_at: Option<Millis>,
    pub committer_offset_minutes: Option<i32>,
    pub subject: Option<String>,
    pub parents: Vec<String>,
    pub is_merge: bool,
    pub lines_added: i64,
    pub lines_deleted: i64,
    /// Lines of the files judged AI (confidence ≥ 0.5).
    pub ai_lines_added: i64,
    pub status: CommitStatus,
    pub unavailable_reason: Option<String>,
    pub ai_confidence: Option<f64>,
    pub method: Option<AttributionMethod>,
    pub tool: Option<AiTool>,
    pub signals: Vec<Signal>,
    pub overridden_by: Option<String>,
    pub overridden_at: Option<Millis>,
    /// The note the person gave with their verdict.
    pub override_note: Option<String>,
    pub attributed_at: Option<Millis>,
    pub files: Vec<StoredFileAttribution>,
}

/// One file's attribution.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFileAttribution {
    pub sha: String,
    pub path: String,
    pub authored_at: Millis,
    pub ai_confidence: f64,
    pub method: AttributionMethod,
    pub tool: Option<AiTool>,
    pub signals: Vec<Signal>,
    pub lines_added: i64,
    pub lines_deleted: i64,
    pub risk_tier: RiskTier,
    pub risk_score: f64,
    pub explanation: String,
    pub flagged: bool,
    pub overridden_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CommitRow {
    repository_id: String,
    sha: String,
    author_name: Option<String>,
    author_email: Option<String>,
    authored_at: Option<i64>,
    author_offset: Option<i64>,
    committer_name: Option<String>,
    committer_email: Option<String>,
    committed_at: Option<i64>,
    committer_offset: Option<i64>,
    subject: Option<String>,
    parents: String,
    is_merge: bool,
    lines_added: i64,
    lines_deleted: i64,
    ai_lines_added: i64,
    status: String,
    unavailable_reason: Option<String>,
    ai_confidence: Option<f64>,
    method: Option<String>,
    tool: Option<String>,
    signals: String,
    overridden_by: Option<String>,
    overridden_at: Option<i64>,
    override_note: Option<String>,
    attributed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(in crate::code) struct FileRow {
    sha: String,
    path: String,
    authored_at: i64,
    ai_confidence: f64,
    method: String,
    tool: Option<String>,
    signals: String,
    lines_added: i64,
    lines_deleted: i64,
    risk_tier: String,
    risk_score: f64,
    explanation: String,
    flagged: bool,
    overridden_by: Option<String>,
}

impl FileRow {
    pub(in crate::code) fn path(&self) -> &str {
        &self.path
    }
}

pub(in crate::code) const FILE_COLUMNS: &str = "sha, path, authored_at, ai_confidence, method, \
     tool, signals, lines_added, lines_deleted, risk_tier, risk_score, explanation, flagged, \
     overridden_by";

const COMMIT_COLUMNS: &str = "repository_id, sha, author_name, author_email, authored_at, \
     author_offset, committer_name, committer_email, committed_at, committer_offset, subject, \
     parents, is_merge, lines_added, lines_deleted, ai_lines_added, status, unavailable_reason, \
     ai_confidence, method, tool, signals, overridden_by, overridden_at, override_note, \
     attributed_at";

pub(super) fn parse_named<T: std::str::FromStr<Err = sentinel_core::code::UnknownValue>>(
    text: &str,
) -> StoreResult<T> {
    text.parse()
        .map_err(|e: sentinel_core::code::UnknownValue| StoreError::Corrupt(e.to_string()))
}

impl TryFrom<FileRow> for StoredFileAttribution {
    type Error = StoreError;

    fn try_from(row: FileRow) -> StoreResult<Self> {
        Ok(Self {
            signals: parse_json("file signals", &row.signals)?,
            method: parse_named(&row.method)?,
            tool: row.tool.as_deref().map(parse_named).transpose()?,
            risk_tier: parse_named(&row.risk_tier)?,
            sha: row.sha,
            path: row.path,
            authored_at: row.authored_at,
            ai_confidence: row.ai_confidence,
            lines_added: row.lines_added,
            lines_deleted: row.lines_deleted,
            risk_score: row.risk_score,
            explanation: row.explanation,
            flagged: row.flagged,
            overridden_by: row.overridden_by,
        })
    }
}

impl CommitRow {
    fn into_commit(self, files: Vec<StoredFileAttribution>) -> StoreResult<StoredCommit> {
        Ok(StoredCommit {
            parents: parse_json("commit parents", &self.parents)?,
            signals: parse_json("commit signals", &self.signals)?,
            status: CommitStatus::parse(&self.status)?,
            method: self.method.as_deref().map(parse_named).transpose()?,
            tool: self.tool.as_deref().map(parse_named).transpose()?,
            repository_id: RepositoryId::from_string(self.repository_id),
            sha: self.sha,
            author_name: self.author_name,
            author_email: self.author_email,
            authored_at: self.authored_at,
            author_offset_minutes: self.author_offset.and_then(|v| i32::try_from(v).ok()),
            committer_name: self.committer_name,
            committer_email: self.committer_email,
            committed_at: self.committed_at,
            committer_offset_minutes: self.committer_offset.and_then(|v| i32::try_from(v).ok()),
            subject: self.subject,
            is_merge: self.is_merge,
            lines_added: self.lines_added,
            lines_deleted: self.lines_deleted,
            ai_lines_added: self.ai_lines_added,
            unavailable_reason: self.unavailable_reason,
            ai_confidence: self.ai_confidence,
            overridden_by: self.overridden_by,
            overridden_at: self.overridden_at,
            override_note: self.override_note,
            attributed_at: self.attributed_at,
            files,
        })
    }
}

impl Store {
    /// A commit of the organization's repository with its files, by full sha (or by a
    /// unique prefix of at least 7 characters).
    pub async fn get_commit(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        sha: &str,
    ) -> StoreResult<Option<StoredCommit>> {
        let sha = sha.to_ascii_lowercase();
        let row: Option<CommitRow> = if sha.len() >= 40 {
            read!(self, |pool| {
                sqlx::query_as(&format!(
                    "SELECT {COMMIT_COLUMNS} FROM commits \
                     WHERE org_id = $1 AND repository_id = $2 AND sha = $3"
                ))
                .bind(org.as_str())
                .bind(repository.as_str())
                .bind(&sha)
                .fetch_optional(pool)
                .await?
            })
        } else if sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            // A prefix: the primary key's range, two rows to see whether it is unique.
            let upper = format!("{sha}g");
            let rows: Vec<CommitRow> = read!(self, |pool| {
                sqlx::query_as(&format!(
                    "SELECT {COMMIT_COLUMNS} FROM commits WHERE org_id = $1 \
                     AND repository_id = $2 AND sha >= $3 AND sha < $4 LIMIT 2"
                ))
                .bind(org.as_str())
                .bind(repository.as_str())
                .bind(&sha)
                .bind(&upper)
                .fetch_all(pool)
                .await?
            });
            if rows.len() == 1 {
                rows.into_iter().next()
            } else {
                None
            }
        } else {
            None
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let files: Vec<FileRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {FILE_COLUMNS} FROM code_attribution \
                 WHERE repository_id = $1 AND sha = $2 ORDER BY path"
            ))
            .bind(repository.as_str())
            .bind(&row.sha)
            .fetch_all(pool)
            .await?
        });
        let files = files
            .into_iter()
            .map(StoredFileAttribution::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        row.into_commit(files).map(Some)
    }
}
