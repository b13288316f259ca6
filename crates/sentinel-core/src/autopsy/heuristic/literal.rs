//! The arguments the failing call had, as source text for a regression test: from the
//! frame's local variables as the SDK serialized them, or from the calling line when it
//! passed literals.

use super::expr::closing;
use crate::autopsy::Language;
use serde_json::Value;

/// A value of Sentry's `vars` as a Python literal. The Python SDK writes every scalar as
/// its `repr()` (`"'a'"`, `"None"`, `"3"`), and mappings and sequences as JSON objects and
/// arrays of those; a repr that is not a literal (`<object at 0x…>`) cannot be rebuilt.
pub(crate) fn python_literal(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let s = s.trim();
            let literal = s.starts_with(['\'', '"'])
                || matches!(s, "None" | "True" | "False")
                || s.parse::<f64>().is_ok()
                || (s.starts_with('b') && s[1..].starts_with(['\'', '"']));
            if !literal || s.contains("...") {
                return None;
            }
            s.to_string()
        }
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(python_literal).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(map) => {
            let mut parts = Vec::new();
            for (k, v) in map {
                parts.push(format!(
                    "{}: {}",
                    serde_json::to_string(k).ok()?,
                    python_literal(v)?
                ));
            }
            format!("{{{}}}", parts.join(", "))
        }
    })
}

/// A value of `vars` as a JavaScript literal (JSON is one).
pub(crate) fn javascript_literal(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s == "<undefined>" => Some("undefined".into()),
        other => serde_json::to_string(other).ok(),
    }
}

/// The arguments of the call to `function` on `line`, when they are all literals (no
/// variable of the caller's scope would exist in a test).
pub(crate) fn literal_call_arguments(
    line: &str,
    function: &str,
    language: Language,
) -> Option<String> {
    let short = function.rsplit(['.', ':']).next().unwrap_or(function);
    let mut from = 0;
    while let Some(rel) = line[from..].find(short) {
        let at = from + rel;
        from = at + short.len();
        let open = at + short.len();
        let preceded_ok = at == 0
            || !line.as_bytes()[at - 1].is_ascii_alphanumeric() && line.as_bytes()[at - 1] != b'_';
        if !preceded_ok || line.as_bytes().get(open) != Some(&b'(') {
            continue;
        }
        let close = closing(line, open)?;
        let args = line[open + 1..close].trim();
        return only_literals(args, language).then(|| args.to_string());
    }
    None
}

/// Whether every identifier in `text` (outside strings) is a literal keyword or an object
/// key (`{ name: "x" }`, `{"a": 1}`).
fn only_literals(text: &str, language: Language) -> bool {
    let keywords: &[&str] = match language {
        Language::Python => &["None", "True", "False"],
        _ => &["null", "undefined", "true", "false", "NaN", "Infinity"],
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' || b == b'\'' || b == b'`' {
            let quote = b;
            i += 1;
            while i < bytes.len() && bytes[i] != quote {
                if bytes[i] == b'\\' || (quote == b'`' && bytes[i] == b'$') {
                    if quote == b'`' && bytes[i] == b'$' {
                        return false;
                    }
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' || b == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            let word = &text[start..i];
            let rest = text[i..].trim_start();
            // An object key in JavaScript, a keyword argument's name in Python.
            let is_key = if language == Language::Python {
                rest.starts_with('=') && !rest.starts_with("==")
            } else {
                rest.starts_with(':')
            };
            let is_exponent =
                word.starts_with('e') && start > 0 && bytes[start - 1].is_ascii_digit();
            if !keywords.contains(&word) && !is_key && !is_exponent {
                return false;
            }
            continue;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_reprs_become_literals() {
        let v = json!({"name": "'x'", "n": "3", "none": "None", "tags": ["'a'", "True"]});
        assert_eq!(
            python_literal(&v).as_deref(),
            Some(r#"{"n": 3, "name": 'x', "none": None, "tags": ['a', True]}"#)
        );
        assert_eq!(python_literal(&json!("<object at 0x1>")), None);
        assert_eq!(python_literal(&json!("'trimmed...'")), None);
    }

    #[test]
    fn javascript_values_are_json() {
        assert_eq!(
            javascript_literal(&json!({"a": [1, null]})).as_deref(),
            Some(r#"{"a":[1,null]}"#)
        );
        assert_eq!(
            javascript_literal(&json!("<undefined>")).as_deref(),
            Some("undefined")
        );
    }

    #[test]
    fn literal_calls_are_reused_and_variables_refused() {
        let line =
            r#"setTimeout(() => displayName({ name: "x", n: 3, u: undefined }, "Mr "), 10);"#;
        assert_eq!(
            literal_call_arguments(line, "displayName", Language::JavaScript).as_deref(),
            Some(r#"{ name: "x", n: 3, u: undefined }, "Mr ""#)
        );
        assert_eq!(
            literal_call_arguments("displayName(user)", "displayName", Language::JavaScript),
            None
        );
        assert_eq!(
            literal_call_arguments("mean([], scale=1e3)", "mean", Language::Python).as_deref(),
            Some("[], scale=1e3")
        );
        assert_eq!(
            literal_call_arguments("mean(rows, scale=k)", "mean", Language::Python),
            None
        );
        assert_eq!(
            literal_call_arguments("print(mean([], 1e3))", "mean", Language::Python).as_deref(),
            Some("[], 1e3")
        );
        assert_eq!(
            literal_call_arguments("xmean(1)", "mean", Language::Python),
            None
        );
    }
}
