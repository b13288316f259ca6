//! Plain-text logs: a record is a header line (it starts with a timestamp or a level word)
//! and the lines below it that do not (a Python traceback, a Java stack with its `Caused
//! by:` chain, a Node `Error:` with its `at` lines). A record at level ERROR or above is an
//! event; its traceback, read by the stack-trace parsers OTLP uses, is the exception.

use super::json::{exception_from_text, parse_time_text};
use super::{
    is_error, level_word, memchr_newline, record_id, ChunkOrigin, ChunkRead, LogReader,
    MAX_LINE_BYTES,
};
use regex::Regex;
use sentinel_core::event::{Event, EventKind, Level, Message};
use std::sync::OnceLock;

/// The most lines one record may have; a longer run of continuation lines is cut here.
const MAX_RECORD_LINES: usize = 2_000;

struct Patterns {
    /// A line that starts a record.
    start: Regex,
    /// A level word in a header: upper case, or in brackets, or `level=`.
    level: Regex,
    /// The header's timestamp.
    time: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: OnceLock<Option<Patterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some(Patterns {
                start: Regex::new(
                    r"^(?:\[?\d{4}-\d{2}-\d{2}[T ]\d|\[?\d{2}:\d{2}:\d{2}|\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL|PANIC)\b|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|level=)",
                )
                .ok()?,
                level: Regex::new(
                    r"\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL|PANIC)\b|\[(?i:(trace|debug|info|warn|warning|error|fatal|critical))\]|level=(?i:(\w+))",
                )
                .ok()?,
                time: Regex::new(
                    r"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?",
                )
                .ok()?,
            })
        })
        .as_ref()
}

/// One record: where it starts in the chunk, its bytes, its line count.
struct Span {
    start: usize,
    end: usize,
    lines: usize,
}

pub(super) fn read_chunk(
    reader: &LogReader,
    chunk: &[u8],
    origin: ChunkOrigin<'_>,
    flush: bool,
) -> ChunkRead {
    let mut read = ChunkRead::default();
    let Some(patterns) = patterns() else {
        return read;
    };
    let mut current: Option<Span> = None;
    let mut start = 0;
    while let Some(end) = memchr_newline(&chunk[start..]).map(|i| start + i) {
        let line = &chunk[start..end];
        read.lines += 1;
        if line.len() > MAX_LINE_BYTES {
            read.malformed += 1;
            if let Some(span) = current.take() {
                emit(reader, chunk, &span, origin, patterns, &mut read);
            }
            start = end + 1;
            read.consumed = start;
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let continues = current.as_ref().is_some_and(|s| s.lines < MAX_RECORD_LINES)
            && !patterns.start.is_match(&text);
        match current.as_mut() {
            Some(span) if continues => {
                span.end = end;
                span.lines += 1;
            }
            _ => {
                if let Some(span) = current.take() {
                    emit(reader, chunk, &span, origin, patterns, &mut read);
                }
                // Everything before this record is read.
                read.consumed = start;
                current = Some(Span {
                    start,
                    end,
                    lines: 1,
                });
            }
        }
        start = end + 1;
    }
    if let Some(span) = current {
        // The last record may still be growing: held back until the file rests.
        if flush {
            emit(reader, chunk, &span, origin, patterns, &mut read);
            read.consumed = span.end + 1;
        } else {
            read.lines -= span.lines as u64;
        }
    }
    read
}

fn emit(
    reader: &LogReader,
    chunk: &[u8],
    span: &Span,
    origin: ChunkOrigin<'_>,
    patterns: &Patterns,
    read: &mut ChunkRead,
) {
    let bytes = &chunk[span.start..span.end];
    if let Some(mut event) = record_event(reader, bytes, origin, patterns) {
        event.event_id = record_id(origin, span.start, bytes);
        read.events.push(event);
    }
}

fn record_event(
    reader: &LogReader,
    bytes: &[u8],
    origin: ChunkOrigin<'_>,
    patterns: &Patterns,
) -> Option<Event> {
    let text = String::from_utf8_lossy(bytes);
    let (header, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let header = header.trim_end_matches('\r');
    let level_match = patterns.level.captures(header);
    let level = level_match
        .as_ref()
        .and_then(|c| c.iter().skip(1).flatten().next())
        .and_then(|m| level_word(m.as_str()));
    let traceback = !rest.trim().is_empty();
    let level = match level {
        Some(level) => level,
        None if traceback => Level::Error,
        None => return None,
    };
    if !is_error(level) {
        return None;
    }
    let timestamp_ms = patterns
        .time
        .captures(header)
        .and_then(|c| c.get(1))
        .and_then(|m| parse_time_text(m.as_str()))
        .unwrap_or(origin.received_ms);
    // The message is what follows the level word (or the timestamp).
    let after = level_match
        .and_then(|c| c.get(0))
        .map(|m| m.end())
        .or_else(|| patterns.time.find(header).map(|m| m.end()))
        .unwrap_or(0);
    let message = header[after..]
        .trim_start_matches([' ', ':', '-', ']', '|', '\t'])
        .trim()
        .to_string();
    let exception = traceback.then(|| {
        let stack = rest.trim_end();
        exception_from_text(None, None, Some(stack), &reader.platform)
    });
    // A traceback whose text names no exception type is still the record's message.
    let exception =
        exception.filter(|e| e.ty != "Error" || !e.frames.is_empty() || e.value.is_some());
    Some(Event {
        timestamp_ms,
        kind: EventKind::Error,
        platform: reader.platform.clone(),
        level,
        message: (!message.is_empty()).then_some(Message {
            formatted: message,
            ..Message::default()
        }),
        exceptions: exception.into_iter().collect(),
        ..Event::default()
    })
}
