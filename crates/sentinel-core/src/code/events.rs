//! Code events: the append-only feed of what happened in a repository (commits pushed, pull
//! requests opened, reviewed and merged, deploys), with GitHub's own timestamps.

use super::{GitStamp, Person};
use crate::clock::Millis;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of entry a code event is; stored as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeEventKind {
    Commit,
    /// A branch deleted by a push (`deleted: true`); no commit is attributed.
    BranchDeleted,
    PrOpened,
    /// New commits pushed to an open pull request, or its title/body edited.
    PrUpdated,
    PrReviewed,
    PrMerged,
    /// Closed without being merged.
    PrClosed,
    Deploy,
    /// An incident whose suspect commit is in this repository.
    Incident,
}

impl CodeEventKind {
    pub const ALL: [CodeEventKind; 9] = [
        CodeEventKind::Commit,
        CodeEventKind::BranchDeleted,
        CodeEventKind::PrOpened,
        CodeEventKind::PrUpdated,
        CodeEventKind::PrReviewed,
        CodeEventKind::PrMerged,
        CodeEventKind::PrClosed,
        CodeEventKind::Deploy,
        CodeEventKind::Incident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CodeEventKind::Commit => "commit",
            CodeEventKind::BranchDeleted => "branch_deleted",
            CodeEventKind::PrOpened => "pr_opened",
            CodeEventKind::PrUpdated => "pr_updated",
            CodeEventKind::PrReviewed => "pr_reviewed",
            CodeEventKind::PrMerged => "pr_merged",
            CodeEventKind::PrClosed => "pr_closed",
            CodeEventKind::Deploy => "deploy",
            CodeEventKind::Incident => "incident",
        }
    }
}

impl fmt::Display for CodeEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CodeEventKind {
    type Err = super::UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| super::UnknownValue::new("code event kind", s))
    }
}

/// A commit as a push announces it: enough to queue its attribution and show it in the
/// feed before the full commit (files, diff) has been read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRef {
    pub sha: String,
    /// The branch the push went to (`refs/heads/` removed); `None` for tags.
    pub branch: Option<String>,
    /// GitHub's `distinct`: false when the commit was already pushed to another branch.
    pub distinct: bool,
    /// The push was forced (history rewritten before this commit).
    pub forced: bool,
    pub message: String,
    pub author: GitStamp,
    pub committer: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What happened to a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrAction {
    Opened,
    Reopened,
    Synchronized,
    Edited,
    Merged,
    Closed,
}

/// A pull request at the moment of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestDetails {
    pub action: PrAction,
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub author_login: String,
    pub head_sha: String,
    pub head_branch: String,
    pub base_branch: String,
    /// GitHub's `created_at`.
    pub opened_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Millis>,
    /// Only when merged: GitHub fills `merge_commit_sha` with a test merge on open PRs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub additions: u64,
    #[serde(default)]
    pub deletions: u64,
}

/// A review's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
}

/// A submitted review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDetails {
    pub pr_number: u64,
    pub reviewer_login: String,
    pub state: ReviewState,
    pub submitted_at: Millis,
    /// When the reviewed pull request was opened; review time is measured from it.
    pub pr_opened_at: Millis,
}

/// A successful deployment of one commit to one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployDetails {
    pub deployment_id: i64,
    pub sha: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_login: Option<String>,
}

/// What a code event says, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CodeEventDetails {
    Commit(CommitRef),
    BranchDeleted {
        branch: String,
        before_sha: String,
    },
    PullRequest(PullRequestDetails),
    Review(ReviewDetails),
    Deploy(DeployDetails),
    /// An incident linked to this repository through its suspect commit.
    Incident {
        incident_id: String,
        sha: String,
    },
}

/// One entry of a repository's feed, whatever its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeEvent {
    /// When it happened, by the source's own clock (GitHub's timestamps, git's dates).
    pub occurred_at: Millis,
    /// Who did it: a GitHub login, else a git e-mail.
    pub actor: String,
    pub details: CodeEventDetails,
}

impl CodeEvent {
    pub fn kind(&self) -> CodeEventKind {
        match &self.details {
            CodeEventDetails::Commit(_) => CodeEventKind::Commit,
            CodeEventDetails::BranchDeleted { .. } => CodeEventKind::BranchDeleted,
            CodeEventDetails::PullRequest(pr) => match pr.action {
                PrAction::Opened | PrAction::Reopened => CodeEventKind::PrOpened,
                PrAction::Synchronized | PrAction::Edited => CodeEventKind::PrUpdated,
                PrAction::Merged => CodeEventKind::PrMerged,
                PrAction::Closed => CodeEventKind::PrClosed,
            },
            CodeEventDetails::Review(_) => CodeEventKind::PrReviewed,
            CodeEventDetails::Deploy(_) => CodeEventKind::Deploy,
            CodeEventDetails::Incident { .. } => CodeEventKind::Incident,
        }
    }

    /// The commit the event is about, when there is one.
    pub fn sha(&self) -> Option<&str> {
        match &self.details {
            CodeEventDetails::Commit(c) => Some(&c.sha),
            CodeEventDetails::BranchDeleted { .. } => None,
            CodeEventDetails::PullRequest(pr) => Some(&pr.head_sha),
            CodeEventDetails::Review(_) => None,
            CodeEventDetails::Deploy(d) => Some(&d.sha),
            CodeEventDetails::Incident { sha, .. } => Some(sha),
        }
    }

    /// The pull request the event is about, when there is one.
    pub fn pr_number(&self) -> Option<u64> {
        match &self.details {
            CodeEventDetails::PullRequest(pr) => Some(pr.number),
            CodeEventDetails::Review(r) => Some(r.pr_number),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in CodeEventKind::ALL {
            assert_eq!(kind.as_str().parse::<CodeEventKind>(), Ok(kind));
        }
        assert!("push".parse::<CodeEventKind>().is_err());
    }

    #[test]
    fn a_pull_request_event_takes_its_kind_from_the_action() {
        let pr = |action| CodeEvent {
            occurred_at: 0,
            actor: "octocat".into(),
            details: CodeEventDetails::PullRequest(PullRequestDetails {
                action,
                number: 7,
                title: "t".into(),
                body: String::new(),
                author_login: "octocat".into(),
                head_sha: "abc".into(),
                head_branch: "feature".into(),
                base_branch: "main".into(),
                opened_at: 0,
                merged_at: None,
                closed_at: None,
                merge_commit_sha: None,
                additions: 0,
                deletions: 0,
            }),
        };
        assert_eq!(pr(PrAction::Reopened).kind(), CodeEventKind::PrOpened);
        assert_eq!(pr(PrAction::Synchronized).kind(), CodeEventKind::PrUpdated);
        assert_eq!(pr(PrAction::Merged).kind(), CodeEventKind::PrMerged);
        assert_eq!(pr(PrAction::Closed).kind(), CodeEventKind::PrClosed);
        assert_eq!(pr(PrAction::Opened).pr_number(), Some(7));
    }
}
