//! Rules for Python exceptions: `KeyError`, `AttributeError`/`TypeError` on `None`,
//! `IndexError`, `ZeroDivisionError`, operand type errors, `os.environ` lookups, JSON and
//! number parsing, unreachable dependencies and upstream 5xx.

use super::common;
use super::Observed;
use crate::autopsy::heuristic::expr;
use crate::autopsy::heuristic::finding::{Finding, Subject};
use crate::autopsy::Category;

/// The Python rule that matches, if any.
pub(crate) fn classify(seen: &Observed<'_>) -> Option<Finding> {
    let ty = short_type(seen.exception_type);
    let msg = seen.message;
    let line = seen.focus.unwrap_or("");
    match ty {
        "KeyError" => Some(key_error(msg, line)),
        "ZeroDivisionError" => Some(
            Finding::new(
                Category::DivisionByZero,
                0.9,
                "the divisor is zero (an empty collection or a zero count) and nothing guards the division",
            )
            .with(expr::divisor(line).map(Subject::Divisor)),
        ),
        "IndexError" => Some(
            Finding::new(
                Category::IndexOutOfRange,
                0.85,
                "the index runs past the end of the sequence (an empty input or an off-by-one bound)",
            )
            .with(index_subject(line)),
        ),
        "AttributeError" | "TypeError" if msg.contains("NoneType") => Some(none_access(msg, line)),
        "AttributeError" => Some(
            Finding::new(
                Category::TypeMismatch,
                0.6,
                "the value has another type than the code expects, so it lacks the attribute",
            )
            .with(quoted(msg, 1).and_then(|attr| receiver_of(line, &attr))),
        ),
        "TypeError" if is_operand_error(msg) => Some(
            Finding::new(
                Category::TypeMismatch,
                0.75,
                "an operand has the wrong type (a string where a number is expected, or the reverse)",
            )
            .with(coercion(msg, line)),
        ),
        "JSONDecodeError" | "DecodeError" | "TOMLDecodeError" | "ParserError" | "ScannerError" => {
            Some(parse_error())
        }
        "ValueError" if is_parse_message(msg) => Some(parse_error()),
        "ConnectionRefusedError" | "ConnectionError" | "ConnectionResetError" | "TimeoutError"
        | "gaierror" | "timeout" | "ConnectTimeout" | "ReadTimeout" | "OperationalError"
            if common::says_unreachable(msg) || ty != "OperationalError" =>
        {
            common::dependency_unavailable(msg).or_else(|| {
                Some(
                    Finding::new(
                        Category::DependencyUnavailable,
                        0.7,
                        "a dependency could not be reached and the call has no fallback",
                    )
                    .with(Some(Subject::Statement)),
                )
            })
        }
        _ => common::upstream_5xx(msg, seen.http_status)
            .or_else(|| common::dependency_unavailable(msg))
            .or_else(|| setting_from_message(msg, line)),
    }
}

/// `json.decoder.JSONDecodeError` → `JSONDecodeError`.
fn short_type(ty: &str) -> &str {
    ty.rsplit('.').next().unwrap_or(ty)
}

/// The `n`-th single-quoted word of a message (`'NoneType' object has no attribute 'x'`).
fn quoted(msg: &str, n: usize) -> Option<String> {
    msg.split('\'')
        .skip(1)
        .step_by(2)
        .nth(n)
        .map(str::to_string)
}

fn parse_error() -> Finding {
    Finding::new(
        Category::ParseError,
        0.8,
        "the input is not valid for the parser (empty, truncated or not the expected format) and the parse is not guarded",
    )
    .with(Some(Subject::Statement))
}

fn is_parse_message(msg: &str) -> bool {
    msg.contains("Expecting value")
        || msg.contains("invalid literal for")
        || msg.contains("could not convert string")
        || msg.contains("Invalid isoformat")
        || msg.contains("does not match format")
}

fn is_operand_error(msg: &str) -> bool {
    msg.contains("unsupported operand")
        || msg.contains("can only concatenate")
        || msg.contains("must be str, not")
        || msg.contains("can't multiply sequence")
        || msg.contains("not supported between instances")
}

fn is_setting_container(container: &str) -> bool {
    container.ends_with("environ")
        || container.ends_with("env")
        || container.to_ascii_lowercase().ends_with("settings")
        || container.to_ascii_lowercase().ends_with("config")
}

