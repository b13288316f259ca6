//! Slack incoming webhooks: one POST of a Block Kit message to the channel's webhook URL.
//!
//! The body always has a top-level `text` (what notifications and screen readers show) and
//! `blocks`: a header, a section with the labelled values as fields, a button to the
//! incident when there is a link, and a context line with the time. Slack answers 200 `ok`
//! on success and a short error string otherwise (`invalid_payload`, `channel_not_found`,
//! ...), which ends up in the outcome's reason.
//!
//! Slack rejects a whole message when any block exceeds its limits, and a rejected message
//! is a lost alert, so every text is cut to fit: header 150 characters, section text 3000,
//! each field 2000, at most 10 fields per section.
//!
//! The webhook URL is itself the credential: it is kept out of `Debug` output, logs and
//! reasons.

use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::error::ConfigError;
use crate::http::{parse_channel_url, HttpTransport};
use crate::notification::{safe_link, truncate_chars, Notification, NotificationKind};
use crate::outcome::DeliveryOutcome;

const HEADER_MAX: usize = 150;
const SECTION_TEXT_MAX: usize = 3000;
const FIELD_TEXT_MAX: usize = 2000;
const FIELD_NAME_MAX: usize = 100;
const FIELDS_PER_SECTION: usize = 10;
/// Slack allows 50 blocks; the other blocks plus four field sections stay well inside it.
const MAX_FIELDS: usize = 4 * FIELDS_PER_SECTION;
const URL_MAX: usize = 3000;
const FALLBACK_TEXT_MAX: usize = 4000;

pub use sentinel_core::channel::SlackConfig;

/// Delivers notifications to one Slack incoming webhook.
#[derive(Clone)]
pub struct SlackClient {
    webhook_url: url::Url,
    http: HttpTransport,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("webhook_url", &"[REDACTED]")
            .finish()
    }
}

impl SlackClient {
    pub fn new(config: &SlackConfig, http: HttpTransport) -> Result<Self, ConfigError> {
        let webhook_url = parse_channel_url("webhook_url", config.webhook_url.expose_secret())?;
        Ok(Self { webhook_url, http })
    }

    /// Posts the notification. `delivery_id` is only logged: Slack has no idempotency key.
    pub async fn deliver(&self, notification: &Notification, delivery_id: &str) -> DeliveryOutcome {
        let body = match serde_json::to_vec(&slack_message(notification)) {
            Ok(body) => body,
            Err(e) => return DeliveryOutcome::permanent(format!("message not encodable: {e}")),
        };
        let (outcome, _) = self
            .http
            .post_json(&self.webhook_url, body, HeaderMap::new())
            .await;
        tracing::debug!(
            channel = "slack",
            delivery_id,
            ?outcome,
            "delivery attempted"
        );
        outcome
    }
}

/// Slack's three control characters in mrkdwn text.
fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes `text` and cuts it to `max` characters without leaving half an entity behind.
fn fit_mrkdwn(text: &str, max: usize) -> String {
    let mut out = truncate_chars(&escape_mrkdwn(text), max);
    if let Some(amp) = out.rfind('&') {
        if !out[amp..].contains(';') {
            out.truncate(amp);
            out.push('…');
        }
    }
    out
}

fn mrkdwn(text: String) -> Value {
    json!({ "type": "mrkdwn", "text": text })
}

fn label(n: &Notification) -> String {
    match n.kind {
        NotificationKind::Trigger => n.severity.as_str().to_uppercase(),
        NotificationKind::Resolve => "RESOLVED".to_owned(),
    }
}

