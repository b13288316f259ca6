//! What an event is, in words people read: its error class, title, culprit and type.
//!
//! The class decides filtering and alerting (a service may ignore `client_4xx`), the title
//! and culprit are what lists show, so they follow Sentry's conventions that users know:
//! `"ZeroDivisionError: division by zero"` in `"app.views in divide"`.

use crate::event::{Event, EventKind, Exception, Frame, Level};
use crate::incident::ErrorClass;

/// Titles longer than this are cut (with an ellipsis) so lists stay readable.
pub const MAX_TITLE_CHARS: usize = 200;

/// Mechanism types SDKs use for process crashes rather than thrown exceptions.
const CRASH_MECHANISMS: &[&str] = &[
    "panic",
    "crash",
    "signalhandler",
    "minidump",
    "mach",
    "nsexception",
    "appexitinfo",
    "anr",
    "applecrashreport",
    "unrealcrashreport",
    "native",
    "sigsegv",
    "sigabrt",
];

/// The event's class: what the sender declared, else latency for transactions, else the
/// HTTP status (4xx / 5xx), else how the exception was raised (crash, unhandled, handled),
/// else a plain message.
pub fn error_class(event: &Event) -> ErrorClass {
    if let Some(declared) = event.declared_class {
        return declared;
    }
    if event.kind == EventKind::Transaction {
        return ErrorClass::Latency;
    }
    match event.http_status {
        Some(400..=499) => return ErrorClass::Client4xx,
        Some(500..=599) => return ErrorClass::Server5xx,
        _ => {}
    }
    if event.exceptions.is_empty() {
        return ErrorClass::Message;
    }
    let is_crash = event.level == Level::Fatal
        || event.exceptions.iter().any(|exception| {
            exception.mechanism.as_ref().is_some_and(|mechanism| {
                let ty = mechanism.ty.to_ascii_lowercase();
                CRASH_MECHANISMS.contains(&ty.as_str())
            })
        });
    if is_crash {
        return ErrorClass::Crash;
    }
    let unhandled = event.exceptions.iter().any(|exception| {
        exception
            .mechanism
            .as_ref()
            .is_some_and(|mechanism| mechanism.handled == Some(false))
    });
    if unhandled {
        ErrorClass::UnhandledException
    } else {
        ErrorClass::HandledException
    }
}

/// The one-line summary: `"Type: value"` for exceptions, the message for log events, the
/// transaction name for transactions. Only the first line of a value counts.
pub fn title(event: &Event) -> String {
    let text = if event.kind == EventKind::Transaction {
        event
            .transaction
            .clone()
            .or_else(|| event.route.clone())
            .unwrap_or_default()
    } else if let Some(exception) = event.main_exception().filter(|e| !is_blank(e)) {
        exception_title(exception)
    } else if let Some(message) = &event.message {
        first_line(&message.formatted).to_string()
    } else if let Some(status) = event.http_status {
        match &event.route {
            Some(route) => format!("HTTP {status} on {route}"),
            None => format!("HTTP {status}"),
        }
    } else if let Some(operation) = event.transaction.as_deref().or(event.route.as_deref()) {
        // A failed span with neither exception nor message: what failed is the operation.
        format!("{operation} failed")
    } else {
        String::new()
    };
    let text = text.trim();
    if text.is_empty() {
        return "<unlabeled event>".into();
    }
    truncate_chars(text, MAX_TITLE_CHARS)
}

fn is_blank(exception: &Exception) -> bool {
    exception.ty.is_empty() && exception.value.as_deref().is_none_or(str::is_empty)
}

fn exception_title(exception: &Exception) -> String {
    let value = exception.value.as_deref().map(first_line).unwrap_or("");
    match (exception.ty.is_empty(), value.is_empty()) {
        (false, false) => format!("{}: {value}", exception.ty),
        (false, true) => exception.ty.clone(),
        (true, _) => value.to_string(),
    }
}

fn first_line(text: &str) -> &str {
    text.trim_start().lines().next().unwrap_or("").trim_end()
}

/// Cuts at a character boundary and marks the cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((cut, _)) => {
            let keep = text[..cut].char_indices().next_back().map_or(0, |(i, _)| i);
            format!("{}…", &text[..keep])
        }
    }
}

/// Where it happened: the raising frame (the newest in-app one, else the newest of all) as
/// `"module in function"`, else the transaction or route, else the logger.
pub fn culprit(event: &Event) -> String {
    let from_frame = event
        .exceptions
        .iter()
        .rev()
        .find_map(|exception| top_frame(&exception.frames))
        .and_then(frame_location);
    from_frame
        .or_else(|| event.transaction.clone())
        .or_else(|| event.route.clone())
        .or_else(|| event.logger.clone())
        .map(|text| truncate_chars(&text, MAX_TITLE_CHARS))
        .unwrap_or_default()
}

/// The newest in-app frame, or the newest frame when none is marked in-app.
pub fn top_frame(frames: &[Frame]) -> Option<&Frame> {
    frames
        .iter()
        .rev()
        .find(|frame| frame.in_app == Some(true))
        .or_else(|| frames.last())
}

