//! PagerDuty Events API v2: `POST {base_url}/v2/enqueue` with a trigger or resolve event.
//!
//! Every event carries a `dedup_key`, which is what makes deliveries idempotent: a retried
//! trigger updates the alert it already opened instead of paging twice, and a resolve closes
//! exactly that alert (PagerDuty matches keys per routing key). Keys longer than PagerDuty's
//! 255 characters are replaced by their SHA-256 hex so they stay stable across retries.
//!
//! A trigger's `payload` holds the summary (cut to 1024 characters), source (the service),
//! severity (mapped one to one, see [`pagerduty_severity`]), ISO 8601 timestamp, component,
//! group (the environment), class, and the labelled values as `custom_details`. A resolve
//! sends only the routing key, action and dedup key, as the API expects.
//!
//! Answers: 202 accepted; 400 invalid event (permanent); 429 throttled and 5xx retry.

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::error::ConfigError;
use crate::http::{parse_channel_url, HttpTransport};
use crate::notification::{iso8601, safe_link, truncate_chars, Notification, Severity};
use crate::outcome::DeliveryOutcome;
use crate::NotificationKind;

/// PagerDuty's public Events API host.
pub use sentinel_core::channel::PAGERDUTY_DEFAULT_BASE_URL as DEFAULT_BASE_URL;
const SUMMARY_MAX: usize = 1024;
const DEDUP_KEY_MAX: usize = 255;

pub use sentinel_core::channel::PagerDutyConfig;

#[cfg(test)]
fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

/// Delivers notifications to one PagerDuty integration.
#[derive(Clone)]
pub struct PagerDutyClient {
    enqueue_url: url::Url,
    routing_key: SecretString,
    http: HttpTransport,
}

impl std::fmt::Debug for PagerDutyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagerDutyClient")
            .field("enqueue_url", &self.enqueue_url.as_str())
            .finish_non_exhaustive()
    }
}

impl PagerDutyClient {
    pub fn new(config: &PagerDutyConfig, http: HttpTransport) -> Result<Self, ConfigError> {
        if config.routing_key.expose_secret().trim().is_empty() {
            return Err(ConfigError::invalid("routing_key", "must not be empty"));
        }
        let base = config.base_url.trim_end_matches('/');
        let enqueue_url = parse_channel_url("base_url", &format!("{base}/v2/enqueue"))?;
        Ok(Self {
            enqueue_url,
            routing_key: config.routing_key.clone(),
            http,
        })
    }

    /// Sends a trigger or resolve event. `delivery_id` is only logged: the dedup key is
    /// what PagerDuty deduplicates on.
    pub async fn deliver(&self, notification: &Notification, delivery_id: &str) -> DeliveryOutcome {
        let event = pagerduty_event(notification, self.routing_key.expose_secret());
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(e) => return DeliveryOutcome::permanent(format!("event not encodable: {e}")),
        };
        let (outcome, _) = self
            .http
            .post_json(&self.enqueue_url, body, HeaderMap::new())
            .await;
        tracing::debug!(
            channel = "pagerduty",
            delivery_id,
            ?outcome,
            "delivery attempted"
        );
        outcome
    }
}

/// Sentinel's severities map one to one onto PagerDuty's four; spelled out so a new
/// severity on either side is a compile error here, not a silent default.
pub fn pagerduty_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// The dedup key as sent: unchanged when it fits, else its SHA-256 hex.
pub fn pagerduty_dedup_key(key: &str) -> String {
    if key.len() <= DEDUP_KEY_MAX {
        key.to_owned()
    } else {
        hex::encode(Sha256::digest(key.as_bytes()))
    }
}

/// The Events API v2 body for a notification.
pub(crate) fn pagerduty_event(n: &Notification, routing_key: &str) -> Value {
    let mut event = json!({
        "routing_key": routing_key,
        "dedup_key": pagerduty_dedup_key(&n.dedup_key),
        "event_action": match n.kind {
            NotificationKind::Trigger => "trigger",
            NotificationKind::Resolve => "resolve",
        },
    });
    if n.kind == NotificationKind::Resolve {
        return event;
    }

    let mut details = Map::new();
    if !n.summary.trim().is_empty() {
        details.insert("summary".to_owned(), Value::String(n.summary.clone()));
    }
    for field in &n.fields {
        // Labelled values win over the summary on a name clash: they are the specific data.
        details.insert(field.name.clone(), Value::String(field.value.clone()));
    }
    let mut payload = json!({
        "summary": truncate_chars(&n.title, SUMMARY_MAX),
        "source": n.service,
        "severity": pagerduty_severity(n.severity),
        "timestamp": iso8601(n.occurred_at),
        "component": n.service,
        "custom_details": details,
    });
    if let Some(environment) = &n.environment {
        payload["group"] = Value::String(environment.clone());
    }
    if let Some(class) = &n.class {
        payload["class"] = Value::String(class.clone());
    }
    event["payload"] = payload;
    event["client"] = Value::String("Sentinel".to_owned());
    if let Some(link) = safe_link(n.link.as_deref()) {
        event["client_url"] = Value::String(link.clone());
        event["links"] = json!([{ "href": link, "text": "View in Sentinel" }]);
    }
    event
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn long_dedup_keys_are_hashed_stably() {
        assert_eq!(pagerduty_dedup_key("incident:1"), "incident:1");
        let long = "k".repeat(300);
        let sent = pagerduty_dedup_key(&long);
        assert_eq!(sent.len(), 64);
        assert_eq!(sent, pagerduty_dedup_key(&long));
    }

    #[test]
    fn base_url_must_be_http() {
        let http = HttpTransport::new(
            &crate::HttpOptions::default(),
            std::sync::Arc::new(sentinel_core::SystemClock),
        );
        let Ok(http) = http else {
            panic!("transport");
        };
        let config = PagerDutyConfig {
            routing_key: SecretString::from("r".repeat(32)),
            base_url: "ftp://example.test".to_owned(),
        };
        assert!(PagerDutyClient::new(&config, http.clone()).is_err());
        let config = PagerDutyConfig {
            routing_key: SecretString::from("  "),
            base_url: default_base_url(),
        };
        assert!(PagerDutyClient::new(&config, http).is_err());
    }
}
