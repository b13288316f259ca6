//! How a GitHub REST call can fail, sorted by what the caller should do next: wait until a
//! given time, retry with backoff, or give up on this request.

use sentinel_core::clock::Millis;

use super::app_jwt::JwtError;

/// A failed GitHub REST call. Messages never include tokens or the App key.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// GitHub's rate limit (primary or secondary) is spent; try again at `retry_at`. The
    /// client never sleeps: the job runner reschedules.
    #[error("GitHub rate limit reached; retry at {retry_at} ms")]
    RateLimited { retry_at: Millis },
    /// GitHub answered with a 5xx; worth retrying later.
    #[error("GitHub server error {0}")]
    Server(u16),
    /// GitHub refused the request (a 4xx other than a rate limit); retrying will not help.
    #[error("GitHub rejected the request with {0}: {1}")]
    Rejected(u16, String),
    /// The request never got an answer (connect failure, timeout); worth retrying later.
    #[error("GitHub request failed: {0}")]
    Transport(String),
    /// A 2xx answer whose body is not what GitHub documents, or larger than Sentinel reads.
    #[error("GitHub answer could not be read: {0}")]
    Decode(String),
    /// The caller named a repository or commit that cannot be a GitHub one.
    #[error("invalid {field}: {value:?}")]
    InvalidArgument { field: &'static str, value: String },
    #[error(transparent)]
    Jwt(#[from] JwtError),
}

impl GithubError {
    /// Whether the same request may succeed later without anything changing on our side.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server(_) | Self::Transport(_)
        )
    }
}
