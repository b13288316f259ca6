//! What attributing a whole history at once (`sentinel repo scan`) reads in one query each,
//! instead of one query per commit: every author date the repository's commits have, and
//! the latest pull request of every head sha.

use super::events::StoredCodeEvent;
use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::{CodeEventDetails, PullRequestDetails};
use sentinel_core::id::{OrgId, RepositoryId};
use std::collections::HashMap;

impl Store {
    /// `(author_email, authored_at)` of every commit of the repository that has both, in any
    /// status: what [`Store::last_commit_by_author`] searches.
    pub async fn commit_author_dates(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
    ) -> StoreResult<Vec<(String, Millis)>> {
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT author_email, authored_at FROM commits WHERE org_id = $1 \
                 AND repository_id = $2 AND author_email IS NOT NULL AND authored_at IS NOT NULL",
            )
            .bind(org.as_str())
            .bind(repository.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// For each head sha of the repository's pull-request events, the latest event's pull
    /// request: [`Store::latest_pull_request_for_sha`] for every sha at once.
    pub async fn latest_pull_requests_by_sha(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
    ) -> StoreResult<HashMap<String, PullRequestDetails>> {
        let rows: Vec<super::events::EventRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {} FROM code_events WHERE org_id = $1 AND repository_id = $2 \
                 AND kind IN ('pr_opened', 'pr_updated', 'pr_merged', 'pr_closed') \
                 ORDER BY occurred_at, id",
                super::events::COLUMNS
            ))
            .bind(org.as_str())
            .bind(repository.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut latest = HashMap::new();
        for row in rows {
            // Oldest first: a later event of the same sha replaces an earlier one.
            if let CodeEventDetails::PullRequest(pr) = StoredCodeEvent::try_from(row)?.event.details
            {
                latest.insert(pr.head_sha.clone(), pr);
            }
        }
        Ok(latest)
    }
}
