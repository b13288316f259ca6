//! A body of Sentinel's native event API.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sentinel_ingest::native::parse_native_event(data, 1_700_000_000_000);
});
