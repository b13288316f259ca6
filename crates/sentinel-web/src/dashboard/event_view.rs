//! The incident page's view of one stored event: its exception chain with frames and
//! context lines, breadcrumbs, request and user, ready for the template.

use super::format::HtmlTime;
use sentinel_core::event::{Event, Frame};
use sentinel_store::incidents::StoredEvent;

pub struct ExceptionView {
    pub(super) ty: String,
    pub(super) value: String,
    pub(super) mechanism: String,
    pub(super) frames: Vec<FrameView>,
}

pub struct FrameView {
    pub(super) location: String,
    pub(super) function: String,
    pub(super) in_app: bool,
    pub(super) pre: Vec<ContextLine>,
    pub(super) line: Option<ContextLine>,
    pub(super) post: Vec<ContextLine>,
}

pub struct ContextLine {
    pub(super) number: String,
    pub(super) text: String,
}

pub struct CrumbView {
    pub(super) time: Option<HtmlTime>,
    pub(super) category: String,
    pub(super) level: String,
    pub(super) message: String,
}

pub struct Pair {
    pub(super) key: String,
    pub(super) value: String,
}

pub struct EventView {
    pub(super) event_id: String,
    pub(super) received: HtmlTime,
    pub(super) message: String,
    pub(super) exceptions: Vec<ExceptionView>,
    pub(super) breadcrumbs: Vec<CrumbView>,
    pub(super) request_line: String,
    pub(super) request_headers: Vec<Pair>,
    pub(super) request_query: Vec<Pair>,
    pub(super) user: Vec<Pair>,
    pub(super) tags: Vec<Pair>,
    pub(super) sdk: String,
    pub(super) trace: Option<super::trace_view::TraceView>,
}

pub(super) fn event_view(stored: &StoredEvent) -> EventView {
    // A payload that no longer parses still shows its row's facts.
    let event = stored.event().ok();
    let mut view = EventView {
        event_id: stored.event_id.clone(),
        received: HtmlTime(stored.received_at),
        message: String::new(),
        exceptions: Vec::new(),
        breadcrumbs: Vec::new(),
        request_line: String::new(),
        request_headers: Vec::new(),
        request_query: Vec::new(),
        user: Vec::new(),
        tags: stored
            .tags
            .iter()
            .map(|(k, v)| Pair {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        sdk: String::new(),
        trace: None,
    };
    if let Some(event) = event {
        fill_from_event(&mut view, event);
    }
    view
}

fn fill_from_event(view: &mut EventView, event: Event) {
    view.trace = super::trace_view::trace_view(&event);
    view.message = event.message.map(|m| m.formatted).unwrap_or_default();
    // SDKs list the chain innermost last and frames oldest first; people read the most
    // recent first.
    view.exceptions = event
        .exceptions
        .into_iter()
        .rev()
        .map(|e| ExceptionView {
            ty: e.ty,
            value: e.value.unwrap_or_default(),
            mechanism: e
                .mechanism
                .map(|m| match m.handled {
                    Some(false) => format!("{} (unhandled)", m.ty),
                    Some(true) => format!("{} (handled)", m.ty),
                    None => m.ty,
                })
                .unwrap_or_default(),
            frames: e.frames.into_iter().rev().map(frame_view).collect(),
        })
        .collect();
    view.breadcrumbs = event
        .breadcrumbs
        .into_iter()
        .rev()
        .take(50)
        .map(|b| CrumbView {
            time: b.timestamp_ms.map(HtmlTime),
            category: b.category.or(b.ty).unwrap_or_default(),
            level: b.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
            message: b.message.unwrap_or_default(),
        })
        .collect();
    if let Some(request) = event.request {
        view.request_line = format!(
            "{} {}",
            request.method.unwrap_or_default(),
            request.url.unwrap_or_default()
        )
        .trim()
        .to_string();
        view.request_headers = pairs(request.headers);
        view.request_query = pairs(request.query);
    }
    if let Some(user) = event.user {
        let fields = [
            ("id", user.id),
            ("email", user.email),
            ("username", user.username),
            ("ip address", user.ip_address),
        ];
        view.user = fields
            .into_iter()
            .filter_map(|(k, v)| {
                v.map(|value| Pair {
                    key: k.to_string(),
                    value,
                })
            })
            .collect();
    }
    view.sdk = event
        .sdk
        .map(|s| format!("{} {}", s.name, s.version))
        .unwrap_or_default();
}

fn pairs(list: Vec<(String, String)>) -> Vec<Pair> {
    list.into_iter()
        .map(|(key, value)| Pair { key, value })
        .collect()
}

fn frame_view(frame: Frame) -> FrameView {
    let file = frame
        .filename
        .clone()
        .or(frame.abs_path.clone())
        .or(frame.module.clone())
        .or(frame.package.clone())
        .unwrap_or_else(|| frame.instruction_addr.clone().unwrap_or_else(|| "?".into()));
    let location = match (frame.lineno, frame.colno) {
        (Some(line), Some(col)) => format!("{file}:{line}:{col}"),
        (Some(line), None) => format!("{file}:{line}"),
        _ => file,
    };
    let lineno = frame.lineno.map(i64::from);
    let numbered = |offset: i64, text: String| ContextLine {
        number: lineno.map(|n| (n + offset).to_string()).unwrap_or_default(),
        text,
    };
    let pre_len = frame.pre_context.len() as i64;
    FrameView {
        location,
        function: frame.function.unwrap_or_default(),
        in_app: frame.in_app.unwrap_or(false),
        pre: frame
            .pre_context
            .into_iter()
            .enumerate()
            .map(|(i, text)| numbered(i as i64 - pre_len, text))
            .collect(),
        line: frame.context_line.map(|text| numbered(0, text)),
        post: frame
            .post_context
            .into_iter()
            .enumerate()
            .map(|(i, text)| numbered(i as i64 + 1, text))
            .collect(),
    }
}
