//! Reading a model's answer into a [`Diagnosis`], and the JSON Schema the answer is asked to
//! follow (OpenAI-compatible structured output; the same shape is described to Anthropic in
//! the instructions).
//!
//! A model's answer is untrusted text. It is parsed strictly (a wrong category or a missing
//! field is an error naming the field) and then checked: a confidence outside 0–1, an empty
//! root cause, a path that climbs out of the repository or a patch that is not a unified
//! diff are refused, so the workflow falls back to the heuristic rather than store nonsense.

use serde_json::{json, Value};

use crate::autopsy::Diagnosis;

/// The most text an answer may hold; more is refused before parsing.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
const MAX_MANUAL_STEPS: usize = 20;

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("the answer is not the diagnosis JSON: {0}")]
    NotJson(String),
    #[error("the answer's {field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AnswerError {
    AnswerError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Parses and checks `text`, the model's whole answer. A JSON object wrapped in a Markdown
/// code fence (as some local models answer despite being asked not to) is accepted.
pub fn parse_diagnosis(text: &str) -> Result<Diagnosis, AnswerError> {
    if text.len() > MAX_ANSWER_BYTES {
        return Err(AnswerError::TooLarge);
    }
    let body = strip_fence(text.trim());
    if body.is_empty() {
        return Err(AnswerError::Empty);
    }
    let diagnosis: Diagnosis =
        serde_json::from_str(body).map_err(|e| AnswerError::NotJson(e.to_string()))?;
    check(&diagnosis)?;
    Ok(diagnosis)
}

fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

/// A repository-relative path: not absolute, no `..`, no backslashes or control characters.
fn check_path(field: &'static str, path: &str) -> Result<(), AnswerError> {
    if path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.chars().any(char::is_control)
        || path.split('/').any(|part| part == "..")
    {
        return Err(invalid(field, format!("{path:?} is not a repository path")));
    }
    Ok(())
}

fn check(d: &Diagnosis) -> Result<(), AnswerError> {
    if !(0.0..=1.0).contains(&d.confidence) {
        return Err(invalid(
            "confidence",
            format!("{} is not between 0 and 1", d.confidence),
        ));
    }
    if d.root_cause.trim().is_empty() {
        return Err(invalid("root_cause", "is empty"));
    }
    if let Some(culprit) = &d.culprit {
        check_path("culprit.path", &culprit.path)?;
        if culprit.line == 0 {
            return Err(invalid("culprit.line", "is 0; lines count from 1"));
        }
    }
    if let Some(test) = &d.test_case {
        check_path("test_case.path", &test.path)?;
        if test.content.trim().is_empty() {
            return Err(invalid("test_case.content", "is empty"));
        }
    }
    if let Some(patch) = &d.patch_diff {
        let has = |marker: &str| patch.lines().any(|l| l.starts_with(marker));
        if !(has("--- ") && has("+++ ") && has("@@")) {
            return Err(invalid(
                "patch_diff",
                "is not a unified diff (---, +++ and @@ lines)",
            ));
        }
    }
    if d.manual_steps.len() > MAX_MANUAL_STEPS {
        return Err(invalid(
            "manual_steps",
            format!("has more than {MAX_MANUAL_STEPS} steps"),
        ));
    }
    Ok(())
}

/// The answer's JSON Schema, in the subset strict structured output accepts: every property
/// required, optional ones nullable, no other properties.
pub fn diagnosis_schema() -> Value {
    let nullable_object = |properties: Value, required: &[&str]| {
        json!({
            "type": ["object", "null"],
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    };
    json!({
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": [
                "null_access", "missing_key", "index_out_of_range", "division_by_zero",
                "type_mismatch", "missing_config", "parse_error", "dependency_unavailable",
                "unhandled_rejection", "upstream_5xx", "unknown"]},
            "disposition": {"type": "string", "enum": ["identified", "not_found", "false_alarm"]},
            "root_cause": {"type": "string"},
            "culprit": nullable_object(
                json!({"path": {"type": "string"}, "line": {"type": "integer"}}),
                &["path", "line"],
            ),
            "confidence": {"type": "number"},
            "test_case": nullable_object(
                json!({
                    "framework": {"type": "string", "enum": [
                        "pytest", "node_test", "jest", "vitest", "rust_test"]},
                    "path": {"type": "string"},
                    "content": {"type": "string"},
                }),
                &["framework", "path", "content"],
            ),
            "patch_diff": {"type": ["string", "null"]},
            "ai_fix_prompt": {"type": "string"},
            "manual_steps": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["category", "disposition", "root_cause", "culprit", "confidence",
            "test_case", "patch_diff", "ai_fix_prompt", "manual_steps"],
        "additionalProperties": false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "answer_tests.rs"]
mod tests;
