//! The files a patch changes, as they are once it is applied at a revision: what publishing
//! commits on a fix branch. Applied to a temporary index, so the clone is not touched.

use crate::command::{failed, git, output};
use crate::error::{truncate_stderr, GitError};
use crate::repo::Repo;

/// One file after the patch: its bytes, or `None` when the patch deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchedFile {
    pub path: String,
    pub content: Option<Vec<u8>>,
    pub executable: bool,
}

impl Repo {
    /// The files `diff` adds, changes or deletes when applied at `rev`; `Ok(Err(complaint))`
    /// when git refuses the patch.
    pub fn patched_files(
        &self,
        rev: &str,
        diff: &str,
    ) -> Result<Result<Vec<PatchedFile>, String>, GitError> {
        let sha = self.resolve(rev)?;
        let scratch = tempfile::Builder::new()
            .prefix("sentinel-patched-")
            .tempdir()
            .map_err(GitError::Spawn)?;
        let index = scratch.path().join("index");
        let run = |args: &[&str]| -> Result<std::process::Output, GitError> {
            let mut cmd = git(self.path());
            cmd.env("GIT_INDEX_FILE", &index).args(args);
            let out = output(&mut cmd)?;
            if out.status.success() {
                Ok(out)
            } else {
                Err(failed(&cmd, &out))
            }
        };
        run(&["read-tree", &sha])?;
        let patch = scratch.path().join("fix.patch");
        std::fs::write(&patch, diff).map_err(GitError::Spawn)?;
        let mut apply = git(self.path());
        apply
            .env("GIT_INDEX_FILE", &index)
            .args(["apply", "--cached", "--recount"])
            .arg(&patch);
        let out = output(&mut apply)?;
        if !out.status.success() {
            return Ok(Err(truncate_stderr(&out.stderr)));
        }
        let tree = run(&["write-tree"])?;
        let tree = String::from_utf8_lossy(&tree.stdout).trim().to_owned();
        let listed = run(&["diff-tree", "-r", "--no-renames", "-z", &sha, &tree])?;
        let mut fields = listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty());
        let mut files = Vec::new();
        while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
            // ":<old mode> <new mode> <old sha> <new sha> <status>"
            let meta = String::from_utf8_lossy(meta);
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, mode, _, blob, status] = parts[..] else {
                continue;
            };
            let path = String::from_utf8_lossy(path).into_owned();
            let content = if status.starts_with('D') {
                None
            } else {
                Some(run(&["cat-file", "blob", blob])?.stdout)
            };
            files.push(PatchedFile {
                path,
                content,
                executable: mode == "100755",
            });
        }
        Ok(Ok(files))
    }
}
