//! GitHub's JSON as it arrives, and its translation into Sentinel's values. Nothing outside
//! this module sees the raw shapes.
//!
//! "Get a commit" lists at most 300 files; a larger commit would need the paginated files
//! list, which Sentinel does not read yet, so such a commit is scored on its first 300 files.

use chrono::DateTime;
use sentinel_core::clock::Millis;
use sentinel_core::code::{Commit, FileChange, FileStatus, GitStamp, Person};
use serde::{Deserialize, Serialize};

use super::error::GithubError;

/// The answer of `POST /app/installations/{id}/access_tokens`.
#[derive(Deserialize)]
pub(crate) struct AccessTokenWire {
    pub token: String,
    pub expires_at: String,
}

#[derive(Deserialize)]
pub(crate) struct CommitWire {
    sha: String,
    commit: GitDataWire,
    /// The GitHub accounts matched to the git identities; null when none matches.
    author: Option<AccountWire>,
    committer: Option<AccountWire>,
    #[serde(default)]
    parents: Vec<ParentWire>,
    #[serde(default)]
    files: Vec<FileWire>,
}

#[derive(Deserialize)]
struct GitDataWire {
    author: IdentityWire,
    committer: IdentityWire,
    message: String,
}

#[derive(Deserialize)]
struct IdentityWire {
    name: String,
    email: String,
    date: String,
}

#[derive(Deserialize)]
struct AccountWire {
    login: String,
}

#[derive(Deserialize)]
struct ParentWire {
    sha: String,
}

#[derive(Deserialize)]
struct FileWire {
    filename: String,
    previous_filename: Option<String>,
    status: String,
    additions: u32,
    deletions: u32,
    patch: Option<String>,
}

/// One entry of `GET /repos/{owner}/{repo}/commits/{sha}/pulls`.
#[derive(Deserialize)]
pub(crate) struct PullRequestWire {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub merged_at: Option<String>,
}

/// The body of `POST /repos/{owner}/{repo}/issues` and `PATCH …/issues/{number}`, and of
/// `PATCH …/pulls/{number}`.
#[derive(Serialize)]
pub(crate) struct IssueRequest<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// The part of an issue or pull request answer Sentinel keeps.
#[derive(Deserialize)]
pub(crate) struct IssueWire {
    pub number: u64,
    pub html_url: String,
}

/// The body of `POST /repos/{owner}/{repo}/pulls`: a draft from a branch of the same
/// repository.
#[derive(Serialize)]
pub(crate) struct NewPullRequest<'a> {
    pub title: &'a str,
    pub head: &'a str,
    pub base: &'a str,
    pub body: &'a str,
    pub draft: bool,
    pub maintainer_can_modify: bool,
}

/// The body of `POST /repos/{owner}/{repo}/git/blobs`.
#[derive(Serialize)]
pub(crate) struct NewBlob {
    pub content: String,
    /// `base64`, so any bytes survive.
    pub encoding: &'static str,
}

/// The answer of a Git Data API create (blob, tree, commit): the new object's id.
#[derive(Deserialize)]
pub(crate) struct ObjectWire {
    pub sha: String,
}

/// `GET /repos/{owner}/{repo}/git/commits/{sha}`: the commit's tree.
#[derive(Deserialize)]
pub(crate) struct GitCommitWire {
    pub tree: ObjectWire,
}

/// The body of `POST /repos/{owner}/{repo}/git/trees`.
#[derive(Serialize)]
pub(crate) struct NewTree<'a> {
    pub base_tree: &'a str,
    pub tree: Vec<TreeEntry>,
}

/// One entry of a new tree; `sha: null` deletes the path from the base tree.
#[derive(Serialize)]
pub(crate) struct TreeEntry {
    pub path: String,
    /// `100644` or `100755`.
    pub mode: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub sha: Option<String>,
}

/// The body of `POST /repos/{owner}/{repo}/git/commits`.
#[derive(Serialize)]
pub(crate) struct NewGitCommit<'a> {
    pub message: &'a str,
    pub tree: &'a str,
    pub parents: [&'a str; 1],
}

/// The body of `POST /repos/{owner}/{repo}/git/refs`.
#[derive(Serialize)]
pub(crate) struct NewRef<'a> {
    /// `refs/heads/<branch>`.
    #[serde(rename = "ref")]
    pub name: &'a str,
    pub sha: &'a str,
}

