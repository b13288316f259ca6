//! The function around the focus line, read from the snapshot: its parameters (to call it
//! from a regression test), whether it is a method, async, and exported (JavaScript).

use super::expr::{closing, indentation};
use crate::autopsy::{FileSnapshot, Language};

/// One parameter: its name and whether it has a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: String,
    pub has_default: bool,
}

/// The enclosing function as far as a test needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub params: Vec<Param>,
    /// A Python method (`self`/`cls` first) or a Rust `&self` method.
    pub is_method: bool,
    /// The snapshot shows the function exported (`module.exports`, `export`); always true
    /// for Python and Rust `pub fn`.
    pub exported: bool,
}

/// The signature of `function` as the snapshot shows it above the focus line.
pub(crate) fn enclosing(
    snapshot: &FileSnapshot,
    function: &str,
    language: Language,
) -> Option<Signature> {
    let focus = snapshot.focus_line.checked_sub(snapshot.first_line)? as usize;
    let focus_indent = indentation(snapshot.lines.get(focus)?).len();
    let short = function.rsplit(['.', ':']).next().unwrap_or(function);
    for index in (0..=focus).rev() {
        let line = &snapshot.lines[index];
        if index != focus && indentation(line).len() >= focus_indent && !line.trim().is_empty() {
            continue;
        }
        let Some(open) = definition_paren(line, short, language) else {
            continue;
        };
        // Parameters may run over the next lines.
        let joined: String = snapshot.lines[index..]
            .iter()
            .take(12)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        let close = closing(&joined, open)?;
        let mut params = split_params(&joined[open + 1..close], language);
        let is_method = matches!(
            params.first().map(|p| p.name.as_str()),
            Some("self" | "cls" | "&self" | "&mut self" | "self_ref")
        );
        if is_method {
            params.remove(0);
        }
        let exported = match language {
            Language::JavaScript | Language::TypeScript => exported_in(snapshot, short, line),
            Language::Rust => line.trim_start().starts_with("pub "),
            _ => true,
        };
        return Some(Signature {
            params,
            is_method,
            exported,
        });
    }
    None
}

/// Where the `(` of `function`'s definition is on the line, when the line defines it.
fn definition_paren(line: &str, name: &str, language: Language) -> Option<usize> {
    let trimmed = line.trim_start();
    let offset = line.len() - trimmed.len();
    let patterns: Vec<String> = match language {
        Language::Python => vec![format!("def {name}("), format!("async def {name}(")],
        Language::Rust => vec![format!("fn {name}(")],
        _ => vec![
            format!("function {name}("),
            format!("function* {name}("),
            format!("const {name} = ("),
            format!("const {name} = async ("),
            format!("let {name} = ("),
            format!("{name}("),
            format!("async {name}("),
        ],
    };
    patterns.iter().find_map(|p| {
        let at = trimmed.find(p.as_str())?;
        let before = &trimmed[..at];
        let plain_prefix = before.is_empty()
            || [
                "export ",
                "export default ",
                "async ",
                "pub ",
                "pub(crate) ",
                "export async ",
            ]
            .iter()
            .any(|k| before == *k || before.ends_with(k));
        // A bare `name(` only counts as a method definition when a block follows it.
        let is_call_form = p.as_str() == format!("{name}(");
        if !plain_prefix || (is_call_form && !line.trim_end().ends_with('{')) {
            return None;
        }
        Some(offset + at + p.len() - 1)
    })
}

fn split_params(text: &str, language: Language) -> Vec<Param> {
    let mut params = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(',')) {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth <= 0 {
            let piece = current.trim().to_string();
            current.clear();
            if piece.is_empty() || piece == "*" || piece == "/" {
                continue;
            }
            let has_default = piece.contains('=');
            let name = piece
                .split(['=', ':'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_start_matches(['*', '.'])
                .trim();
            let name = if language == Language::Rust && piece.trim_start().starts_with('&') {
                piece.trim().to_string()
            } else {
                name.trim_start_matches("mut ").to_string()
            };
            params.push(Param { name, has_default });
        } else {
            current.push(c);
        }
    }
    params
}

fn exported_in(snapshot: &FileSnapshot, name: &str, definition: &str) -> bool {
    if definition.trim_start().starts_with("export ") {
        return true;
    }
    snapshot.lines.iter().any(|l| {
        (l.contains("module.exports") || l.contains("export {") || l.contains("exports."))
            && l.contains(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autopsy::SnapshotSource;

    fn snap(lines: &[&str], focus_line: u32) -> FileSnapshot {
        FileSnapshot {
            path: "x".into(),
            first_line: 1,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            focus_line,
            source: SnapshotSource::Repository,
        }
    }

    #[test]
    fn python_parameters_with_annotations_and_defaults() {
        let s = snap(
            &[
                "def total(items: list[int], *, scale: float = 1.0):",
                "    x = 1",
                "    return x / 0",
            ],
            3,
        );
        let sig = enclosing(&s, "total", Language::Python).expect("found");
        assert_eq!(
            sig.params,
            vec![
                Param {
                    name: "items".into(),
                    has_default: false
                },
                Param {
                    name: "scale".into(),
                    has_default: true
                },
            ]
        );
        assert!(!sig.is_method);
    }

    #[test]
    fn python_methods_drop_self() {
        let s = snap(
            &[
                "class A:",
                "    def get(self, key):",
                "        return self.d[key]",
            ],
            3,
        );
        let sig = enclosing(&s, "get", Language::Python).expect("found");
        assert!(sig.is_method);
        assert_eq!(sig.params.len(), 1);
    }

    #[test]
    fn javascript_exports_are_seen() {
        let s = snap(
            &[
                "function f(a, { b } = {}) {",
                "  return a.b;",
                "}",
                "module.exports = { f };",
            ],
            2,
        );
        let sig = enclosing(&s, "f", Language::JavaScript).expect("found");
        assert_eq!(sig.params.len(), 2);
        assert!(sig.exported);
        let hidden = snap(&["function g(a) {", "  return a.b;", "}"], 2);
        assert!(
            !enclosing(&hidden, "g", Language::JavaScript)
                .expect("found")
                .exported
        );
    }

    #[test]
    fn a_call_is_not_a_definition() {
        let s = snap(&["function outer() {", "  f(1);", "}"], 2);
        assert!(enclosing(&s, "f", Language::JavaScript).is_none());
    }

    #[test]
    fn rust_pub_fn() {
        let s = snap(
            &[
                "pub fn mean(xs: &[u32]) -> u32 {",
                "    xs.iter().sum::<u32>() / xs.len() as u32",
                "}",
            ],
            2,
        );
        let sig = enclosing(&s, "mean", Language::Rust).expect("found");
        assert!(sig.exported);
        assert_eq!(sig.params[0].name, "xs");
    }
}
