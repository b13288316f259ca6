//! The channel-neutral message every client renders: what happened, how bad, where to look.
//!
//! A [`Notification`] is plain data built by the alerting side from an incident, detection or
//! alert. It carries no channel specifics; each client turns it into its own wire format.
//! It is serialisable so a delivery job can carry it as its payload.

use sentinel_core::clock::Millis;
use serde::{Deserialize, Serialize};

/// Whether a notification opens a problem or closes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A problem started (or got worse): page, post, mail.
    Trigger,
    /// The problem identified by the same `dedup_key` is over.
    Resolve,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Resolve => "resolve",
        }
    }
}

/// How urgent a notification is, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// One labelled value shown with the notification (release, count, culprit, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Field {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A message to deliver to one or more channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    /// One line, e.g. "TypeError: x is undefined in checkout".
    pub title: String,
    /// Longer plain text; may be empty.
    pub summary: String,
    pub severity: Severity,
    /// The incident or alert page in Sentinel's dashboard.
    pub link: Option<String>,
    pub service: String,
    pub environment: Option<String>,
    /// What kind of problem this is (an error class, a detection type); optional.
    #[serde(default)]
    pub class: Option<String>,
    /// Extra labelled values, shown in order.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Identifies the problem across trigger and resolve, and across retries of one delivery.
    pub dedup_key: String,
    /// When the problem happened (trigger) or ended (resolve).
    pub occurred_at: Millis,
}

/// Cuts `text` to at most `max_chars` characters, marking the cut with an ellipsis.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let keep = max_chars.saturating_sub(1);
    let mut out: String = text.chars().take(keep).collect();
    out.push('…');
    out
}

/// The occurrence time as RFC 3339 / ISO 8601 UTC with milliseconds.
pub(crate) fn iso8601(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The link in normalised form when it is an absolute http(s) URL, the only kind channels
/// may link to. Normalising percent-encodes spaces, quotes and angle brackets; `|` is encoded
/// too because Slack's `<url|text>` syntax splits on it.
pub(crate) fn safe_link(link: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(link?).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.as_str().replace('|', "%7C"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_short_text_and_marks_cuts() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(truncate_chars("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn iso8601_is_utc_with_millis() {
        assert_eq!(iso8601(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn notifications_read_back_from_job_payloads() {
        let payload = r#"{
            "kind": "resolve", "title": "t", "summary": "", "severity": "warning",
            "link": null, "service": "api", "environment": "prod",
            "dedup_key": "incident:1", "occurred_at": 5
        }"#;
        let n: Notification = serde_json::from_str(payload).unwrap();
        assert_eq!(n.kind, NotificationKind::Resolve);
        assert_eq!(n.severity, Severity::Warning);
        assert!(n.fields.is_empty() && n.class.is_none());
        let again: Notification =
            serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
        assert_eq!(again, n);
        assert!(serde_json::from_str::<Notification>(&payload.replace("warning", "loud")).is_err());
    }

    #[test]
    fn only_http_links_are_safe() {
        assert_eq!(
            safe_link(Some("https://x.test/i/1?a=1|2")).as_deref(),
            Some("https://x.test/i/1?a=1%7C2")
        );
        assert_eq!(safe_link(Some("javascript:alert(1)")), None);
        assert_eq!(safe_link(Some("not a url")), None);
        assert_eq!(safe_link(None), None);
    }
}
