//! The commits one revision adds over another: what a deploy ships since the previous deploy
//! of its environment, read with `git rev-list` from the local clone.

use crate::command::{failed, git, output};
use crate::error::GitError;
use crate::repo::Repo;

/// The commits reachable from a head and not from a base, newest first, at most a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRange {
    pub shas: Vec<String>,
    /// More commits are in the range than the limit let through.
    pub truncated: bool,
}

impl Repo {
    /// `git rev-list head ^base`, newest first, at most `limit` shas (`base` `None`: every
    /// ancestor of `head`). Either revision unknown to the clone is
    /// [`GitError::UnknownRevision`].
    pub fn commits_between(
        &self,
        base: Option<&str>,
        head: &str,
        limit: usize,
    ) -> Result<CommitRange, GitError> {
        let head = self.resolve(head)?;
        let mut cmd = git(self.path());
        // One more than asked tells whether the range was cut.
        cmd.arg("rev-list")
            .arg(format!("--max-count={}", limit.saturating_add(1)))
            .arg(&head);
        if let Some(base) = base {
            cmd.arg(format!("^{}", self.resolve(base)?));
        }
        cmd.arg("--");
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        let mut shas: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect();
        let truncated = shas.len() > limit;
        shas.truncate(limit);
        Ok(CommitRange { shas, truncated })
    }
}
