//! `code.attribute`: reads one commit, attributes it (ARCHITECTURE §5) with what the store
//! knows around it — the same author's previous commit for velocity, the pull request once
//! its webhook arrived — and records the commit with one row per file.

use super::{AttributeCommitPayload, CodeDeps, ReadCommit};
use crate::{JobContext, JobError};
use sentinel_core::attribution::{attribute, AttributionContext, PullRequestText, RiskRules};
use sentinel_core::clock::Millis;
use sentinel_core::code::{CodeEventDetails, Commit, CommitAttribution, PullRequestDetails};
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_store::code::Repository;
use sentinel_store::Store;

pub(super) async fn run_attribute_commit(deps: &CodeDeps, ctx: JobContext) -> Result<(), JobError> {
    let payload: AttributeCommitPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id);
    let repository_id = RepositoryId::from_string(payload.repository_id);
    let Some(repository) = ctx.store.get_repository(&org, &repository_id).await? else {
        return Err(JobError::permanent("repository not found"));
    };
    let now = ctx.now_ms();
    match deps.reader.read(&repository, &payload.sha, now).await? {
        ReadCommit::Found(commit) => {
            attribute_and_record(&ctx.store, &org, &repository, &commit, now).await
        }
        ReadCommit::Unavailable(reason) => {
            tracing::info!(sha = %payload.sha, repository = %repository.full_name, %reason,
                "commit unavailable");
            ctx.store
                .mark_commit_unavailable(&org, &repository.id, &payload.sha, &reason, now)
                .await?;
            Ok(())
        }
    }
}

/// Attributes `commit` with the store's context and records it.
pub async fn attribute_and_record(
    store: &Store,
    org: &OrgId,
    repository: &Repository,
    commit: &Commit,
    now: Millis,
) -> Result<(), JobError> {
    let rules = repository
        .settings
        .risk_rules()
        .map_err(|e| JobError::permanent(format!("repository risk patterns: {e}")))?;
    let previous_commit_at = store
        .last_commit_by_author(
            org,
            &repository.id,
            &commit.author.person.email,
            commit.author.at_ms,
        )
        .await?;
    let pull_request = store
        .latest_pull_request_for_sha(org, &repository.id, &commit.sha)
        .await?
        .and_then(|event| match event.event.details {
            CodeEventDetails::PullRequest(pr) => Some(pr),
            _ => None,
        });
    let attribution =
        attribute_in_context(commit, &rules, previous_commit_at, pull_request.as_ref());
    store
        .record_attribution(org, &repository.id, commit, &attribution, now)
        .await?;
    Ok(())
}

/// Attributes `commit` given what the store knows around it: the author date of the same
/// author's previous commit, and the commit's pull request once its webhook arrived. The job
/// and a whole-history scan (which looks both up in bulk) attribute through this one path.
pub fn attribute_in_context(
    commit: &Commit,
    rules: &RiskRules,
    previous_commit_at: Option<Millis>,
    pull_request: Option<&PullRequestDetails>,
) -> CommitAttribution {
    let context = AttributionContext {
        previous_commit_at,
        pull_request: pull_request.map(PullRequestText::from),
    };
    attribute(commit, &context, rules)
}
