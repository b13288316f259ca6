//! Best-effort parsing of stack traces sent as text: the native API's `stack_trace`, and
//! OpenTelemetry's `exception.stacktrace`.
//!
//! Services without a Sentry SDK often have only the formatted trace their runtime printed.
//! Each runtime family has its own module: [`python`], [`jvm`] (Java, Kotlin, Scala),
//! [`dotnet`], [`go`], [`javascript`] (V8, Firefox and Safari) and [`ruby`]. The first family
//! that recognises a frame line reads the whole trace; lines that match no format are
//! ignored. Frames come out oldest first, like Sentry's, and are marked in-app unless their
//! path or module is a library's. Where the text names them, module and function are split
//! the way the Sentry SDK of that runtime splits them (Java class and method, Go package and
//! function, .NET type and method), so the frames group as that SDK's would.
//!
//! Only the exception that was raised is read: the outermost of a Java or .NET chain, the
//! last traceback of a chained Python one.

mod dotnet;
mod go;
mod javascript;
mod jvm;
mod python;
mod ruby;

use regex::Regex;
use sentinel_core::event::Frame;

/// What could be read from a textual stack trace.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedTrace {
    /// The exception type named in the trace (`ZeroDivisionError`), if any.
    pub exception_type: Option<String>,
    /// The exception message named in the trace, if any.
    pub value: Option<String>,
    /// Oldest call first.
    pub frames: Vec<Frame>,
}

/// One runtime family's reader: `None` when it recognises no frame of the trace.
type FamilyParser = fn(&[&str]) -> Option<ParsedTrace>;

/// Frames beyond this many are not read.
const MAX_TEXT_FRAMES: usize = 250;

/// Parses a textual stack trace. Never fails: an unrecognised trace gives no frames.
pub fn parse_stack_trace(text: &str) -> ParsedTrace {
    let lines: Vec<&str> = text.lines().collect();
    let families: [FamilyParser; 6] = [
        python::parse,
        dotnet::parse,
        jvm::parse,
        go::parse,
        ruby::parse,
        javascript::parse,
    ];
    families
        .iter()
        .find_map(|parse| parse(&lines))
        .unwrap_or_default()
}

/// `Type: message` (or a bare `Type`) from a header line such as `java.io.IOException: x`.
fn exception_line(line: &str) -> Option<(Option<String>, Option<String>)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let re = exception_regex()?;
    let c = re.captures(line)?;
    let ty = c.name("type").map(|m| m.as_str().to_string());
    let value = c
        .name("value")
        .map(|m| m.as_str().trim().to_string())
        .filter(|v| !v.is_empty());
    Some((ty, value))
}

fn exception_regex() -> Option<&'static Regex> {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:Uncaught |Exception in thread \S+ |Caused by: |Unhandled exception\. )?(?P<type>[A-Za-z_$][\w$.:<>*`\[\]]*?)(?::\s*(?P<value>.*))?$").ok()
    })
    .as_ref()
}

/// One compiled pattern, built once; `None` only if the pattern does not compile.
fn pattern(cell: &'static std::sync::OnceLock<Option<Regex>>, re: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(re).ok()).as_ref()
}

/// A frame with what every format has: file, function, line and column.
fn frame(
    file: Option<&str>,
    function: Option<&str>,
    line: Option<&str>,
    column: Option<&str>,
) -> Frame {
    let file = file.map(str::to_string).filter(|f| !f.is_empty());
    let in_app = file.as_deref().map(|f| !is_library_path(f));
    Frame {
        filename: file,
        function: function
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty()),
        lineno: line.and_then(|m| m.parse().ok()),
        colno: column.and_then(|m| m.parse().ok()),
        in_app,
        ..Frame::default()
    }
}

/// Paths of installed libraries and runtimes rather than the application's own code.
fn is_library_path(path: &str) -> bool {
    const MARKERS: &[&str] = &[
        "site-packages",
        "dist-packages",
        "/lib/python",
        "<frozen",
        "node_modules",
        "node:",
        "internal/",
        "/usr/lib/",
        "/usr/local/lib/",
        "/gems/",
        "vendor/bundle",
        "/go/pkg/mod/",
        "/usr/local/go/src/",
        "runtime/",
    ];
    MARKERS.iter().any(|marker| path.contains(marker))
}

/// Reverses newest-first frames into Sentry's oldest-first order and caps their number.
fn oldest_first(mut frames: Vec<Frame>) -> Vec<Frame> {
    frames.truncate(MAX_TEXT_FRAMES);
    frames.reverse();
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_gives_no_frames() {
        assert!(parse_stack_trace("").frames.is_empty());
        assert!(parse_stack_trace("just some words\n\n\t").frames.is_empty());
        assert!(parse_stack_trace("at\nat (\n  File \"x").frames.is_empty());
    }

    #[test]
    fn exception_lines_name_type_and_value() {
        assert_eq!(
            exception_line("java.io.IOException: disk full"),
            Some((Some("java.io.IOException".into()), Some("disk full".into())))
        );
        assert_eq!(
            exception_line("KeyError"),
            Some((Some("KeyError".into()), None))
        );
    }
}
