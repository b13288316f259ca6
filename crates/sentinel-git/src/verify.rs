//! Checking a diagnosis against the clone: does the patch apply at the release
//! (`git apply --check` against a temporary index, no checkout), and does the regression
//! test fail before the patch and pass after it (in a throwaway work tree at the release).

mod patched;
mod run;
mod worktree;

pub use patched::PatchedFile;
pub use run::{RunOutcome, TestCommand};
pub use worktree::Worktree;

use crate::command::{failed, git, output};
use crate::error::{truncate_stderr, GitError};
use crate::repo::Repo;
use sentinel_core::autopsy::{TestCase, Verification};
use std::path::Path;

fn write_patch(dir: &Path, diff: &str) -> Result<std::path::PathBuf, GitError> {
    let path = dir.join("autopsy.patch");
    std::fs::write(&path, diff).map_err(GitError::Spawn)?;
    Ok(path)
}

impl Repo {
    /// Whether `diff` applies to `rev`'s tree: `Ok(Err(complaint))` when git refuses it.
    /// Reads the tree into a temporary index, so neither the clone's work tree nor its
    /// index is touched, and a bare clone works too.
    pub fn apply_check(&self, rev: &str, diff: &str) -> Result<Result<(), String>, GitError> {
        let sha = self.resolve(rev)?;
        let scratch = tempfile::Builder::new()
            .prefix("sentinel-apply-")
            .tempdir()
            .map_err(GitError::Spawn)?;
        let index = scratch.path().join("index");
        let mut read_tree = git(self.path());
        read_tree
            .env("GIT_INDEX_FILE", &index)
            .args(["read-tree", &sha]);
        let out = output(&mut read_tree)?;
        if !out.status.success() {
            return Err(failed(&read_tree, &out));
        }
        let patch = write_patch(scratch.path(), diff)?;
        let mut check = git(self.path());
        check
            .env("GIT_INDEX_FILE", &index)
            .args(["apply", "--check", "--cached", "--recount"])
            .arg(&patch);
        let out = output(&mut check)?;
        Ok(if out.status.success() {
            Ok(())
        } else {
            Err(truncate_stderr(&out.stderr))
        })
    }

    /// Checks `patch` at `rev`, and when a test and a command are given runs the test in a
    /// throwaway work tree before and after applying the patch. The work tree is removed
    /// whatever happens.
    pub fn verify_diagnosis(
        &self,
        rev: &str,
        patch: Option<&str>,
        test: Option<&TestCase>,
        command: Option<&TestCommand>,
    ) -> Result<Verification, GitError> {
        let mut verification = Verification::default();
        if let Some(diff) = patch {
            match self.apply_check(rev, diff)? {
                Ok(()) => verification.patch_applies = Some(true),
                Err(complaint) => {
                    verification.patch_applies = Some(false);
                    verification.apply_error = Some(complaint);
                }
            }
        }
        let (Some(test), Some(command)) = (test, command) else {
            return Ok(verification);
        };
        if !is_safe_relative(&test.path) {
            verification.output_before = format!("refused test path {:?}", test.path);
            return Ok(verification);
        }
        let tree = Worktree::add(self, rev)?;
        let test_file = tree.path().join(&test.path);
        if let Some(parent) = test_file.parent() {
            std::fs::create_dir_all(parent).map_err(GitError::Spawn)?;
        }
        std::fs::write(&test_file, &test.content).map_err(GitError::Spawn)?;
        let before = run::run(command, tree.path(), &tree.scratch(), &test.path);
        verification.test_failed_before = before.success.map(|ok| !ok);
        verification.output_before = before.output;
        verification.timed_out = before.timed_out;
        if verification.patch_applies != Some(true) {
            return Ok(verification);
        }
        let Some(diff) = patch else {
            return Ok(verification);
        };
        let patch_file = write_patch(&tree.scratch(), diff)?;
        let mut apply = git(tree.path());
        apply.args(["apply", "--recount"]).arg(&patch_file);
        let out = output(&mut apply)?;
        if !out.status.success() {
            verification.apply_error = Some(truncate_stderr(&out.stderr));
            return Ok(verification);
        }
        let after = run::run(command, tree.path(), &tree.scratch(), &test.path);
        verification.test_passed_after = after.success;
        verification.output_after = after.output;
        verification.timed_out |= after.timed_out;
        Ok(verification)
    }
}

/// A repository-relative path that stays inside the work tree.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path
            .split('/')
            .any(|c| c == ".." || c == ".git" || c.is_empty())
}
