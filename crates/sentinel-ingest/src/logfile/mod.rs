//! Log files as the log tailer reads them: a chunk of a file's bytes into the error events
//! its lines describe.
//!
//! A chunk is whatever the tailer read past its stored offset. Only complete lines are
//! read; what follows the last newline (a line still being written) is left for the next
//! poll, and [`ChunkRead::consumed`] says how far the offset may move. A text record — a
//! header line and the traceback lines below it — may still be growing when the chunk ends,
//! so the last one is held back unless the caller says the file is at rest (`flush`).
//!
//! Lines longer than [`MAX_LINE_BYTES`], JSON lines that do not parse and JSON lines that
//! are not UTF-8 are counted as malformed and skipped. Plain-text lines are read lossily
//! (a stray byte in a log line does not make it unreadable).
//!
//! Event ids derive from the source's seed, the record's offset and its bytes, so a record
//! read twice (the tailer stopped between committing events and storing the offset) is the
//! same event and is stored once.

mod json;
mod text;

use sentinel_core::clock::Millis;
use sentinel_core::event::{Event, Level};
use sentinel_core::log_source::{FieldMapping, LogFormat};
use sha2::{Digest, Sha256};

/// The longest line read; longer ones are counted as malformed and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// How one source's lines are read.
#[derive(Debug, Clone)]
pub struct LogReader {
    pub format: LogFormat,
    pub fields: FieldMapping,
    /// The service's platform in Sentry's names (`python`, `java`, `node`, …).
    pub platform: String,
}

/// What a chunk held.
#[derive(Debug, Default)]
pub struct ChunkRead {
    /// Bytes of the chunk fully read: the stored offset may move this far.
    pub consumed: usize,
    /// The error events, in file order.
    pub events: Vec<Event>,
    /// Lines read (complete lines in `consumed`).
    pub lines: u64,
    /// Lines skipped as malformed.
    pub malformed: u64,
}

/// Where a chunk comes from, for event ids.
#[derive(Debug, Clone, Copy)]
pub struct ChunkOrigin<'a> {
    /// Stable per source and file (the tailer uses the source id and the file's identity).
    pub seed: &'a [u8],
    /// The chunk's offset in its file.
    pub offset: u64,
    pub received_ms: Millis,
}

/// What one line or record turned out to be.
enum Record {
    Error(Box<Event>),
    Other,
    Malformed,
}

impl LogReader {
    /// Reads the complete lines (and, for text, the complete records) of `chunk`.
    pub fn read_chunk(&self, chunk: &[u8], origin: ChunkOrigin<'_>, flush: bool) -> ChunkRead {
        match self.format {
            LogFormat::JsonLines => self.read_json_chunk(chunk, origin),
            LogFormat::Text => text::read_chunk(self, chunk, origin, flush),
        }
    }

    fn read_json_chunk(&self, chunk: &[u8], origin: ChunkOrigin<'_>) -> ChunkRead {
        let mut read = ChunkRead::default();
        let mut start = 0;
        while let Some(end) = memchr_newline(&chunk[start..]).map(|i| start + i) {
            let line = &chunk[start..end];
            read.lines += 1;
            if line.len() > MAX_LINE_BYTES {
                read.malformed += 1;
            } else if !line.iter().all(u8::is_ascii_whitespace) {
                match json::read_line(self, line, origin.received_ms) {
                    Record::Error(mut event) => {
                        event.event_id = record_id(origin, start, line);
                        read.events.push(*event);
                    }
                    Record::Other => {}
                    Record::Malformed => read.malformed += 1,
                }
            }
            start = end + 1;
        }
        read.consumed = start;
        read
    }
}

/// The position of the first `\n`.
pub(crate) fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

/// A record's event id: 32 hex characters from the seed, its offset and its bytes.
fn record_id(origin: ChunkOrigin<'_>, at: usize, bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update((origin.seed.len() as u64).to_le_bytes());
    hasher.update(origin.seed);
    hasher.update((origin.offset + at as u64).to_le_bytes());
    hasher.update(bytes);
    hex::encode(&hasher.finalize()[..16])
}

/// A level word as a log line writes it; `None` for a word that is no level.
fn level_word(word: &str) -> Option<Level> {
    let level = match word.trim().to_ascii_lowercase().as_str() {
        "trace" | "debug" | "verbose" => Level::Debug,
        "info" | "information" | "notice" | "log" => Level::Info,
        "warn" | "warning" => Level::Warning,
        "error" | "err" | "severe" | "alert" => Level::Error,
        "fatal" | "critical" | "crit" | "panic" | "emerg" | "emergency" => Level::Fatal,
        _ => return None,
    };
    Some(level)
}

fn is_error(level: Level) -> bool {
    matches!(level, Level::Error | Level::Fatal)
}

#[cfg(test)]
mod tests;
