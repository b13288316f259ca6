//! E-mail over SMTP: one multipart/alternative message (plain text and HTML) per delivery.
//!
//! Transport security is configured per channel ([`SmtpTls`]). The Message-ID is derived
//! from the delivery id, so a retry after a lost reply carries the same id and receiving
//! systems can drop the duplicate; the References header is derived from the dedup key, so
//! the trigger and resolve mails of one problem thread together.
//!
//! Outcomes follow SMTP's reply classes: a 5xx reply (unknown recipient, rejected sender,
//! policy) is permanent; a 4xx reply, a failed or timed-out connection, or a failed TLS
//! handshake is retried.

mod render;

use std::time::{Duration, UNIX_EPOCH};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sentinel_core::clock::SharedClock;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ConfigError;
use crate::notification::Notification;
use crate::outcome::DeliveryOutcome;

pub use sentinel_core::channel::{EmailConfig, SmtpCredentials, SmtpTls};

/// Time limits for one SMTP delivery; configured in milliseconds
/// (`connect_timeout_ms`, `total_timeout_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SmtpOptions {
    /// Limit for establishing the TCP connection.
    #[serde(rename = "connect_timeout_ms", with = "crate::millis")]
    pub connect_timeout: Duration,
    /// Limit for the whole delivery, connection to final reply. This is what bounds a
    /// server that accepts the connection and then stalls.
    #[serde(rename = "total_timeout_ms", with = "crate::millis")]
    pub total_timeout: Duration,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
        }
    }
}

/// Delivers notifications as e-mail through one SMTP server.
#[derive(Clone)]
pub struct EmailClient {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    total_timeout: Duration,
    clock: SharedClock,
}

impl std::fmt::Debug for EmailClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailClient")
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl EmailClient {
    pub fn new(
        config: &EmailConfig,
        options: &SmtpOptions,
        clock: SharedClock,
    ) -> Result<Self, ConfigError> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(ConfigError::invalid("host", "must not be empty"));
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| ConfigError::invalid("from", format!("{e}")))?;
        if config.to.is_empty() {
            return Err(ConfigError::invalid("to", "needs at least one recipient"));
        }
        let to = config
            .to
            .iter()
            .map(|address| address.parse::<Mailbox>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::invalid("to", format!("{e}")))?;

        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            mode => {
                let parameters = TlsParameters::new(host.to_owned())
                    .map_err(|e| ConfigError::Tls(e.to_string()))?;
                match mode {
                    SmtpTls::Starttls => Tls::Opportunistic(parameters),
                    SmtpTls::Implicit => Tls::Wrapper(parameters),
                    _ => Tls::Required(parameters),
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.port.unwrap_or(config.tls.default_port()))
            .tls(tls)
            .timeout(Some(options.connect_timeout));
        if let Some(credentials) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                credentials.username.clone(),
                credentials.password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
            total_timeout: options.total_timeout,
            clock,
        })
    }

    /// Sends the notification to every configured recipient in one message.
    pub async fn deliver(&self, notification: &Notification, delivery_id: &str) -> DeliveryOutcome {
        let message = match self.message(notification, delivery_id) {
            Ok(message) => message,
            Err(e) => return DeliveryOutcome::permanent(format!("message not buildable: {e}")),
        };
        let outcome =
            match tokio::time::timeout(self.total_timeout, self.transport.send(message)).await {
                Err(_) => DeliveryOutcome::retry("SMTP delivery timed out"),
                Ok(Ok(response)) => DeliveryOutcome::Delivered {
                    status: u16::from(response.code()),
                },
                Ok(Err(error)) => classify_smtp_error(&error),
            };
        tracing::debug!(
            channel = "email",
            delivery_id,
            ?outcome,
            "delivery attempted"
        );
        outcome
    }

    fn message(
        &self,
        notification: &Notification,
        delivery_id: &str,
    ) -> Result<Message, lettre::error::Error> {
        let rendered = render::render(notification);
        let domain = self.from.email.domain().to_owned();
        let now_ms = u64::try_from(self.clock.now_ms()).unwrap_or(0);
        let thread = hex::encode(&Sha256::digest(notification.dedup_key.as_bytes())[..16]);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(rendered.subject)
            .date(UNIX_EPOCH + Duration::from_millis(now_ms))
            .message_id(Some(format!("<{}@{domain}>", message_id_part(delivery_id))))
            .references(format!("<{thread}.sentinel@{domain}>"));
        for recipient in &self.to {
            builder = builder.to(recipient.clone());
        }
        let part = |content_type: ContentType, body: String| {
            // Quoted-printable keeps any UTF-8 and long lines safe over 7-bit relays while
            // leaving the ASCII bulk readable.
            SinglePart::builder()
                .header(content_type)
                .header(ContentTransferEncoding::QuotedPrintable)
                .body(body)
        };
        builder.multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, rendered.plain))
                .singlepart(part(ContentType::TEXT_HTML, rendered.html)),
        )
    }
}

/// The delivery id restricted to characters a Message-ID may hold unquoted.
fn message_id_part(delivery_id: &str) -> String {
    let cleaned: String = delivery_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "delivery".to_owned()
    } else {
        cleaned
    }
}

/// 5xx replies are permanent; everything else (4xx, network, TLS, timeouts) may pass later.
fn classify_smtp_error(error: &lettre::transport::smtp::Error) -> DeliveryOutcome {
    let reason = format!("SMTP: {error}");
    if error.is_permanent() {
        DeliveryOutcome::permanent(reason)
    } else {
        DeliveryOutcome::retry(reason)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_hold_only_safe_characters() {
        assert_eq!(message_id_part("01J9ZK"), "01J9ZK");
        assert_eq!(message_id_part("a b<c>@d"), "a-b-c--d");
        assert_eq!(message_id_part(""), "delivery");
    }

    #[test]
    fn configuration_is_checked() {
        let clock: SharedClock = std::sync::Arc::new(sentinel_core::SystemClock);
        let config = |from: &str, to: Vec<&str>| EmailConfig {
            host: "127.0.0.1".to_owned(),
            port: Some(2525),
            tls: SmtpTls::None,
            credentials: None,
            from: from.to_owned(),
            to: to.into_iter().map(str::to_owned).collect(),
        };
        let options = SmtpOptions::default();
        assert!(EmailClient::new(
            &config("Sentinel <s@x.test>", vec!["a@x.test"]),
            &options,
            clock.clone()
        )
        .is_ok());
        assert!(EmailClient::new(
            &config("not an address", vec!["a@x.test"]),
            &options,
            clock.clone()
        )
        .is_err());
        assert!(EmailClient::new(&config("s@x.test", vec![]), &options, clock.clone()).is_err());
        assert!(EmailClient::new(&config("s@x.test", vec!["bad"]), &options, clock).is_err());
    }
}
