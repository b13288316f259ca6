//! The files of a source on disk, and one file read from its stored offset.
//!
//! A file is known by its identity (`device:inode`) and the first bytes it had (`head`):
//! - a renamed file (rotation by rename) keeps both, so it is finished from its offset even
//!   when its new name no longer matches the glob ([`find_by_key`] looks beside its old
//!   path);
//! - a file shorter than its offset, or no longer starting with its head, was truncated
//!   (rotation by copytruncate) or replaced, and is read again from its start.
//!
//! Reads go window by window, so a backlog never sits in memory whole; a line longer than a
//! window is skipped to its newline and counted as malformed.

use sentinel_core::event::Event;
use sentinel_core::id::LogSourceId;
use sentinel_core::log_source::glob_matches;
use sentinel_ingest::logfile::{ChunkOrigin, LogReader};
use sentinel_store::log_sources::LogFileState;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bytes of a file's start that identify it.
const HEAD_BYTES: usize = 64;
/// The most bytes read at once.
pub const WINDOW_BYTES: usize = 4 * 1024 * 1024;

/// A file the source's glob matched (or a rotated one found beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    pub key: String,
    pub size: u64,
}

fn found(path: PathBuf, meta: &std::fs::Metadata) -> FoundFile {
    FoundFile {
        key: format!("{}:{}", meta.dev(), meta.ino()),
        size: meta.len(),
        path,
    }
}

/// The regular files `pattern` matches (wildcards in the file name only), by path.
pub fn discover(pattern: &str) -> io::Result<Vec<FoundFile>> {
    let pattern = Path::new(pattern);
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Ok(Vec::new());
    };
    let name = name.to_string_lossy();
    if !name.contains(['*', '?', '[']) {
        return Ok(match std::fs::metadata(pattern) {
            Ok(meta) if meta.is_file() => vec![found(pattern.to_path_buf(), &meta)],
            Ok(_) => Vec::new(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(err),
        });
    }
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let entry = entry?;
        if !glob_matches(&name, &entry.file_name().to_string_lossy()) {
            continue;
        }
        if let Ok(meta) = std::fs::metadata(entry.path()) {
            if meta.is_file() {
                files.push(found(entry.path(), &meta));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The file with identity `key` in the directory of `last_path`, if it is still there.
pub fn find_by_key(last_path: &Path, key: &str) -> Option<FoundFile> {
    let dir = last_path.parent()?;
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let meta = std::fs::metadata(entry.path()).ok()?;
            meta.is_file().then(|| found(entry.path(), &meta))
        })
        .find(|file| file.key == key)
}

/// What reading one window of a file gave.
#[derive(Debug)]
pub struct WindowRead {
    /// The file's state after the window (offset moved past what was read).
    pub state: LogFileState,
    pub events: Vec<Event>,
    /// More of the file is waiting past this window.
    pub more: bool,
}

/// A file's state as it should be before reading: the stored one, or a fresh one at 0 if
/// the file is new, was truncated or was replaced.
pub fn state_for(
    source: &LogSourceId,
    file: &FoundFile,
    stored: Option<LogFileState>,
) -> io::Result<LogFileState> {
    let head = hex::encode(read_at(&file.path, 0, HEAD_BYTES.min(file.size as usize))?);
    let fresh = LogFileState {
        source_id: source.clone(),
        file_key: file.key.clone(),
        path: file.path.to_string_lossy().into_owned(),
        head: head.clone(),
        offset: 0,
        lines: 0,
        errors: 0,
        malformed: 0,
    };
    let Some(mut state) = stored else {
        return Ok(fresh);
    };
    let offset = u64::try_from(state.offset).unwrap_or(0);
    if file.size < offset || !head.starts_with(&state.head) {
        tracing::info!(path = %fresh.path, offset, size = file.size, "log file truncated or replaced; reading it from the start");
        return Ok(LogFileState {
            lines: state.lines,
            errors: state.errors,
            malformed: state.malformed,
            ..fresh
        });
    }
    state.head = head;
    state.path = fresh.path;
    Ok(state)
}

/// Reads the next window of `file` from `state`'s offset. `flush` reads a text record that
/// ends the file even if it may still grow (the file is at rest, or rotated away).
pub fn read_window(
    reader: &LogReader,
    file: &FoundFile,
    mut state: LogFileState,
    flush: bool,
    received_ms: i64,
) -> io::Result<WindowRead> {
    let offset = u64::try_from(state.offset).unwrap_or(0);
    let want = usize::try_from(file.size.saturating_sub(offset))
        .unwrap_or(usize::MAX)
        .min(WINDOW_BYTES);
    let chunk = read_at(&file.path, offset, want)?;
    let at_end = offset + chunk.len() as u64 >= file.size;
    let seed = format!("{}:{}:{}", state.source_id, state.file_key, state.head);
    let origin = ChunkOrigin {
        seed: seed.as_bytes(),
        offset,
        received_ms,
    };
    let window_full = chunk.len() == WINDOW_BYTES;
    let mut read = reader.read_chunk(&chunk, origin, flush && at_end);
    if read.consumed == 0 && window_full {
        if chunk.contains(&b'\n') {
            // One text record longer than a window: read it as it is.
            read = reader.read_chunk(&chunk, origin, true);
        } else if let Some(skipped) = skip_line(&file.path, offset + chunk.len() as u64)? {
            // A line longer than any line read: skipped to its end.
            state.offset = i64::try_from(skipped).unwrap_or(i64::MAX);
            state.lines += 1;
            state.malformed += 1;
            return Ok(WindowRead {
                more: skipped < file.size,
                state,
                events: Vec::new(),
            });
        }
    }
    state.offset += i64::try_from(read.consumed).unwrap_or(0);
    state.lines += i64::try_from(read.lines).unwrap_or(0);
    state.malformed += i64::try_from(read.malformed).unwrap_or(0);
    state.errors += read.events.len() as i64;
    Ok(WindowRead {
        more: read.consumed > 0 && !at_end,
        state,
        events: read.events,
    })
}

/// The offset just past the next newline at or after `from`; `None` when the file ends first
/// (the long line is still being written).
fn skip_line(path: &Path, from: u64) -> io::Result<Option<u64>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = from;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
}

/// Up to `len` bytes of `path` from `offset` (fewer if the file ends first).
fn read_at(path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}
