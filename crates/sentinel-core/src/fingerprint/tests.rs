//! Grouping rules, each shown to merge what is the same bug and split what is not.
use super::*;
use crate::event::{Mechanism, Message};

fn frame(module: &str, function: &str, line: u32, in_app: bool) -> Frame {
    Frame {
        module: Some(module.into()),
        function: Some(function.into()),
        filename: Some(format!("/srv/app/{}.py", module.replace('.', "/"))),
        lineno: Some(line),
        in_app: Some(in_app),
        ..Frame::default()
    }
}

fn event(ty: &str, value: &str, frames: Vec<Frame>) -> Event {
    Event {
        exceptions: vec![Exception {
            ty: ty.into(),
            value: Some(value.into()),
            frames,
            ..Exception::default()
        }],
        ..Event::default()
    }
}

fn call_path(line: u32) -> Vec<Frame> {
    vec![
        frame("django.core.handlers.base", "_get_response", 10, false),
        frame("app.views", "checkout", line, true),
        frame("app.billing", "charge", line + 7, true),
    ]
}

fn hash(event: &Event) -> String {
    fingerprint(event, "shop").hash
}

#[test]
fn same_bug_from_moved_lines_and_other_values_groups_together() {
    let a = event("ZeroDivisionError", "division by zero", call_path(10));
    let mut b = event("ZeroDivisionError", "order 42 failed", call_path(99));
    b.release = Some("2.0".into());
    b.exceptions[0].frames[0].lineno = Some(500);
    assert_eq!(hash(&a), hash(&b));
    assert_eq!(hash(&a).len(), 64);
    assert_eq!(fingerprint(&a, "shop").version, GROUPING_VERSION);
}

#[test]
fn other_type_or_other_in_app_path_splits() {
    let a = event("ZeroDivisionError", "x", call_path(10));
    let other_type = event("KeyError", "x", call_path(10));
    assert_ne!(hash(&a), hash(&other_type));
    let mut other_path = call_path(10);
    other_path[1].function = Some("refund".into());
    assert_ne!(hash(&a), hash(&event("ZeroDivisionError", "x", other_path)));
    // Library frames do not count when in-app frames exist.
    let mut other_library = call_path(10);
    other_library[0].function = Some("get_response_async".into());
    assert_eq!(
        hash(&a),
        hash(&event("ZeroDivisionError", "x", other_library))
    );
}

#[test]
fn sdk_fingerprint_wins_and_default_expands() {
    let mut a = event("ZeroDivisionError", "x", call_path(10));
    let mut b = event("KeyError", "y", call_path(20));
    a.fingerprint = Some(vec!["payments-down".into()]);
    b.fingerprint = Some(vec!["payments-down".into()]);
    assert_eq!(hash(&a), hash(&b));

    let plain = event("ZeroDivisionError", "x", call_path(10));
    let mut with_default = plain.clone();
    with_default.fingerprint = Some(vec!["{{ default }}".into(), "eu".into()]);
    let mut other_region = plain.clone();
    other_region.fingerprint = Some(vec!["{{default}}".into(), "us".into()]);
    assert_ne!(hash(&with_default), hash(&other_region));
    let input = grouping_input(&with_default, "shop");
    assert_eq!(input.basis, GroupingBasis::Custom);
    assert_eq!(input.components[0], format!("fingerprint={}", hash(&plain)));

    let mut empty = plain.clone();
    empty.fingerprint = Some(vec![]);
    assert_eq!(hash(&empty), hash(&plain));
}

#[test]
fn messages_group_by_template_or_normalised_text() {
    let message = |formatted: &str, template: Option<&str>| Event {
        message: Some(Message {
            formatted: formatted.into(),
            template: template.map(String::from),
            params: vec![],
        }),
        ..Event::default()
    };
    assert_eq!(
        hash(&message("User 17 not found", None)),
        hash(&message("User 4242 not found", None))
    );
    assert_eq!(
        hash(&message("User bob not found", Some("User %s not found"))),
        hash(&message("User alice not found", Some("User %s not found")))
    );
    assert_ne!(
        hash(&message("User 17 not found", None)),
        hash(&message("Disk 17 full", None))
    );
    assert_eq!(
        grouping_input(&message("x", None), "s").basis,
        GroupingBasis::Message
    );
}

#[test]
fn events_without_exception_or_message_group_by_route_and_status() {
    let span = |route: &str, status: u16, service: &str| {
        fingerprint(
            &Event {
                route: Some(route.into()),
                http_status: Some(status),
                ..Event::default()
            },
            service,
        )
        .hash
    };
    assert_eq!(
        span("/api/users/1", 502, "a"),
        span("/api/users/2", 502, "a")
    );
    assert_ne!(
        span("/api/users/1", 502, "a"),
        span("/api/users/1", 503, "a")
    );
    assert_ne!(
        span("/api/users/1", 502, "a"),
        span("/api/users/1", 502, "b")
    );
    assert_ne!(
        span("/api/users/1", 502, "a"),
        span("/api/orders/1", 502, "a")
    );
}

#[test]
fn synthetic_types_and_recursion_do_not_count() {
    let mut a = event("SIGSEGV", "x", call_path(1));
    let mut b = event("SIGBUS", "x", call_path(1));
    for e in [&mut a, &mut b] {
        e.exceptions[0].mechanism = Some(Mechanism {
            ty: "signalhandler".into(),
            handled: Some(false),
            synthetic: true,
        });
    }
    assert_eq!(hash(&a), hash(&b));

    let deep = |depth: usize| {
        let mut frames = call_path(1);
        for _ in 0..depth {
            frames.push(frame("app.tree", "walk", 3, true));
        }
        event("RecursionError", "x", frames)
    };
    assert_eq!(hash(&deep(10)), hash(&deep(900)));
}

#[test]
fn minified_bundles_with_new_hashes_group_together() {
    let js = |bundle: &str, line: u32| {
        let frames = ["render", "onClick"]
            .iter()
            .map(|function| Frame {
                filename: Some(format!("https://cdn.example.com/static/js/{bundle}")),
                function: Some((*function).into()),
                lineno: Some(1),
                colno: Some(line),
                in_app: Some(true),
                ..Frame::default()
            })
            .collect();
        event("TypeError", "x is undefined", frames)
    };
    assert_eq!(
        hash(&js("main.3f2a1b9c.js", 100)),
        hash(&js("main.9e8d7c6b.js", 4711))
    );
    assert_ne!(
        hash(&js("main.3f2a1b9c.js", 100)),
        hash(&js("admin.3f2a1b9c.js", 100))
    );
}

#[test]
fn exceptions_without_frames_use_their_normalised_value() {
    let a = event("ValueError", "bad id 17", vec![]);
    let b = event("ValueError", "bad id 99", vec![]);
    let c = event("ValueError", "empty name", vec![]);
    assert_eq!(hash(&a), hash(&b));
    assert_ne!(hash(&a), hash(&c));
}

#[test]
fn trace_event_ids_are_one_per_trace_and_incident() {
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let trace = "5b8efff798038103d269b633813fc60c";
    let id = trace_event_id(trace, &a);
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        id,
        trace_event_id(trace, &a),
        "the same failure in one trace"
    );
    assert_ne!(
        id,
        trace_event_id(trace, &b),
        "another incident in the trace"
    );
    assert_ne!(
        id,
        trace_event_id("00000000000000000000000000000001", &a),
        "the same failure in another trace"
    );
}
