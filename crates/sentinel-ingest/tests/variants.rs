//! The real-world variants of Sentry event payloads, each read into the same core values.
#![allow(clippy::unwrap_used)]

mod common;

use common::RECEIVED_MS;
use sentinel_core::event::Event;
use sentinel_ingest::read_store_payload;
use serde_json::{json, Value};

fn read(payload: Value) -> Event {
    let bytes = serde_json::to_vec(&payload).unwrap();
    read_store_payload(&bytes, RECEIVED_MS)
        .unwrap()
        .events
        .remove(0)
}

#[test]
fn tags_as_object_or_list_of_pairs() {
    let expected = vec![
        ("browser".to_string(), "Firefox".to_string()),
        ("code".to_string(), "7".to_string()),
    ];
    assert_eq!(
        read(json!({"tags": {"browser": "Firefox", "code": 7}})).tags,
        expected
    );
    assert_eq!(
        read(json!({"tags": [["browser", "Firefox"], ["code", 7]]})).tags,
        expected
    );
}

#[test]
fn user_ids_as_numbers_or_strings() {
    for id in [json!(42), json!("42")] {
        let event = read(json!({"user": {"id": id, "email": "a@b.c", "ip_address": "{{auto}}"}}));
        assert_eq!(event.user.unwrap().id.as_deref(), Some("42"));
    }
}

#[test]
fn line_numbers_as_strings_or_numbers() {
    for lineno in [json!("17"), json!(17)] {
        let event = read(
            json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"function": "f", "lineno": lineno, "colno": "3"}]}}]}}),
        );
        let frame = &event.exceptions[0].frames[0];
        assert_eq!((frame.lineno, frame.colno), (Some(17), Some(3)));
    }
}

#[test]
fn headers_as_object_or_list() {
    for headers in [
        json!({"Accept": "text/html"}),
        json!([["Accept", "text/html"]]),
    ] {
        let event = read(json!({"request": {"headers": headers}}));
        assert_eq!(
            event.request.unwrap().headers,
            vec![("Accept".to_string(), "text/html".to_string())]
        );
    }
}

#[test]
fn query_strings_as_string_list_or_object() {
    let expected = vec![
        ("q".to_string(), "a b".to_string()),
        ("page".to_string(), "2".to_string()),
    ];
    for query in [
        json!("q=a%20b&page=2"),
        json!([["q", "a b"], ["page", "2"]]),
        json!({"q": "a b", "page": 2}),
    ] {
        let event = read(json!({"request": {"query_string": query}}));
        let mut actual = event.request.unwrap().query;
        let mut wanted = expected.clone();
        actual.sort();
        wanted.sort();
        assert_eq!(actual, wanted);
    }
}

#[test]
fn cookies_as_string_or_object() {
    for cookies in [
        json!("sid=abc; theme=dark"),
        json!({"sid": "abc", "theme": "dark"}),
    ] {
        let event = read(json!({"request": {"cookies": cookies}}));
        let cookies = event.request.unwrap().cookies;
        assert!(cookies.contains(&("sid".to_string(), "abc".to_string())));
        assert_eq!(cookies.len(), 2);
    }
}

#[test]
fn messages_as_string_or_logentry() {
    assert_eq!(
        read(json!({"message": "plain"})).message.unwrap().formatted,
        "plain"
    );
    let entry = read(json!({"logentry": {"message": "User %s failed", "params": ["bob"]}}))
        .message
        .unwrap();
    assert_eq!(
        (entry.formatted.as_str(), entry.template.as_deref()),
        ("User bob failed", Some("User %s failed"))
    );
    let formatted =
        read(json!({"logentry": {"formatted": "User bob failed", "message": "User %s failed"}}))
            .message
            .unwrap();
    assert_eq!(formatted.formatted, "User bob failed");
    assert_eq!(formatted.template.as_deref(), Some("User %s failed"));
    let object = read(json!({"message": {"message": "Here is {x}", "params": {"x": 1}}}))
        .message
        .unwrap();
    assert_eq!(object.formatted, "Here is 1");
}

