//! Commits and their per-file attribution. A commit row exists from the moment a push
//! announces it (`pending`), becomes `attributed` when its attribution is recorded, or
//! `unavailable` when its content cannot be read (force-pushed away). One `code_attribution`
//! row per (repository, commit, file).
//!
//! A manual override (a person's verdict through the API) wins over later automatic runs:
//! recording an attribution for an overridden commit keeps the person's confidence, method
//! and tool on the commit and its files.

use super::rows::to_json;
use super::AI_CONFIDENCE_THRESHOLD;
use crate::db::{read, tx};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::code::{Commit, CommitAttribution, CommitRef};
use sentinel_core::id::{OrgId, RepositoryId};

mod overrides;
mod reads;
mod summaries;

pub use overrides::{CommitOverride, FileRisk};
pub use reads::{CommitStatus, StoredCommit, StoredFileAttribution};
pub(super) use reads::{FileRow, FILE_COLUMNS};
pub use summaries::CommitSummary;

/// A commit as a push announced it, before its content has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    pub sha: String,
    pub author_name: String,
    pub author_email: String,
    pub authored_at: Millis,
    pub author_offset_minutes: i32,
    pub committer_name: String,
    pub committer_email: String,
    pub subject: String,
}

impl PendingCommit {
    pub fn from_push(commit: &CommitRef) -> Self {
        Self {
            sha: commit.sha.clone(),
            author_name: commit.author.person.name.clone(),
            author_email: commit.author.person.email.clone(),
            authored_at: commit.author.at_ms,
            author_offset_minutes: commit.author.utc_offset_minutes,
            committer_name: commit.committer.name.clone(),
            committer_email: commit.committer.email.clone(),
            subject: subject_of(&commit.message),
        }
    }
}

fn subject_of(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_owned()
}

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Records commits a push announced. Commits already known are left alone; the shas of
    /// the new ones are returned (those whose attribution must be queued).
    pub async fn upsert_pending_commits(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        commits: &[PendingCommit],
    ) -> StoreResult<Vec<String>> {
        let mut tx = self.begin().await?;
        let mut new = Vec::new();
        for commit in commits {
            let added = tx!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO commits (repository_id, sha, org_id, author_name, author_email, \
                     authored_at, author_offset, committer_name, committer_email, subject, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending') \
                     ON CONFLICT (repository_id, sha) DO NOTHING",
                )
                .bind(repository.as_str())
                .bind(&commit.sha)
                .bind(org.as_str())
                .bind(&commit.author_name)
                .bind(&commit.author_email)
                .bind(commit.authored_at)
                .bind(i64::from(commit.author_offset_minutes))
                .bind(&commit.committer_name)
                .bind(&commit.committer_email)
                .bind(&commit.subject)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                    > 0
            });
            if added {
                new.push(commit.sha.clone());
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Records one commit's content and attribution (see [`Store::record_attributions`]).
    pub async fn record_attribution(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        commit: &Commit,
        attribution: &CommitAttribution,
        now: Millis,
    ) -> StoreResult<()> {
        self.record_attributions(org, repository, &[(commit, attribution)], now)
            .await
    }

    /// Records commits with their attributions in one transaction: the commit row (created
    /// or completed) and one row per file, replacing an earlier attribution of the same
    /// commit. A manual override on a commit is kept.
    pub async fn record_attributions(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        batch: &[(&Commit, &CommitAttribution)],
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for (commit, attribution) in batch {
            record_one(&mut tx, org, repository, commit, attribution, now).await?;
        }
        tx.commit().await
    }

    /// Marks a commit whose content cannot be read (force-pushed away, or a clone without it),
    /// so it is not retried forever. The row is created if the push was never seen.
    pub async fn mark_commit_unavailable(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        sha: &str,
        reason: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO commits (repository_id, sha, org_id, status, unavailable_reason, \
                 attributed_at) VALUES ($1, $2, $3, 'unavailable', $4, $5) \
                 ON CONFLICT (repository_id, sha) DO UPDATE SET status = 'unavailable', \
                 unavailable_reason = excluded.unavailable_reason, \
                 attributed_at = excluded.attributed_at WHERE commits.status <> 'attributed'",
            )
            .bind(repository.as_str())
            .bind(sha)
            .bind(org.as_str())
            .bind(reason)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        tx.commit().await
    }

    /// The author date of the same author's latest commit strictly before `before` (the
    /// velocity signal's "previous commit").
    pub async fn last_commit_by_author(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        author_email: &str,
        before: Millis,
    ) -> StoreResult<Option<Millis>> {
        let at: Option<i64> = read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT MAX(authored_at) FROM commits WHERE org_id = $1 AND repository_id = $2 \
                 AND author_email = $3 AND authored_at < $4",
            )
            .bind(org.as_str())
            .bind(repository.as_str())
            .bind(author_email)
            .bind(before)
            .fetch_one(pool)
            .await?
        });
        Ok(at)
    }

    /// The shas of the repository's commits that need no more work (attributed or
    /// unavailable): what a second `repo scan` skips.
    pub async fn settled_commit_shas(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
    ) -> StoreResult<std::collections::HashSet<String>> {
        let shas: Vec<String> = read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT sha FROM commits WHERE org_id = $1 AND repository_id = $2 \
                 AND status <> 'pending'",
            )
            .bind(org.as_str())
            .bind(repository.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(shas.into_iter().collect())
    }
}