fn frame_location(frame: &Frame) -> Option<String> {
    let place = frame
        .module
        .as_deref()
        .or(frame.filename.as_deref())
        .or(frame.abs_path.as_deref())
        .filter(|s| !s.is_empty());
    let function = frame.function.as_deref().filter(|s| !s.is_empty());
    match (place, function) {
        (Some(place), Some(function)) => Some(format!("{place} in {function}")),
        (Some(place), None) => Some(place.to_string()),
        (None, Some(function)) => Some(function.to_string()),
        (None, None) => None,
    }
}

/// The error's type: the raised exception's type, else `transaction`, `http_<status>` or
/// `message`.
pub fn error_type(event: &Event) -> String {
    if let Some(exception) = event.main_exception().filter(|e| !e.ty.is_empty()) {
        return exception.ty.clone();
    }
    if event.kind == EventKind::Transaction {
        return "transaction".into();
    }
    if let Some(status) = event.http_status {
        return format!("http_{status}");
    }
    "message".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Mechanism, Message};

    fn exception_event(ty: &str, value: &str, mechanism: Option<Mechanism>) -> Event {
        Event {
            exceptions: vec![Exception {
                ty: ty.into(),
                value: Some(value.into()),
                mechanism,
                frames: vec![
                    Frame {
                        module: Some("django.core.handlers".into()),
                        function: Some("inner".into()),
                        in_app: Some(false),
                        ..Frame::default()
                    },
                    Frame {
                        module: Some("app.views".into()),
                        function: Some("divide".into()),
                        in_app: Some(true),
                        ..Frame::default()
                    },
                    Frame {
                        module: Some("decimal".into()),
                        function: Some("__truediv__".into()),
                        in_app: Some(false),
                        ..Frame::default()
                    },
                ],
                ..Exception::default()
            }],
            ..Event::default()
        }
    }

    fn mechanism(ty: &str, handled: Option<bool>) -> Option<Mechanism> {
        Some(Mechanism {
            ty: ty.into(),
            handled,
            synthetic: false,
        })
    }

    #[test]
    fn classes_follow_the_documented_order() {
        let handled = exception_event("ZeroDivisionError", "x", mechanism("generic", Some(true)));
        assert_eq!(error_class(&handled), ErrorClass::HandledException);

        let unhandled = exception_event("TypeError", "x", mechanism("onerror", Some(false)));
        assert_eq!(error_class(&unhandled), ErrorClass::UnhandledException);

        let panic = exception_event("panic", "boom", mechanism("panic", Some(false)));
        assert_eq!(error_class(&panic), ErrorClass::Crash);

        let mut fatal = exception_event("E", "x", None);
        fatal.level = Level::Fatal;
        assert_eq!(error_class(&fatal), ErrorClass::Crash);

        let mut http = exception_event("E", "x", mechanism("generic", Some(false)));
        http.http_status = Some(503);
        assert_eq!(error_class(&http), ErrorClass::Server5xx);
        http.http_status = Some(404);
        assert_eq!(error_class(&http), ErrorClass::Client4xx);
        http.declared_class = Some(ErrorClass::Message);
        assert_eq!(error_class(&http), ErrorClass::Message);

        let message = Event {
            message: Some(Message {
                formatted: "disk full".into(),
                ..Message::default()
            }),
            level: Level::Fatal,
            ..Event::default()
        };
        assert_eq!(error_class(&message), ErrorClass::Message);

        let transaction = Event {
            kind: EventKind::Transaction,
            transaction: Some("/api/users".into()),
            ..Event::default()
        };
        assert_eq!(error_class(&transaction), ErrorClass::Latency);
        assert_eq!(title(&transaction), "/api/users");
        assert_eq!(error_type(&transaction), "transaction");
    }

    #[test]
    fn titles_and_culprits_read_like_sentry() {
        let event = exception_event("ZeroDivisionError", "division by zero\nmore", None);
        assert_eq!(title(&event), "ZeroDivisionError: division by zero");
        assert_eq!(culprit(&event), "app.views in divide");
        assert_eq!(error_type(&event), "ZeroDivisionError");

        let long = exception_event("E", &"x".repeat(500), None);
        let long_title = title(&long);
        assert_eq!(long_title.chars().count(), MAX_TITLE_CHARS);
        assert!(long_title.ends_with('…'));

        let message = Event {
            message: Some(Message {
                formatted: "Page not found!".into(),
                ..Message::default()
            }),
            transaction: Some("/404".into()),
            ..Event::default()
        };
        assert_eq!(title(&message), "Page not found!");
        assert_eq!(culprit(&message), "/404");
        assert_eq!(error_type(&message), "message");
        assert_eq!(title(&Event::default()), "<unlabeled event>");
        let failed_span = Event {
            transaction: Some("charge-card".into()),
            ..Event::default()
        };
        assert_eq!(title(&failed_span), "charge-card failed");
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_chars("héllo wörld", 5), "héll…");
        assert_eq!(truncate_chars("short", 10), "short");
    }
}
