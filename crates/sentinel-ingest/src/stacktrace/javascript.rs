//! JavaScript stack traces: V8's (Node.js, Chrome, what OpenTelemetry JS records from
//! `error.stack`) and Firefox's and Safari's `function@file:line:column`.
//!
//! The first line names the error, frames follow newest first. `async` is dropped from the
//! function as the Sentry SDKs drop it; `node:` internals and `node_modules` are not in-app.

use super::{exception_line, frame, oldest_first, pattern, ParsedTrace};
use regex::Regex;
use std::sync::OnceLock;

fn v8_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r"^\s*at (?:(?P<func>.+?) \()?(?P<file>[^()\s]+?):(?P<line>\d+)(?::(?P<col>\d+))?\)?$",
    )
}

fn gecko_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r"^\s*(?P<func>[^@\s]*)@(?P<file>\S+?):(?P<line>\d+)(?::(?P<col>\d+))?$",
    )
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let v8 = v8_line()?;
    let gecko = gecko_line()?;
    let mut frames = Vec::new();
    let mut header = None;
    for line in lines {
        let c = v8.captures(line).or_else(|| gecko.captures(line));
        match c {
            Some(c) => {
                let function = c
                    .name("func")
                    .map(|m| m.as_str().trim_start_matches("async "));
                frames.push(frame(
                    c.name("file").map(|m| m.as_str()),
                    function,
                    c.name("line").map(|m| m.as_str()),
                    c.name("col").map(|m| m.as_str()),
                ));
            }
            None if frames.is_empty() && header.is_none() && !line.trim().is_empty() => {
                header = Some(*line);
            }
            None => {}
        }
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

#[cfg(test)]
mod tests {
    use super::super::parse_stack_trace;

    #[test]
    fn node_traces_are_reversed_to_oldest_first() {
        let trace = "TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/srv/app/src/users.js:42:17)\n    at async handler (/srv/app/src/routes.js:10:5)\n    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)";
        let parsed = parse_stack_trace(trace);
        assert_eq!(parsed.exception_type.as_deref(), Some("TypeError"));
        assert_eq!(
            parsed.value.as_deref(),
            Some("Cannot read properties of undefined (reading 'id')")
        );
        assert_eq!(parsed.frames.len(), 4);
        assert_eq!(parsed.frames[3].function.as_deref(), Some("getUser"));
        assert_eq!(parsed.frames[3].colno, Some(17));
        assert_eq!(parsed.frames[3].in_app, Some(true));
        assert_eq!(parsed.frames[2].function.as_deref(), Some("handler"));
        assert_eq!(parsed.frames[1].in_app, Some(false));
        assert_eq!(parsed.frames[0].in_app, Some(false));
    }

    #[test]
    fn anonymous_and_browser_frames() {
        let gecko =
            parse_stack_trace("render@https://x.test/app.js:3:7\n@https://x.test/app.js:9:1");
        assert_eq!(gecko.frames.len(), 2);
        assert_eq!(gecko.frames[1].function.as_deref(), Some("render"));
        let v8 = parse_stack_trace(
            "Error: boom\n    at /srv/app/index.js:3:9\n    at new Shop (/srv/app/shop.js:1:1)",
        );
        assert_eq!(v8.frames[1].function, None);
        assert_eq!(v8.frames[0].function.as_deref(), Some("new Shop"));
    }
}
