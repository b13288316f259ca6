//! Sentry event interfaces: exceptions with their stack frames, breadcrumbs, request, user.
//!
//! Each reader takes the JSON value of one interface and returns the core type, accepting
//! the variants SDKs send (bare lists instead of `{values}`, numbers as strings, headers as
//! pairs) and skipping entries that are not objects.

pub use crate::frames::MAX_FRAMES;
use crate::frames::{RawException, RawExceptions, StackFrames};
use crate::values::{
    boolean, cookie_pairs, data_map, display, field, pairs, query_pairs, take, take_text,
    text_field, timestamp_ms, values_list,
};
use sentinel_core::event::{Breadcrumb, Exception, Frame, Level, Mechanism, Request, User};
use serde::Deserialize;
use serde_json::Value;

/// The exception chain from `exception`, oldest cause first. Exceptions without frames take
/// the stack of their thread from `threads`, when the SDK put it there.
pub fn exceptions(exception: Option<RawExceptions>, threads: Option<Value>) -> Vec<Exception> {
    let mut threads = values_list(threads);
    exception
        .map(|list| list.0)
        .unwrap_or_default()
        .into_iter()
        .map(|raw| {
            let thread_id = raw.thread_id.as_ref().map(display);
            let mut exception = read_exception(raw);
            if exception.frames.is_empty() {
                if let Some(thread_id) = thread_id {
                    exception.frames = thread_frames(&mut threads, &thread_id);
                }
            }
            exception
        })
        .collect()
}

fn read_exception(raw: RawException) -> Exception {
    let mechanism = raw
        .mechanism
        .as_ref()
        .filter(|m| m.is_object())
        .map(|m| Mechanism {
            ty: text_field(m, "type").unwrap_or_default(),
            handled: field(m, "handled").and_then(boolean),
            synthetic: field(m, "synthetic").and_then(boolean).unwrap_or(false),
        });
    Exception {
        ty: raw.ty.0.unwrap_or_default(),
        value: raw.value.as_ref().map(display).filter(|v| !v.is_empty()),
        module: raw.module.0,
        mechanism,
        frames: raw
            .stacktrace
            .or(raw.raw_stacktrace)
            .map(|stack| stack.0)
            .unwrap_or_default(),
    }
}

fn thread_frames(threads: &mut [Value], thread_id: &str) -> Vec<Frame> {
    threads
        .iter_mut()
        .find(|thread| field(thread, "id").map(display).as_deref() == Some(thread_id))
        .map(|thread| stack_frames(take(thread, "stacktrace")))
        .unwrap_or_default()
}

/// Frames of a `stacktrace` object (or a bare frame list) held as a value, oldest first.
pub fn stack_frames(stacktrace: Option<Value>) -> Vec<Frame> {
    stacktrace
        .and_then(|value| StackFrames::deserialize(value).ok())
        .map(|stack| stack.0)
        .unwrap_or_default()
}

/// Breadcrumbs from `{values}` or a bare list.
pub fn breadcrumbs(value: Option<Value>) -> Vec<Breadcrumb> {
    values_list(value)
        .into_iter()
        .filter(Value::is_object)
        .map(|mut crumb| Breadcrumb {
            timestamp_ms: field(&crumb, "timestamp").and_then(timestamp_ms),
            ty: take_text(&mut crumb, "type"),
            category: take_text(&mut crumb, "category"),
            message: field(&crumb, "message")
                .map(display)
                .filter(|m| !m.is_empty()),
            level: text_field(&crumb, "level").map(|l| Level::parse_lenient(&l)),
            data: data_map(take(&mut crumb, "data")),
        })
        .collect()
}