/// The JSON body for a Slack incoming webhook.
pub(crate) fn slack_message(n: &Notification) -> Value {
    let link = safe_link(n.link.as_deref()).filter(|l| l.len() <= URL_MAX);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate_chars(&format!("[{}] {}", label(n), n.title), HEADER_MAX),
        },
    })];

    let mut fields = vec![
        ("Severity", n.severity.as_str().to_owned()),
        ("Service", n.service.clone()),
    ];
    if let Some(environment) = &n.environment {
        fields.push(("Environment", environment.clone()));
    }
    if let Some(class) = &n.class {
        fields.push(("Class", class.clone()));
    }
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .chain(n.fields.iter().map(|f| (f.name.clone(), f.value.clone())))
        .take(MAX_FIELDS)
        .map(|(name, value)| {
            let name = fit_mrkdwn(&name, FIELD_NAME_MAX);
            let value = fit_mrkdwn(&value, FIELD_TEXT_MAX - FIELD_NAME_MAX - 4);
            mrkdwn(format!("*{name}*\n{value}"))
        })
        .collect();
    for (index, chunk) in fields.chunks(FIELDS_PER_SECTION).enumerate() {
        let mut section = json!({ "type": "section", "fields": chunk });
        if index == 0 && !n.summary.trim().is_empty() {
            section["text"] = mrkdwn(fit_mrkdwn(&n.summary, SECTION_TEXT_MAX));
        }
        blocks.push(section);
    }

    if let Some(link) = &link {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": "View in Sentinel" },
                "url": link,
            }],
        }));
    }

    let seconds = n.occurred_at.div_euclid(1000);
    let when = crate::notification::iso8601(n.occurred_at);
    blocks.push(json!({
        "type": "context",
        "elements": [mrkdwn(format!(
            "Sentinel · {} · <!date^{seconds}^{{date_short_pretty}} {{time}}|{when}>",
            escape_mrkdwn(&n.service)
        ))],
    }));

    let mut text = format!("[{}] {} ({}", label(n), n.title, n.service);
    if let Some(environment) = &n.environment {
        text.push_str(&format!(", {environment}"));
    }
    text.push(')');
    let mut text = fit_mrkdwn(&text, FALLBACK_TEXT_MAX);
    if let Some(link) = &link {
        text.push_str(&format!(" <{link}|View in Sentinel>"));
    }
    json!({ "text": text, "blocks": blocks })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::notification::{Field, Severity};

    fn notification() -> Notification {
        Notification {
            kind: NotificationKind::Trigger,
            title: "a < b & c".to_owned(),
            summary: "x".repeat(5000),
            severity: Severity::Warning,
            link: Some("https://sentinel.test/incidents/1".to_owned()),
            service: "api".to_owned(),
            environment: None,
            class: None,
            fields: (0..60)
                .map(|i| Field::new(format!("f{i}"), "&".repeat(3000)))
                .collect(),
            dedup_key: "k".to_owned(),
            occurred_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn oversized_content_is_cut_to_block_kit_limits() {
        let message = slack_message(&notification());
        let blocks = message["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50);
        let mut field_count = 0;
        for block in blocks {
            if block["type"] == "section" {
                let fields = block["fields"].as_array().unwrap();
                assert!(fields.len() <= FIELDS_PER_SECTION);
                field_count += fields.len();
                for field in fields {
                    let text = field["text"].as_str().unwrap();
                    assert!(text.chars().count() <= FIELD_TEXT_MAX);
                    if text.starts_with("*f") {
                        // Cut, and with no half entity left at the end.
                        assert!(text.ends_with("&amp;…"), "{text}");
                    }
                }
                if let Some(text) = block["text"]["text"].as_str() {
                    assert!(text.chars().count() <= SECTION_TEXT_MAX);
                }
            }
        }
        assert_eq!(field_count, MAX_FIELDS);
    }

    #[test]
    fn fallback_text_escapes_control_characters() {
        let message = slack_message(&notification());
        let text = message["text"].as_str().unwrap();
        assert!(
            text.starts_with("[WARNING] a &lt; b &amp; c (api)"),
            "{text}"
        );
        assert!(text.ends_with("<https://sentinel.test/incidents/1|View in Sentinel>"));
    }
}
