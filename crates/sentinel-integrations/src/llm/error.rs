//! How a model call can fail, by what the caller does next. Messages never carry the API
//! key: vendor error text is cut short and any occurrence of the key replaced.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// 429: the provider's rate limit; `retry_after` when it said how long to wait.
    #[error("provider rate limit reached{}", .retry_after.map(|d| format!("; retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx (Anthropic's 529 "overloaded" included): worth retrying later.
    #[error("provider server error {0}")]
    Server(u16),
    /// Another 4xx: a bad key, an unknown model, a refused request. Retrying will not help.
    #[error("provider rejected the request with {status}: {message}")]
    Rejected { status: u16, message: String },
    /// A 2xx answer that is not the documented JSON, or has no text in it.
    #[error("provider answer could not be read: {0}")]
    Malformed(String),
    /// No complete answer within the request timeout.
    #[error("provider did not answer in time")]
    Timeout,
    /// No answer at all (connection refused, reset…).
    #[error("provider request failed: {0}")]
    Transport(String),
    /// The organization's provider settings cannot make a client (no key, bad URL).
    #[error("provider is not configured: {0}")]
    NotConfigured(String),
}

impl LlmError {
    /// Whether the same request may succeed later without changes on our side.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server(_) | Self::Timeout | Self::Transport(_)
        )
    }

    /// A short class name, recorded in `llm_calls.status`.
    pub fn class(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Server(_) => "server_error",
            Self::Rejected { .. } => "rejected",
            Self::Malformed(_) => "malformed",
            Self::Timeout => "timeout",
            Self::Transport(_) => "transport",
            Self::NotConfigured(_) => "not_configured",
        }
    }
}
