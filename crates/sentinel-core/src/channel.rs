//! Notification channel configuration as typed values.
//!
//! A channel is one of four kinds (slack, pagerduty, email, webhook), each with its own
//! configuration struct. [`ChannelConfig`] holds one of them; it is parsed once at the edge
//! (API, dashboard) from the `(kind, config)` the client sent, stored as the same two columns
//! (`kind` and the config JSON), and read back into the same type, so nothing inward handles
//! untyped JSON. Secrets are [`SecretString`]s: kept out of `Debug`, shown masked
//! ([`ChannelConfig::masked`]), and kept when an update sends the masked form back
//! ([`ChannelConfig::keep_masked_secrets`]).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The channel kinds there are.
pub const CHANNEL_KINDS: [&str; 4] = ["slack", "pagerduty", "email", "webhook"];

/// PagerDuty's public Events API host.
pub const PAGERDUTY_DEFAULT_BASE_URL: &str = "https://events.pagerduty.com";

/// What a masked secret starts with.
const MASK: &str = "••••";

/// Why a channel configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelConfigError {
    #[error("unknown channel kind `{0}` (expected slack, pagerduty, email or webhook)")]
    UnknownKind(String),
    #[error("invalid {kind} config: {reason}")]
    Invalid { kind: String, reason: String },
}

fn expose<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// A Slack channel: its incoming-webhook URL (which is itself the credential).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SlackConfig {
    #[serde(serialize_with = "expose")]
    pub webhook_url: SecretString,
}

/// A PagerDuty service integration.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PagerDutyConfig {
    /// The integration's 32-character routing key.
    #[serde(serialize_with = "expose")]
    pub routing_key: SecretString,
    /// Where the Events API lives; tests point this at a local server.
    #[serde(
        default = "default_pagerduty_base_url",
        skip_serializing_if = "is_default_pagerduty_base_url"
    )]
    pub base_url: String,
}

fn default_pagerduty_base_url() -> String {
    PAGERDUTY_DEFAULT_BASE_URL.to_owned()
}

fn is_default_pagerduty_base_url(url: &str) -> bool {
    url == PAGERDUTY_DEFAULT_BASE_URL
}

/// A generic signed webhook.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WebhookConfig {
    pub url: String,
    /// Shared with the receiver to sign every request.
    #[serde(serialize_with = "expose")]
    pub secret: SecretString,
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text only; for a trusted relay on the same host or network. Default port 25.
    None,
    /// Upgrade with STARTTLS when the server offers it, else continue in plain text.
    /// Default port 587.
    Starttls,
    /// Upgrade with STARTTLS or do not send at all. Default port 587.
    #[default]
    Required,
    /// TLS from the first byte (SMTPS). Default port 465.
    Implicit,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::Starttls | Self::Required => 587,
            Self::Implicit => 465,
        }
    }

    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// SMTP login for servers that require it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SmtpCredentials {
    pub username: String,
    #[serde(serialize_with = "expose")]
    pub password: SecretString,
}

/// An e-mail channel.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EmailConfig {
    pub host: String,
    /// Defaults by `tls`: 25, 587 or 465.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "SmtpTls::is_default")]
    pub tls: SmtpTls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<SmtpCredentials>,
    /// `Name <address>` or a bare address.
    pub from: String,
    pub to: Vec<String>,
}

/// One channel's configuration, by kind. Serialized as `{"kind": ..., "config": {...}}`,
/// the two columns a channel row keeps.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", content = "config", rename_all = "snake_case")]
pub enum ChannelConfig {
    Slack(SlackConfig),
    #[serde(rename = "pagerduty")]
    PagerDuty(PagerDutyConfig),
    Email(EmailConfig),
    Webhook(WebhookConfig),
}

