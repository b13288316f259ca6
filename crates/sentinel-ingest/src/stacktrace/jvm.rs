//! JVM stack traces (`Throwable.printStackTrace`: Java, Kotlin, Scala), what OpenTelemetry's
//! Java agent records.
//!
//! The first line names the exception, `\tat class.method(File.java:42)` lines follow newest
//! first; `Caused by:` and `Suppressed:` start other exceptions, which are not read. Frames
//! carry the class as module and the method as function, as the Sentry Java SDK reports
//! them; JDK and well-known framework packages are not in-app.

use super::{exception_line, oldest_first, pattern, ParsedTrace};
use regex::Regex;
use sentinel_core::event::Frame;
use std::sync::OnceLock;

fn frame_line() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    // The location is a source file, `Native Method` or `Unknown Source`, optionally with a
    // line; .NET frames also read `at X.Y(...)` but hold parameters there instead.
    pattern(
        &RE,
        r"^\s*at (?P<func>[\w$.<>/\-]+)\((?P<file>Native Method|Unknown Source|[\w$.\-]+\.\w+)(?::(?P<line>\d+))?\)(?: ~?\[.*\])?\s*$",
    )
}

pub(super) fn parse(lines: &[&str]) -> Option<ParsedTrace> {
    let re = frame_line()?;
    let mut frames = Vec::new();
    let mut header = None;
    for line in lines {
        let trimmed = line.trim_start();
        if let Some(c) = re.captures(line) {
            frames.push(java_frame(&c));
        } else if !frames.is_empty()
            && (trimmed.starts_with("Caused by:") || trimmed.starts_with("Suppressed:"))
        {
            break;
        } else if frames.is_empty() && header.is_none() && !trimmed.is_empty() {
            header = Some(*line);
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

fn java_frame(c: &regex::Captures<'_>) -> Frame {
    let full = c.name("func").map_or("", |m| m.as_str());
    // `java.base/java.util.ArrayList.forEach`: the part before `/` is the JDK module.
    let full = full.rsplit('/').next().unwrap_or(full);
    let (module, function) = full.rsplit_once('.').unwrap_or(("", full));
    let file = c
        .name("file")
        .map(|m| m.as_str())
        .filter(|f| *f != "Native Method" && *f != "Unknown Source");
    Frame {
        filename: file.map(str::to_string),
        module: (!module.is_empty()).then(|| module.to_string()),
        function: Some(function.to_string()),
        lineno: c.name("line").and_then(|m| m.as_str().parse().ok()),
        in_app: Some(!is_library_module(module)),
        ..Frame::default()
    }
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
        "io.opentelemetry.",
        "reactor.",
        "org.eclipse.jetty.",
        "io.undertow.",
        "org.hibernate.",
    ];
    PREFIXES.iter().any(|prefix| module.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::parse_stack_trace;

    /// A Spring controller's failure as `printStackTrace` writes it.
    const SPRING: &str = "java.lang.IllegalStateException: cart 42 has no items\n\
\tat com.example.shop.Cart.total(Cart.java:42)\n\
\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1511)\n\
\tat com.example.shop.CheckoutController.checkout(CheckoutController.kt:17)\n\
\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n\
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885) ~[spring-webmvc-6.1.4.jar:6.1.4]\n\
\tat java.base/java.lang.Thread.run(Native Method)\n\
Caused by: java.io.IOException: stream closed\n\
\tat com.example.shop.Io.read(Io.java:1)\n\
\t... 5 more\n";

    #[test]
    fn spring_trace_reads_class_and_method() {
        let parsed = parse_stack_trace(SPRING);
        assert_eq!(
            parsed.exception_type.as_deref(),
            Some("java.lang.IllegalStateException")
        );
        assert_eq!(parsed.value.as_deref(), Some("cart 42 has no items"));
        assert_eq!(parsed.frames.len(), 6, "the cause's frames are not read");
        let raising = parsed.frames.last().unwrap();
        assert_eq!(raising.module.as_deref(), Some("com.example.shop.Cart"));
        assert_eq!(raising.function.as_deref(), Some("total"));
        assert_eq!(raising.filename.as_deref(), Some("Cart.java"));
        assert_eq!(raising.lineno, Some(42));
        assert_eq!(raising.in_app, Some(true));
        let oldest = &parsed.frames[0];
        assert_eq!(oldest.module.as_deref(), Some("java.lang.Thread"));
        assert_eq!(oldest.filename, None, "Native Method is no file");
        assert_eq!(oldest.in_app, Some(false));
        assert_eq!(parsed.frames[1].in_app, Some(false), "the framework");
        assert_eq!(
            parsed.frames[3].module.as_deref(),
            Some("com.example.shop.CheckoutController")
        );
    }

    #[test]
    fn kotlin_and_unknown_sources() {
        let text = "kotlin.KotlinNullPointerException\n\tat com.example.Main.run(Unknown Source)\n\tat com.example.Main$lambda$1.invoke(Main.kt)\n";
        let parsed = parse_stack_trace(text);
        assert_eq!(
            parsed.exception_type.as_deref(),
            Some("kotlin.KotlinNullPointerException")
        );
        assert_eq!(parsed.value, None);
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[1].function.as_deref(), Some("run"));
        assert_eq!(parsed.frames[0].filename.as_deref(), Some("Main.kt"));
    }
}
