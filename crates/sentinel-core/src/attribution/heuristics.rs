//! Commit-level heuristics: indirect evidence that a tool wrote a commit.
//!
//! - Pull-request text naming a tool (0.7). Only phrases that mean the tool: names that are
//!   also ordinary words or first names ("cursor", "Devin", "Jules", "Claude") count only in
//!   a form that names the product ("Cursor Agent", "devin.ai", "Claude Code").
//! - Velocity (0.6): at least [`VELOCITY_MIN_LINES`] lines *added* less than five minutes
//!   after the same author's previous commit (author dates). Added lines measure writing;
//!   deleting a directory is fast for anyone. Lockfiles and binary files do not count: a
//!   dependency update writes thousands of lines no one typed.
//! - Local hour (0.3): the author date falls between 02:00 and 04:59 in the author's own
//!   time zone (the offset git recorded), when few people write code and agents run
//!   unattended.

use super::{signal_names, PullRequestText};
use crate::clock::{Millis, MINUTE_MS};
use crate::code::{AiTool, Commit, FileChange, GitStamp, Signal};
use regex::Regex;
use std::sync::OnceLock;

pub const PR_TEXT_WEIGHT: f64 = 0.7;
pub const VELOCITY_WEIGHT: f64 = 0.6;
pub const LOCAL_HOUR_WEIGHT: f64 = 0.3;

/// Lines added that make a commit fast enough to count (this many or more).
pub const VELOCITY_MIN_LINES: u64 = 500;
/// The window after the author's previous commit; a gap of exactly this long is outside.
pub const VELOCITY_WINDOW_MS: Millis = 5 * MINUTE_MS;

/// First minute of the night window, local time (02:00).
pub const NIGHT_START_MINUTE: u32 = 2 * 60;
/// First minute after the night window, local time (05:00).
pub const NIGHT_END_MINUTE: u32 = 5 * 60;

/// Phrases that name a tool in pull-request text. `(?i)` where the name is unambiguous in any
/// case; case-sensitive where the lower-case word means something else.
const PR_PHRASES: &[(AiTool, &str)] = &[
    (AiTool::Claude, r"(?i)\bclaude[ -]code\b"),
    (AiTool::Claude, r"(?i)\bclaude\.(?:ai|com)/"),
    (AiTool::Claude, r"\bClaude (?:Opus|Sonnet|Haiku)\b"),
    (AiTool::Claude, r"\bAnthropic\b"),
    (AiTool::Copilot, r"(?i)\bcopilot\b"),
    (AiTool::Cursor, r"(?i)\bmade with \[cursor\]"),
    (AiTool::Cursor, r"(?i)\bcursor\.com\b"),
    (
        AiTool::Cursor,
        r"\bCursor (?:Agent|AI|IDE|Composer|Background Agent)\b",
    ),
    (AiTool::Aider, r"(?i)\baider\b"),
    (AiTool::Codex, r"\bCodex\b"),
    (AiTool::Codex, r"(?i)\bchatgpt\.com/codex\b"),
    (AiTool::Devin, r"(?i)\bdevin\.ai\b"),
    (AiTool::Devin, r"\bDevin (?:AI|run|session)\b"),
    (AiTool::Jules, r"(?i)\bjules\.google\b"),
    (AiTool::Jules, r"\b(?:Google Jules|Jules (?:AI|agent))\b"),
    (AiTool::Gemini, r"\bGemini\b"),
    (AiTool::OpenHands, r"(?i)\bopenhands\b"),
    (AiTool::OpenCode, r"(?i)\bopencode\b"),
    (AiTool::Continue, r"(?i)\bcontinue\.dev\b"),
    (AiTool::RooCode, r"(?i)\broo ?code\b"),
    (AiTool::Factory, r"(?i)\b(?:factory droid|factory\.ai)\b"),
    (AiTool::AmazonQ, r"\bAmazon Q(?: Developer)?\b"),
    (AiTool::Windsurf, r"(?i)\bwindsurf\b"),
];