impl ChannelConfig {
    /// Reads `config` as a `kind` channel's configuration (the edge's, and the store's, way in).
    pub fn from_parts(kind: &str, config: Value) -> Result<Self, ChannelConfigError> {
        let invalid = |e: serde_json::Error| ChannelConfigError::Invalid {
            kind: kind.to_string(),
            reason: e.to_string(),
        };
        Ok(match kind {
            "slack" => Self::Slack(serde_json::from_value(config).map_err(invalid)?),
            "pagerduty" => Self::PagerDuty(serde_json::from_value(config).map_err(invalid)?),
            "email" => Self::Email(serde_json::from_value(config).map_err(invalid)?),
            "webhook" => Self::Webhook(serde_json::from_value(config).map_err(invalid)?),
            other => return Err(ChannelConfigError::UnknownKind(other.to_string())),
        })
    }

    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Slack(_) => "slack",
            Self::PagerDuty(_) => "pagerduty",
            Self::Email(_) => "email",
            Self::Webhook(_) => "webhook",
        }
    }

    /// The configuration as stored, secrets in clear. Never serve it as is.
    pub fn config_value(&self) -> Value {
        let value = match self {
            Self::Slack(c) => serde_json::to_value(c),
            Self::PagerDuty(c) => serde_json::to_value(c),
            Self::Email(c) => serde_json::to_value(c),
            Self::Webhook(c) => serde_json::to_value(c),
        };
        // Plain structs of strings and numbers always serialize.
        value.unwrap_or(Value::Null)
    }

    /// The configuration with every secret masked: `••••` plus its last four characters
    /// for long values, just `••••` for short ones.
    pub fn masked(&self) -> Value {
        let mut out = self.config_value();
        for pointer in self.secret_pointers() {
            if let Some(secret) = out.pointer_mut(pointer) {
                *secret = Value::String(mask(secret.as_str().unwrap_or_default()));
            }
        }
        out
    }

    /// Keeps `stored`'s secrets where this (an update) carries the masked form it was shown.
    pub fn keep_masked_secrets(&mut self, stored: &ChannelConfig) {
        fn keep(sent: &mut SecretString, kept: &SecretString) {
            if sent.expose_secret().starts_with(MASK) {
                *sent = kept.clone();
            }
        }
        match (self, stored) {
            (Self::Slack(new), Self::Slack(old)) => keep(&mut new.webhook_url, &old.webhook_url),
            (Self::PagerDuty(new), Self::PagerDuty(old)) => {
                keep(&mut new.routing_key, &old.routing_key)
            }
            (Self::Webhook(new), Self::Webhook(old)) => keep(&mut new.secret, &old.secret),
            (Self::Email(new), Self::Email(old)) => {
                if let (Some(new), Some(old)) = (&mut new.credentials, &old.credentials) {
                    keep(&mut new.password, &old.password);
                }
            }
            _ => {}
        }
    }

    /// JSON pointers of the values that are secrets.
    fn secret_pointers(&self) -> &'static [&'static str] {
        match self {
            Self::Slack(_) => &["/webhook_url"],
            Self::PagerDuty(_) => &["/routing_key"],
            Self::Webhook(_) => &["/secret"],
            Self::Email(_) => &["/credentials/password"],
        }
    }
}

/// Two configurations are equal when they would be stored alike (secrets compared too).
impl PartialEq for ChannelConfig {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.config_value() == other.config_value()
    }
}

fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{MASK}{tail}")
    } else {
        MASK.to_string()
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
        let stored = ChannelConfig::from_parts("webhook", config.clone()).unwrap();
        let masked = stored.masked();
        assert_eq!(masked["secret"], "••••XYZW");
        assert_eq!(masked["url"], "https://x.test/h");
        let pd = ChannelConfig::from_parts("pagerduty", json!({"routing_key": "short"})).unwrap();
        assert_eq!(pd.masked()["routing_key"], "••••");
        let email = json!({"host": "h", "from": "a@b.c", "to": ["d@e.f"],
            "credentials": {"username": "u", "password": "pw"}});
        let email = ChannelConfig::from_parts("email", email).unwrap();
        assert_eq!(email.masked()["credentials"]["password"], "••••");
        let update = json!({"url": "https://y.test/h", "secret": "••••XYZW"});
        let mut merged = ChannelConfig::from_parts("webhook", update).unwrap();
        merged.keep_masked_secrets(&stored);
        assert_eq!(merged.config_value()["secret"], config["secret"]);
        assert_eq!(merged.config_value()["url"], "https://y.test/h");
    }

    #[test]
    fn configs_parse_by_kind() {
        assert!(
            ChannelConfig::from_parts("slack", json!({"webhook_url": "https://h.test/x"})).is_ok()
        );
        assert!(ChannelConfig::from_parts("slack", json!({})).is_err());
        assert!(matches!(
            ChannelConfig::from_parts("sms", json!({})),
            Err(ChannelConfigError::UnknownKind(_))
        ));
    }

    #[test]
    fn the_stored_shape_round_trips_and_leaves_defaults_out() {
        let sent = json!({"host": "smtp.test", "from": "a@b.c", "to": ["d@e.f"]});
        let config = ChannelConfig::from_parts("email", sent.clone()).unwrap();
        assert_eq!(config.config_value(), sent);
        let pd = json!({"routing_key": "r".repeat(32)});
        let config = ChannelConfig::from_parts("pagerduty", pd.clone()).unwrap();
        assert_eq!(config.config_value(), pd);
        let tagged = serde_json::to_value(&config).unwrap();
        assert_eq!(tagged, json!({"kind": "pagerduty", "config": pd}));
        let back: ChannelConfig = serde_json::from_value(tagged).unwrap();
        assert_eq!(back.kind(), "pagerduty");
    }
}