/// The body of `PATCH /repos/{owner}/{repo}/git/refs/heads/<branch>`.
#[derive(Serialize)]
pub(crate) struct RefUpdate<'a> {
    pub sha: &'a str,
    pub force: bool,
}

/// `GET /repos/{owner}/{repo}/git/ref/heads/<branch>`: where the branch points.
#[derive(Deserialize)]
pub(crate) struct RefWire {
    pub object: ObjectWire,
}

/// A GitHub timestamp (`2024-05-01T09:30:00Z`) as Unix milliseconds and minutes east of UTC.
pub(crate) fn parse_timestamp(
    field: &'static str,
    raw: &str,
) -> Result<(Millis, i32), GithubError> {
    let at = DateTime::parse_from_rfc3339(raw)
        .map_err(|e| GithubError::Decode(format!("{field} {raw:?}: {e}")))?;
    Ok((at.timestamp_millis(), at.offset().local_minus_utc() / 60))
}

fn stamp(
    field: &'static str,
    identity: IdentityWire,
    account: Option<AccountWire>,
) -> Result<GitStamp, GithubError> {
    let (at_ms, utc_offset_minutes) = parse_timestamp(field, &identity.date)?;
    Ok(GitStamp {
        person: Person {
            name: identity.name,
            email: identity.email,
            login: account.map(|a| a.login),
        },
        at_ms,
        utc_offset_minutes,
    })
}

fn file_status(raw: &str) -> FileStatus {
    match raw {
        "added" | "copied" => FileStatus::Added,
        "removed" => FileStatus::Deleted,
        "renamed" => FileStatus::Renamed,
        // "modified", "changed" (mode only), "unchanged", and anything GitHub adds later.
        _ => FileStatus::Modified,
    }
}

/// The text of a patch's added lines, without their `+`. GitHub's patches start at the
/// first hunk header, so there are no `+++` file lines to skip.
fn added_lines(patch: &str) -> Vec<String> {
    patch
        .lines()
        .filter_map(|line| line.strip_prefix('+'))
        .map(str::to_owned)
        .collect()
}

impl FileWire {
    fn into_change(self) -> FileChange {
        // GitHub leaves `patch` out both for binary files and for diffs too large to show;
        // only the first changes no lines.
        let binary = self.patch.is_none() && self.additions == 0 && self.deletions == 0;
        FileChange {
            status: file_status(&self.status),
            previous_path: self.previous_filename,
            lines_added: self.additions,
            lines_deleted: self.deletions,
            binary,
            added_lines: self.patch.as_deref().map(added_lines).unwrap_or_default(),
            path: self.filename,
        }
    }
}

impl CommitWire {
    pub fn into_commit(self) -> Result<Commit, GithubError> {
        Ok(Commit {
            sha: self.sha.to_ascii_lowercase(),
            parents: self
                .parents
                .into_iter()
                .map(|p| p.sha.to_ascii_lowercase())
                .collect(),
            author: stamp("commit.author.date", self.commit.author, self.author)?,
            committer: stamp(
                "commit.committer.date",
                self.commit.committer,
                self.committer,
            )?,
            message: self.commit.message,
            files: self.files.into_iter().map(FileWire::into_change).collect(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_the_plus_lines_without_their_marker() {
        let patch = "@@ -1,3 +1,4 @@\n fn a() {}\n-fn b() {}\n+fn b() -> u8 { 1 }\n++x\n\\ No newline at end of file";
        assert_eq!(added_lines(patch), vec!["fn b() -> u8 { 1 }", "+x"]);
    }

    #[test]
    fn timestamps_keep_their_offset() {
        assert_eq!(
            parse_timestamp("d", "2024-01-01T01:30:00Z").unwrap(),
            (1_704_072_600_000, 0)
        );
        assert_eq!(
            parse_timestamp("d", "2024-01-01T03:30:00+02:00").unwrap(),
            (1_704_072_600_000, 120)
        );
        assert!(parse_timestamp("d", "yesterday").is_err());
    }

    #[test]
    fn a_file_without_patch_is_binary_only_when_it_changes_no_lines() {
        let file = |additions, patch: Option<&str>| FileWire {
            filename: "f".into(),
            previous_filename: None,
            status: "modified".into(),
            additions,
            deletions: 0,
            patch: patch.map(str::to_owned),
        };
        assert!(file(0, None).into_change().binary);
        assert!(!file(9000, None).into_change().binary);
        assert!(!file(0, Some("@@ -1 +1 @@")).into_change().binary);
    }
}
