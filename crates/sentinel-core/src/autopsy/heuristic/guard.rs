//! Guard code per language: the lines that replace the focus line so the fault cannot
//! happen there — a check before it that returns a neutral value, a try block around it, an
//! optional chain, a conversion, a clear configuration error. Indentation follows the line.

use super::expr::{self, indentation};
use super::finding::{Finding, Subject};
use crate::autopsy::{Category, Language};

/// What the guard needs to know about the place it goes.
pub(crate) struct Site<'a> {
    pub language: Language,
    pub line: &'a str,
    /// One level of indentation in this file (`"    "`, `"  "`, `"\t"`).
    pub unit: &'a str,
    /// The line is inside a function (a `return` is valid there).
    pub in_function: bool,
}

/// The lines that replace the focus line; `None` when no guard fits.
pub(crate) fn guard(finding: &Finding, site: &Site<'_>) -> Option<Vec<String>> {
    let subject = finding.subject.as_ref()?;
    if !site.in_function || !is_single_statement(site.line, site.language) {
        return None;
    }
    // A line that raises on purpose already handles the case; wrapping it would only
    // hide the error. The fix there is a policy (retry, fallback), not a guard.
    if *subject == Subject::Statement && raises_on_purpose(site.line) {
        return None;
    }
    match site.language {
        Language::Python => python(finding.category, subject, site),
        Language::JavaScript | Language::TypeScript => javascript(finding.category, subject, site),
        Language::Rust => rust(finding.category, subject, site),
        Language::Other => None,
    }
}

fn raises_on_purpose(line: &str) -> bool {
    let code = line.trim_start();
    code.starts_with("raise ")
        || code.starts_with("throw ")
        || code.contains(" throw ")
        || code.contains("panic!(")
}

/// A line that holds a whole statement: brackets balanced and no block opener or
/// continuation at its end.
fn is_single_statement(line: &str, language: Language) -> bool {
    let trimmed = line.trim_end();
    let balanced = ["(", "[", "{"]
        .iter()
        .zip([")", "]", "}"])
        .all(|(o, c)| trimmed.matches(o).count() == trimmed.matches(c).count());
    let open_end = trimmed.ends_with(':')
        || trimmed.ends_with('\\')
        || trimmed.ends_with(',')
        || trimmed.ends_with('{')
        || (language == Language::Python && trimmed.trim_start().starts_with('@'));
    balanced && !open_end && !trimmed.trim().is_empty()
}

/// Prepends `guard` (already indented relative to the line) to the line itself.
fn before(site: &Site<'_>, guard: &[String]) -> Vec<String> {
    let indent = indentation(site.line);
    let mut out: Vec<String> = guard.iter().map(|g| format!("{indent}{g}")).collect();
    out.push(site.line.to_string());
    out
}

fn python(category: Category, subject: &Subject, site: &Site<'_>) -> Option<Vec<String>> {
    let u = site.unit;
    let early = |cond: String, value: &str| {
        before(site, &[format!("if {cond}:"), format!("{u}return {value}")])
    };
    Some(match subject {
        Subject::Receiver { receiver, .. } => early(format!("{receiver} is None"), "None"),
        Subject::Subscript { container, key } if category == Category::IndexOutOfRange => early(
            format!("not -len({container}) <= {key} < len({container})"),
            "None",
        ),
        Subject::Subscript { container, key } => early(format!("{key} not in {container}"), "None"),
        Subject::Divisor(d) => early(format!("{d} == 0"), "0"),
        Subject::Coerce { name, into } => before(site, &[format!("{name} = {into}({name})")]),
        Subject::Setting { name, read } => {
            let sub = expr::subscripts(read).into_iter().next()?;
            before(
                site,
                &[
                    format!("if {} not in {}:", sub.inner, sub.container),
                    format!("{u}raise RuntimeError(\"configuration {name} is not set; set it in the environment\")"),
                ],
            )
        }
        Subject::Statement => {
            let caught = match category {
                Category::ParseError => "ValueError",
                Category::DependencyUnavailable | Category::Upstream5xx => "OSError",
                _ => "Exception",
            };
            let indent = indentation(site.line);
            vec![
                format!("{indent}try:"),
                format!("{indent}{u}{}", site.line.trim_start()),
                format!("{indent}except {caught}:"),
                format!("{indent}{u}return None"),
            ]
        }
        Subject::Unwrap { .. } => return None,
    })
}

