//! No input makes the edge panic: random bytes and mutated real envelopes go through every
//! entry point and come back as values or errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use sentinel_core::scrub::Scrubber;
use sentinel_core::{classify, fingerprint};
use sentinel_ingest::decode::decode_body;
use sentinel_ingest::native::parse_native_event;
use sentinel_ingest::{envelope, read_envelope, read_store_payload};

/// Real envelopes, in wire format, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for folder in ["envelopes", "transactions", "incoming_events"] {
        for path in fixture_files(folder) {
            let value = json_file(&path);
            if value.is_array() {
                seeds.push(envelope_from_array(&value, Framing::WithLength, true));
                seeds.push(envelope_from_array(&value, Framing::WithoutLength, false));
            } else {
                let mut body = b"{}\n{\"type\":\"event\"}\n".to_vec();
                body.extend(serde_json::to_vec(&value).unwrap());
                seeds.push(body);
            }
        }
    }
    seeds
}

/// Everything downstream of parsing must cope with whatever parsing produced.
fn exercise(bytes: &[u8]) {
    let _ = envelope::parse(bytes);
    let batches = [
        read_envelope(bytes, RECEIVED_MS),
        read_store_payload(bytes, RECEIVED_MS),
    ];
    for batch in batches.into_iter().flatten() {
        for mut event in batch.events {
            Scrubber::default().scrub(&mut event);
            let _ = fingerprint::fingerprint(&event, "svc");
            let _ = classify::title(&event);
            let _ = classify::culprit(&event);
            let _ = classify::error_class(&event);
        }
    }
    let _ = parse_native_event(bytes, RECEIVED_MS);
    for encoding in ["gzip", "deflate", "br", "zstd", "identity"] {
        let _ = decode_body(Some(encoding), bytes, 64 * 1024);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, value: u8 },
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Truncate { at: usize },
    Duplicate { from: usize, len: usize, at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Flip { at, value }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                Just(b"\n".to_vec()),
                Just(b"{".to_vec()),
                Just(b"\"length\":999999,".to_vec()),
                Just(b"null".to_vec()),
                Just(b"[[[[[[[[[[[[[[[[".to_vec()),
                proptest::collection::vec(any::<u8>(), 1..16),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 1usize..256, any::<usize>())
            .prop_map(|(from, len, at)| Mutation::Duplicate { from, len, at }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let n = bytes.len().max(1);
    match mutation {
        Mutation::Flip { at, value } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b = *value;
            }
        }
        Mutation::Delete { at, len } => {
            let start = at % n;
            let end = (start + len).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Mutation::Insert { at, bytes: insert } => {
            let at = (at % n).min(bytes.len());
            bytes.splice(at..at, insert.iter().copied());
        }
        Mutation::Truncate { at } => bytes.truncate(at % n),
        Mutation::Duplicate { from, len, at } => {
            let start = from % n;
            let end = (start + len).min(bytes.len());
            let chunk: Vec<u8> = bytes.get(start..end).unwrap_or(&[]).to_vec();
            let at = (at % n).min(bytes.len());
            bytes.splice(at..at, chunk);
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }

    #[test]
    fn random_envelope_shaped_text_never_panics(
        lines in proptest::collection::vec("[{}\\[\\]\":,a-z0-9 ]{0,40}", 0..8)
    ) {
        exercise(lines.join("\n").as_bytes());
    }

    #[test]
    fn mutated_real_envelopes_never_panic(
        seed in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6)
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        exercise(&bytes);
    }
}

#[test]
fn deeply_nested_json_is_refused_not_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut body = b"{}\n{\"type\":\"event\"}\n".to_vec();
    body.extend(format!("{{\"extra\":{deep}}}").as_bytes());
    assert!(read_envelope(&body, RECEIVED_MS).is_err());
    assert!(read_store_payload(format!("{{\"extra\":{deep}}}").as_bytes(), RECEIVED_MS).is_err());
    // Fields Sentinel does not read are skipped without building them, at any depth.
    let skipped = read_store_payload(format!("{{\"modules\":{deep}}}").as_bytes(), RECEIVED_MS);
    assert_eq!(skipped.map(|batch| batch.events.len()), Ok(1));
}
