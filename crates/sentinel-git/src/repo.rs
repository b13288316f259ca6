//! A local repository and the questions Sentinel asks it: its GitHub name, default branch,
//! what a revision names, and its history as a stream of commits.

use crate::command::{describe, failed, git, output};
use crate::error::GitError;
use crate::header::FORMAT;
use crate::parser::Limits;
use crate::remote::full_name_from_url;
use crate::stream::CommitStream;
use sentinel_core::code::Commit;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which commits [`Repo::log`] reads, and how much added-line text it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// Exclusive lower bound: only commits not reachable from this revision.
    pub since: Option<String>,
    /// The newest revision to read from; `HEAD` when `None`.
    pub rev: Option<String>,
    /// Keep at most this many added line texts per file.
    pub max_added_lines_per_file: usize,
    /// Cut each kept line text to at most this many bytes.
    pub max_added_line_bytes: usize,
    /// Keep at most this many added line texts per commit.
    pub max_added_lines_per_commit: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            since: None,
            rev: None,
            max_added_lines_per_file: limits.max_added_lines_per_file,
            max_added_line_bytes: limits.max_added_line_bytes,
            max_added_lines_per_commit: limits.max_added_lines_per_commit,
        }
    }
}

impl LogOptions {
    fn limits(&self) -> Limits {
        Limits {
            max_added_lines_per_file: self.max_added_lines_per_file,
            max_added_line_bytes: self.max_added_line_bytes,
            max_added_lines_per_commit: self.max_added_lines_per_commit,
        }
    }
}

/// What [`Repo::log_summaries`] lists of each commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    /// Lower-case hex object id.
    pub sha: String,
    /// As [`Repo::log`] reads it (lossily decoded, no mailmap).
    pub author_email: String,
    /// Milliseconds since the epoch.
    pub authored_at: i64,
}

impl CommitSummary {
    /// `sha NUL email NUL seconds`.
    fn parse(line: &[u8]) -> Option<Self> {
        let mut fields = line.splitn(3, |&b| b == 0);
        let sha = fields.next()?;
        let email = fields.next()?;
        let seconds: i64 = std::str::from_utf8(fields.next()?)
            .ok()?
            .trim()
            .parse()
            .ok()?;
        if sha.is_empty() || !sha.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        Some(Self {
            sha: String::from_utf8_lossy(sha).to_ascii_lowercase(),
            author_email: String::from_utf8_lossy(email).into_owned(),
            authored_at: seconds.checked_mul(1000)?,
        })
    }
}

/// A git repository on disk (a work tree or a bare directory), read with the git CLI.
#[derive(Debug, Clone)]
pub struct Repo {
    path: PathBuf,
}

