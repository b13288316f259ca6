//! Secrets placed in every part of a real-shaped payload are gone after scrubbing.
#![allow(clippy::unwrap_used)]

mod common;

use common::RECEIVED_MS;
use sentinel_core::scrub::Scrubber;
use sentinel_ingest::read_envelope;
use serde_json::json;

const PASSWORD: &str = "hunter2-Correct-Horse";
const BEARER: &str = "9f8e7d6c5b4a39281706aabbccdd";
const API_KEY: &str = "sk_live_51HxYzABCDEF0123456789";
const COOKIE: &str = "s3ss10nV4lue99xyz";
const CARD: &str = "4111 1111 1111 1111";

/// One line of text that carries all five secrets the way they show up in logs.
fn secret_text() -> String {
    format!("login failed password={PASSWORD} auth Bearer {BEARER} key {API_KEY} Cookie: sessionid={COOKIE}; card {CARD}")
}

/// A map that carries all five secrets under the names applications use.
fn secret_map() -> serde_json::Value {
    json!({
        "password": PASSWORD,
        "Authorization": format!("Bearer {BEARER}"),
        "api_key": API_KEY,
        "cookie": format!("sessionid={COOKIE}"),
        "card_number": CARD,
        "note": secret_text(),
        "nested": {"db_password": PASSWORD, "list": [secret_text()]}
    })
}

#[test]
fn secrets_in_every_place_are_absent_after_scrubbing() {
    let text = secret_text();
    let map = secret_map();
    let payload = json!({
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
        "logentry": {"message": text, "params": [text, map]},
        "exception": {"values": [{
            "type": "AuthError",
            "value": text,
            "stacktrace": {"frames": [{
                "function": "login", "module": "app.auth", "in_app": true,
                "vars": map, "context_line": "    check(password)"
            }]}
        }]},
        "request": {
            "url": format!("https://api.example.com/login?password={PASSWORD}&token={BEARER}"),
            "method": "POST",
            "headers": [["Authorization", format!("Bearer {BEARER}")], ["Cookie", format!("sessionid={COOKIE}")], ["X-Api-Key", API_KEY], ["X-Note", text]],
            "query_string": format!("password={PASSWORD}&api_key={API_KEY}&card={CARD}&q=ok"),
            "data": {"form": map, "raw": text},
            "cookies": {"sessionid": COOKIE, "csrftoken": COOKIE},
            "env": {"REMOTE_ADDR": "10.0.0.1", "HTTP_AUTHORIZATION": format!("Bearer {BEARER}"), "NOTE": text}
        },
        "breadcrumbs": {"values": [{"message": text, "category": "http", "data": map}]},
        "extra": {"payload": map, "text": text},
        "contexts": {"app": map, "custom": {"note": text}},
        "tags": {"note": text, "password": PASSWORD, "api_key": API_KEY, "session": COOKIE},
        "user": {"id": "user-7", "username": text, "email": text, "ip_address": "10.0.0.1", "secret_answer": PASSWORD, "note": text}
    });
    let mut body = b"{}\n{\"type\":\"event\"}\n".to_vec();
    body.extend(serde_json::to_vec(&payload).unwrap());
    let mut event = read_envelope(&body, RECEIVED_MS).unwrap().events.remove(0);

    let before = serde_json::to_string(&event).unwrap();
    for secret in [PASSWORD, BEARER, API_KEY, COOKIE, CARD] {
        assert!(
            before.contains(secret),
            "the test must place {secret} before scrubbing"
        );
    }

    Scrubber::default().scrub(&mut event);
    let after = serde_json::to_string(&event).unwrap();
    for secret in [PASSWORD, BEARER, API_KEY, COOKIE, CARD, "4111111111111111"] {
        assert!(
            !after.contains(secret),
            "{secret} survived scrubbing:\n{after}"
        );
    }
    // What is not secret stays readable.
    assert_eq!(event.user.as_ref().unwrap().id.as_deref(), Some("user-7"));
    assert_eq!(event.exceptions[0].ty, "AuthError");
    assert!(after.contains("login failed"));
    assert!(after.contains("\"q\",\"ok\""));
    assert!(after.contains("[Filtered]"));
}

#[test]
fn organisation_patterns_scrub_their_own_identifiers() {
    let payload = json!({"message": "customer CUST-884422 could not pay", "tags": {"customer": "CUST-884422"}});
    let mut body = b"{}\n{\"type\":\"event\"}\n".to_vec();
    body.extend(serde_json::to_vec(&payload).unwrap());
    let mut event = read_envelope(&body, RECEIVED_MS).unwrap().events.remove(0);
    Scrubber::with_patterns(&[r"CUST-\d+".to_string()])
        .unwrap()
        .scrub(&mut event);
    let after = serde_json::to_string(&event).unwrap();
    assert!(!after.contains("884422"), "{after}");
    assert!(after.contains("could not pay"));
}
