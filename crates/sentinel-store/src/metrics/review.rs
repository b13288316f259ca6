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
    /// Pull requests opened by `at` that were neither reviewed, merged nor closed by then.
    pub async fn pull_requests_waiting_for_review(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        at: Millis,
    ) -> StoreResult<i64> {
        let waiting: i64 = read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(DISTINCT o.pr_number) FROM code_events o \
                 WHERE o.repository_id = $1 AND o.org_id = $2 AND o.kind = 'pr_opened' \
                 AND o.occurred_at <= $3 AND o.pr_number IS NOT NULL AND NOT EXISTS ( \
                   SELECT 1 FROM code_events e WHERE e.repository_id = o.repository_id \
                   AND e.pr_number = o.pr_number \
                   AND e.kind IN ('pr_reviewed', 'pr_merged', 'pr_closed') \
                   AND e.occurred_at <= $3)",
            )
            .bind(repository.as_str())
            .bind(org.as_str())
            .bind(at)
            .fetch_one(pool)
            .await?
        });
        Ok(waiting)
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
