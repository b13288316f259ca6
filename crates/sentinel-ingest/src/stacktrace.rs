//! Best-effort parsing of stack traces sent as text (the native API's `stack_trace`).
//!
//! Services without a Sentry SDK often have only the formatted trace their runtime printed.
//! Python, JavaScript (V8 and Firefox/Safari), Java/Kotlin, Go and Ruby traces are
//! recognised line by line; lines that match no format are ignored. Frames come out oldest
//! first, like Sentry's, and are marked in-app unless their path or module is a library's.

use regex::Regex;
use sentinel_core::event::Frame;
use std::sync::OnceLock;

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

struct Patterns {
    python: Regex,
    v8: Regex,
    gecko: Regex,
    java: Regex,
    go_file: Regex,
    ruby: Regex,
    exception: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: OnceLock<Option<Patterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some(Patterns {
                python: Regex::new(r#"^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$"#).ok()?,
                v8: Regex::new(r"^\s*at (?:(?P<func>.+?) \()?(?P<file>[^()\s]+?):(?P<line>\d+)(?::(?P<col>\d+))?\)?$").ok()?,
                gecko: Regex::new(r"^\s*(?P<func>[^@\s]*)@(?P<file>\S+?):(?P<line>\d+)(?::(?P<col>\d+))?$").ok()?,
                java: Regex::new(r"^\s*at (?P<func>[\w$.<>/\-]+)\((?P<file>[^:)]*)(?::(?P<line>\d+))?\)$").ok()?,
                go_file: Regex::new(r"^\s+(?P<file>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$").ok()?,
                ruby: Regex::new(r"^\s*(?:from )?(?P<file>[^:\s]+\.rb):(?P<line>\d+):in [`'](?P<func>[^'`]+)'$").ok()?,
                exception: Regex::new(r"^(?:Uncaught |Exception in thread \S+ |Caused by: )?(?P<type>[A-Za-z_$][\w$.:<>*]*?)(?::\s*(?P<value>.*))?$").ok()?,
            })
        })
        .as_ref()
}

/// Frames beyond this many are not read.
const MAX_TEXT_FRAMES: usize = 250;

