//! Channel configuration: validated into the integrations' config structs when saved and
//! when used, shown with its secrets masked, and turned into a client that delivers.

use sentinel_core::clock::SharedClock;
use sentinel_integrations::{
    ConfigError, DeliveryOutcome, EmailClient, EmailConfig, HttpTransport, Notification,
    PagerDutyClient, PagerDutyConfig, SlackClient, SlackConfig, SmtpOptions, WebhookClient,
    WebhookConfig,
};
use serde_json::Value;

/// The channel kinds there are.
pub const CHANNEL_KINDS: [&str; 4] = ["slack", "pagerduty", "email", "webhook"];

/// JSON pointers of the values that are secrets, per kind.
fn secret_pointers(kind: &str) -> &'static [&'static str] {
    match kind {
        "slack" => &["/webhook_url"],
        "pagerduty" => &["/routing_key"],
        "webhook" => &["/secret"],
        "email" => &["/credentials/password"],
        _ => &[],
    }
}

/// Why a channel configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChannelConfigError {
    #[error("unknown channel kind `{0}` (expected slack, pagerduty, email or webhook)")]
    UnknownKind(String),
    #[error("invalid {kind} config: {reason}")]
    Invalid { kind: String, reason: String },
}

/// A configuration parsed into its integration's struct.
#[derive(Debug, Clone)]
pub enum ChannelConfig {
    Slack(SlackConfig),
    PagerDuty(PagerDutyConfig),
    Email(EmailConfig),
    Webhook(WebhookConfig),
}

/// Reads `config` as a `kind` channel's configuration.
pub fn parse_channel_config(
    kind: &str,
    config: &Value,
) -> Result<ChannelConfig, ChannelConfigError> {
    let invalid = |e: serde_json::Error| ChannelConfigError::Invalid {
        kind: kind.to_string(),
        reason: e.to_string(),
    };
    let value = config.clone();
    Ok(match kind {
        "slack" => ChannelConfig::Slack(serde_json::from_value(value).map_err(invalid)?),
        "pagerduty" => ChannelConfig::PagerDuty(serde_json::from_value(value).map_err(invalid)?),
        "email" => ChannelConfig::Email(serde_json::from_value(value).map_err(invalid)?),
        "webhook" => ChannelConfig::Webhook(serde_json::from_value(value).map_err(invalid)?),
        other => return Err(ChannelConfigError::UnknownKind(other.to_string())),
    })
}

/// Parses and builds a client from `config`, which is the full check a save needs (URLs,
/// empty keys, e-mail addresses).
pub fn validate_channel_config(
    kind: &str,
    config: &Value,
    deps: &ClientDeps,
) -> Result<(), ChannelConfigError> {
    let parsed = parse_channel_config(kind, config)?;
    ChannelClient::build(&parsed, deps)
        .map(|_| ())
        .map_err(|e| ChannelConfigError::Invalid {
            kind: kind.to_string(),
            reason: e.to_string(),
        })
}

/// The check a save needs, with default client options (the web API's entry point).
pub fn check_channel_config(
    kind: &str,
    config: &Value,
    clock: SharedClock,
) -> Result<(), ChannelConfigError> {
    let http = HttpTransport::new(
        &sentinel_integrations::HttpOptions::default(),
        clock.clone(),
    )
    .map_err(|e| ChannelConfigError::Invalid {
        kind: kind.to_string(),
        reason: e.to_string(),
    })?;
    let deps = ClientDeps {
        http,
        smtp: SmtpOptions::default(),
        clock,
    };
    validate_channel_config(kind, config, &deps)
}

/// `config` with every secret replaced by a masked form: `••••` plus its last four
/// characters for long values, just `••••` for short ones.
pub fn masked_config(kind: &str, config: &Value) -> Value {
    let mut out = config.clone();
    for pointer in secret_pointers(kind) {
        if let Some(secret) = out.pointer_mut(pointer) {
            *secret = Value::String(mask(secret.as_str().unwrap_or_default()));
        }
    }
    out
}

fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("••••{tail}")
    } else {
        "••••".to_string()
    }
}

/// Keeps the stored secret where an update sends back the masked form it was shown.
pub fn merge_masked_secrets(kind: &str, stored: &Value, update: &Value) -> Value {
    let mut out = update.clone();
    for pointer in secret_pointers(kind) {
        let kept = stored.pointer(pointer).cloned();
        if let (Some(sent), Some(kept)) = (out.pointer_mut(pointer), kept) {
            if sent.as_str().is_some_and(|s| s.starts_with("••••")) {
                *sent = kept;
            }
        }
    }
    out
}

/// What building clients needs: the shared HTTP transport, SMTP limits and the clock.
#[derive(Clone)]
pub struct ClientDeps {
    pub http: HttpTransport,
    pub smtp: SmtpOptions,
    pub clock: SharedClock,
}

impl std::fmt::Debug for ClientDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientDeps").finish_non_exhaustive()
    }
}

/// A built client of any kind.
#[derive(Debug, Clone)]
pub enum ChannelClient {
    Slack(SlackClient),
    PagerDuty(PagerDutyClient),
    Email(EmailClient),
    Webhook(WebhookClient),
}

impl ChannelClient {
    pub fn build(config: &ChannelConfig, deps: &ClientDeps) -> Result<Self, ConfigError> {
        Ok(match config {
            ChannelConfig::Slack(c) => Self::Slack(SlackClient::new(c, deps.http.clone())?),
            ChannelConfig::PagerDuty(c) => {
                Self::PagerDuty(PagerDutyClient::new(c, deps.http.clone())?)
            }
            ChannelConfig::Email(c) => {
                Self::Email(EmailClient::new(c, &deps.smtp, deps.clock.clone())?)
            }
            ChannelConfig::Webhook(c) => Self::Webhook(WebhookClient::new(c, deps.http.clone())?),
        })
    }

    /// Whether the receiver honours resolve notifications (only PagerDuty closes alerts).
    pub fn resolves(&self) -> bool {
        matches!(self, Self::PagerDuty(_))
    }

    pub async fn deliver(&self, notification: &Notification, delivery_id: &str) -> DeliveryOutcome {
        match self {
            Self::Slack(c) => c.deliver(notification, delivery_id).await,
            Self::PagerDuty(c) => c.deliver(notification, delivery_id).await,
            Self::Email(c) => c.deliver(notification, delivery_id).await,
            Self::Webhook(c) => c.deliver(notification, delivery_id).await,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_and_kept_on_update() {
        let config = json!({"url": "https://x.test/h", "secret": "0123456789abcdefXYZW"});
        let masked = masked_config("webhook", &config);
        assert_eq!(masked["secret"], "••••XYZW");
        assert_eq!(masked["url"], "https://x.test/h");
        let pd = masked_config("pagerduty", &json!({"routing_key": "short"}));
        assert_eq!(pd["routing_key"], "••••");
        let email = json!({"host": "h", "from": "a@b.c", "to": ["d@e.f"],
            "credentials": {"username": "u", "password": "pw"}});
        assert_eq!(
            masked_config("email", &email)["credentials"]["password"],
            "••••"
        );
        let update = json!({"url": "https://y.test/h", "secret": "••••XYZW"});
        let merged = merge_masked_secrets("webhook", &config, &update);
        assert_eq!(merged["secret"], config["secret"]);
        assert_eq!(merged["url"], "https://y.test/h");
    }

    #[test]
    fn configs_parse_by_kind() {
        assert!(parse_channel_config("slack", &json!({"webhook_url": "https://h.test/x"})).is_ok());
        assert!(parse_channel_config("slack", &json!({})).is_err());
        assert!(matches!(
            parse_channel_config("sms", &json!({})),
            Err(ChannelConfigError::UnknownKind(_))
        ));
    }
}
