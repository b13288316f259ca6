//! `push` deliveries: one commit event per commit entry, or one branch-deleted event.
//!
//! A forced push is read like any other (its new commits are listed) with `forced` kept on
//! every commit; a deletion lists no commits and its `after` is all zeros, so it is recorded
//! as a deletion rather than read as a push of nothing.

use super::wire::{PushPayload, WireCommit, WireGitPerson};
use super::{repository, time, GithubDelivery, PayloadError};
use sentinel_core::code::{CodeEvent, CodeEventDetails, CommitRef, GitStamp, Person};

const BRANCH_PREFIX: &str = "refs/heads/";

pub(super) fn delivery(payload: PushPayload) -> Result<GithubDelivery, PayloadError> {
    let branch = payload
        .git_ref
        .strip_prefix(BRANCH_PREFIX)
        .map(str::to_string);
    let pushed_at = time::optional_millis(
        payload.repository.pushed_at.as_ref(),
        "repository.pushed_at",
    )?;
    let sender_login = payload.sender.map(|sender| sender.login);
    let pusher = Person {
        name: payload.pusher.name,
        email: payload.pusher.email.unwrap_or_default(),
        login: sender_login,
    };
    let before = payload.before.unwrap_or_default();
    let events = if payload.deleted {
        // A deleted tag is not a branch: nothing to record in the feed.
        match branch {
            Some(branch) => vec![CodeEvent {
                occurred_at: pushed_at.ok_or(PayloadError::MissingField {
                    field: "repository.pushed_at",
                })?,
                actor: pusher.login.clone().unwrap_or_else(|| pusher.name.clone()),
                details: CodeEventDetails::BranchDeleted {
                    branch,
                    before_sha: before.clone(),
                },
            }],
            None => Vec::new(),
        }
    } else {
        payload
            .commits
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(index, commit)| commit_event(commit, index, &branch, payload.forced))
            .collect::<Result<_, _>>()?
    };
    Ok(GithubDelivery::Push {
        repository: repository(payload.repository),
        installation_id: payload.installation.map(|i| i.id),
        pusher,
        git_ref: payload.git_ref,
        before,
        after: payload.after.unwrap_or_default(),
        created: payload.created,
        deleted: payload.deleted,
        forced: payload.forced,
        pushed_at,
        events,
    })
}

fn commit_event(
    commit: WireCommit,
    index: usize,
    branch: &Option<String>,
    forced: bool,
) -> Result<CodeEvent, PayloadError> {
    let (at_ms, utc_offset_minutes) =
        time::stamp(&commit.timestamp, &format!("commits[{index}].timestamp"))?;
    let author = person(commit.author);
    let actor = author.login.clone().unwrap_or_else(|| author.email.clone());
    Ok(CodeEvent {
        occurred_at: at_ms,
        actor,
        details: CodeEventDetails::Commit(CommitRef {
            sha: commit.id.to_ascii_lowercase(),
            branch: branch.clone(),
            distinct: commit.distinct,
            forced,
            message: commit.message.unwrap_or_default(),
            author: GitStamp {
                person: author,
                at_ms,
                utc_offset_minutes,
            },
            committer: person(commit.committer),
            url: commit.url,
        }),
    })
}

fn person(wire: WireGitPerson) -> Person {
    Person {
        name: wire.name.unwrap_or_default(),
        email: wire.email.unwrap_or_default(),
        login: wire.username,
    }
}
