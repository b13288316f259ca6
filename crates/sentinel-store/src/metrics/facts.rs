//! What one row of `repo_metrics` is computed from, read for one repository and one range
//! `[from, to)` of UTC milliseconds: commits grouped by attribution, the pull requests merged
//! with their first review, distinct high-risk paths, deploys and incidents.

use crate::code::rows::parse_json;
use crate::code::AI_CONFIDENCE_THRESHOLD;
use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::CodeEventDetails;
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{CommitFact, PrFact, RowFacts};
use std::collections::HashSet;

#[derive(sqlx::FromRow)]
struct CommitGroupRow {
    method: Option<String>,
    ai: i64,
    commits: i64,
    lines: i64,
}

#[derive(sqlx::FromRow)]
struct MergedRow {
    pr_number: Option<i64>,
    occurred_at: i64,
    details: String,
    ai_confidence: Option<f64>,
    first_review_at: Option<i64>,
}

impl Store {
    /// The facts of one metrics row.
    pub async fn metric_facts(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<RowFacts> {
        let commits = self.commit_groups(org, repository, from, to).await?;
        let merged_prs = self.merged_pull_requests(org, repository, from, to).await?;
        let high_risk_files = self
            .count_high_risk_paths(org, repository, from, to, None)
            .await?;
        let deploys: i64 = read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM code_events WHERE repository_id = $1 AND kind = 'deploy' \
                 AND occurred_at >= $2 AND occurred_at < $3 AND org_id = $4",
            )
            .bind(repository.as_str())
            .bind(from)
            .bind(to)
            .bind(org.as_str())
            .fetch_one(pool)
            .await?
        });
        let (incidents, ai_incidents): (i64, i64) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN s.ai_confidence >= $5 \
                 THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM incident_suspects s JOIN incidents i ON i.id = s.incident_id \
                 WHERE s.repository_id = $1 AND s.org_id = $4 \
                 AND i.first_seen >= $2 AND i.first_seen < $3",
            )
            .bind(repository.as_str())
            .bind(from)
            .bind(to)
            .bind(org.as_str())
            .bind(AI_CONFIDENCE_THRESHOLD)
            .fetch_one(pool)
            .await?
        });
        Ok(RowFacts {
            commits,
            merged_prs,
            high_risk_files,
            deploys,
            incidents,
            ai_incidents,
        })
    }

    async fn commit_groups(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<CommitFact>> {
        let rows: Vec<CommitGroupRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT method, CAST(CASE WHEN ai_confidence >= $5 THEN 1 ELSE 0 END AS BIGINT) AS ai, \
                 COUNT(*) AS commits, \
                 CAST(COALESCE(SUM(lines_added + lines_deleted), 0) AS BIGINT) AS lines \
                 FROM commits WHERE repository_id = $1 AND org_id = $4 \
                 AND authored_at >= $2 AND authored_at < $3 \
                 AND status = 'attributed' AND is_merge = FALSE \
                 GROUP BY method, CASE WHEN ai_confidence >= $5 THEN 1 ELSE 0 END",
            )
            .bind(repository.as_str())
            .bind(from)
            .bind(to)
            .bind(org.as_str())
            .bind(AI_CONFIDENCE_THRESHOLD)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| CommitFact {
                method: row.method,
                ai: row.ai == 1,
                commits: row.commits,
                lines_changed: row.lines,
            })
            .collect())
    }

    /// Pull requests merged in `[from, to)`, each once, with GitHub's opened and merged
    /// times, its first review and whether its head commit is AI-attributed.
    async fn merged_pull_requests(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<PrFact>> {
        let rows: Vec<MergedRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT m.pr_number, m.occurred_at, m.details, c.ai_confidence, \
                 (SELECT MIN(r.occurred_at) FROM code_events r \
                  WHERE r.repository_id = m.repository_id AND r.pr_number = m.pr_number \
                  AND r.kind = 'pr_reviewed') AS first_review_at \
                 FROM code_events m LEFT JOIN commits c \
                 ON c.repository_id = m.repository_id AND c.sha = m.sha \
                 WHERE m.repository_id = $1 AND m.kind = 'pr_merged' AND m.org_id = $4 \
                 AND m.occurred_at >= $2 AND m.occurred_at < $3 \
                 ORDER BY m.occurred_at, m.id",
            )
            .bind(repository.as_str())
            .bind(from)
            .bind(to)
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut seen = HashSet::new();
        let mut prs = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(number) = row.pr_number else {
                continue;
            };
            if !seen.insert(number) {
                continue;
            }
            let details: CodeEventDetails =
                parse_json(&format!("merged pull request #{number}"), &row.details)?;
            let CodeEventDetails::PullRequest(pr) = details else {
                continue;
            };
            prs.push(PrFact {
                number,
                opened_at: pr.opened_at,
                first_review_at: row.first_review_at,
                merged_at: pr.merged_at.unwrap_or(row.occurred_at),
                ai: row
                    .ai_confidence
                    .is_some_and(|c| c >= AI_CONFIDENCE_THRESHOLD),
            });
        }
        Ok(prs)
    }
}
