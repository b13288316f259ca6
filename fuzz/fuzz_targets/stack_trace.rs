//! A multi-line stack trace as OTLP's `exception.stacktrace` carries it (Python, JVM, .NET,
//! Go, JavaScript, Ruby).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sentinel_ingest::stacktrace::parse_stack_trace(text);
    }
});