impl Repo {
    /// Opens the repository at (or containing) `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Repo, GitError> {
        let path = path.as_ref().to_path_buf();
        let mut cmd = git(&path);
        cmd.args(["rev-parse", "--git-dir"]);
        if !output(&mut cmd)?.status.success() {
            return Err(GitError::NotARepository { path });
        }
        Ok(Repo { path })
    }

    /// The path the repository was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn git(&self) -> Command {
        git(&self.path)
    }

    /// Runs `git config --get key`: `None` when unset.
    fn config(&self, key: &str) -> Result<Option<String>, GitError> {
        let mut cmd = self.git();
        cmd.args(["config", "--get", key]);
        let out = output(&mut cmd)?;
        match out.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            )),
            Some(1) => Ok(None),
            _ => Err(failed(&cmd, &out)),
        }
    }

    /// `OWNER/NAME` of the `origin` remote, when it has one that names such a pair.
    pub fn origin_full_name(&self) -> Result<Option<String>, GitError> {
        Ok(self
            .config("remote.origin.url")?
            .and_then(|url| full_name_from_url(&url)))
    }

    /// `git symbolic-ref --quiet --short <name>`: `None` when it is not a symbolic ref.
    fn symbolic_ref(&self, name: &str) -> Result<Option<String>, GitError> {
        let mut cmd = self.git();
        cmd.args(["symbolic-ref", "--quiet", "--short", name]);
        let out = output(&mut cmd)?;
        match out.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            )),
            // Not a symbolic ref, or no such ref.
            Some(1) => Ok(None),
            _ => Err(failed(&cmd, &out)),
        }
    }

    /// The branch `HEAD` is on; `None` on a detached `HEAD`.
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        Ok(self.symbolic_ref("HEAD")?.filter(|b| !b.is_empty()))
    }

    /// The branch `origin/HEAD` points at, else the current branch, else `main`.
    pub fn default_branch(&self) -> Result<String, GitError> {
        if let Some(remote_head) = self.symbolic_ref("refs/remotes/origin/HEAD")? {
            if let Some(branch) = remote_head.strip_prefix("origin/") {
                return Ok(branch.to_string());
            }
        }
        if let Some(branch) = self.symbolic_ref("HEAD")? {
            if !branch.is_empty() {
                return Ok(branch);
            }
        }
        Ok("main".to_string())
    }

    /// `None` when `rev` does not name a commit.
    fn verify(&self, rev: &str) -> Result<Option<String>, GitError> {
        if rev.is_empty() || rev.starts_with('-') {
            return Ok(None);
        }
        let mut cmd = self.git();
        cmd.args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"));
        let out = output(&mut cmd)?;
        match out.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            )),
            Some(1) => Ok(None),
            _ => Err(failed(&cmd, &out)),
        }
    }

    /// The full sha of the commit `rev` names.
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        self.verify(rev)?
            .ok_or_else(|| GitError::UnknownRevision(rev.to_string()))
    }

    /// The sha `HEAD` points at; `None` in an empty repository.
    pub fn head_sha(&self) -> Result<Option<String>, GitError> {
        self.verify("HEAD")
    }

    /// `git log` in Sentinel's format, oldest first, for the given revision arguments.
    fn log_command(&self, revisions: &[String]) -> Command {
        let mut cmd = self.git();
        cmd.args(["log", "--reverse", "--date-order"]);
        self.patch_args(&mut cmd);
        cmd.args(revisions).arg("--");
        cmd
    }

    /// What every log in Sentinel's format shows of each commit: header and `-U0` patch.
    fn patch_args(&self, cmd: &mut Command) {
        cmd.args([
            "-p",
            "-U0",
            "--diff-merges=off",
            "-M",
            "--root",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-relative",
            "--no-notes",
            "--encoding=UTF-8",
            "--date=raw",
            "--src-prefix=a/",
            "--dst-prefix=b/",
        ])
        .arg(format!("--format={FORMAT}"));
    }

    /// Exactly the commits named by `shas`, in that order, parsed like [`Repo::log`]'s: for
    /// reading only the commits a store does not have yet, without walking the history's
    /// patches again. The shas go to `git log --no-walk --stdin`, so any number fits.
    pub fn log_commits(
        &self,
        shas: &[String],
        options: &LogOptions,
    ) -> Result<CommitStream, GitError> {
        if shas.is_empty() {
            return Ok(CommitStream::empty());
        }
        let mut input = Vec::with_capacity(shas.len() * 41);
        for sha in shas {
            if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(GitError::UnknownRevision(sha.clone()));
            }
            input.extend_from_slice(sha.as_bytes());
            input.push(b'\n');
        }
        let mut cmd = self.git();
        cmd.args(["log", "--no-walk=unsorted", "--stdin"]);
        self.patch_args(&mut cmd);
        cmd.arg("--");
        CommitStream::spawn_with_input(cmd, Some(input), options.limits())
    }

    /// Sha, author e-mail and author date of each commit [`Repo::log`] would read with these
    /// options, in the same order, without reading any patch: cheap enough to list a whole
    /// history first (to skip what is known, and to know every author's dates up front).
    pub fn log_summaries(&self, options: &LogOptions) -> Result<Vec<CommitSummary>, GitError> {
        let Some(revisions) = self.revisions(options)? else {
            return Ok(Vec::new());
        };
        let mut cmd = self.git();
        cmd.args([
            "log",
            "--reverse",
            "--date-order",
            "--no-notes",
            "--encoding=UTF-8",
            "--format=tformat:%H%x00%ae%x00%at",
        ])
        .args(&revisions)
        .arg("--");
        let out = output(&mut cmd)?;
        if !out.status.success() {
            return Err(failed(&cmd, &out));
        }
        out.stdout
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(index, line)| {
                CommitSummary::parse(line).ok_or_else(|| GitError::Parse {
                    line: index as u64 + 1,
                    message: format!(
                        "expected sha, e-mail and date, found {:?}",
                        String::from_utf8_lossy(&line[..line.len().min(60)])
                    ),
                })
            })
            .collect()
    }

    /// The revision arguments for `options`; `None` in an empty repository.
    fn revisions(&self, options: &LogOptions) -> Result<Option<Vec<String>>, GitError> {
        let rev = match &options.rev {
            Some(rev) => self.resolve(rev)?,
            None => match self.head_sha()? {
                Some(sha) => sha,
                None => return Ok(None),
            },
        };
        let mut revisions = vec![rev];
        if let Some(since) = &options.since {
            revisions.push(format!("^{}", self.resolve(since)?));
        }
        Ok(Some(revisions))
    }

    /// The commits reachable from `options.rev` (default `HEAD`) and not from
    /// `options.since`, parents before children, read from a single `git log` as it runs.
    pub fn log(&self, options: LogOptions) -> Result<CommitStream, GitError> {
        let Some(revisions) = self.revisions(&options)? else {
            return Ok(CommitStream::empty());
        };
        CommitStream::spawn(self.log_command(&revisions), options.limits())
    }

    /// One commit, parsed like [`Repo::log`]'s (merge commits without files).
    pub fn commit(&self, rev: &str) -> Result<Commit, GitError> {
        let sha = self.resolve(rev)?;
        let cmd = self.log_command(&["-1".to_string(), sha.clone()]);
        let command = describe(&cmd);
        let mut stream = CommitStream::spawn(cmd, LogOptions::default().limits())?;
        let commit = stream.next().transpose()?;
        if let Some(e) = stream.find_map(Result::err) {
            return Err(e);
        }
        match commit {
            Some(commit) if commit.sha == sha => Ok(commit),
            _ => Err(GitError::Parse {
                line: 0,
                message: format!("`{command}` did not print commit {sha}"),
            }),
        }
    }
}
