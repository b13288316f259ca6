//! Commits and their per-file attribution. A commit row exists from the moment a push
//! announces it (`pending`), becomes `attributed` when its attribution is recorded, or
//! `unavailable` when its content cannot be read (force-pushed away). One `code_attribution`
//! row per (repository, commit, file).
//!
//! A manual override (a person's verdict through the API) wins over later automatic runs:
//! recording an attribution for an overridden commit keeps the person's confidence, method
//! and tool on the commit and its files.

use crate::db::{read, tx};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::{Commit, CommitAttribution, CommitRef};
use sentinel_core::id::{OrgId, RepositoryId};

mod overrides;
mod reads;
mod record;
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
        record::record_batch(&mut tx, org, repository, batch, now).await?;
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
