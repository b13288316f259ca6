//! Rules for JavaScript and TypeScript errors as V8, SpiderMonkey and JavaScriptCore word
//! them: property reads on undefined/null (split into missing settings, missing keys and
//! indexes past the end by the expression read), calls of non-functions, JSON syntax
//! errors, BigInt division by zero, unreachable dependencies, upstream 5xx and unhandled
//! rejections.

use super::common;
use super::Observed;
use crate::autopsy::heuristic::expr;
use crate::autopsy::heuristic::finding::{Finding, Subject};
use crate::autopsy::Category;

/// The JavaScript rule that matches, if any.
pub(crate) fn classify(seen: &Observed<'_>) -> Option<Finding> {
    let msg = seen.message;
    let line = seen.focus.unwrap_or("");
    if let Some(member) = read_of_nothing(msg) {
        return Some(property_of_nothing(&member, line));
    }
    if seen.exception_type == "TypeError" && msg.contains("is not a function") {
        return Some(not_a_function(msg, line));
    }
    if seen.exception_type == "TypeError"
        && (msg.contains("is not iterable") || msg.contains("must be of type"))
    {
        return Some(
            Finding::new(
                Category::TypeMismatch,
                0.6,
                "the value has another type than the code expects",
            )
            .with(None),
        );
    }
    if seen.exception_type == "SyntaxError"
        && (msg.contains("JSON")
            || msg.contains("Unexpected token")
            || msg.contains("Unexpected end"))
    {
        return Some(
            Finding::new(
                Category::ParseError,
                0.85,
                "the input is not valid JSON (empty, truncated or HTML from an error page) and the parse is not guarded",
            )
            .with(Some(Subject::Statement)),
        );
    }
    if seen.exception_type == "RangeError" && msg.contains("Division by zero") {
        return Some(
            Finding::new(
                Category::DivisionByZero,
                0.85,
                "the BigInt divisor is zero and nothing guards the division",
            )
            .with(expr::divisor(line).map(Subject::Divisor)),
        );
    }
    if seen.exception_type == "RangeError"
        && (msg.contains("out of range") || msg.contains("Invalid array length"))
    {
        return Some(
            Finding::new(
                Category::IndexOutOfRange,
                0.7,
                "an index or length is outside the valid range",
            )
            .with(None),
        );
    }
    if let Some(found) =
        common::upstream_5xx(msg, seen.http_status).or_else(|| common::dependency_unavailable(msg))
    {
        return Some(found);
    }
    if let Some(name) = common::says_missing_setting(msg) {
        let subject = name.map(|n| Subject::Setting {
            read: format!("process.env.{n}"),
            name: n,
        });
        return Some(
            Finding::new(
                Category::MissingConfig,
                0.7,
                "a required setting is not configured in this environment",
            )
            .with(subject),
        );
    }
    if seen
        .mechanism
        .is_some_and(|m| m.contains("unhandledrejection"))
    {
        return Some(
            Finding::new(
                Category::UnhandledRejection,
                0.6,
                "a promise rejected and no caller awaited it or attached a catch handler",
            )
            .with(None),
        );
    }
    None
}

/// The property whose read failed, from the wordings of V8 (`Cannot read properties of
/// undefined (reading 'x')`), older V8 (`Cannot read property 'x' of undefined`),
/// SpiderMonkey (`a.b is undefined`) and JavaScriptCore (`undefined is not an object
/// (evaluating 'a.b')`).
fn read_of_nothing(msg: &str) -> Option<String> {
    let quoted = |after: &str| -> Option<String> {
        let rest = msg.split(after).nth(1)?;
        let rest = rest.trim_start_matches(['\'', '"']);
        let end = rest.find(['\'', '"'])?;
        Some(rest[..end].to_string())
    };
    if msg.contains("Cannot read properties of") {
        return quoted("(reading ");
    }
    if msg.starts_with("Cannot read property ") {
        return quoted("Cannot read property ");
    }
    if msg.contains("Cannot destructure property") {
        return quoted("Cannot destructure property ");
    }
    if msg.contains("is not an object (evaluating") {
        let evaluated = quoted("(evaluating ")?;
        return evaluated.rsplit('.').next().map(str::to_string);
    }
    None
}

/// `receiver.member` read on undefined/null: a setting when the receiver reads
/// `process.env`, an index past the end when it is a subscript with a non-string index, a
/// missing key when it is a subscript with a string key, else a plain null access.
fn property_of_nothing(member: &str, line: &str) -> Finding {
    let accesses = expr::member_accesses(line, member);
    let Some(access) = accesses.into_iter().next() else {
        return Finding::new(
            Category::NullAccess,
            0.75,
            "the value is undefined or null (a lookup that found nothing) and is used without a check",
        )
        .with(None);
    };
    let receiver = access.receiver;
    if let Some(name) = receiver.strip_prefix("process.env.") {
        return Finding::new(
            Category::MissingConfig,
            0.85,
            "the environment variable is not set in this environment and is used without a default",
        )
        .with(Some(Subject::Setting {
            name: name.to_string(),
            read: receiver.clone(),
        }));
    }
    if let Some(sub) = expr::subscripts(&receiver)
        .into_iter()
        .last()
        .filter(|s| s.end == receiver.len())
    {
        let (category, why) = if expr::string_literal(&sub.inner).is_some() {
            (
                Category::MissingKey,
                "the object lacks the key and its value is used without a check",
            )
        } else {
            (Category::IndexOutOfRange, "the index runs past the end of the array (an empty input or an off-by-one bound), so the element is undefined")
        };
        return Finding::new(category, 0.8, why).with(Some(Subject::Receiver {
            receiver: receiver.clone(),
            member: member.to_string(),
        }));
    }
    Finding::new(
        Category::NullAccess,
        0.85,
        "the value is undefined or null (a lookup that found nothing, or an optional field) and is used without a check",
    )
    .with(Some(Subject::Receiver {
        receiver,
        member: member.to_string(),
    }))
}

/// `x.y is not a function`: the receiver has another type than the code expects.
fn not_a_function(msg: &str, line: &str) -> Finding {
    let callee = msg.split(" is not a function").next().unwrap_or("").trim();
    let subject = callee.rsplit_once('.').and_then(|(receiver, member)| {
        line.contains(callee).then(|| Subject::Receiver {
            receiver: receiver.to_string(),
            member: member.to_string(),
        })
    });
    Finding::new(
        Category::TypeMismatch,
        0.7,
        "the value has another type than the code expects, so the method does not exist on it",
    )
    .with(subject)
}
