//! A Sentry envelope as `/api/{project}/envelope/` receives it, decompressed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sentinel_ingest::read_envelope(data, 1_700_000_000_000);
});
