//! `GET /api/v1/repositories/{id}/commits/{sha}`: a commit with its attribution and each
//! file's (confidence, method, tool, risk tier and score with the explanation, every signal
//! with its weight and evidence); `sha` may be a unique prefix of 7 or more characters.
//!
//! `PATCH` of the same path records a person's verdict: `{"ai": true|false, "tool": "claude",
//! "note": "…"}`. The commit and its files take confidence 1 (AI) or 0 (human) with method
//! `manual_override`, who decided (`user:<id>` or `api_key:<id>`) and when; each file's risk
//! is assessed again with the new confidence under the repository's risk rules. The store
//! keeps the verdict when the commit is attributed again later. Members and above may
//! override.

use super::SignalAnswer;
use crate::api::repositories::find;
use crate::api::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use sentinel_core::clock::Millis;
use sentinel_core::code::AiTool;
use sentinel_core::id::{ApiKeyId, OrgId, RepositoryId, UserId};
use sentinel_core::role::Role;
use sentinel_store::code::{
    CommitOverride, CommitStatus, FileRisk, Repository, StoredCommit, StoredFileAttribution,
};
use serde::{Deserialize, Serialize};

/// The longest note a verdict may carry, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Someone named by git.
#[derive(Debug, Serialize)]
pub struct PersonAnswer {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A person's verdict, as answered.
#[derive(Debug, Serialize)]
pub struct OverrideAnswer {
    /// `user:<id>` or `api_key:<id>`.
    pub by: String,
    /// The user's e-mail or the API key's name, when they still exist.
    pub by_name: Option<String>,
    pub at: Option<Millis>,
    pub note: Option<String>,
}

/// One file's attribution, as answered.
#[derive(Debug, Serialize)]
pub struct FileAnswer {
    pub path: String,
    pub ai_confidence: f64,
    pub method: &'static str,
    pub tool: Option<&'static str>,
    pub risk_tier: &'static str,
    pub risk_score: f64,
    pub flagged: bool,
    pub explanation: String,
    pub lines_added: i64,
    pub lines_deleted: i64,
    pub signals: Vec<SignalAnswer>,
}

impl From<&StoredFileAttribution> for FileAnswer {
    fn from(file: &StoredFileAttribution) -> Self {
        Self {
            path: file.path.clone(),
            ai_confidence: file.ai_confidence,
            method: file.method.as_str(),
            tool: file.tool.map(|t| t.as_str()),
            risk_tier: file.risk_tier.as_str(),
            risk_score: file.risk_score,
            flagged: file.flagged,
            explanation: file.explanation.clone(),
            lines_added: file.lines_added,
            lines_deleted: file.lines_deleted,
            signals: file.signals.iter().map(SignalAnswer::from).collect(),
        }
    }
}

/// A commit, as answered.
#[derive(Debug, Serialize)]
pub struct CommitAnswer {
    pub repository_id: RepositoryId,
    pub sha: String,
    /// `pending` (announced, not read yet), `attributed` or `unavailable`.
    pub status: &'static str,
    pub unavailable_reason: Option<String>,
    pub subject: Option<String>,
    pub parents: Vec<String>,
    pub is_merge: bool,
    pub author: PersonAnswer,
    pub committer: PersonAnswer,
    pub authored_at: Option<Millis>,
    /// Minutes east of UTC in the author's own time zone.
    pub author_utc_offset_minutes: Option<i32>,
    pub committed_at: Option<Millis>,
    pub lines_added: i64,
    pub lines_deleted: i64,
    pub ai_lines_added: i64,
    pub ai_confidence: Option<f64>,
    pub method: Option<&'static str>,
    pub tool: Option<&'static str>,
    pub signals: Vec<SignalAnswer>,
    pub attributed_at: Option<Millis>,
    #[serde(rename = "override")]
    pub verdict: Option<OverrideAnswer>,
    pub files: Vec<FileAnswer>,
}

impl CommitAnswer {
    pub fn new(commit: &StoredCommit, by_name: Option<String>) -> Self {
        Self {
            repository_id: commit.repository_id.clone(),
            sha: commit.sha.clone(),
            status: commit.status.as_str(),
            unavailable_reason: commit.unavailable_reason.clone(),
            subject: commit.subject.clone(),
            parents: commit.parents.clone(),
            is_merge: commit.is_merge,
            author: PersonAnswer {
                name: commit.author_name.clone(),
                email: commit.author_email.clone(),
            },
            committer: PersonAnswer {
                name: commit.committer_name.clone(),
                email: commit.committer_email.clone(),
            },
            authored_at: commit.authored_at,
            author_utc_offset_minutes: commit.author_offset_minutes,
            committed_at: commit.committed_at,
            lines_added: commit.lines_added,
            lines_deleted: commit.lines_deleted,
            ai_lines_added: commit.ai_lines_added,
            ai_confidence: commit.ai_confidence,
            method: commit.method.map(|m| m.as_str()),
            tool: commit.tool.map(|t| t.as_str()),
            signals: commit.signals.iter().map(SignalAnswer::from).collect(),
            attributed_at: commit.attributed_at,
            verdict: commit.overridden_by.as_ref().map(|by| OverrideAnswer {
                by: by.clone(),
                by_name,
                at: commit.overridden_at,
                note: commit.override_note.clone(),
            }),
            files: commit.files.iter().map(FileAnswer::from).collect(),
        }
    }
}

/// The commit `sha` (or a unique prefix) of `repo`, or 404.
pub async fn find_commit(
    state: &AppState,
    org: &OrgId,
    repo: &Repository,
    sha: &str,
) -> Result<StoredCommit, ApiError> {
    state
        .store
        .get_commit(org, &repo.id, sha)
        .await?
        .ok_or_else(|| ApiError::not_found("no such commit in this repository"))
}

/// Who decided, as a person reads it: the user's e-mail or the API key's name.
pub async fn decider_name(
    state: &AppState,
    org: &OrgId,
    by: &str,
) -> Result<Option<String>, ApiError> {
    if let Some(id) = by.strip_prefix("user:") {
        let user = state.store.get_user(&UserId::from_string(id)).await?;
        return Ok(user.map(|u| u.email));
    }
    if let Some(id) = by.strip_prefix("api_key:") {
        let key = state
            .store
            .get_api_key(org, &ApiKeyId::from_string(id))
            .await?;
        return Ok(key.map(|k| format!("API key {}", k.name)));
    }
    Ok(None)
}

async fn answer(
    state: &AppState,
    org: &OrgId,
    commit: &StoredCommit,
) -> Result<CommitAnswer, ApiError> {
    let by_name = match &commit.overridden_by {
        Some(by) => decider_name(state, org, by).await?,
        None => None,
    };
    Ok(CommitAnswer::new(commit, by_name))
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Json<CommitAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let repo = find(&state, &principal, &id).await?;
    let commit = find_commit(&state, &principal.org_id, &repo, &sha).await?;
    Ok(Json(answer(&state, &principal.org_id, &commit).await?))
}

/// A verdict as written: `ai` is required, `tool` only with `ai: true`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    #[serde(default)]
    pub ai: Option<bool>,
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A verdict checked: the confidence, the tool and the note to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub ai: bool,
    pub tool: Option<AiTool>,
    pub note: Option<String>,
}

