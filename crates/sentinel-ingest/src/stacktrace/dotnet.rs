//! .NET stack traces (`Exception.ToString()`, what OpenTelemetry .NET records).
//!
//! `   at Namespace.Type.Method(Int32 id) in /src/File.cs:line 42`, newest first. Inner
//! exceptions (` ---> `) print their frames first, then `--- End of inner exception stack
//! trace ---`; only the frames after the last such line belong to the exception that was
//! raised. Frames carry the declaring type as module and the method as function, as the
//! Sentry .NET SDK reports them, with async state machines (`<Create>d__3.MoveNext`) read
//! as the method they run; `System.*` and `Microsoft.*` are not in-app.

use super::{exception_line, oldest_first, pattern, ParsedTrace};
use regex::Regex;
use sentinel_core::event::Frame;
use std::sync::OnceLock;

fn frame_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    pattern(
        &RE,
        r"^\s*at (?P<func>[^(\s]+?)(?:\[[^\]]*\])?\((?P<params>[^)]*)\)(?: in (?P<file>.+):line (?P<line>\d+))?\s*$",
    )
}

/// Parameters as .NET prints them (`Int32 id, String name`, or none); JVM frames hold a
/// file name there instead.
fn looks_like_parameters(params: &str) -> bool {
    let params = params.trim();
    if params == "Native Method" || params == "Unknown Source" {
        return false;
    }
    params.is_empty() || params.split(',').all(|p| p.trim().contains(' '))
}

/// The captures of a .NET frame line; a JVM frame matches the pattern too, but holds a
/// file where .NET prints parameters.
fn frame_captures<'t>(re: &Regex, line: &'t str) -> Option<regex::Captures<'t>> {
    re.captures(line).filter(|c| {
        c.name("file").is_some()
            || c.name("params")
                .is_some_and(|p| looks_like_parameters(p.as_str()))
    })
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let re = frame_line()?;
    let start = lines
        .iter()
        .rposition(|l| {
            l.trim_start()
                .starts_with("--- End of inner exception stack trace")
        })
        .map_or(0, |at| at + 1);
    let frames: Vec<Frame> = lines[start..]
        .iter()
        .filter_map(|line| frame_captures(re, line))
        .map(|c| dotnet_frame(&c))
        .collect();
    if frames.is_empty() {
        return None;
    }
    let header = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.split(" ---> ").next().unwrap_or(l));
    let (exception_type, value) = header.and_then(exception_line).unwrap_or((None, None));
    Some(ParsedTrace {
        exception_type,
        value,
        frames: oldest_first(frames),
    })
}

fn dotnet_frame(c: &regex::Captures<'_>) -> Frame {
    let full = c.name("func").map_or("", |m| m.as_str());
    let (mut module, mut function) = full.rsplit_once('.').unwrap_or(("", full));
    // `Shop.OrdersController.<Create>d__3.MoveNext`: the compiler's state machine of `Create`.
    if function == "MoveNext" {
        if let Some((owner, machine)) = module.rsplit_once('.') {
            if let Some(name) = machine
                .strip_prefix('<')
                .and_then(|rest| rest.split_once('>'))
                .map(|(name, _)| name)
            {
                module = owner;
                function = name;
            }
        }
    }
    Frame {
        filename: c.name("file").map(|m| m.as_str().to_string()),
        module: (!module.is_empty()).then(|| module.to_string()),
        function: Some(function.to_string()),
        lineno: c.name("line").and_then(|m| m.as_str().parse().ok()),
        in_app: Some(!is_library_module(module)),
        ..Frame::default()
    }
}

fn is_library_module(module: &str) -> bool {
    ["System.", "Microsoft.", "Npgsql.", "Newtonsoft.", "Grpc."]
        .iter()
        .any(|prefix| module.starts_with(prefix))
        || module == "System"
}

#[cfg(test)]
mod tests {
    use super::super::parse_stack_trace;

    /// An ASP.NET Core controller's failure with an inner exception, as .NET 8 prints it.
    const ASPNET: &str = "System.InvalidOperationException: Order 42 could not be placed\n \
---> System.ArgumentException: Sequence contains no elements (Parameter 'items')\n   \
at System.Linq.ThrowHelper.ThrowNoElementsException()\n   \
at Shop.Pricing.Lowest(IEnumerable`1 items) in /src/Shop/Pricing.cs:line 9\n   \
--- End of inner exception stack trace ---\n   \
at Shop.Services.OrderService.PlaceOrder(Int32 quantity, String sku) in /src/Shop/Services/OrderService.cs:line 42\n   \
at Shop.Controllers.OrdersController.<Create>d__3.MoveNext() in /src/Shop/Controllers/OrdersController.cs:line 27\n\
--- End of stack trace from previous location ---\n   \
at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.TaskOfIActionResultExecutor.Execute(ActionContext context)\n";

    #[test]
    fn aspnet_trace_reads_type_and_method() {
        let parsed = parse_stack_trace(ASPNET);
        assert_eq!(
            parsed.exception_type.as_deref(),
            Some("System.InvalidOperationException")
        );
        assert_eq!(
            parsed.value.as_deref(),
            Some("Order 42 could not be placed")
        );
        assert_eq!(
            parsed.frames.len(),
            3,
            "the inner exception's frames are not read"
        );
        let raising = &parsed.frames[2];
        assert_eq!(
            raising.module.as_deref(),
            Some("Shop.Services.OrderService")
        );
        assert_eq!(raising.function.as_deref(), Some("PlaceOrder"));
        assert_eq!(
            raising.filename.as_deref(),
            Some("/src/Shop/Services/OrderService.cs")
        );
        assert_eq!(raising.lineno, Some(42));
        assert_eq!(raising.in_app, Some(true));
        let state_machine = &parsed.frames[1];
        assert_eq!(
            state_machine.module.as_deref(),
            Some("Shop.Controllers.OrdersController")
        );
        assert_eq!(state_machine.function.as_deref(), Some("Create"));
        assert_eq!(parsed.frames[0].in_app, Some(false));
    }

    #[test]
    fn frames_without_symbols_and_generic_methods() {
        let text = "System.NullReferenceException: Object reference not set to an instance of an object.\n   at Shop.Cart.Total[T](List`1 lines)\n   at Shop.Program.Main()\n";
        let parsed = parse_stack_trace(text);
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[1].function.as_deref(), Some("Total"));
        assert_eq!(parsed.frames[1].module.as_deref(), Some("Shop.Cart"));
        assert_eq!(parsed.frames[1].filename, None);
    }
}
