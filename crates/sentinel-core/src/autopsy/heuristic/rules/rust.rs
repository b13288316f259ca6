//! Rules for Rust panics: `unwrap()` on `None` or on an `Err` (sorted by what the error
//! says: a missing environment variable, a parse error, an unreachable dependency), index
//! out of bounds, division by zero and a missing map key.

use super::common;
use super::Observed;
use crate::autopsy::heuristic::expr;
use crate::autopsy::heuristic::finding::{Finding, Subject};
use crate::autopsy::Category;

/// The Rust rule that matches, if any.
pub(crate) fn classify(seen: &Observed<'_>) -> Option<Finding> {
    let msg = seen.message;
    let line = seen.focus.unwrap_or("");
    if msg.contains("on a `None` value") {
        return Some(
            Finding::new(
                Category::NullAccess,
                0.85,
                "the Option is None (a lookup that found nothing) and is unwrapped without a check",
            )
            .with(unwrap_receiver(line)),
        );
    }
    if msg.contains("index out of bounds") {
        let subject = expr::subscripts(line)
            .into_iter()
            .next()
            .map(|s| Subject::Subscript {
                container: s.container,
                key: s.inner,
            });
        return Some(
            Finding::new(
                Category::IndexOutOfRange,
                0.9,
                "the index runs past the end of the slice (an empty input or an off-by-one bound)",
            )
            .with(subject),
        );
    }
    if msg.contains("divide by zero") || msg.contains("divisor of zero") {
        return Some(
            Finding::new(
                Category::DivisionByZero,
                0.9,
                "the divisor is zero and nothing guards the division",
            )
            .with(expr::divisor(line).map(Subject::Divisor)),
        );
    }
    if msg.contains("on an `Err` value") {
        return Some(err_unwrap(msg, line));
    }
    if msg.contains("key not found") || msg.contains("no entry found for key") {
        let subject = expr::subscripts(line)
            .into_iter()
            .next()
            .map(|s| Subject::Subscript {
                container: s.container,
                key: s.inner,
            });
        return Some(
            Finding::new(
                Category::MissingKey,
                0.8,
                "the map lacks the key and is indexed without a check",
            )
            .with(subject),
        );
    }
    common::upstream_5xx(msg, seen.http_status)
}

/// The receiver of the first `.unwrap()` / `.expect(` on the line.
fn unwrap_receiver(line: &str) -> Option<Subject> {
    ["unwrap", "expect"].iter().find_map(|m| {
        expr::member_accesses(line, m)
            .into_iter()
            .next()
            .map(|a| Subject::Unwrap {
                receiver: a.receiver,
            })
    })
}

/// `called Result::unwrap() on an Err value: …`, sorted by the error's debug text.
fn err_unwrap(msg: &str, line: &str) -> Finding {
    let error = msg.split("`Err` value:").nth(1).unwrap_or("").trim();
    let subject = unwrap_receiver(line);
    if error.starts_with("NotPresent") || line.contains("env::var") {
        let name = line
            .split("var(")
            .nth(1)
            .and_then(|rest| expr::string_literal(rest.split(')').next().unwrap_or("")))
            .unwrap_or("")
            .to_string();
        return Finding::new(
            Category::MissingConfig,
            0.85,
            "the environment variable is not set and is unwrapped without a default",
        )
        .with(subject.map(|s| match s {
            Subject::Unwrap { receiver } if !name.is_empty() => Subject::Setting {
                name,
                read: receiver,
            },
            other => other,
        }));
    }
    if error.contains("Parse")
        || error.contains("InvalidDigit")
        || error.contains("expected")
        || error.contains("EOF")
    {
        return Finding::new(
            Category::ParseError,
            0.8,
            "the input does not parse and the parse result is unwrapped",
        )
        .with(subject);
    }
    if common::says_unreachable(error) {
        return Finding::new(
            Category::DependencyUnavailable,
            0.75,
            "a dependency could not be reached and the result is unwrapped",
        )
        .with(subject);
    }
    Finding::new(Category::Unknown, 0.3, "an error result is unwrapped").with(subject)
}
