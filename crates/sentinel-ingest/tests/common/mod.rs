//! Helpers shared by the ingest tests: fixture loading and envelope re-serialisation.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};

pub const RECEIVED_MS: i64 = 1_700_000_000_000;

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/glitchtip")
}

pub fn fixture_bytes(relative: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(relative)).unwrap()
}

/// Every `.json` file under a fixture folder, sorted.
pub fn fixture_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir().join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// How to frame items when turning a JSON-array fixture into wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Every item header carries the payload's exact `length`.
    WithLength,
    /// No `length`: payloads end at the newline.
    WithoutLength,
}

/// GlitchTip keeps envelopes as `[header, item_header, payload, …]`; this writes the
/// newline-delimited wire format, recomputing or dropping `length`.
pub fn envelope_from_array(array: &Value, framing: Framing, trailing_newline: bool) -> Vec<u8> {
    let parts = array.as_array().unwrap();
    let mut out = serde_json::to_vec(&parts[0]).unwrap();
    for pair in parts[1..].chunks(2) {
        let mut header = pair[0].clone();
        let payload = serde_json::to_vec(pair.get(1).unwrap_or(&Value::Null)).unwrap();
        let object = header.as_object_mut().unwrap();
        match framing {
            Framing::WithLength => {
                object.insert("length".into(), payload.len().into());
            }
            Framing::WithoutLength => {
                object.remove("length");
            }
        }
        out.push(b'\n');
        out.extend(serde_json::to_vec(&header).unwrap());
        out.push(b'\n');
        out.extend(payload);
    }
    if trailing_newline {
        out.push(b'\n');
    }
    out
}

pub fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