/// Parses a textual stack trace. Never fails: an unrecognised trace gives no frames.
pub fn parse_stack_trace(text: &str) -> ParsedTrace {
    let Some(p) = patterns() else {
        return ParsedTrace::default();
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut frames = Vec::new();
    let mut newest_first = true;
    let mut header: Option<&str> = None;
    let mut footer: Option<&str> = None;
    let mut i = 0;
    while i < lines.len() && frames.len() < MAX_TEXT_FRAMES {
        let line = lines[i];
        if let Some(c) = p.python.captures(line) {
            newest_first = false;
            let mut frame = frame(c.name("file"), c.name("func"), c.name("line"), None);
            // The next indented line that is not a frame is the source line.
            if let Some(next) = lines.get(i + 1) {
                if !p.python.is_match(next) && next.starts_with("    ") {
                    frame.context_line = Some(next.trim().to_string());
                    i += 1;
                }
            }
            frames.push(frame);
        } else if let Some(c) = p.java.captures(line).filter(|c| {
            c.name("file")
                .is_some_and(|f| f.as_str().is_empty() || !f.as_str().contains('/'))
        }) {
            let full = c.name("func").map_or("", |m| m.as_str());
            // `java.base/java.util.ArrayList.forEach`: the part before `/` is the JDK module.
            let full = full.rsplit('/').next().unwrap_or(full);
            let (module, function) = full.rsplit_once('.').unwrap_or(("", full));
            let mut frame = frame(c.name("file"), None, c.name("line"), None);
            frame.module = (!module.is_empty()).then(|| module.to_string());
            frame.function = Some(function.to_string());
            frame.in_app = Some(!is_library_module(module));
            frames.push(frame);
        } else if let Some(c) = p.v8.captures(line) {
            frames.push(frame(
                c.name("file"),
                c.name("func"),
                c.name("line"),
                c.name("col"),
            ));
        } else if let Some(c) = p.ruby.captures(line) {
            frames.push(frame(c.name("file"), c.name("func"), c.name("line"), None));
        } else if let Some(c) = lines.get(i + 1).and_then(|next| p.go_file.captures(next)) {
            let function = line.split('(').next().unwrap_or(line).trim();
            let mut frame = frame(c.name("file"), None, c.name("line"), None);
            frame.function = Some(function.to_string());
            frames.push(frame);
            i += 1;
        } else if let Some(c) = p.gecko.captures(line) {
            frames.push(frame(
                c.name("file"),
                c.name("func"),
                c.name("line"),
                c.name("col"),
            ));
        } else if line.trim_start().starts_with("Caused by:") && !frames.is_empty() {
            // Only the outermost exception of a Java chain is read.
            break;
        } else if frames.is_empty() {
            header.get_or_insert(line);
        } else if !line.starts_with(' ') && !line.starts_with('\t') {
            footer = Some(line);
        }
        i += 1;
    }
    if newest_first {
        frames.reverse();
    }
    // Python names the exception after the frames, the others before them.
    let named = if newest_first {
        header
    } else {
        footer.or(header)
    };
    let (exception_type, value) = named
        .and_then(|line| exception_line(p, line))
        .unwrap_or((None, None));
    ParsedTrace {
        exception_type,
        value,
        frames,
    }
}

fn exception_line(p: &Patterns, line: &str) -> Option<(Option<String>, Option<String>)> {
    let line = line.trim();
    if line.starts_with("Traceback") || line.starts_with("goroutine ") {
        return None;
    }
    let c = p.exception.captures(line)?;
    let ty = c.name("type").map(|m| m.as_str().to_string());
    let value = c
        .name("value")
        .map(|m| m.as_str().trim().to_string())
        .filter(|v| !v.is_empty());
    Some((ty, value))
}

fn frame(
    file: Option<regex::Match<'_>>,
    function: Option<regex::Match<'_>>,
    line: Option<regex::Match<'_>>,
    column: Option<regex::Match<'_>>,
) -> Frame {
    let file = file
        .map(|m| m.as_str().to_string())
        .filter(|f| !f.is_empty());
    let in_app = file.as_deref().map(|f| !is_library_path(f));
    Frame {
        filename: file,
        function: function
            .map(|m| m.as_str().trim().to_string())
            .filter(|f| !f.is_empty()),
        lineno: line.and_then(|m| m.as_str().parse().ok()),
        colno: column.and_then(|m| m.as_str().parse().ok()),
        in_app,
        ..Frame::default()
    }
}

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

fn is_library_module(module: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "java.",
        "javax.",
        "jdk.",
        "sun.",
        "com.sun.",
        "kotlin.",
        "kotlinx.",
        "scala.",
        "org.springframework.",
        "org.apache.",
        "io.netty.",
    ];
    PREFIXES.iter().any(|prefix| module.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_tracebacks() {
        let trace = "Traceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/flask/app.py\", line 880, in full_dispatch_request\n    rv = self.dispatch_request()\n  File \"/srv/app/views.py\", line 12, in divide\n    return a / b\nZeroDivisionError: division by zero\n";
        let parsed = parse_stack_trace(trace);
        assert_eq!(parsed.exception_type.as_deref(), Some("ZeroDivisionError"));
        assert_eq!(parsed.value.as_deref(), Some("division by zero"));
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[1].function.as_deref(), Some("divide"));
        assert_eq!(parsed.frames[1].lineno, Some(12));
        assert_eq!(
            parsed.frames[1].context_line.as_deref(),
            Some("return a / b")
        );
        assert_eq!(parsed.frames[1].in_app, Some(true));
        assert_eq!(parsed.frames[0].in_app, Some(false));
    }

    #[test]
    fn javascript_traces_are_reversed_to_oldest_first() {
        let trace = "TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/srv/app/src/users.js:42:17)\n    at async handler (/srv/app/src/routes.js:10:5)\n    at /srv/app/node_modules/express/lib/router/layer.js:95:5";
        let parsed = parse_stack_trace(trace);
        assert_eq!(parsed.exception_type.as_deref(), Some("TypeError"));
        assert_eq!(parsed.frames.len(), 3);
        assert_eq!(parsed.frames[2].function.as_deref(), Some("getUser"));
        assert_eq!(parsed.frames[2].colno, Some(17));
        assert_eq!(parsed.frames[0].in_app, Some(false));
        let gecko =
            parse_stack_trace("render@https://x.test/app.js:3:7\n@https://x.test/app.js:9:1");
        assert_eq!(gecko.frames.len(), 2);
        assert_eq!(gecko.frames[1].function.as_deref(), Some("render"));
    }

    #[test]
    fn java_go_and_ruby_traces() {
        let java = "java.lang.IllegalStateException: bad state\n\tat com.example.shop.Cart.total(Cart.java:42)\n\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1511)\n\tat com.example.shop.Api.checkout(Api.java:17)\nCaused by: java.io.IOException: x\n\tat com.example.Other.f(Other.java:1)";
        let parsed = parse_stack_trace(java);
        assert_eq!(
            parsed.exception_type.as_deref(),
            Some("java.lang.IllegalStateException")
        );
        assert_eq!(parsed.frames.len(), 3);
        assert_eq!(
            parsed.frames[2].module.as_deref(),
            Some("com.example.shop.Cart")
        );
        assert_eq!(parsed.frames[2].function.as_deref(), Some("total"));
        assert_eq!(parsed.frames[1].in_app, Some(false));

        let go = "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.lookup(...)\n\t/srv/app/main.go:12 +0x1d\nmain.main()\n\t/srv/app/main.go:20 +0x25\n";
        let parsed = parse_stack_trace(go);
        assert_eq!(parsed.exception_type.as_deref(), Some("panic"));
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[1].function.as_deref(), Some("main.lookup"));

        let ruby =
            "app/models/order.rb:12:in `total'\napp/controllers/orders_controller.rb:5:in `show'";
        let parsed = parse_stack_trace(ruby);
        assert_eq!(parsed.frames[1].function.as_deref(), Some("total"));
    }

    #[test]
    fn garbage_gives_no_frames() {
        assert!(parse_stack_trace("").frames.is_empty());
        assert!(parse_stack_trace("just some words\n\n\t").frames.is_empty());
    }
}
