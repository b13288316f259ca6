//! A GitHub delivery body: the first byte picks the `X-GitHub-Event` it is read as.
#![no_main]
use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 8] = [
    "push",
    "pull_request",
    "pull_request_review",
    "deployment_status",
    "installation",
    "installation_repositories",
    "ping",
    "issues",
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let event = EVENTS[usize::from(*selector) % EVENTS.len()];
    let _ = sentinel_ingest::github::parse_delivery(event, body);
});
