//! The questions the suspect-commit search asks a clone: which commit was current at a
//! moment, which files a commit's tree holds, who last changed a line, and which commit last
//! touched a file.

use crate::command::{failed, git, output};
use crate::error::GitError;
use crate::repo::Repo;

/// The commit that last changed a line, per `git blame`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlamedLine {
    pub sha: String,
    /// The line number in that commit's version of the file.
    pub original_line: u32,
}

impl Repo {
    /// The newest commit reachable from `rev` committed at or before `at_ms`; `None` when
    /// the whole history is younger.
    pub fn commit_at(&self, rev: &str, at_ms: i64) -> Result<Option<String>, GitError> {
        let rev = self.resolve(rev)?;
        let mut cmd = git(self.path());
        cmd.args(["rev-list", "-1", "--first-parent"])
            .arg(format!("--before=@{}", at_ms.div_euclid(1000)))
            .arg(&rev)
            .arg("--");
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok((!sha.is_empty()).then_some(sha))
    }

    /// Every file path in `rev`'s tree, repository-relative.
    pub fn files_at(&self, rev: &str) -> Result<Vec<String>, GitError> {
        let rev = self.resolve(rev)?;
        let mut cmd = git(self.path());
        cmd.args(["ls-tree", "-r", "-z", "--name-only", "--full-tree"])
            .arg(&rev);
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }

    /// `git blame` of one line of `path` at `rev`; `None` when the file has no such line or
    /// does not exist at `rev`.
    pub fn blame_line(
        &self,
        rev: &str,
        path: &str,
        line: u32,
    ) -> Result<Option<BlamedLine>, GitError> {
        if line == 0 {
            return Ok(None);
        }
        let rev = self.resolve(rev)?;
        let mut cmd = git(self.path());
        cmd.args(["blame", "--porcelain", "-w"])
            .arg(format!("-L{line},{line}"))
            .arg(&rev)
            .arg("--")
            .arg(path);
        let out = output(&mut cmd)?;
        if !out.status.success() {
            // "no such path" and "file has only N lines" are answers, not failures.
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("no such path") || stderr.contains("has only") {
                return Ok(None);
            }
            return Err(failed(&cmd, &out));
        }
        // The first porcelain line is "<sha> <original line> <final line> [<count>]".
        let text = String::from_utf8_lossy(&out.stdout);
        let mut header = text.lines().next().unwrap_or("").split(' ');
        let (Some(sha), Some(original)) = (header.next(), header.next()) else {
            return Err(GitError::Parse {
                line: 1,
                message: "git blame printed no header".into(),
            });
        };
        let original_line = original.parse().map_err(|_| GitError::Parse {
            line: 1,
            message: format!("blame line number {original:?}"),
        })?;
        Ok(Some(BlamedLine {
            sha: sha.to_owned(),
            original_line,
        }))
    }

    /// The newest commit reachable from `rev` that changed `path`; `None` when none did.
    pub fn last_change(&self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        let rev = self.resolve(rev)?;
        let mut cmd = git(self.path());
        cmd.args(["log", "-1", "--format=%H", "--no-renames"])
            .arg(&rev)
            .arg("--")
            .arg(path);
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok((!sha.is_empty()).then_some(sha))
    }
}
