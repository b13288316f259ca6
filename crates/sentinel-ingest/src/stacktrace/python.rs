//! Python tracebacks (`traceback.format_exception`, what OpenTelemetry's Python SDK records).
//!
//! A chained traceback ("During handling of the above exception…") prints the causes first:
//! only the last block, the exception that was raised, is read. Library frames get the
//! module name Python gives them (`site-packages/flask/app.py` → `flask.app`), as the Sentry
//! SDK reports it; the application's own files keep only their path, because the import
//! root they are relative to is not in the text.

use super::{exception_line, frame, pattern, ParsedTrace, MAX_TEXT_FRAMES};
use regex::Regex;
use std::sync::OnceLock;

fn frame_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r#"^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$"#,
    )
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let re = frame_line()?;
    let start = lines
        .iter()
        .rposition(|l| {
            l.trim_start()
                .starts_with("Traceback (most recent call last)")
        })
        .map_or(0, |at| at + 1);
    let block = &lines[start..];
    if !block.iter().any(|l| re.is_match(l)) {
        return None;
    }
    let mut frames = Vec::new();
    let mut named = None;
    let mut i = 0;
    while i < block.len() {
        let line = block[i];
        if let Some(c) = re.captures(line) {
            let file = c.name("file").map(|m| m.as_str());
            let mut parsed = frame(
                file,
                c.name("func").map(|m| m.as_str()),
                c.name("line").map(|m| m.as_str()),
                None,
            );
            parsed.module = file.and_then(library_module);
            // The next indented line that is not a frame is the source line.
            if let Some(next) = block.get(i + 1) {
                if !re.is_match(next) && next.starts_with("    ") && !is_marker(next) {
                    parsed.context_line = Some(next.trim().to_string());
                    i += 1;
                }
            }
            if frames.len() < MAX_TEXT_FRAMES {
                frames.push(parsed);
            }
        } else if !frames.is_empty()
            && named.is_none()
            && !line.trim().is_empty()
            && !line.starts_with(' ')
            && !line.starts_with('\t')
        {
            named = Some(line);
        }
        i += 1;
    }
    let (exception_type, value) = named.and_then(exception_line).unwrap_or((None, None));
    Some(ParsedTrace {
        exception_type,
        value,
        frames,
    })
}

/// Python 3.11+ underlines the failing expression with `^` and `~`.
fn is_marker(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| matches!(c, '^' | '~' | ' '))
}

/// The module of a library file: the path below `site-packages` or `dist-packages` as a
/// dotted name, or the name inside `<frozen …>`.
fn library_module(path: &str) -> Option<String> {
    if let Some(inner) = path
        .strip_prefix("<frozen ")
        .and_then(|r| r.strip_suffix('>'))
    {
        return Some(inner.to_string());
    }
    let (_, below) = path
        .rsplit_once("site-packages/")
        .or_else(|| path.rsplit_once("dist-packages/"))?;
    let below = below.strip_suffix(".py").unwrap_or(below);
    let below = below.strip_suffix("/__init__").unwrap_or(below);
    Some(below.replace('/', "."))
}

#[cfg(test)]
mod tests {
    use super::super::parse_stack_trace;

    /// As Python 3.12 prints it, with the expression markers.
    const FLASK: &str = r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 1473, in wsgi_app
    response = self.full_dispatch_request()
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/shop/app/views.py", line 41, in checkout
    total = compute_total(cart)
  File "/srv/shop/app/pricing.py", line 12, in compute_total
    return sum(prices) / len(prices)
           ~~~~~~~~~~~~^~~~~~~~~~~~~
ZeroDivisionError: division by zero
"#;

    #[test]
    fn flask_traceback() {
        let parsed = parse_stack_trace(FLASK);
        assert_eq!(parsed.exception_type.as_deref(), Some("ZeroDivisionError"));
        assert_eq!(parsed.value.as_deref(), Some("division by zero"));
        assert_eq!(parsed.frames.len(), 3);
        let library = &parsed.frames[0];
        assert_eq!(library.module.as_deref(), Some("flask.app"));
        assert_eq!(library.in_app, Some(false));
        let raising = &parsed.frames[2];
        assert_eq!(raising.function.as_deref(), Some("compute_total"));
        assert_eq!(
            raising.filename.as_deref(),
            Some("/srv/shop/app/pricing.py")
        );
        assert_eq!(raising.lineno, Some(12));
        assert_eq!(raising.in_app, Some(true));
        assert_eq!(raising.module, None);
        assert_eq!(
            raising.context_line.as_deref(),
            Some("return sum(prices) / len(prices)")
        );
    }

    #[test]
    fn only_the_raised_exception_of_a_chain_is_read() {
        let chained = r#"Traceback (most recent call last):
  File "/srv/shop/app/cache.py", line 8, in get
    return self.data[key]
KeyError: 'user:42'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/shop/app/users.py", line 20, in load
    raise LookupError(f"no user {uid}")
  File "<frozen importlib._bootstrap>", line 1360, in _find_and_load
LookupError: no user 42
"#;
        let parsed = parse_stack_trace(chained);
        assert_eq!(parsed.exception_type.as_deref(), Some("LookupError"));
        assert_eq!(parsed.value.as_deref(), Some("no user 42"));
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[0].function.as_deref(), Some("load"));
        assert_eq!(
            parsed.frames[1].module.as_deref(),
            Some("importlib._bootstrap")
        );
        assert_eq!(parsed.frames[1].in_app, Some(false));
    }

    #[test]
    fn a_message_on_several_lines_keeps_its_first() {
        let text = "Traceback (most recent call last):\n  File \"/srv/a.py\", line 1, in <module>\nValueError: first\nsecond line\n";
        let parsed = parse_stack_trace(text);
        assert_eq!(parsed.value.as_deref(), Some("first"));
        assert_eq!(parsed.frames[0].function.as_deref(), Some("<module>"));
    }
}
