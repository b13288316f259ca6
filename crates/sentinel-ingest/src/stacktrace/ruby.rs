//! Ruby backtraces: `app/models/order.rb:12:in 'total'` lines, newest first.

use super::{frame, oldest_first, pattern, ParsedTrace};
use regex::Regex;
use std::sync::OnceLock;

fn frame_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r"^\s*(?:from )?(?P<file>[^:\s]+\.rb):(?P<line>\d+):in [`'](?P<func>[^'`]+)'$",
    )
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let re = frame_line()?;
    let frames: Vec<_> = lines
        .iter()
        .filter_map(|line| re.captures(line))
        .map(|c| {
            frame(
                c.name("file").map(|m| m.as_str()),
                c.name("func").map(|m| m.as_str()),
                c.name("line").map(|m| m.as_str()),
                None,
            )
        })
        .collect();
    if frames.is_empty() {
        return None;
    }
    Some(ParsedTrace {
        frames: oldest_first(frames),
        ..ParsedTrace::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse_stack_trace;

    #[test]
    fn rails_backtrace() {
        let ruby =
            "app/models/order.rb:12:in `total'\napp/controllers/orders_controller.rb:5:in `show'\n/usr/local/bundle/gems/actionpack-7.1.3/lib/action_controller/metal.rb:227:in 'dispatch'";
        let parsed = parse_stack_trace(ruby);
        assert_eq!(parsed.frames.len(), 3);
        assert_eq!(parsed.frames[2].function.as_deref(), Some("total"));
        assert_eq!(parsed.frames[0].in_app, Some(false));
    }
}
