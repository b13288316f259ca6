//! The autopsy's domain: what the workflow hands a provider (an incident's exception, its
//! frames resolved to repository files with the code around them, the suspect commit) and
//! what a provider answers (a category, a root cause naming file, line and variable, a
//! regression test, a guard patch, a prompt for a coding assistant and manual steps).
//!
//! The workflow (`sentinel-agents`) gathers an [`AutopsyInput`], asks the organization's
//! provider for a [`Diagnosis`], verifies the patch and test against the clone when it can,
//! and stores the outcome. The built-in provider is [`heuristic`]: rules over the input,
//! offline and deterministic. Nothing here does I/O.

pub mod heuristic;
mod hints;

pub use hints::{detect_language, detect_repo_hints};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The language the failing code is written in, which decides the rules that apply and the
/// framework a regression test is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Python,
    JavaScript,
    TypeScript,
    Rust,
    Other,
}

/// The test framework a repository uses, as found in its files (`pytest` in requirements or
/// `pyproject.toml`, `jest`/`vitest` in `package.json`, `Cargo.toml` for Rust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestFramework {
    Pytest,
    NodeTest,
    Jest,
    Vitest,
    RustTest,
}

/// What kind of fault the root cause is. The set is the catalogue the heuristic provider
/// knows; `unknown` when no rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    NullAccess,
    MissingKey,
    IndexOutOfRange,
    DivisionByZero,
    TypeMismatch,
    MissingConfig,
    ParseError,
    DependencyUnavailable,
    UnhandledRejection,
    Upstream5xx,
    Unknown,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NullAccess => "null_access",
            Self::MissingKey => "missing_key",
            Self::IndexOutOfRange => "index_out_of_range",
            Self::DivisionByZero => "division_by_zero",
            Self::TypeMismatch => "type_mismatch",
            Self::MissingConfig => "missing_config",
            Self::ParseError => "parse_error",
            Self::DependencyUnavailable => "dependency_unavailable",
            Self::UnhandledRejection => "unhandled_rejection",
            Self::Upstream5xx => "upstream_5xx",
            Self::Unknown => "unknown",
        }
    }
}

/// Triage's verdict on whether the incident is a fault in the code worth fixing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Identified,
    NotFound,
    FalseAlarm,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identified => "identified",
            Self::NotFound => "not_found",
            Self::FalseAlarm => "false_alarm",
        }
    }
}

/// Lines of one file around a frame: from the SDK's context lines or from the repository at
/// the release. `first_line` is the 1-based number of `lines[0]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSnapshot {
    /// Repository-relative path when the frame mapped into the repository, else the frame's.
    pub path: String,
    pub first_line: u32,
    pub lines: Vec<String>,
    /// The 1-based line the frame points at.
    pub focus_line: u32,
    /// Where the lines came from: `sdk_context` or `repository`.
    pub source: SnapshotSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotSource {
    SdkContext,
    Repository,
}

impl FileSnapshot {
    /// The text of the line the frame points at, when the snapshot holds it.
    pub fn focus_text(&self) -> Option<&str> {
        let index = self.focus_line.checked_sub(self.first_line)?;
        self.lines.get(index as usize).map(String::as_str)
    }
}

/// One stack frame as the autopsy sees it: top of the stack first in [`AutopsyInput::frames`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedFrame {
    /// The path as the SDK reported it.
    pub frame_path: String,
    /// The repository file it maps to, when it maps.
    pub repo_path: Option<String>,
    pub function: Option<String>,
    pub line: Option<u32>,
    pub in_app: bool,
    pub snapshot: Option<FileSnapshot>,
    /// The frame's local variables as the SDK serialized them (Python sends them by
    /// default): the arguments a regression test replays.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, serde_json::Value>,
}

/// The suspect commit, as far as a provider needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuspectSummary {
    pub sha: String,
    pub author: String,
    pub summary: String,
    pub ai_tool: Option<String>,
    pub ai_confidence: Option<f64>,
    /// The commit's diff, bounded in size by the workflow.
    pub diff: Option<String>,
}

/// What the repository looks like, as far as writing a test for it goes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepoHints {
    pub test_framework: Option<TestFramework>,
    /// Repository-relative paths of existing test files, to place a new one beside them.
    pub test_files: Vec<String>,
    /// `package.json`'s `"type": "module"`: a Node test is written as ESM.
    pub esm: bool,
    /// `Cargo.toml`'s package name: a Rust test imports the crate by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crate_name: Option<String>,
}

/// Everything a provider is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutopsyInput {
    pub language: Language,
    /// The raised exception's type (`KeyError`, `TypeError`, `panic`…), empty for a message.
    pub exception_type: String,
    pub exception_message: String,
    /// `false` when the mechanism says unhandled (Python excepthook, Node's
    /// `onunhandledrejection`…).
    pub handled: bool,
    pub mechanism: Option<String>,
    /// Top of the stack first.
    pub frames: Vec<TracedFrame>,
    pub http_status: Option<u16>,
    pub route: Option<String>,
    pub suspect: Option<SuspectSummary>,
    pub repo: RepoHints,
}

/// Where the fault is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Culprit {
    pub path: String,
    pub line: u32,
}

/// A regression test that should fail before the fix and pass after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    pub framework: TestFramework,
    /// Repository-relative path the test file is written to.
    pub path: String,
    pub content: String,
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub category: Category,
    pub disposition: Disposition,
    pub root_cause: String,
    pub culprit: Option<Culprit>,
    /// 0.0–1.0: how sure the provider is of the root cause.
    pub confidence: f64,
    pub test_case: Option<TestCase>,
    /// A unified diff against the release, applicable with `git apply`.
    pub patch_diff: Option<String>,
    /// A prompt to paste into a coding assistant.
    pub ai_fix_prompt: String,
    pub manual_steps: Vec<String>,
}

/// What checking a diagnosis against the repository found: the patch applied at the
/// release, and the regression test failed before the patch and passed after it. `None`
/// where the check was not run (no clone, no test command configured).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verification {
    pub patch_applies: Option<bool>,
    /// `git apply --check`'s complaint when the patch did not apply.
    pub apply_error: Option<String>,
    pub test_failed_before: Option<bool>,
    pub test_passed_after: Option<bool>,
    /// The test command's output (bounded), before and after.
    pub output_before: String,
    pub output_after: String,
    /// The test run was stopped at its timeout.
    pub timed_out: bool,
}

impl Verification {
    /// The test proved the fix: it failed before the patch and passed after.
    pub fn test_verified(&self) -> bool {
        self.test_failed_before == Some(true) && self.test_passed_after == Some(true)
    }
}