async fn record_one(
    tx: &mut Tx,
    org: &OrgId,
    repository: &RepositoryId,
    commit: &Commit,
    attribution: &CommitAttribution,
    now: Millis,
) -> StoreResult<()> {
    if attribution.sha != commit.sha {
        return Err(StoreError::Corrupt(format!(
            "attribution of {} recorded for commit {}",
            attribution.sha, commit.sha
        )));
    }
    let parents = to_json("commit parents", &commit.parents)?;
    let signals = to_json("commit signals", &attribution.signals)?;
    let ai_lines: u64 = attribution
        .files
        .iter()
        .filter(|f| f.ai_confidence >= AI_CONFIDENCE_THRESHOLD)
        .map(|f| u64::from(f.lines_added))
        .sum();
    let overridden: Option<(f64, String, Option<String>)> = tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO commits (repository_id, sha, org_id, author_name, author_email, \
             authored_at, author_offset, committer_name, committer_email, committed_at, \
             committer_offset, subject, parents, is_merge, lines_added, lines_deleted, \
             ai_lines_added, status, ai_confidence, method, tool, signals, attributed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             'attributed', $18, $19, $20, $21, $22) \
             ON CONFLICT (repository_id, sha) DO UPDATE SET author_name = excluded.author_name, \
             author_email = excluded.author_email, authored_at = excluded.authored_at, \
             author_offset = excluded.author_offset, committer_name = excluded.committer_name, \
             committer_email = excluded.committer_email, committed_at = excluded.committed_at, \
             committer_offset = excluded.committer_offset, subject = excluded.subject, \
             parents = excluded.parents, is_merge = excluded.is_merge, \
             lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted, \
             status = 'attributed', unavailable_reason = NULL, signals = excluded.signals, \
             attributed_at = excluded.attributed_at, \
             ai_lines_added = CASE WHEN commits.overridden_by IS NULL \
                THEN excluded.ai_lines_added ELSE commits.ai_lines_added END, \
             ai_confidence = CASE WHEN commits.overridden_by IS NULL \
                THEN excluded.ai_confidence ELSE commits.ai_confidence END, \
             method = CASE WHEN commits.overridden_by IS NULL \
                THEN excluded.method ELSE commits.method END, \
             tool = CASE WHEN commits.overridden_by IS NULL \
                THEN excluded.tool ELSE commits.tool END",
        )
        .bind(repository.as_str())
        .bind(&commit.sha)
        .bind(org.as_str())
        .bind(&commit.author.person.name)
        .bind(&commit.author.person.email)
        .bind(commit.author.at_ms)
        .bind(i64::from(commit.author.utc_offset_minutes))
        .bind(&commit.committer.person.name)
        .bind(&commit.committer.person.email)
        .bind(commit.committer.at_ms)
        .bind(i64::from(commit.committer.utc_offset_minutes))
        .bind(subject_of(&commit.message))
        .bind(&parents)
        .bind(commit.is_merge())
        .bind(i64_of(commit.lines_added()))
        .bind(i64_of(commit.lines_deleted()))
        .bind(i64_of(ai_lines))
        .bind(attribution.ai_confidence)
        .bind(attribution.method.as_str())
        .bind(attribution.tool.map(|t| t.as_str()))
        .bind(&signals)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let verdict: Option<(f64, String, Option<String>)> = sqlx::query_as(
            "SELECT ai_confidence, overridden_by, tool FROM commits \
             WHERE repository_id = $1 AND sha = $2 AND overridden_by IS NOT NULL",
        )
        .bind(repository.as_str())
        .bind(&commit.sha)
        .fetch_optional(&mut *conn)
        .await?;
        // An overridden commit's file rows keep the person's verdict and the risk assessed
        // with it; only what was read from the commit is refreshed below.
        if verdict.is_none() {
            sqlx::query("DELETE FROM code_attribution WHERE repository_id = $1 AND sha = $2")
                .bind(repository.as_str())
                .bind(&commit.sha)
                .execute(&mut *conn)
                .await?;
        }
        verdict
    });
    let on_conflict = if overridden.is_some() {
        "DO UPDATE SET authored_at = excluded.authored_at, signals = excluded.signals, \
         lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted, \
         computed_at = excluded.computed_at"
    } else {
        // The same path twice in one attribution: the first one stands.
        "DO NOTHING"
    };
    let insert_file = format!(
        "INSERT INTO code_attribution (repository_id, sha, path, org_id, authored_at, \
         ai_confidence, method, tool, signals, lines_added, lines_deleted, risk_tier, \
         risk_score, explanation, flagged, overridden_by, overridden_at, computed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18) ON CONFLICT (repository_id, sha, path) {on_conflict}"
    );
    for file in &attribution.files {
        let signals = to_json("file signals", &file.signals)?;
        let (confidence, method, tool, by) = match &overridden {
            Some((confidence, by, tool)) => (
                *confidence,
                "manual_override",
                tool.clone(),
                Some(by.as_str()),
            ),
            None => (
                file.ai_confidence,
                file.method.as_str(),
                file.tool.map(|t| t.as_str().to_owned()),
                None,
            ),
        };
        tx!(tx, |conn| {
            sqlx::query(&insert_file)
                .bind(repository.as_str())
                .bind(&commit.sha)
                .bind(&file.path)
                .bind(org.as_str())
                .bind(commit.author.at_ms)
                .bind(confidence)
                .bind(method)
                .bind(tool.as_deref())
                .bind(&signals)
                .bind(i64::from(file.lines_added))
                .bind(i64::from(file.lines_deleted))
                .bind(file.risk_tier.as_str())
                .bind(file.risk_score)
                .bind(&file.explanation)
                .bind(file.flagged)
                .bind(by)
                .bind(by.map(|_| now))
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
    }
    Ok(())
}
