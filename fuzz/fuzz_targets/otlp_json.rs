//! An OTLP/HTTP JSON export: the first byte picks traces or logs, the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sentinel_ingest::otlp::{read_logs, read_traces, OtlpEncoding};

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let _ = read_traces(body, OtlpEncoding::Json, 1_700_000_000_000);
    } else {
        let _ = read_logs(body, OtlpEncoding::Json, 1_700_000_000_000);
    }
});