fn pr_phrases() -> &'static [(AiTool, Regex)] {
    static COMPILED: OnceLock<Vec<(AiTool, Regex)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PR_PHRASES
            .iter()
            .filter_map(|(tool, pattern)| Regex::new(pattern).ok().map(|re| (*tool, re)))
            .collect()
    })
}

/// The earliest tool phrase in a text: its tool and the phrase as written.
fn first_tool_phrase(text: &str) -> Option<(AiTool, &str)> {
    pr_phrases()
        .iter()
        .filter_map(|(tool, re)| re.find(text).map(|m| (m.start(), *tool, m.as_str())))
        .min_by_key(|(start, _, _)| *start)
        .map(|(_, tool, phrase)| (tool, phrase))
}

/// The pull request's title, else its body, names a tool.
pub(super) fn pr_text_signal(pr: Option<&PullRequestText<'_>>) -> Option<Signal> {
    let pr = pr?;
    let (place, (tool, phrase)) = first_tool_phrase(pr.title)
        .map(|found| ("title", found))
        .or_else(|| first_tool_phrase(pr.body).map(|found| ("body", found)))?;
    let which = pr.number.map_or_else(
        || "pull request".to_owned(),
        |n| format!("pull request #{n}"),
    );
    Some(Signal {
        name: signal_names::PR_TEXT.to_owned(),
        weight: PR_TEXT_WEIGHT,
        evidence: format!("{which} {place} names {tool}: \"{phrase}\""),
        tool: Some(tool),
    })
}

/// Lockfiles by name: generated, never typed.
pub(super) const LOCKFILE_NAMES: &[&str] = &[
    "cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    "poetry.lock",
    "pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "gemfile.lock",
    "composer.lock",
    "go.sum",
    "flake.lock",
    "mix.lock",
    "podfile.lock",
    "packages.lock.json",
    "gradle.lockfile",
    "pubspec.lock",
    "package.resolved",
];

pub(super) fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    LOCKFILE_NAMES.contains(&name.as_str())
}

/// Lines added that count as written: not in binary files or lockfiles.
pub(super) fn written_lines(files: &[FileChange]) -> u64 {
    files
        .iter()
        .filter(|f| !f.binary && !is_lockfile(&f.path))
        .map(|f| u64::from(f.lines_added))
        .sum()
}

/// Many lines added soon after the author's previous commit.
pub(super) fn velocity_signal(commit: &Commit, previous_at: Option<Millis>) -> Option<Signal> {
    let gap_ms = commit.author.at_ms.checked_sub(previous_at?)?;
    if !(0..VELOCITY_WINDOW_MS).contains(&gap_ms) {
        return None;
    }
    let lines = written_lines(&commit.files);
    if lines < VELOCITY_MIN_LINES {
        return None;
    }
    let seconds = gap_ms / 1000;
    Some(Signal {
        name: signal_names::VELOCITY.to_owned(),
        weight: VELOCITY_WEIGHT,
        evidence: format!(
            "{lines} lines added {}:{:02} after the author's previous commit",
            seconds / 60,
            seconds % 60
        ),
        tool: None,
    })
}

/// The author date falls in the night window of the author's own time zone.
pub(super) fn local_hour_signal(author: &GitStamp) -> Option<Signal> {
    let minute = author.local_minute_of_day();
    if !(NIGHT_START_MINUTE..NIGHT_END_MINUTE).contains(&minute) {
        return None;
    }
    let offset = author.utc_offset_minutes;
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    Some(Signal {
        name: signal_names::LOCAL_HOUR.to_owned(),
        weight: LOCAL_HOUR_WEIGHT,
        evidence: format!(
            "authored at {:02}:{:02} local time (UTC{sign}{:02}:{:02})",
            minute / 60,
            minute % 60,
            offset / 60,
            offset % 60
        ),
        tool: None,
    })
}

#[cfg(test)]
mod tests;
