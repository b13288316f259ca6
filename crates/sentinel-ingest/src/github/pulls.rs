//! `pull_request` and `pull_request_review` deliveries.
//!
//! "Merged" is read from `merged` (or `merged_at`), never from `merge_commit_sha`: GitHub
//! fills that with a test merge on open and unmerged pull requests too.

use super::wire::{PullRequestPayload, PullRequestReviewPayload, WirePullRequest};
use super::{repository, time, GithubDelivery, PayloadError};
use sentinel_core::clock::Millis;
use sentinel_core::code::{
    CodeEvent, CodeEventDetails, PrAction, PullRequestDetails, ReviewDetails, ReviewState,
};

pub(super) fn pull_request_delivery(
    payload: PullRequestPayload,
) -> Result<GithubDelivery, PayloadError> {
    let pr = &payload.pull_request;
    let merged = pr.merged.unwrap_or(pr.merged_at.is_some());
    let updated_at = time::optional_millis(pr.updated_at.as_ref(), "pull_request.updated_at")?;
    let action = match payload.action.as_str() {
        "opened" => PrAction::Opened,
        "reopened" => PrAction::Reopened,
        "synchronize" => PrAction::Synchronized,
        "edited" => PrAction::Edited,
        "closed" if merged => PrAction::Merged,
        "closed" => PrAction::Closed,
        _ => {
            return Ok(GithubDelivery::Ignored {
                event: "pull_request".into(),
                action: payload.action,
            })
        }
    };
    let details = details(payload.pull_request, action, merged)?;
    let occurred_at = match action {
        PrAction::Opened => Some(details.opened_at),
        PrAction::Merged => details.merged_at.or(details.closed_at),
        PrAction::Closed => details.closed_at,
        PrAction::Reopened | PrAction::Synchronized | PrAction::Edited => None,
    };
    let occurred_at = occurred_at.or(updated_at).unwrap_or(details.opened_at);
    let actor = payload
        .sender
        .map(|sender| sender.login)
        .unwrap_or_else(|| details.author_login.clone());
    Ok(GithubDelivery::PullRequest {
        repository: repository(payload.repository),
        installation_id: payload.installation.map(|i| i.id),
        event: CodeEvent {
            occurred_at,
            actor,
            details: CodeEventDetails::PullRequest(details),
        },
    })
}

pub(super) fn review_delivery(
    payload: PullRequestReviewPayload,
) -> Result<GithubDelivery, PayloadError> {
    if payload.action != "submitted" {
        return Ok(GithubDelivery::Ignored {
            event: "pull_request_review".into(),
            action: payload.action,
        });
    }
    let review = payload.review;
    let submitted_at = review
        .submitted_at
        .as_ref()
        .ok_or(PayloadError::MissingField {
            field: "review.submitted_at",
        })?;
    let submitted_at = time::millis(submitted_at, "review.submitted_at")?;
    let details = ReviewDetails {
        pr_number: payload.pull_request.number,
        reviewer_login: review.user.login,
        state: review_state(&review.state)?,
        submitted_at,
        pr_opened_at: time::millis(&payload.pull_request.created_at, "pull_request.created_at")?,
    };
    Ok(GithubDelivery::PullRequestReview {
        repository: repository(payload.repository),
        installation_id: payload.installation.map(|i| i.id),
        event: CodeEvent {
            occurred_at: submitted_at,
            actor: details.reviewer_login.clone(),
            details: CodeEventDetails::Review(details),
        },
    })
}

fn details(
    pr: WirePullRequest,
    action: PrAction,
    merged: bool,
) -> Result<PullRequestDetails, PayloadError> {
    let merged_at: Option<Millis> =
        time::optional_millis(pr.merged_at.as_ref(), "pull_request.merged_at")?;
    Ok(PullRequestDetails {
        action,
        number: pr.number,
        title: pr.title.unwrap_or_default(),
        body: pr.body.unwrap_or_default(),
        author_login: pr.user.login,
        head_sha: pr.head.sha,
        head_branch: pr.head.branch,
        base_branch: pr.base.branch,
        opened_at: time::millis(&pr.created_at, "pull_request.created_at")?,
        merged_at: merged_at.filter(|_| merged),
        closed_at: time::optional_millis(pr.closed_at.as_ref(), "pull_request.closed_at")?,
        merge_commit_sha: pr.merge_commit_sha.filter(|_| merged),
        additions: pr.additions.unwrap_or_default(),
        deletions: pr.deletions.unwrap_or_default(),
    })
}

/// Webhooks send the state in lower case, the REST API in upper case.
fn review_state(state: &str) -> Result<ReviewState, PayloadError> {
    match state.to_ascii_lowercase().as_str() {
        "approved" => Ok(ReviewState::Approved),
        "changes_requested" => Ok(ReviewState::ChangesRequested),
        "commented" => Ok(ReviewState::Commented),
        "dismissed" => Ok(ReviewState::Dismissed),
        _ => Err(PayloadError::UnknownValue {
            field: "review.state",
            value: state.to_string(),
        }),
    }
}