/// `KeyError: 'email'`: the subscript whose key is that literal, else the first one with a
/// non-numeric key. A lookup in `os.environ` or a settings mapping is a missing setting.
fn key_error(msg: &str, line: &str) -> Finding {
    let key = expr::string_literal(msg).unwrap_or(msg).to_string();
    let subs = expr::subscripts(line);
    let sub = subs
        .iter()
        .find(|s| expr::string_literal(&s.inner) == Some(key.as_str()))
        .or_else(|| {
            subs.iter()
                .find(|s| !s.inner.bytes().all(|b| b.is_ascii_digit()))
        });
    if let Some(sub) = sub.filter(|s| is_setting_container(&s.container)) {
        return Finding::new(
            Category::MissingConfig,
            0.85,
            "the setting is read without a default and is not set in this environment",
        )
        .with(Some(Subject::Setting {
            name: key,
            read: line[sub.start..sub.end].to_string(),
        }));
    }
    Finding::new(
        Category::MissingKey,
        0.85,
        "the mapping lacks the key (an optional field in the input) and it is read without a default",
    )
    .with(sub.map(|s| Subject::Subscript {
        container: s.container.clone(),
        key: s.inner.clone(),
    }))
}

fn receiver_of(line: &str, member: &str) -> Option<Subject> {
    expr::member_accesses(line, member)
        .into_iter()
        .next()
        .map(|m| Subject::Receiver {
            receiver: m.receiver,
            member: member.to_string(),
        })
}

/// `'NoneType' object has no attribute 'x'` / `'NoneType' object is not subscriptable`.
fn none_access(msg: &str, line: &str) -> Finding {
    let subject = if let Some(attr) = msg
        .contains("has no attribute")
        .then(|| quoted(msg, 1))
        .flatten()
    {
        receiver_of(line, &attr)
    } else if msg.contains("not subscriptable") {
        expr::subscripts(line)
            .into_iter()
            .next()
            .map(|s| Subject::Receiver {
                receiver: s.container,
                member: s.inner,
            })
    } else {
        None
    };
    Finding::new(
        Category::NullAccess,
        0.85,
        "the value is None (a lookup that found nothing, or a function that returned nothing) and is used without a check",
    )
    .with(subject)
}

fn index_subject(line: &str) -> Option<Subject> {
    expr::subscripts(line)
        .into_iter()
        .find(|s| expr::string_literal(&s.inner).is_none() && !s.inner.contains(':'))
        .map(|s| Subject::Subscript {
            container: s.container,
            key: s.inner,
        })
}

/// A missing setting the message names, read from the environment on the focus line.
fn setting_from_message(msg: &str, line: &str) -> Option<Finding> {
    let name = common::says_missing_setting(msg)?;
    let read = name
        .as_ref()
        .and_then(|n| line.find(n.as_str()).map(|_| n.clone()));
    let subject = read.map(|n| Subject::Setting {
        name: n.clone(),
        read: n,
    });
    Some(
        Finding::new(
            Category::MissingConfig,
            0.7,
            "a required setting is not configured in this environment",
        )
        .with(subject),
    )
}

/// For `unsupported operand type(s) for +: 'int' and 'str'`: the operand of the wrong type
/// as a plain name, and the conversion into the other operand's type.
fn coercion(msg: &str, line: &str) -> Option<Subject> {
    let types: Vec<String> = msg
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    let (left_ty, right_ty) = if msg.contains("can only concatenate str") {
        ("str".to_string(), "other".to_string())
    } else {
        (types.first()?.clone(), types.get(1)?.clone())
    };
    let op = msg
        .split("for ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or("+")
        .trim();
    let at = line.find(&format!(" {op} "))?;
    let left_start = expr::expression_start(line, at);
    let left = line[left_start..at].trim().to_string();
    let right_end = expr::expression_end(line, at + op.len() + 1);
    let right = line[at + op.len() + 1..right_end].trim().to_string();
    let convertible = |t: &str| matches!(t, "int" | "float" | "str");
    // Convert the string operand into the number's type, else the number into str.
    if right_ty == "str" && convertible(&left_ty) && expr::is_identifier(&right) {
        return Some(Subject::Coerce {
            name: right,
            into: left_ty,
        });
    }
    if left_ty == "str" && convertible(&right_ty) && expr::is_identifier(&left) {
        return Some(Subject::Coerce {
            name: left,
            into: right_ty,
        });
    }
    if left_ty == "str" && expr::is_identifier(&right) {
        return Some(Subject::Coerce {
            name: right,
            into: "str".into(),
        });
    }
    None
}
