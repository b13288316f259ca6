//! Errors raised while building a client from its channel configuration.
//!
//! Delivery itself never fails with an error: it always ends in a
//! [`DeliveryOutcome`](crate::DeliveryOutcome). Only a configuration that cannot work is an
//! error, reported when the channel is saved or the client is built.

/// A channel configuration that cannot be used. Messages never include secret values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("HTTP client could not be built: {0}")]
    HttpClient(String),
    #[error("SMTP TLS could not be set up: {0}")]
    Tls(String),
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