#[test]
fn exceptions_as_values_bare_list_or_single_object() {
    let one = json!({"type": "ValueError", "value": "bad", "mechanism": {"type": "generic", "handled": false}});
    for exception in [
        json!({"values": [one.clone()]}),
        json!([one.clone()]),
        one.clone(),
    ] {
        let event = read(json!({ "exception": exception }));
        assert_eq!(event.exceptions.len(), 1);
        assert_eq!(event.exceptions[0].ty, "ValueError");
        assert_eq!(
            event.exceptions[0].mechanism.as_ref().unwrap().handled,
            Some(false)
        );
    }
    let chained =
        read(json!({"exception": {"values": [{"type": "KeyError"}, {"type": "RuntimeError"}]}}));
    assert_eq!(chained.main_exception().unwrap().ty, "RuntimeError");
}

#[test]
fn timestamps_as_numbers_or_rfc3339_or_missing() {
    assert_eq!(
        read(json!({"timestamp": 1_700_000_001.5})).timestamp_ms,
        1_700_000_001_500
    );
    assert_eq!(
        read(json!({"timestamp": "2023-11-14T22:13:21.500Z"})).timestamp_ms,
        1_700_000_001_500
    );
    assert_eq!(
        read(json!({"timestamp": "2023-11-14T22:13:21.500"})).timestamp_ms,
        1_700_000_001_500
    );
    assert_eq!(read(json!({})).timestamp_ms, RECEIVED_MS);
    assert_eq!(
        read(json!({"timestamp": "garbage"})).timestamp_ms,
        RECEIVED_MS
    );
}

#[test]
fn breadcrumbs_as_values_or_list() {
    let crumb = json!({"timestamp": 1_700_000_000, "category": "http", "message": "GET /", "level": "warning", "data": {"status_code": 500}});
    for crumbs in [json!({"values": [crumb.clone()]}), json!([crumb.clone()])] {
        let event = read(json!({ "breadcrumbs": crumbs }));
        assert_eq!(event.breadcrumbs.len(), 1);
        assert_eq!(event.breadcrumbs[0].timestamp_ms, Some(1_700_000_000_000));
        assert_eq!(event.breadcrumbs[0].category.as_deref(), Some("http"));
    }
}

#[test]
fn contexts_with_nulls_and_derived_fields() {
    let event = read(json!({
        "contexts": {"os": null, "runtime": {"name": "CPython", "version": null}, "trace": {"trace_id": "6A02AC9D014E460DBB1D7F279ECAEE07", "span_id": "8cdb9895997a50f3"}, "response": {"status_code": "503"}},
        "transaction": "/api/orders/{id}"
    }));
    assert!(!event.contexts.contains_key("os"));
    assert!(event.contexts.contains_key("runtime"));
    assert_eq!(
        event.trace_id.as_deref(),
        Some("6a02ac9d014e460dbb1d7f279ecaee07")
    );
    assert_eq!(event.http_status, Some(503));
    assert_eq!(event.route.as_deref(), Some("/api/orders/{id}"));
    let tagged = read(json!({"tags": [["http.status_code", "429"]]}));
    assert_eq!(tagged.http_status, Some(429));
}

#[test]
fn empty_fingerprints_mean_default_grouping() {
    assert_eq!(read(json!({"fingerprint": []})).fingerprint, None);
    assert_eq!(
        read(json!({"fingerprint": ["a", 1]})).fingerprint,
        Some(vec!["a".to_string(), "1".to_string()])
    );
}

#[test]
fn wrong_types_in_optional_fields_are_ignored() {
    let event = read(json!({
        "level": 5, "tags": "nope", "user": [], "request": "x", "breadcrumbs": 3,
        "exception": {"values": "x"}, "contexts": [], "extra": "y", "sdk": 1, "fingerprint": {},
        "release": 12, "environment": null
    }));
    assert_eq!(event.release.as_deref(), Some("12"));
    assert!(event.tags.is_empty() && event.exceptions.is_empty() && event.user.is_none());
}