/// `let|const|var NAME = EXPR;` split into the declaration and the assignment, so a try
/// block around the assignment keeps the name in scope.
fn declaration(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start();
    let rest = ["const ", "let ", "var "]
        .iter()
        .find_map(|k| rest.strip_prefix(k))?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    (expr::is_identifier(name) && !value.starts_with('=')).then_some((name, value.trim()))
}

fn javascript(category: Category, subject: &Subject, site: &Site<'_>) -> Option<Vec<String>> {
    let u = site.unit;
    let line = site.line;
    Some(match subject {
        Subject::Receiver { receiver, member } if category == Category::TypeMismatch => before(
            site,
            &[format!("if (typeof {receiver}?.{member} !== \"function\") return null;")],
        ),
        Subject::Receiver { receiver, member } => {
            // `a.b.c` → `a.b?.c`: the optional chain short-circuits the rest of the chain.
            let access = format!("{receiver}.{member}");
            let at = line.find(&access)?;
            let mut fixed = line.to_string();
            fixed.replace_range(at..at + access.len(), &format!("{receiver}?.{member}"));
            vec![fixed]
        }
        Subject::Setting { name, read } => before(
            site,
            &[format!(
                "if ({read} === undefined) throw new Error(\"configuration {name} is not set; set it in the environment\");"
            )],
        ),
        Subject::Divisor(d) => before(site, &[format!("if ({d} === 0 || {d} === 0n) return null;")]),
        Subject::Subscript { container, key } => before(
            site,
            &[format!("if ({container}[{key}] === undefined) return null;")],
        ),
        Subject::Statement => {
            let indent = indentation(line);
            let (head, body) = match declaration(line) {
                Some((name, value)) => (vec![format!("{indent}let {name};")], format!("{name} = {value}")),
                None => (Vec::new(), line.trim_start().to_string()),
            };
            let body = if body.ends_with(';') { body } else { format!("{body};") };
            let mut out = head;
            out.push(format!("{indent}try {{"));
            out.push(format!("{indent}{u}{body}"));
            out.push(format!("{indent}}} catch (err) {{"));
            out.push(format!("{indent}{u}return null;"));
            out.push(format!("{indent}}}"));
            out
        }
        Subject::Coerce { name, into } => before(site, &[format!("{name} = {into}({name});")]),
        Subject::Unwrap { .. } => return None,
    })
}

fn rust(category: Category, subject: &Subject, site: &Site<'_>) -> Option<Vec<String>> {
    let line = site.line;
    let early = |cond: String| {
        before(
            site,
            &[format!("if {cond} {{ return Default::default(); }}")],
        )
    };
    Some(match subject {
        Subject::Unwrap { receiver } | Subject::Setting { read: receiver, .. } => {
            let at = line.find(receiver.as_str())? + receiver.len();
            let rest = &line[at..];
            let call_len = if rest.starts_with(".unwrap()") {
                ".unwrap()".len()
            } else if rest.starts_with(".expect(") {
                expr::closing(line, at + ".expect".len())? + 1 - at
            } else {
                return None;
            };
            let mut fixed = line.to_string();
            fixed.replace_range(at..at + call_len, ".unwrap_or_default()");
            vec![fixed]
        }
        Subject::Subscript { container, key } if category == Category::IndexOutOfRange => {
            early(format!("{key} >= {container}.len()"))
        }
        Subject::Subscript { container, key } => early(format!("!{container}.contains_key({key})")),
        Subject::Divisor(d) => early(format!("{d} == 0")),
        _ => return None,
    })
}
