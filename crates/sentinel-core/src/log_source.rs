//! A service's log files, as the log tailer reads them: where they are (a path glob), how a
//! line is written ([`LogFormat`]), which fields hold what ([`FieldMapping`]), and how often
//! they are read.

use serde::{Deserialize, Serialize};

/// How often a source is read when its configuration says nothing.
pub const DEFAULT_POLL_INTERVAL_MS: i64 = 30_000;
/// The shortest poll interval a source may ask for.
pub const MIN_POLL_INTERVAL_MS: i64 = 100;

/// How the lines of a file are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One JSON object per line (structlog, pino, bunyan, logstash, zap, …).
    #[default]
    JsonLines,
    /// Plain text: a record starts with a timestamp or a level word; the lines that follow
    /// without one (a Python traceback, a Java or Node stack) belong to it.
    Text,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::JsonLines => "json_lines",
            LogFormat::Text => "text",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "json_lines" | "json" => Some(LogFormat::JsonLines),
            "text" => Some(LogFormat::Text),
            _ => None,
        }
    }
}

/// Which field of a JSON line holds what. A name may be a dotted path (`error.stack`);
/// `None` tries the names the common loggers use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl FieldMapping {
    /// The names tried for the message when none is mapped.
    pub const MESSAGE: &'static [&'static str] = &["message", "msg", "event", "@message"];
    pub const LEVEL: &'static [&'static str] =
        &["level", "severity", "levelname", "log.level", "lvl"];
    pub const TIME: &'static [&'static str] = &["timestamp", "time", "ts", "@timestamp", "asctime"];
    pub const EXCEPTION: &'static [&'static str] = &[
        "exception",
        "exc_info",
        "stack_trace",
        "stacktrace",
        "stack",
        "error.stack",
        "err.stack",
        "error.stack_trace",
    ];
    pub const TRACE_ID: &'static [&'static str] = &[
        "trace_id",
        "traceId",
        "trace.id",
        "otelTraceID",
        "dd.trace_id",
    ];
}

/// What a source is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSourceConfig {
    /// An absolute path; `*`, `?` and `[…]` in its last component match several files.
    pub path: String,
    pub format: LogFormat,
    pub fields: FieldMapping,
    pub poll_interval_ms: i64,
    pub enabled: bool,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogSourceError {
    #[error("path must be absolute")]
    RelativePath,
    #[error("path may contain wildcards only in its file name")]
    WildcardDirectory,
    #[error("path may not contain .. or control characters")]
    BadPath,
    #[error("poll_interval_ms must be at least {MIN_POLL_INTERVAL_MS}")]
    PollTooShort,
}

impl LogSourceConfig {
    /// Checks what the edge accepts: an absolute path, wildcards only in the file name.
    pub fn validate(&self) -> Result<(), LogSourceError> {
        let path = self.path.as_str();
        if !path.starts_with('/') {
            return Err(LogSourceError::RelativePath);
        }
        if path.len() > 1000
            || path.chars().any(char::is_control)
            || path.split('/').any(|part| part == "..")
        {
            return Err(LogSourceError::BadPath);
        }
        let (dir, _) = path.rsplit_once('/').unwrap_or(("", path));
        if dir.contains(['*', '?', '[']) {
            return Err(LogSourceError::WildcardDirectory);
        }
        if self.poll_interval_ms < MIN_POLL_INTERVAL_MS {
            return Err(LogSourceError::PollTooShort);
        }
        Ok(())
    }
}

/// Whether `name` matches the glob `pattern` (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`).
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|skip| glob_at(&p[1..], &n[skip..])),
        Some('?') => !n.is_empty() && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(1).position(|c| *c == ']').map(|i| i + 1) else {
                return n.first() == Some(&'[') && glob_at(&p[1..], &n[1..]);
            };
            let Some(c) = n.first() else { return false };
            let mut set = &p[1..close];
            let negate = matches!(set.first(), Some('!' | '^'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= set[i] <= *c && *c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == *c;
                    i += 1;
                }
            }
            hit != negate && glob_at(&p[close + 1..], &n[1..])
        }
        Some(c) => n.first() == Some(c) && glob_at(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_file_names() {
        assert!(glob_matches("app*.log", "app.log"));
        assert!(glob_matches("app*.log", "app-2.log"));
        assert!(!glob_matches("app*.log", "app.log.1"));
        assert!(glob_matches("app.log.[0-9]", "app.log.1"));
        assert!(!glob_matches("app.log.[!0-9]", "app.log.1"));
        assert!(glob_matches("?.log", "a.log"));
        assert!(glob_matches("app.log", "app.log"));
    }

    #[test]
    fn only_absolute_paths_with_wildcards_in_the_file_name_are_accepted() {
        let config = |path: &str| LogSourceConfig {
            path: path.into(),
            format: LogFormat::JsonLines,
            fields: FieldMapping::default(),
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            enabled: true,
        };
        assert_eq!(config("/var/log/app*.log").validate(), Ok(()));
        assert_eq!(
            config("app.log").validate(),
            Err(LogSourceError::RelativePath)
        );
        assert_eq!(
            config("/var/*/app.log").validate(),
            Err(LogSourceError::WildcardDirectory)
        );
        assert_eq!(
            config("/var/../etc").validate(),
            Err(LogSourceError::BadPath)
        );
    }
}
