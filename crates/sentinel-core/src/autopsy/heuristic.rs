//! The built-in provider: a catalogue of root-cause rules over the exception's type and
//! message, the frames and their snapshots, for Python, JavaScript/TypeScript and Rust. Each
//! rule gives a category, a root cause naming file, line and variable, a regression test in
//! the repository's framework and a guard patch. Offline and deterministic.
//!
//! The method: pick the top-most in-app frame (the code the team owns nearest the fault),
//! classify the exception by the language's rules with that frame's line at hand, locate the
//! expression the rule is about on the line, write a guard for it as a diff against the
//! snapshot, and replay the failing call in a test with the arguments it had.

mod diff;
mod expr;
mod finding;
mod guard;
mod literal;
mod report;
mod rules;
mod signature;
mod testgen;

use super::{AutopsyInput, Category, Culprit, Diagnosis, Disposition, Language, TracedFrame};
use finding::Finding;
use rules::Observed;
use signature::Signature;

/// Diagnoses `input`. When no rule matches, the answer is `unknown` / `not_found` with the
/// prompt and manual steps still filled in from what is known.
pub fn diagnose(input: &AutopsyInput) -> Diagnosis {
    let focus_index = focus_frame(&input.frames);
    let frame = focus_index.map(|i| &input.frames[i]);
    let focus_text = frame
        .and_then(|f| f.snapshot.as_ref())
        .and_then(|s| s.focus_text());
    let seen = Observed {
        exception_type: &input.exception_type,
        message: &input.exception_message,
        mechanism: input.mechanism.as_deref(),
        focus: focus_text,
        http_status: input.http_status,
    };
    let finding =
        rules::classify(input.language, &seen).filter(|f| f.category != Category::Unknown);
    let culprit = frame.and_then(|f| {
        Some(Culprit {
            path: f.repo_path.clone().unwrap_or_else(|| f.frame_path.clone()),
            line: f.line?,
        })
    });
    let Some(finding) = finding else {
        return report::unmatched(input, culprit, focus_text);
    };
    let signature = frame.and_then(|f| {
        let snapshot = f.snapshot.as_ref()?;
        signature::enclosing(snapshot, f.function.as_deref()?, input.language)
    });
    let patch_diff = frame.and_then(|f| patch(input.language, &finding, f, signature.as_ref()));
    let test_case = match (focus_index, &culprit, &signature) {
        (Some(index), Some(culprit), Some(sig)) if !sig.is_method && sig.exported => {
            let frame = &input.frames[index];
            let arguments = arguments(input, index, sig);
            arguments.and_then(|arguments| {
                let call = testgen::Call {
                    language: input.language,
                    path: &culprit.path,
                    function: frame.function.as_deref()?,
                    arguments,
                    exception_type: &input.exception_type,
                    line: culprit.line,
                };
                testgen::regression_test(&call, &finding, &input.repo)
            })
        }
        _ => None,
    };
    let mut confidence = finding.confidence;
    if focus_text.is_none() {
        confidence *= 0.6;
    }
    if culprit.is_none() {
        confidence *= 0.5;
    }
    let root_cause = report::root_cause(input, &finding, culprit.as_ref(), frame);
    Diagnosis {
        category: finding.category,
        disposition: if culprit.is_some() {
            Disposition::Identified
        } else {
            Disposition::NotFound
        },
        ai_fix_prompt: report::fix_prompt(input, &root_cause, frame, culprit.as_ref()),
        manual_steps: report::manual_steps(&finding, culprit.as_ref()),
        root_cause,
        culprit,
        confidence: (confidence * 100.0).round() / 100.0,
        test_case,
        patch_diff,
    }
}

/// The top-most in-app frame with a line, preferring one whose snapshot holds that line.
fn focus_frame(frames: &[TracedFrame]) -> Option<usize> {
    let with_line = |f: &TracedFrame| f.in_app && f.line.is_some();
    frames
        .iter()
        .position(|f| with_line(f) && f.snapshot.as_ref().and_then(|s| s.focus_text()).is_some())
        .or_else(|| frames.iter().position(with_line))
}

fn patch(
    language: Language,
    finding: &Finding,
    frame: &TracedFrame,
    sig: Option<&Signature>,
) -> Option<String> {
    let snapshot = frame.snapshot.as_ref()?;
    let line = snapshot.focus_text()?;
    let in_function = match language {
        Language::Python => {
            frame.function.as_deref().is_some_and(|f| f != "<module>") && sig.is_some()
        }
        _ => frame.function.is_some(),
    };
    let unit = diff::indent_unit(snapshot);
    let site = guard::Site {
        language,
        line,
        unit: &unit,
        in_function,
    };
    let replacement = guard::guard(finding, &site)?;
    diff::replace_focus(snapshot, &replacement)
}

/// The failing call's arguments as source text: from the frame's variables, else from a
/// calling line that passed literals, else `Default::default()` for each Rust parameter.
fn arguments(input: &AutopsyInput, index: usize, sig: &Signature) -> Option<String> {
    let frame = &input.frames[index];
    if !frame.vars.is_empty() {
        if let Some(args) = from_vars(input.language, frame, sig) {
            return Some(args);
        }
    }
    let function = frame.function.as_deref()?;
    let from_caller = input.frames[index + 1..]
        .iter()
        .filter(|f| f.in_app)
        .filter_map(|f| f.snapshot.as_ref()?.focus_text())
        .find_map(|line| literal::literal_call_arguments(line, function, input.language));
    if from_caller.is_some() {
        return from_caller;
    }
    if sig.params.is_empty() {
        return Some(String::new());
    }
    (input.language == Language::Rust)
        .then(|| vec!["Default::default()"; sig.params.len()].join(", "))
}

fn from_vars(language: Language, frame: &TracedFrame, sig: &Signature) -> Option<String> {
    let mut parts = Vec::new();
    for param in &sig.params {
        match frame.vars.get(&param.name) {
            Some(value) => match language {
                Language::Python => parts.push(format!(
                    "{}={}",
                    param.name,
                    literal::python_literal(value)?
                )),
                Language::JavaScript | Language::TypeScript => {
                    parts.push(literal::javascript_literal(value)?)
                }
                _ => return None,
            },
            None if param.has_default => {
                if language != Language::Python {
                    return None;
                }
            }
            None => return None,
        }
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests;
