//! A file's contents at a revision, bounded in size: what the autopsy's snapshots read when
//! the SDK sent no context lines, or to see the whole function around a frame.

use crate::command::{failed, git, output};
use crate::error::GitError;
use crate::repo::Repo;

impl Repo {
    /// `path`'s contents at `rev`; `None` when the file does not exist there or is larger
    /// than `max_bytes` (a generated or vendored file is no use to a snapshot).
    pub fn file_at(
        &self,
        rev: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let sha = self.resolve(rev)?;
        let object = format!("{sha}:{path}");
        let mut size = git(self.path());
        size.args(["cat-file", "-s"]).arg(&object);
        let out = output(&mut size)?;
        if !out.status.success() {
            return Ok(None);
        }
        let bytes: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(u64::MAX);
        if bytes > max_bytes {
            return Ok(None);
        }
        let mut cat = git(self.path());
        cat.args(["cat-file", "blob"]).arg(&object);
        let out = output(&mut cat)?;
        if !out.status.success() {
            return Err(failed(&cat, &out));
        }
        Ok(Some(out.stdout))
    }
}