/// The `request` interface.
pub fn request(value: Option<Value>) -> Option<Request> {
    let mut value = value.filter(Value::is_object)?;
    let mut headers = field(&value, "headers").map(pairs).unwrap_or_default();
    let mut cookies = field(&value, "cookies")
        .map(cookie_pairs)
        .unwrap_or_default();
    if cookies.is_empty() {
        if let Some((_, header)) = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        {
            cookies = cookie_pairs(&Value::String(header.clone()));
        }
    }
    headers.retain(|(k, _)| !k.is_empty());
    cookies.retain(|(k, _)| !k.is_empty());
    Some(Request {
        url: take_text(&mut value, "url"),
        method: text_field(&value, "method").map(|m| m.to_ascii_uppercase()),
        headers,
        query: field(&value, "query_string")
            .map(query_pairs)
            .unwrap_or_default(),
        data: take(&mut value, "data"),
        cookies,
        env: data_map(take(&mut value, "env")),
    })
}

/// The `user` interface; ids are kept as text whether sent as number or string.
pub fn user(value: Option<Value>) -> Option<User> {
    let Some(Value::Object(mut map)) = value else {
        return None;
    };
    let mut take_user_text = |key: &str| map.remove(key).and_then(crate::values::into_text);
    let id = take_user_text("id");
    let email = take_user_text("email");
    let username = take_user_text("username");
    let ip_address = take_user_text("ip_address");
    let user = User {
        id,
        email,
        username,
        ip_address,
        other: map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
    };
    let empty = user.id.is_none()
        && user.email.is_none()
        && user.username.is_none()
        && user.ip_address.is_none()
        && user.other.is_empty();
    (!empty).then_some(user)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn raw(value: Value) -> RawExceptions {
        RawExceptions::deserialize(value).unwrap()
    }

    #[test]
    fn exceptions_in_every_container_shape() {
        let one = json!({"type": "E", "value": "v", "stacktrace": {"frames": [{"function": "f", "lineno": "12", "in_app": true}]}});
        for container in [
            json!({"values": [one.clone()]}),
            json!([one.clone()]),
            one.clone(),
        ] {
            let parsed = exceptions(Some(raw(container)), None);
            assert_eq!(parsed.len(), 1);
            assert_eq!(parsed[0].ty, "E");
            assert_eq!(parsed[0].frames[0].lineno, Some(12));
            assert_eq!(parsed[0].frames[0].in_app, Some(true));
        }
        assert!(exceptions(Some(raw(json!([]))), None).is_empty());
        assert!(exceptions(Some(raw(json!("nonsense"))), None).is_empty());
    }

    #[test]
    fn exceptions_take_frames_from_their_thread() {
        let threads =
            json!({"values": [{"id": 7, "stacktrace": {"frames": [{"function": "run"}]}}]});
        let parsed = exceptions(
            Some(raw(json!([{"type": "E", "thread_id": 7}]))),
            Some(threads),
        );
        assert_eq!(parsed[0].frames[0].function.as_deref(), Some("run"));
    }

    #[test]
    fn long_stacks_keep_both_ends() {
        let frames: Vec<Value> = (0..1000)
            .map(|i| json!({"function": format!("f{i}")}))
            .collect();
        let parsed = stack_frames(Some(json!({ "frames": frames })));
        assert_eq!(parsed.len(), MAX_FRAMES);
        assert_eq!(parsed[0].function.as_deref(), Some("f0"));
        assert_eq!(parsed[MAX_FRAMES - 1].function.as_deref(), Some("f999"));
    }

    #[test]
    fn request_and_user_variants() {
        let parsed = request(Some(json!({
            "url": "http://x/y", "method": "post",
            "headers": [["Cookie", "sid=1; a=2"], ["Accept", "*/*"]],
            "query_string": [["q", "1"]],
            "data": {"k": "v"}
        })));
        let Some(parsed) = parsed else {
            panic!("request expected")
        };
        assert_eq!(parsed.method.as_deref(), Some("POST"));
        assert_eq!(parsed.headers.len(), 2);
        assert_eq!(parsed.cookies[0], ("sid".into(), "1".into()));
        assert_eq!(parsed.query[0], ("q".into(), "1".into()));
        let user = user(Some(json!({"id": 42, "segment": "paid", "geo": null})));
        assert_eq!(user.as_ref().and_then(|u| u.id.as_deref()), Some("42"));
        assert_eq!(user.map(|u| u.other.len()), Some(1));
        assert_eq!(super::user(Some(json!({}))), None);
    }
}