impl OverrideRequest {
    /// Checks the request, with 400 answers that say what to change.
    pub fn verdict(&self) -> Result<Verdict, ApiError> {
        let ai = self.ai.ok_or_else(|| {
            ApiError::bad_request("ai is required: true (AI-written) or false (human)")
        })?;
        let tool =
            match self
                .tool
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                None => None,
                Some(_) if !ai => return Err(ApiError::bad_request(
                    "tool can only be given with ai: true (a human-written commit names no tool)",
                )),
                Some(text) => Some(text.parse::<AiTool>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "unknown tool {text:?}; expected one of {}",
                        AiTool::ALL
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?),
            };
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(ApiError::bad_request(format!(
                "note must be at most {MAX_NOTE_CHARS} characters"
            )));
        }
        Ok(Verdict { ai, tool, note })
    }
}

/// Records `verdict` on the commit `sha` of `repo` for `by`, reassessing each file's risk
/// with the verdict's confidence. 404 for an unknown commit, 409 for one not attributed yet.
pub async fn apply_override(
    state: &AppState,
    org: &OrgId,
    repo: &Repository,
    sha: &str,
    verdict: &Verdict,
    by: String,
) -> Result<StoredCommit, ApiError> {
    let commit = find_commit(state, org, repo, sha).await?;
    if commit.status != CommitStatus::Attributed {
        return Err(ApiError::conflict(format!(
            "commit {} is {}, not attributed yet: there is nothing to override",
            commit.sha,
            commit.status.as_str()
        )));
    }
    let confidence = if verdict.ai { 1.0 } else { 0.0 };
    // A person who says "AI" without naming the tool keeps the tool Sentinel found.
    let tool = match (verdict.ai, verdict.tool) {
        (false, _) => None,
        (true, Some(tool)) => Some(tool),
        (true, None) => commit.tool,
    };
    let rules = repo
        .settings
        .risk_rules()
        .map_err(|err| ApiError::internal(format!("stored risk patterns: {err}")))?;
    let file_risks = commit
        .files
        .iter()
        .map(|file| {
            let risk = rules.assess(&file.path, confidence);
            FileRisk {
                path: file.path.clone(),
                risk_tier: risk.tier,
                risk_score: risk.score,
                explanation: risk.explanation,
                flagged: risk.flagged,
            }
        })
        .collect();
    let record = CommitOverride {
        ai_confidence: confidence,
        tool,
        by: by.clone(),
        note: verdict.note.clone(),
        file_risks,
    };
    let now = state.clock.now_ms();
    let updated = state
        .store
        .override_commit_attribution(org, &repo.id, &commit.sha, &record, now)
        .await?
        .ok_or_else(|| ApiError::conflict("the commit changed meanwhile; try again"))?;
    tracing::info!(repository = %repo.id, sha = %commit.sha, by = %by, ai = verdict.ai, "commit attribution overridden");
    Ok(updated)
}

