//! What review saturation and the high-risk deploy rule read: pull requests waiting for a
//! first review, the reviews of the last days, and the T4 files a deploy shipped.

use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{CodeEventId, OrgId, RepositoryId};

/// A T4 file among a deploy's shipped commits.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShippedCriticalFile {
    pub sha: String,
    pub path: String,
    pub ai_confidence: f64,
}

impl Store {
    /// Pull requests opened in the `lookback_ms` before `at` that were neither reviewed,
    /// merged nor closed by then.
    pub async fn pull_requests_waiting_for_review(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        at: Millis,
        lookback_ms: Millis,
    ) -> StoreResult<i64> {
        let rows: Vec<(i64, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT pr_number, kind FROM code_events WHERE repository_id = $1 \
                 AND org_id = $2 AND occurred_at <= $3 AND occurred_at >= $4 \
                 AND pr_number IS NOT NULL \
                 AND kind IN ('pr_opened', 'pr_reviewed', 'pr_merged', 'pr_closed')",
            )
            .bind(repository.as_str())
            .bind(org.as_str())
            .bind(at)
            .bind(at.saturating_sub(lookback_ms))
            .fetch_all(pool)
            .await?
        });
        let mut opened = std::collections::BTreeSet::new();
        let mut settled = std::collections::BTreeSet::new();
        for (number, kind) in rows {
            if kind == "pr_opened" {
                opened.insert(number);
            } else {
                settled.insert(number);
            }
        }
        Ok(opened.difference(&settled).count() as i64)
    }

    /// The reviews submitted in `[from, to)`: reviewer and time, oldest first.
    pub async fn reviews_between(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(String, Millis)>> {
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT actor, occurred_at FROM code_events WHERE repository_id = $1 \
                 AND kind = 'pr_reviewed' AND occurred_at >= $2 AND occurred_at < $3 \
                 AND org_id = $4 ORDER BY occurred_at, id",
            )
            .bind(repository.as_str())
            .bind(from)
            .bind(to)
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The T4 files of the commits deploy `deploy` shipped, most surely AI-written first.
    pub async fn shipped_critical_files(
        &self,
        org: &OrgId,
        deploy: &CodeEventId,
        limit: i64,
    ) -> StoreResult<Vec<ShippedCriticalFile>> {
        let rows: Vec<ShippedCriticalFile> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.sha, a.path, a.ai_confidence FROM deploy_commits d \
                 JOIN deploy_ranges r ON r.deploy_event_id = d.deploy_event_id \
                 JOIN code_attribution a ON a.repository_id = d.repository_id AND a.sha = d.sha \
                 WHERE d.deploy_event_id = $1 AND r.org_id = $2 AND a.risk_tier = 'T4' \
                 ORDER BY a.ai_confidence DESC, a.path LIMIT $3",
            )
            .bind(deploy.as_str())
            .bind(org.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
