//! A running `git log`: commits parsed from its stdout as they arrive, the child waited on at
//! the end and killed if the stream is dropped early.

use crate::command::describe;
use crate::error::{truncate_stderr, GitError, STDERR_LIMIT};
use crate::parser::{Limits, LogParser};
use sentinel_core::code::Commit;
use std::io::{BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

/// Read buffer for git's stdout.
const READ_BUFFER: usize = 256 * 1024;

struct Running {
    child: Child,
    parser: LogParser<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    /// Writes the revisions of `git log --stdin`; it ends when they are written or git
    /// stops reading.
    stdin: Option<JoinHandle<()>>,
    command: String,
}

/// Commits oldest first, read from one `git log` process. Yields `Err` once (a parse error,
/// a read error, or git's non-zero exit) and then ends.
pub struct CommitStream {
    running: Option<Running>,
    commits: u64,
}

/// Keeps the start of git's stderr and drains the rest, so git never blocks writing to it.
fn collect_stderr(mut stderr: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stderr.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = STDERR_LIMIT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        kept
    })
}

impl CommitStream {
    /// A stream with no commits (the log of an empty repository).
    pub(crate) fn empty() -> Self {
        Self {
            running: None,
            commits: 0,
        }
    }

    /// Starts `cmd` (a `git log` in Sentinel's format) and reads its stdout.
    pub(crate) fn spawn(cmd: Command, limits: Limits) -> Result<Self, GitError> {
        Self::spawn_with_input(cmd, None, limits)
    }

    /// Like [`CommitStream::spawn`], writing `input` to git's stdin (for `--stdin`) from a
    /// thread of its own, so git never blocks on a full stdout while we write.
    pub(crate) fn spawn_with_input(
        mut cmd: Command,
        input: Option<Vec<u8>>,
        limits: Limits,
    ) -> Result<Self, GitError> {
        let command = describe(&cmd);
        tracing::debug!(%command, "starting git log");
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::Spawn)?;
        let stderr = child.stderr.take().map(collect_stderr);
        let stdin = match (input, child.stdin.take()) {
            (Some(input), Some(mut pipe)) => Some(std::thread::spawn(move || {
                // A write error means git exited early; its status tells why.
                let _ = pipe.write_all(&input);
            })),
            _ => None,
        };
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(GitError::Spawn(std::io::Error::other(
                "git's stdout was not piped",
            )));
        };
        let parser = LogParser::new(BufReader::with_capacity(READ_BUFFER, stdout), limits);
        Ok(Self {
            running: Some(Running {
                child,
                parser,
                stderr,
                stdin,
                command,
            }),
            commits: 0,
        })
    }

    /// How many commits the stream has yielded so far.
    pub fn commits_read(&self) -> u64 {
        self.commits
    }

    /// Waits for git after the end of its output; a non-zero exit is an error.
    fn finish(mut running: Running) -> Result<(), GitError> {
        let status = running.child.wait().map_err(GitError::Spawn)?;
        let stderr = running
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(GitError::Failed {
            command: running.command.clone(),
            status: status.to_string(),
            stderr: truncate_stderr(&stderr),
        })
    }
}

impl Iterator for CommitStream {
    type Item = Result<Commit, GitError>;

    fn next(&mut self) -> Option<Self::Item> {
        let running = self.running.as_mut()?;
        match running.parser.next_commit() {
            Ok(Some(commit)) => {
                self.commits += 1;
                Some(Ok(commit))
            }
            Ok(None) => {
                let running = self.running.take()?;
                tracing::debug!(commits = self.commits, "git log finished");
                Self::finish(running).err().map(Err)
            }
            // Dropping `running` kills git.
            Err(e) => {
                self.running = None;
                Some(Err(e))
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if let Some(handle) = self.stderr.take() {
            let _ = handle.join();
        }
        if let Some(handle) = self.stdin.take() {
            let _ = handle.join();
        }
    }
}
