//! The code side's values: commits, pull requests, reviews and deploys, and what Sentinel
//! concludes about each commit (who wrote it, human or AI, and how risky its files are).
//!
//! Every source of code facts — a GitHub webhook, GitHub's REST API, a local clone walked by
//! `sentinel repo scan` — is turned into these types at the edge. The attribution rules in
//! `crate::attribution` read a [`Commit`] and produce a [`CommitAttribution`]; the store keeps
//! both without knowing where they came from.

mod attribution_types;
mod events;
mod full_name;
pub mod mapping;

pub use attribution_types::{
    AiTool, AttributionMethod, CommitAttribution, FileAttribution, RiskTier, Signal, UnknownValue,
};
pub use events::{
    CodeEvent, CodeEventDetails, CodeEventKind, CommitRef, DeployDetails, PrAction,
    PullRequestDetails, ReviewDetails, ReviewState,
};
pub use full_name::{parse_full_name, InvalidFullName};

use crate::clock::Millis;
use serde::{Deserialize, Serialize};

/// Someone named by git or by GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// The GitHub login, when the source knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

/// An author or committer line: who, when, and in which UTC offset they wrote it. The offset
/// matters: "committed at 3 a.m." is judged in the committer's own time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitStamp {
    pub person: Person,
    pub at_ms: Millis,
    /// Minutes east of UTC (`+0200` is 120, `-0430` is -270).
    pub utc_offset_minutes: i32,
}

impl GitStamp {
    /// Minutes since local midnight in the stamp's own time zone.
    pub fn local_minute_of_day(&self) -> u32 {
        let local_ms = self.at_ms + i64::from(self.utc_offset_minutes) * 60_000;
        let minutes = local_ms.div_euclid(60_000).rem_euclid(24 * 60);
        u32::try_from(minutes).unwrap_or(0)
    }
}

/// How a commit changed one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// One file a commit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// The path before a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_path: Option<String>,
    pub status: FileStatus,
    pub lines_added: u32,
    pub lines_deleted: u32,
    pub binary: bool,
    /// The text of the added lines, when the source gives it (a local clone's diff, GitHub's
    /// `patch`); the code-style signal reads them. Empty when unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_lines: Vec<String>,
}

/// A commit as read from a repository: identities, message and the files it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Lower-case hex object id.
    pub sha: String,
    pub parents: Vec<String>,
    pub author: GitStamp,
    pub committer: GitStamp,
    /// The whole message, subject and body, trailers included.
    pub message: String,
    pub files: Vec<FileChange>,
}

impl Commit {
    /// A merge commit: recorded, but its changes were already scored on the merged commits.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    /// Lines added over all files.
    pub fn lines_added(&self) -> u64 {
        self.files.iter().map(|f| u64::from(f.lines_added)).sum()
    }

    /// Lines deleted over all files.
    pub fn lines_deleted(&self) -> u64 {
        self.files.iter().map(|f| u64::from(f.lines_deleted)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(at_ms: Millis, offset: i32) -> GitStamp {
        GitStamp {
            person: Person {
                name: "A".into(),
                email: "a@example.com".into(),
                login: None,
            },
            at_ms,
            utc_offset_minutes: offset,
        }
    }

    #[test]
    fn local_minute_of_day_uses_the_stamps_own_offset() {
        // 2024-01-01T01:30:00Z
        let at = 1_704_072_600_000;
        assert_eq!(stamp(at, 0).local_minute_of_day(), 90);
        assert_eq!(stamp(at, 120).local_minute_of_day(), 210);
        // -02:00 moves it to the previous day's 23:30.
        assert_eq!(stamp(at, -120).local_minute_of_day(), 23 * 60 + 30);
    }
}
