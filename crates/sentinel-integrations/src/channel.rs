//! One client for any channel kind, built from the channel's typed configuration.
//!
//! Building a client is also the full check a save needs (URLs, empty keys, e-mail
//! addresses), so the web edge calls [`check_channel_config`] before storing a
//! configuration and the delivery job builds the same client to deliver.

use sentinel_core::channel::{ChannelConfig, ChannelConfigError};
use sentinel_core::clock::SharedClock;

use crate::email::{EmailClient, SmtpOptions};
use crate::error::ConfigError;
use crate::http::{HttpOptions, HttpTransport};
use crate::notification::Notification;
use crate::outcome::DeliveryOutcome;
use crate::pagerduty::PagerDutyClient;
use crate::slack::SlackClient;
use crate::webhook::WebhookClient;

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

/// Refuses a configuration its kind's client could not use, building the client with
/// `deps`.
pub fn validate_channel_config(
    config: &ChannelConfig,
    deps: &ClientDeps,
) -> Result<(), ChannelConfigError> {
    ChannelClient::build(config, deps)
        .map(|_| ())
        .map_err(|e| invalid(config, e.to_string()))
}

/// The check a save needs, with default client options (the web edge's entry point).
pub fn check_channel_config(
    config: &ChannelConfig,
    clock: SharedClock,
) -> Result<(), ChannelConfigError> {
    let http = HttpTransport::new(&HttpOptions::default(), clock.clone())
        .map_err(|e| invalid(config, e.to_string()))?;
    let deps = ClientDeps {
        http,
        smtp: SmtpOptions::default(),
        clock,
    };
    validate_channel_config(config, &deps)
}

fn invalid(config: &ChannelConfig, reason: String) -> ChannelConfigError {
    ChannelConfigError::Invalid {
        kind: config.kind().to_string(),
        reason,
    }
}
