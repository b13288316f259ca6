//! One commit's `-p -U0` patch: which files changed, how, and the text of the lines added.

use crate::parser::Limits;
use crate::quote::{diff_git_paths, unquote};
use sentinel_core::code::{FileChange, FileStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first `diff --git` of the commit.
    Start,
    /// Between `diff --git` and the first hunk: mode, rename and `---`/`+++` lines.
    FileHeader,
    /// Inside hunks: every `+`/`-` line is content.
    Hunk,
}

/// The files of one commit, built line by line.
pub(crate) struct Patch {
    limits: Limits,
    files: Vec<FileChange>,
    state: State,
    kept_in_commit: usize,
}

/// At most 60 characters of a line, for error messages.
pub(crate) fn snippet(line: &[u8]) -> String {
    let end = line.len().min(60);
    String::from_utf8_lossy(&line[..end]).into_owned()
}

/// The text of an added line: lossily decoded, without a trailing `\r`, cut at a character
/// boundary to at most `max_bytes`.
fn added_text(content: &[u8], max_bytes: usize) -> String {
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    let mut text = String::from_utf8_lossy(&content[..content.len().min(max_bytes)]).into_owned();
    if text.len() > max_bytes {
        // Lossy decoding can grow the text (U+FFFD is three bytes).
        let mut end = max_bytes;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

impl Patch {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            files: Vec::new(),
            state: State::Start,
            kept_in_commit: 0,
        }
    }

    /// The files, in the order git printed them.
    pub(crate) fn finish(self) -> Vec<FileChange> {
        self.files
    }

    /// Takes one line of the patch (without its newline).
    pub(crate) fn feed(&mut self, line: &[u8]) -> Result<(), String> {
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            let (_, path) = diff_git_paths(rest)
                .ok_or_else(|| format!("a diff header without paths: {:?}", snippet(line)))?;
            self.files.push(FileChange {
                path,
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: 0,
                lines_deleted: 0,
                binary: false,
                added_lines: Vec::new(),
            });
            self.state = State::FileHeader;
            return Ok(());
        }
        let state = self.state;
        let limits = self.limits;
        let Some(file) = self.files.last_mut() else {
            if line.iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            return Err(format!("expected a diff, found {:?}", snippet(line)));
        };
        match state {
            State::Start => Ok(()),
            State::FileHeader => {
                file_header_line(file, line);
                if line.starts_with(b"@@") {
                    self.state = State::Hunk;
                }
                Ok(())
            }
            State::Hunk => match line.first() {
                Some(b'+') => {
                    file.lines_added = file.lines_added.saturating_add(1);
                    if file.added_lines.len() < limits.max_added_lines_per_file
                        && self.kept_in_commit < limits.max_added_lines_per_commit
                    {
                        let text = added_text(&line[1..], limits.max_added_line_bytes);
                        file.added_lines.push(text);
                        self.kept_in_commit += 1;
                    }
                    Ok(())
                }
                Some(b'-') => {
                    file.lines_deleted = file.lines_deleted.saturating_add(1);
                    Ok(())
                }
                // Hunk headers, "\ No newline at end of file", context lines (none with -U0).
                Some(b'@' | b'\\' | b' ') | None => Ok(()),
                Some(_) => Err(format!("an unexpected line in a hunk: {:?}", snippet(line))),
            },
        }
    }
}

/// Applies a line between `diff --git` and the first hunk.
fn file_header_line(file: &mut FileChange, line: &[u8]) {
    if line.starts_with(b"new file mode ") {
        file.status = FileStatus::Added;
    } else if line.starts_with(b"deleted file mode ") {
        file.status = FileStatus::Deleted;
    } else if let Some(from) = line.strip_prefix(b"rename from ") {
        file.previous_path = Some(unquote(from));
        file.status = FileStatus::Renamed;
    } else if let Some(to) = line.strip_prefix(b"rename to ") {
        file.path = unquote(to);
    } else if let Some(from) = line.strip_prefix(b"copy from ") {
        // A copy is a new file that came from another; core has no separate status for it.
        file.previous_path = Some(unquote(from));
        file.status = FileStatus::Added;
    } else if let Some(to) = line.strip_prefix(b"copy to ") {
        file.path = unquote(to);
    } else if line.starts_with(b"Binary files ") && line.ends_with(b" differ") {
        file.binary = true;
    }
    // index, similarity, old/new mode, ---/+++ lines say nothing more that core keeps.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_text_is_cut_at_a_character_boundary() {
        assert_eq!(added_text(b"hello\r", 100), "hello");
        assert_eq!(added_text("héllo".as_bytes(), 2), "h");
        assert_eq!(added_text(b"a\xffb", 100), "a\u{fffd}b");
        assert_eq!(added_text(b"\xff\xff", 4), "\u{fffd}");
    }
}
