//! `sentinel.toml` text, read and checked over the defaults.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sentinel::config::Config::from_toml(text);
    }
});
