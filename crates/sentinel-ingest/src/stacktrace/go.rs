//! Go stack traces: a panic's goroutine dump, or `runtime/debug.Stack()` as OpenTelemetry Go
//! records it with `trace.WithStackTrace(true)`.
//!
//! Each frame is two lines, `pkg/path.(*Type).Method(args…)` then `\t/file.go:12 +0x1d`,
//! newest first; only the first goroutine (the one that failed) is read. The function is
//! split into package and name as the Sentry Go SDK splits it (`github.com/acme/shop/cart`
//! and `(*Cart).Total`); the standard library and module cache are not in-app.

use super::{exception_line, oldest_first, pattern, ParsedTrace};
use regex::Regex;
use sentinel_core::event::Frame;
use std::sync::OnceLock;

fn file_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r"^\s+(?P<file>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$",
    )
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let re = file_line()?;
    let mut frames = Vec::new();
    let mut header = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if let Some(c) = lines.get(i + 1).and_then(|next| re.captures(next)) {
            if !trimmed.is_empty() {
                frames.push(go_frame(
                    trimmed,
                    c.name("file").map(|m| m.as_str()),
                    c.name("line").map(|m| m.as_str()),
                ));
            }
            i += 2;
            continue;
        }
        if trimmed.starts_with("goroutine ") && !frames.is_empty() {
            break;
        }
        if frames.is_empty()
            && header.is_none()
            && !trimmed.is_empty()
            && !trimmed.starts_with("goroutine ")
        {
            header = Some(trimmed);
        }
        i += 1;
    }
    if frames.is_empty() {
        return None;
    }
    let (exception_type, value) = header.and_then(exception_line).unwrap_or((None, None));
    Some(ParsedTrace {
        exception_type,
        value,
        frames: oldest_first(frames),
    })
}

fn go_frame(call: &str, file: Option<&str>, line: Option<&str>) -> Frame {
    let call = call.strip_prefix("created by ").unwrap_or(call);
    let call = call.split(" in goroutine ").next().unwrap_or(call);
    // The arguments are the last parenthesised group; `(*Cart)` inside the name stays.
    let name = match call.rfind('(') {
        Some(at) if call.ends_with(')') && at > 0 => &call[..at],
        _ => call,
    };
    let (module, function) = split_package(name);
    let in_app = !file.is_some_and(is_outside_the_program) && !is_standard_library(module);
    Frame {
        filename: file.map(str::to_string),
        module: (!module.is_empty()).then(|| module.to_string()),
        function: Some(function.to_string()),
        lineno: line.and_then(|l| l.parse().ok()),
        in_app: Some(in_app),
        ..Frame::default()
    }
}

/// `github.com/acme/shop/cart.(*Cart).Total` → (`github.com/acme/shop/cart`, `(*Cart).Total`):
/// the package ends at the first dot after the last slash.
fn split_package(name: &str) -> (&str, &str) {
    let path_end = name.rfind('/').unwrap_or(0);
    match name[path_end..].find('.') {
        Some(dot) => (&name[..path_end + dot], &name[path_end + dot + 1..]),
        None => ("", name),
    }
}

/// Files of the toolchain, the module cache or vendored code (`internal/` is a Go package
/// like any other, so the generic library markers do not apply).
fn is_outside_the_program(path: &str) -> bool {
    [
        "/usr/local/go/src/",
        "/go/pkg/mod/",
        "/vendor/",
        "/libexec/src/",
    ]
    .iter()
    .any(|marker| path.contains(marker))
}

/// Standard library packages have no dot in their first path element (`net/http`,
/// `runtime`); `main` is the program's own.
fn is_standard_library(module: &str) -> bool {
    let first = module.split('/').next().unwrap_or(module);
    !module.is_empty() && module != "main" && !first.contains('.')
}

#[cfg(test)]
mod tests {
    use super::super::parse_stack_trace;

    const PANIC: &str = "panic: runtime error: index out of range [3] with length 3\n\
\n\
goroutine 42 [running]:\n\
github.com/acme/shop/internal/cart.(*Cart).Item(...)\n\
\t/app/internal/cart/cart.go:31\n\
github.com/acme/shop/internal/cart.(*Cart).Total(0xc000112000)\n\
\t/app/internal/cart/cart.go:40 +0x1d\n\
net/http.HandlerFunc.ServeHTTP(0xc0001a2000, {0x7f8a1c, 0xc0001b4000}, 0xc0001b6000)\n\
\t/usr/local/go/src/net/http/server.go:2166 +0x29\n\
created by net/http.(*Server).Serve in goroutine 1\n\
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4\n\
\n\
goroutine 1 [IO wait]:\n\
main.main()\n\
\t/app/main.go:20 +0x25\n";

    #[test]
    fn panic_reads_package_and_function() {
        let parsed = parse_stack_trace(PANIC);
        assert_eq!(parsed.exception_type.as_deref(), Some("panic"));
        assert_eq!(
            parsed.value.as_deref(),
            Some("runtime error: index out of range [3] with length 3")
        );
        assert_eq!(parsed.frames.len(), 4, "only the failing goroutine");
        let raising = &parsed.frames[3];
        assert_eq!(
            raising.module.as_deref(),
            Some("github.com/acme/shop/internal/cart")
        );
        assert_eq!(raising.function.as_deref(), Some("(*Cart).Item"));
        assert_eq!(raising.lineno, Some(31));
        assert_eq!(raising.in_app, Some(true));
        let oldest = &parsed.frames[0];
        assert_eq!(oldest.module.as_deref(), Some("net/http"));
        assert_eq!(oldest.function.as_deref(), Some("(*Server).Serve"));
        assert_eq!(oldest.in_app, Some(false));
    }

    #[test]
    fn debug_stack_of_an_error() {
        let text = "goroutine 7 [running]:\nruntime/debug.Stack()\n\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e\nmain.lookup(0x3)\n\t/srv/app/main.go:12 +0x1d\nmain.main()\n\t/srv/app/main.go:20 +0x25\n";
        let parsed = parse_stack_trace(text);
        assert_eq!(parsed.exception_type, None);
        assert_eq!(parsed.frames.len(), 3);
        assert_eq!(parsed.frames[1].module.as_deref(), Some("main"));
        assert_eq!(parsed.frames[1].function.as_deref(), Some("lookup"));
        assert_eq!(parsed.frames[1].in_app, Some(true));
        assert_eq!(parsed.frames[2].in_app, Some(false));
    }
}
