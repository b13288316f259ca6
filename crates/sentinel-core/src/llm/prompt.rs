//! The text a model is given for an autopsy: fixed instructions (the system part, the same
//! for every incident so providers can cache it) and the incident (the user part): the
//! exception, the frames with the code around them, the suspect commit and its diff, and
//! what the repository's tests look like.
//!
//! Bounded: a few frames, a few lines per snapshot, a cut diff, and a total size, so a
//! huge stack or commit never becomes a huge bill. Scrubbed: the whole user text goes
//! through the [`Scrubber`] once more before it leaves, because code context and diffs
//! are kept at ingest (they are code, not data) and may still hold a pasted key.

use std::fmt::Write as _;

use crate::autopsy::{AutopsyInput, TracedFrame};
use crate::scrub::Scrubber;

/// How much of an incident goes into a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptLimits {
    pub max_frames: usize,
    /// Lines of each snapshot around its focus line.
    pub max_snapshot_lines: usize,
    pub max_diff_bytes: usize,
    /// The user text as a whole, after everything else.
    pub max_total_bytes: usize,
}

impl Default for PromptLimits {
    fn default() -> Self {
        Self {
            max_frames: 8,
            max_snapshot_lines: 30,
            max_diff_bytes: 12_000,
            max_total_bytes: 48_000,
        }
    }
}

/// Marks where text was cut.
pub const TRUNCATED: &str = "\n[truncated]";

/// The instructions every autopsy request starts with.
pub const SYSTEM_PROMPT: &str = "You are Sentinel's incident autopsy. You are given one \
production error: the exception, the stack frames with the code around them, and the commit \
suspected of introducing it. Find the root cause and answer with one JSON object only, no \
prose around it, with these fields: category (one of null_access, missing_key, \
index_out_of_range, division_by_zero, type_mismatch, missing_config, parse_error, \
dependency_unavailable, unhandled_rejection, upstream_5xx, unknown), disposition (identified, \
not_found or false_alarm), root_cause (name the file, line and variable), culprit ({path, \
line} in the repository, or null), confidence (0 to 1), test_case ({framework, path, content}: \
a regression test that fails before the fix, or null; framework one of pytest, node_test, \
jest, vitest, rust_test), patch_diff (a unified diff against the release that git apply \
accepts, guarding the fault, or null), ai_fix_prompt (a prompt for a coding assistant), \
manual_steps (a list of short steps for a person).";

/// `(system, user)` for an autopsy of `input`.
pub fn build_prompt(
    input: &AutopsyInput,
    scrubber: &Scrubber,
    limits: &PromptLimits,
) -> (String, String) {
    let mut user = String::new();
    let language = serde_json::to_value(input.language)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = writeln!(user, "Language: {language}");
    let _ = writeln!(
        user,
        "Exception: {}: {}",
        input.exception_type, input.exception_message
    );
    let _ = writeln!(
        user,
        "Handled: {}{}",
        input.handled,
        input
            .mechanism
            .as_deref()
            .map(|m| format!(" (mechanism {m})"))
            .unwrap_or_default()
    );
    if let Some(status) = input.http_status {
        let _ = writeln!(user, "HTTP status: {status}");
    }
    if let Some(route) = &input.route {
        let _ = writeln!(user, "Route: {route}");
    }
    let _ = writeln!(user, "\nStack, innermost first:");
    for frame in input.frames.iter().take(limits.max_frames) {
        write_frame(&mut user, frame, limits);
    }
    if input.frames.len() > limits.max_frames {
        let _ = writeln!(
            user,
            "({} more frames left out)",
            input.frames.len() - limits.max_frames
        );
    }
    if let Some(suspect) = &input.suspect {
        let _ = writeln!(
            user,
            "\nSuspect commit {} by {}: {}",
            suspect.sha, suspect.author, suspect.summary
        );
        if let Some(tool) = &suspect.ai_tool {
            let _ = writeln!(user, "Written with {tool}");
        }
        if let Some(diff) = &suspect.diff {
            let _ = writeln!(user, "Diff:\n{}", cut(diff, limits.max_diff_bytes));
        }
    }
    let repo = &input.repo;
    if let Some(framework) = repo.test_framework {
        let name = serde_json::to_value(framework)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(user, "\nTest framework: {name}");
    }
    if !repo.test_files.is_empty() {
        let files: Vec<&str> = repo
            .test_files
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        let _ = writeln!(user, "Existing tests: {}", files.join(", "));
    }
    if repo.esm {
        let _ = writeln!(user, "package.json has \"type\": \"module\"");
    }
    scrubber.text(&mut user);
    let user = cut(&user, limits.max_total_bytes);
    (SYSTEM_PROMPT.to_owned(), user)
}

/// A patch the model wrote that `git apply --check` refused, and what git said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedPatch {
    pub patch: String,
    pub apply_error: String,
}

/// The follow-up asked once when the model's patch did not apply: the same incident, then
/// the refused patch and git's complaint, asking for the whole answer again. Both the patch
/// and the complaint are cut to the diff bound and scrubbed with the rest.
pub fn build_patch_retry_prompt(
    input: &AutopsyInput,
    rejected: &RejectedPatch,
    scrubber: &Scrubber,
    limits: &PromptLimits,
) -> (String, String) {
    let (system, incident) = build_prompt(input, scrubber, limits);
    let mut retry = String::new();
    let _ = writeln!(
        retry,
        "\nYour previous patch_diff does not apply to the release with `git apply --check`."
    );
    let _ = writeln!(
        retry,
        "Patch:\n{}",
        cut(
            &rejected.patch,
            (limits.max_diff_bytes / 2).min(limits.max_total_bytes / 3)
        )
    );
    let _ = writeln!(
        retry,
        "git said:\n{}",
        cut(
            &rejected.apply_error,
            (limits.max_total_bytes / 8).min(2_000)
        )
    );
    let _ = writeln!(
        retry,
        "Answer again with the whole JSON object; make patch_diff a unified diff whose \
         context lines match the code shown above exactly."
    );
    scrubber.text(&mut retry);
    // The follow-up is what matters most, so the incident gives way to it.
    let room = limits.max_total_bytes.saturating_sub(retry.len());
    let user = format!("{}{retry}", cut(&incident, room));
    (system, cut(&user, limits.max_total_bytes))
}

fn write_frame(out: &mut String, frame: &TracedFrame, limits: &PromptLimits) {
    let path = frame.repo_path.as_deref().unwrap_or(&frame.frame_path);
    let line = frame.line.map(|l| format!(":{l}")).unwrap_or_default();
    let function = frame.function.as_deref().unwrap_or("?");
    let app = if frame.in_app { "" } else { " (library)" };
    let _ = writeln!(out, "- {path}{line} in {function}{app}");
    let Some(snapshot) = &frame.snapshot else {
        return;
    };
    // A window of lines centred on the focus line.
    let focus_index = snapshot.focus_line.saturating_sub(snapshot.first_line) as usize;
    let half = limits.max_snapshot_lines / 2;
    let start = focus_index.saturating_sub(half);
    for (offset, text) in snapshot
        .lines
        .iter()
        .enumerate()
        .skip(start)
        .take(limits.max_snapshot_lines)
    {
        let number = snapshot.first_line as usize + offset;
        let mark = if offset == focus_index { '>' } else { ' ' };
        let _ = writeln!(out, "  {mark}{number:>5} | {text}");
    }
}

/// `text` cut to at most `max` bytes at a character boundary, marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(TRUNCATED.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &text[..end])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "prompt_tests.rs"]
mod tests;
