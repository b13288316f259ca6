//! Rules that read the same in every language: an upstream service answering 5xx, a
//! dependency that cannot be reached, a configuration value that is not set.

use crate::autopsy::heuristic::finding::{Finding, Subject};
use crate::autopsy::Category;
use regex::Regex;
use std::sync::OnceLock;

fn upstream_status() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)(?:\b(?:status(?:\s*code)?|http(?:\s*error)?|upstream|returned|responded(?:\s*with)?|code)\b\D{0,12}\b5\d\d\b)|\b5\d\d\s+(?:internal server error|bad gateway|service unavailable|gateway time-?out)|\b(?:bad gateway|service unavailable|gateway time-?out)\b",
        )
        .ok()
    })
    .as_ref()
}

fn setting_name() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})\b").ok())
        .as_ref()
}

/// An upstream service's 5xx as the message states it.
pub(crate) fn upstream_5xx(message: &str, http_status: Option<u16>) -> Option<Finding> {
    let status_said = upstream_status().is_some_and(|re| re.is_match(message));
    if !status_said
        && !http_status.is_some_and(|s| (500..600).contains(&s) && message.contains(&s.to_string()))
    {
        return None;
    }
    Some(
        Finding::new(
            Category::Upstream5xx,
            0.7,
            "an upstream service answered with a server error and the code treats that as fatal instead of degrading",
        )
        .with(Some(Subject::Statement)),
    )
}

/// Words in a message that say a dependency could not be reached.
pub(crate) fn says_unreachable(message: &str) -> bool {
    const MARKERS: &[&str] = &[
        "ECONNREFUSED",
        "ENOTFOUND",
        "ETIMEDOUT",
        "EAI_AGAIN",
        "ECONNRESET",
        "EHOSTUNREACH",
        "Connection refused",
        "connection refused",
        "ConnectionRefused",
        "Name or service not known",
        "nodename nor servname",
        "Temporary failure in name resolution",
        "timed out",
        "TimedOut",
        "socket hang up",
        "fetch failed",
        "could not connect",
        "Could not connect",
        "failed to lookup address",
        "No route to host",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}

/// A dependency (database, cache, HTTP service) that could not be reached.
pub(crate) fn dependency_unavailable(message: &str) -> Option<Finding> {
    says_unreachable(message).then(|| {
        Finding::new(
            Category::DependencyUnavailable,
            0.75,
            "a dependency could not be reached (refused, unresolvable or timed out) and the call has no fallback",
        )
        .with(Some(Subject::Statement))
    })
}

/// A message that says a setting or environment variable is missing, and the setting's
/// name when the message names one.
pub(crate) fn says_missing_setting(message: &str) -> Option<Option<String>> {
    let lower = message.to_ascii_lowercase();
    let about_config = [
        "environment variable",
        "env var",
        "configuration",
        "config ",
        "setting",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let missing = [
        "not set",
        "missing",
        "is required",
        "undefined",
        "not defined",
        "not configured",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if !(about_config && missing) {
        return None;
    }
    Some(
        setting_name()
            .and_then(|re| re.find(message))
            .map(|m| m.as_str().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_statuses_are_recognised() {
        assert!(upstream_5xx("upstream returned 503", None).is_some());
        assert!(upstream_5xx("HTTP Error 502: Bad Gateway", None).is_some());
        assert!(upstream_5xx("Request failed with status code 500", None).is_some());
        assert!(upstream_5xx("Service Unavailable", None).is_some());
    }

    #[test]
    fn other_numbers_are_not_statuses() {
        assert!(upstream_5xx("expected 512 bytes, got 3", None).is_none());
        assert!(upstream_5xx("status code 404", None).is_none());
        assert!(upstream_5xx("user 500 not found", None).is_none());
    }

    #[test]
    fn unreachable_dependencies() {
        assert!(dependency_unavailable("connect ECONNREFUSED 127.0.0.1:6379").is_some());
        assert!(dependency_unavailable("[Errno 111] Connection refused").is_some());
        assert!(dependency_unavailable("division by zero").is_none());
    }

    #[test]
    fn missing_settings_name_the_variable() {
        assert_eq!(
            says_missing_setting("environment variable DATABASE_URL is not set"),
            Some(Some("DATABASE_URL".to_string()))
        );
        assert_eq!(says_missing_setting("user is missing"), None);
    }
}
