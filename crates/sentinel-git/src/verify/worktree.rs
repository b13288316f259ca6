//! A throwaway work tree at one revision, checked out beside the clone in a temporary
//! directory and removed when dropped — also when the verification that used it failed.

use crate::command::{failed, git, output};
use crate::error::GitError;
use crate::repo::Repo;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// `git worktree add --detach` at a revision; removed (and pruned) on drop.
#[derive(Debug)]
pub struct Worktree {
    repo: PathBuf,
    dir: TempDir,
    path: PathBuf,
}

impl Worktree {
    /// Checks `rev` out into a new temporary directory.
    pub fn add(repo: &Repo, rev: &str) -> Result<Worktree, GitError> {
        let sha = repo.resolve(rev)?;
        let dir = tempfile::Builder::new()
            .prefix("sentinel-verify-")
            .tempdir()
            .map_err(GitError::Spawn)?;
        let path = dir.path().join("tree");
        let mut cmd = git(repo.path());
        cmd.args(["worktree", "add", "--detach", "--quiet"])
            .arg(&path)
            .arg(&sha);
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        Ok(Worktree {
            repo: repo.path().to_path_buf(),
            dir,
            path,
        })
    }

    /// The work tree's root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A scratch directory outside the work tree (the test command's home).
    pub fn scratch(&self) -> PathBuf {
        self.dir.path().join("home")
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let mut remove = git(&self.repo);
        remove
            .args(["worktree", "remove", "--force", "--force"])
            .arg(&self.path);
        let removed = output(&mut remove).is_ok_and(|o| o.status.success());
        if !removed {
            tracing::warn!(path = %self.path.display(), "git worktree remove failed; pruning instead");
            let _ = std::fs::remove_dir_all(&self.path);
            let mut prune = git(&self.repo);
            prune.args(["worktree", "prune"]);
            let _ = output(&mut prune);
        }
        // The TempDir removes the rest.
    }
}
