//! A legacy `/api/{project}/store/` event body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sentinel_ingest::read_store_payload(data, 1_700_000_000_000);
});
