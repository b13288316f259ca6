//! The git half of the suspect-commit search (ARCHITECTURE §4 "Suspect commit"): in the
//! repository's clone, at the last commit of the release that precedes the incident's first
//! occurrence, walk the in-app frames from the top; the first that maps to a file is blamed
//! at its line (or, without a line, the file's last change is taken).
//!
//! Runs on a blocking thread: every step is a short git command.

use sentinel_core::clock::Millis;
use sentinel_core::code::mapping::{resolve_frame_path, PathMapping, RepoFiles};
use sentinel_git::{GitError, Repo};

/// One frame as the search needs it: its path as reported, and its line.
#[derive(Debug, Clone)]
pub struct FrameRef {
    pub path: String,
    pub line: Option<u32>,
}

/// What the clone says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub sha: String,
    pub path: String,
    pub line: Option<u32>,
    /// The commit the repository was read at.
    pub revision: String,
    pub reason: String,
}

/// Why no suspect was found, for the step's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotLocated {
    /// The revision's history starts after the incident.
    NoCommitBeforeFirstSeen,
    /// No in-app frame maps to a file of the tree.
    NoFrameMaps { frames: usize },
}

impl std::fmt::Display for NotLocated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotLocated::NoCommitBeforeFirstSeen => {
                write!(f, "no commit of the release precedes the incident")
            }
            NotLocated::NoFrameMaps { frames } => {
                write!(
                    f,
                    "none of {frames} in-app frames maps to a file of the repository"
                )
            }
        }
    }
}

/// The revision to read: the release when it names a commit of the clone (`1a2b3c4`,
/// `app@1a2b3c4…`), else the branch.
pub fn revision_for(repo: &Repo, release: Option<&str>, branch: &str) -> Result<String, GitError> {
    if let Some(release) = release.map(str::trim).filter(|r| !r.is_empty()) {
        let tail = release.rsplit('@').next().unwrap_or(release);
        for candidate in [release, tail] {
            let looks_like_sha =
                candidate.len() >= 7 && candidate.bytes().all(|b| b.is_ascii_hexdigit());
            if looks_like_sha {
                if let Ok(sha) = repo.resolve(candidate) {
                    return Ok(sha);
                }
            }
        }
        // A tag named after the release (v1.2.3, app@1.2.3).
        if let Ok(sha) = repo.resolve(&format!("refs/tags/{release}")) {
            return Ok(sha);
        }
    }
    match repo.resolve(branch) {
        Ok(sha) => Ok(sha),
        Err(GitError::UnknownRevision(_)) => repo.resolve(&format!("origin/{branch}")),
        Err(err) => Err(err),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// The suspect in the clone at `revision`, for an incident first seen at `first_seen`.
pub fn locate(
    repo: &Repo,
    revision: &str,
    first_seen: Millis,
    frames: &[FrameRef],
    mappings: &[PathMapping],
) -> Result<Result<Located, NotLocated>, GitError> {
    let Some(base) = repo.commit_at(revision, first_seen)? else {
        return Ok(Err(NotLocated::NoCommitBeforeFirstSeen));
    };
    let files = RepoFiles::new(repo.files_at(&base)?);
    for frame in frames {
        let Some(path) = resolve_frame_path(&frame.path, mappings, &files) else {
            continue;
        };
        if let Some(line) = frame.line.filter(|l| *l > 0) {
            if let Some(blamed) = repo.blame_line(&base, &path, line)? {
                return Ok(Ok(Located {
                    reason: format!("blame of {path}:{line} at {}", short(&base)),
                    sha: blamed.sha,
                    path,
                    line: Some(line),
                    revision: base,
                }));
            }
        }
        if let Some(sha) = repo.last_change(&base, &path)? {
            return Ok(Ok(Located {
                reason: format!("last change to {path} at {}", short(&base)),
                sha,
                path,
                line: frame.line,
                revision: base,
            }));
        }
    }
    Ok(Err(NotLocated::NoFrameMaps {
        frames: frames.len(),
    }))
}
