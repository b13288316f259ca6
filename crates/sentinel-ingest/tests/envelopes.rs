//! Envelope and store-body behaviour at the edges: ids, limits, item types, errors.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::RECEIVED_MS;
use sentinel_core::checkin::CheckInStatus;
use sentinel_core::event::EventKind;
use sentinel_ingest::limits::{MAX_DECOMPRESSED, MAX_EVENT_ITEM};
use sentinel_ingest::{decode::decode_body, read_envelope, read_store_payload, IngestError};
use std::io::Write;

fn item(header: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = header.as_bytes().to_vec();
    out.push(b'\n');
    out.extend_from_slice(payload);
    out.push(b'\n');
    out
}

#[test]
fn the_envelope_header_event_id_wins_over_the_payload() {
    let mut body =
        b"{\"event_id\":\"AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA\",\"dsn\":\"https://k@h/1\"}\n"
            .to_vec();
    body.extend(item(
        r#"{"type":"event"}"#,
        br#"{"event_id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","message":"x"}"#,
    ));
    let batch = read_envelope(&body, RECEIVED_MS).unwrap();
    assert_eq!(batch.events[0].event_id, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(batch.dsn.as_deref(), Some("https://k@h/1"));
}

#[test]
fn events_without_ids_get_fresh_distinct_ones() {
    let mut body = b"{}\n".to_vec();
    body.extend(item(r#"{"type":"event"}"#, br#"{"message":"a"}"#));
    body.extend(item(
        r#"{"type":"event"}"#,
        br#"{"message":"b","event_id":"not-an-id"}"#,
    ));
    let batch = read_envelope(&body, RECEIVED_MS).unwrap();
    let ids: Vec<&str> = batch.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids
        .iter()
        .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    assert!(batch.events.iter().all(|e| e.timestamp_ms == RECEIVED_MS));
}

#[test]
fn non_event_items_are_counted_not_processed() {
    let mut body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n".to_vec();
    for ty in [
        "session",
        "sessions",
        "client_report",
        "attachment",
        "attachment",
        "feedback",
        "statsd",
        "log",
        "span",
        "profile",
        "replay_event",
        "something_new",
    ] {
        body.extend(item(&format!(r#"{{"type":"{ty}"}}"#), b"{}"));
    }
    body.extend(item(
        r#"{"type":"transaction"}"#,
        br#"{"transaction":"GET /x","start_timestamp":1.0,"timestamp":1.5}"#,
    ));
    let batch = read_envelope(&body, RECEIVED_MS).unwrap();
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.events[0].kind, EventKind::Transaction);
    assert_eq!(batch.events[0].duration_ms, Some(500.0));
    assert_eq!(batch.skipped.get("attachment"), Some(&2));
    assert_eq!(batch.skipped.get("something_new"), Some(&1));
    assert_eq!(batch.skipped.values().sum::<u32>(), 12);
}

#[test]
fn check_ins_are_read_from_envelopes() {
    let mut body = b"{}\n".to_vec();
    body.extend(item(
        r#"{"type":"check_in"}"#,
        br#"{"check_in_id":"83a7c0d23c2e4a3f9e1b2f4b6d8e0a1c","monitor_slug":"nightly","status":"error","duration":2.0,"environment":"prod","monitor_config":{"schedule":{"type":"crontab","value":"0 3 * * *"}}}"#,
    ));
    let batch = read_envelope(&body, RECEIVED_MS).unwrap();
    assert!(batch.events.is_empty());
    assert_eq!(batch.check_ins.len(), 1);
    assert_eq!(batch.check_ins[0].status, CheckInStatus::Error);
    assert_eq!(batch.check_ins[0].duration_ms, Some(2000.0));
    assert_eq!(batch.check_ins[0].monitor_slug, "nightly");
}

#[test]
fn oversized_event_items_are_refused_as_too_large() {
    let big = format!(r#"{{"message":"{}"}}"#, "x".repeat(MAX_EVENT_ITEM));
    for header in [
        format!(r#"{{"type":"event","length":{}}}"#, big.len()),
        r#"{"type":"event"}"#.to_string(),
    ] {
        let mut body = b"{}\n".to_vec();
        body.extend(item(&header, big.as_bytes()));
        assert!(matches!(
            read_envelope(&body, RECEIVED_MS),
            Err(IngestError::ItemTooLarge { ref item_type, limit: MAX_EVENT_ITEM, .. }) if item_type == "event"
        ));
    }
    assert!(matches!(
        read_store_payload(big.as_bytes(), RECEIVED_MS),
        Err(IngestError::ItemTooLarge { .. })
    ));
    // A big attachment is fine: only event items have this limit.
    let mut body = b"{}\n".to_vec();
    body.extend(item(
        &format!(r#"{{"type":"attachment","length":{}}}"#, big.len()),
        big.as_bytes(),
    ));
    assert!(read_envelope(&body, RECEIVED_MS).is_ok());
}

#[test]
fn malformed_bodies_are_refused_as_malformed() {
    let mut bad_event = b"{}\n".to_vec();
    bad_event.extend(item(r#"{"type":"event"}"#, b"{not json"));
    let mut array_event = b"{}\n".to_vec();
    array_event.extend(item(r#"{"type":"event"}"#, b"[1,2]"));
    let mut bad_check_in = b"{}\n".to_vec();
    bad_check_in.extend(item(r#"{"type":"check_in"}"#, br#"{"status":"ok"}"#));
    for body in [
        &b""[..],
        b"not an envelope",
        b"{}\n{\"type\":\"event\",\"length\":100}\n{}",
        &bad_event,
        &array_event,
        &bad_check_in,
    ] {
        assert!(
            matches!(
                read_envelope(body, RECEIVED_MS),
                Err(IngestError::Malformed(_))
            ),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    for body in [&b""[..], b"[]", b"{", b"\xff\xfe", b"null"] {
        assert!(matches!(
            read_store_payload(body, RECEIVED_MS),
            Err(IngestError::Malformed(_))
        ));
    }
}

#[test]
fn legacy_base64_zlib_store_bodies_are_read() {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(br#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"old raven"}"#)
        .unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(zlib.finish().unwrap());
    let batch = read_store_payload(body.as_bytes(), RECEIVED_MS).unwrap();
    assert_eq!(
        batch.events[0].message.as_ref().unwrap().formatted,
        "old raven"
    );
}

#[test]
fn a_gzipped_envelope_decodes_and_reads() {
    let mut body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n".to_vec();
    body.extend(item(
        r#"{"type":"event"}"#,
        br#"{"exception":{"values":[{"type":"KeyError","value":"'id'"}]}}"#,
    ));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    let decoded = decode_body(Some("gzip"), &gz.finish().unwrap(), MAX_DECOMPRESSED).unwrap();
    let batch = read_envelope(&decoded, RECEIVED_MS).unwrap();
    assert_eq!(batch.events[0].exceptions[0].ty, "KeyError");
}
