//! Reading one file of a commit's tree, bounded: its size first (`git cat-file -s`), so a
//! file too large to snapshot is refused without being read.

use crate::command::{failed, git, output};
use crate::error::GitError;
use crate::repo::Repo;

/// A file read at a revision, or why it was not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAt {
    Text(String),
    /// The file is larger than the limit asked for.
    TooLarge {
        size: u64,
    },
    /// `rev` has no such file.
    Missing,
}

impl Repo {
    /// `path` as it is in `rev`'s tree, when it is at most `max_bytes` long. Bytes that are
    /// not UTF-8 are replaced.
    pub fn file_at(&self, rev: &str, path: &str, max_bytes: u64) -> Result<FileAt, GitError> {
        let rev = self.resolve(rev)?;
        let object = format!("{rev}:{path}");
        let mut size_cmd = git(self.path());
        size_cmd.args(["cat-file", "-s", &object]);
        let out = output(&mut size_cmd)?;
        if !out.status.success() {
            return Ok(FileAt::Missing);
        }
        let size: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| failed(&size_cmd, &out))?;
        if size > max_bytes {
            return Ok(FileAt::TooLarge { size });
        }
        let mut read = git(self.path());
        read.args(["cat-file", "blob", &object]);
        let out = output(&mut read)?;
        if !out.status.success() {
            return Err(failed(&read, &out));
        }
        Ok(FileAt::Text(
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }
}
