//! The incremental parser of `git log -p` output in Sentinel's format: one commit at a time
//! from any reader, holding only the current line and the current commit.

use crate::error::GitError;
use crate::header::{parse_header, FIELDS, RECORD_START};
use crate::lines::LineReader;
use crate::patch::{snippet, Patch};
use sentinel_core::code::Commit;
use std::io::BufRead;

/// How much added-line text is kept; the counts are always exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// At most this many added line texts per file.
    pub max_added_lines_per_file: usize,
    /// Each kept line is cut to at most this many bytes (at a character boundary).
    pub max_added_line_bytes: usize,
    /// At most this many added line texts over a whole commit (an import of thousands of
    /// files would otherwise keep thousands of times the per-file limit).
    pub max_added_lines_per_commit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_added_lines_per_file: 200,
            max_added_line_bytes: 1000,
            max_added_lines_per_commit: 20_000,
        }
    }
}

/// Patch lines longer than this are cut while reading (paths and kept texts fit well within).
const MIN_LINE_CAP: usize = 64 * 1024;

/// Reads commits from the output of `git log --format=<FORMAT> -p -U0 --date=raw`.
pub struct LogParser<R> {
    reader: LineReader<R>,
    line: Vec<u8>,
    /// `line` already holds the start of the next commit's record.
    carried: bool,
    failed: bool,
    limits: Limits,
    line_cap: usize,
}

impl<R: BufRead> LogParser<R> {
    pub fn new(reader: R, limits: Limits) -> Self {
        Self {
            reader: LineReader::new(reader),
            line: Vec::new(),
            carried: false,
            failed: false,
            limits,
            line_cap: MIN_LINE_CAP.max(limits.max_added_line_bytes.saturating_add(1)),
        }
    }

    fn error(&self, message: impl Into<String>) -> GitError {
        GitError::Parse {
            line: self.reader.line_no(),
            message: message.into(),
        }
    }

    fn read(&mut self, cap: usize) -> Result<bool, GitError> {
        self.reader
            .read_line(&mut self.line, cap)
            .map_err(GitError::Spawn)
    }

    /// The next commit, `None` at the end of the output.
    pub fn next_commit(&mut self) -> Result<Option<Commit>, GitError> {
        if !self.carried {
            loop {
                if !self.read(usize::MAX)? {
                    return Ok(None);
                }
                if self.line.first() == Some(&RECORD_START) {
                    break;
                }
                if !self.line.is_empty() {
                    let found = snippet(&self.line);
                    return Err(self.error(format!("expected a commit, found {found:?}")));
                }
            }
        }
        self.carried = false;
        let mut record = self.line[1..].to_vec();
        let mut nuls = record.iter().filter(|&&b| b == 0).count();
        while nuls < FIELDS {
            // The message spans lines; it ends with the last field's NUL.
            if !self.read(usize::MAX)? {
                return Err(self.error("the output ended inside a commit header"));
            }
            record.push(b'\n');
            record.extend_from_slice(&self.line);
            nuls += self.line.iter().filter(|&&b| b == 0).count();
        }
        let mut commit = parse_header(&record).map_err(|m| self.error(m))?;
        drop(record);
        let mut patch = Patch::new(self.limits);
        while self.read(self.line_cap)? {
            if self.line.first() == Some(&RECORD_START) {
                self.carried = true;
                break;
            }
            let fed = patch.feed(&self.line);
            fed.map_err(|m| self.error(m))?;
        }
        commit.files = patch.finish();
        Ok(Some(commit))
    }
}

/// Commits until the end of the output or the first error.
impl<R: BufRead> Iterator for LogParser<R> {
    type Item = Result<Commit, GitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_commit() {
            Ok(commit) => commit.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
