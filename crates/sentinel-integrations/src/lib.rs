//! Sentinel's outbound notification clients: Slack, PagerDuty, signed webhooks and e-mail.
//!
//! Each client is built once from its channel's configuration and delivers a channel-neutral
//! [`Notification`] with `deliver(&notification, delivery_id)`, which always ends in a
//! [`DeliveryOutcome`]: delivered, retry (maybe after a delay the receiver asked for), or a
//! permanent failure. Deciding when to retry is the delivery job's business; this crate only
//! classifies. The HTTP clients share one [`HttpTransport`] (connection pool, timeouts,
//! no redirects, the injected clock).
//!
//! [`github`] is the other kind of client: it reads code facts (commits, pull requests) from
//! GitHub's REST API as a GitHub App, and its errors say when or whether to retry.
//!
//! [`llm`] asks language models (OpenAI-compatible or Anthropic) for autopsies, and holds
//! the autopsy's provider step: cache, budget, call, record, parse.

pub mod channel;
pub mod email;
pub mod error;
pub mod github;
pub mod http;
pub mod llm;
pub mod notification;
pub mod outcome;
pub mod pagerduty;
pub mod slack;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod webhook;

pub use channel::{check_channel_config, validate_channel_config, ChannelClient, ClientDeps};
pub use email::{EmailClient, EmailConfig, SmtpCredentials, SmtpOptions, SmtpTls};
pub use error::ConfigError;
pub use http::{HttpOptions, HttpTransport};
pub use notification::{Field, Notification, NotificationKind, Severity};
pub use outcome::{parse_retry_after, DeliveryOutcome};
pub use pagerduty::{PagerDutyClient, PagerDutyConfig};
pub use slack::{SlackClient, SlackConfig};
pub use webhook::{verify_signature, WebhookClient, WebhookConfig};

/// Durations in configuration are whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
