//! A person's verdict on a commit (`PATCH /api/v1/repositories/{id}/commits/{sha}`): the
//! commit and every file take the person's confidence and tool with method
//! `manual_override`, who decided, when and why. The files' risk, reassessed by the caller
//! with the new confidence, replaces the automatic one. Later automatic runs keep all of it
//! (see `record_one` in the parent module).

use super::StoredCommit;
use crate::code::AI_CONFIDENCE_THRESHOLD;
use crate::db::tx;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::{AiTool, RiskTier};
use sentinel_core::id::{OrgId, RepositoryId};

/// A person's verdict on a commit.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitOverride {
    pub ai_confidence: f64,
    pub tool: Option<AiTool>,
    /// Who decided: `user:<id>` or `api_key:<id>`.
    pub by: String,
    /// Why, in the person's words.
    pub note: Option<String>,
    /// Each file's risk assessed with the verdict's confidence; files not listed keep theirs.
    pub file_risks: Vec<FileRisk>,
}

/// One file's risk under a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRisk {
    pub path: String,
    pub risk_tier: RiskTier,
    pub risk_score: f64,
    pub explanation: String,
    pub flagged: bool,
}

impl Store {
    /// Sets a person's verdict on a commit and all its files. `None` when the commit is not
    /// attributed in this organization's repository.
    pub async fn override_commit_attribution(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        sha: &str,
        verdict: &CommitOverride,
        now: Millis,
    ) -> StoreResult<Option<StoredCommit>> {
        let tool = verdict.tool.map(|t| t.as_str());
        let confidence = verdict.ai_confidence.clamp(0.0, 1.0);
        let mut tx = self.begin().await?;
        let changed = tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE commits SET ai_confidence = $1, method = 'manual_override', tool = $2, \
                 overridden_by = $3, overridden_at = $4, override_note = $5, \
                 ai_lines_added = CASE WHEN $1 >= $6 THEN lines_added ELSE 0 END \
                 WHERE org_id = $7 AND repository_id = $8 AND sha = $9 AND status = 'attributed'",
            )
            .bind(confidence)
            .bind(tool)
            .bind(&verdict.by)
            .bind(now)
            .bind(verdict.note.as_deref())
            .bind(AI_CONFIDENCE_THRESHOLD)
            .bind(org.as_str())
            .bind(repository.as_str())
            .bind(sha)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            // Nothing was changed: ending the transaction is all there is to do.
            tx.commit().await?;
            return Ok(None);
        }
        tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE code_attribution SET ai_confidence = $1, method = 'manual_override', \
                 tool = $2, overridden_by = $3, overridden_at = $4 \
                 WHERE org_id = $5 AND repository_id = $6 AND sha = $7",
            )
            .bind(confidence)
            .bind(tool)
            .bind(&verdict.by)
            .bind(now)
            .bind(org.as_str())
            .bind(repository.as_str())
            .bind(sha)
            .execute(&mut *conn)
            .await?;
        });
        for risk in &verdict.file_risks {
            tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE code_attribution SET risk_tier = $1, risk_score = $2, \
                     explanation = $3, flagged = $4 \
                     WHERE org_id = $5 AND repository_id = $6 AND sha = $7 AND path = $8",
                )
                .bind(risk.risk_tier.as_str())
                .bind(risk.risk_score)
                .bind(&risk.explanation)
                .bind(risk.flagged)
                .bind(org.as_str())
                .bind(repository.as_str())
                .bind(sha)
                .bind(&risk.path)
                .execute(&mut *conn)
                .await?;
            });
        }
        tx.commit().await?;
        self.get_commit(org, repository, sha).await
    }
}