/// Who is deciding, as recorded: the user behind a session, else the API key.
pub fn decider_of(principal: &Principal) -> String {
    match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(key)) => format!("api_key:{key}"),
        (None, None) => "unknown".to_string(),
    }
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, sha)): Path<(String, String)>,
    ApiJson(request): ApiJson<OverrideRequest>,
) -> Result<Json<CommitAnswer>, ApiError> {
    principal.require(Role::Member)?;
    let verdict = request.verdict()?;
    let repo = find(&state, &principal, &id).await?;
    let updated = apply_override(
        &state,
        &principal.org_id,
        &repo,
        &sha,
        &verdict,
        decider_of(&principal),
    )
    .await?;
    Ok(Json(answer(&state, &principal.org_id, &updated).await?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(ai: Option<bool>, tool: Option<&str>, note: Option<&str>) -> OverrideRequest {
        OverrideRequest {
            ai,
            tool: tool.map(str::to_string),
            note: note.map(str::to_string),
        }
    }

    #[test]
    fn a_verdict_needs_ai_and_a_known_tool_only_when_ai() {
        assert!(request(None, None, None).verdict().is_err());
        let human = request(Some(false), None, Some("  mine  "))
            .verdict()
            .unwrap();
        assert_eq!(human.note.as_deref(), Some("mine"));
        assert!(request(Some(false), Some("claude"), None)
            .verdict()
            .is_err());
        assert!(request(Some(true), Some("clippy"), None).verdict().is_err());
        let ai = request(Some(true), Some("cursor"), Some(""))
            .verdict()
            .unwrap();
        assert_eq!(ai.tool, Some(AiTool::Cursor));
        assert_eq!(ai.note, None);
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(request(Some(true), None, Some(&long)).verdict().is_err());
    }
}
