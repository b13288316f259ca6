//! What can go wrong while asking git about a repository.

use std::path::PathBuf;

/// The most stderr kept in [`GitError::Failed`].
pub(crate) const STDERR_LIMIT: usize = 4096;

/// A failure to run git or to understand what it printed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path is not inside a git repository.
    #[error("{} is not a git repository", path.display())]
    NotARepository { path: PathBuf },
    /// git could not be started (not installed, no permission) or its output not read.
    #[error("could not run git: {0}")]
    Spawn(#[source] std::io::Error),
    /// git ran and exited unsuccessfully.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        command: String,
        /// The exit status as git's process reported it (`exit status: 128`, a signal).
        status: String,
        /// The start of what git wrote to stderr.
        stderr: String,
    },
    /// git's output did not have the expected shape.
    #[error("unexpected git output at line {line}: {message}")]
    Parse { line: u64, message: String },
    /// A revision (branch, tag, sha) that does not name a commit of this repository.
    #[error("unknown revision {0:?}")]
    UnknownRevision(String),
}

/// The first [`STDERR_LIMIT`] bytes of `stderr`, lossily decoded and trimmed.
pub(crate) fn truncate_stderr(stderr: &[u8]) -> String {
    let end = stderr.len().min(STDERR_LIMIT);
    String::from_utf8_lossy(&stderr[..end]).trim().to_string()
}
