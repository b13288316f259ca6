//! One GitHub REST exchange: the headers every request carries, a bounded read of the answer,
//! and the mapping of a failed answer to a [`GithubError`], rate limits included.
//!
//! Rate limits come in two shapes (GitHub's REST docs): a secondary limit answers 403 or 429
//! with `Retry-After` in seconds; a spent primary limit answers 403 or 429 with
//! `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset` in epoch seconds. Either becomes
//! `RateLimited { retry_at }`; nothing here waits.

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT,
};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use sentinel_core::clock::Millis;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::GithubError;
use crate::outcome::parse_retry_after;

/// The REST API version Sentinel is written against.
pub const API_VERSION: &str = "2022-11-28";
const MEDIA_TYPE: &str = "application/vnd.github+json";
const SENTINEL_USER_AGENT: &str = concat!("sentinel/", env!("CARGO_PKG_VERSION"));
/// A commit with 300 files and their patches is a few megabytes; more than this is refused
/// rather than buffered.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How much of an error answer is kept as the rejection message.
const MAX_MESSAGE_CHARS: usize = 300;
/// GitHub's advice for a secondary limit that names no time: wait at least a minute.
const UNTIMED_LIMIT_WAIT_MS: Millis = 60_000;

/// A complete answer from GitHub.
pub(crate) struct RestAnswer {
    pub status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl RestAnswer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as one of the private wire types.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GithubError> {
        serde_json::from_slice(&self.body).map_err(|e| GithubError::Decode(e.to_string()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// GitHub's `message` field, or the start of the body when it is not JSON.
    fn message(&self) -> String {
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            message: String,
        }
        let text = match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(error) => error.message,
            Err(_) => String::from_utf8_lossy(&self.body).into_owned(),
        };
        text.chars().take(MAX_MESSAGE_CHARS).collect()
    }

    /// When a rate-limited answer says the limit lifts, if it says so.
    fn rate_limit_lifts_at(&self, now_ms: Millis) -> Option<Millis> {
        if let Some(wait) = self
            .header(RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(v, now_ms))
        {
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            return Some(now_ms.saturating_add(wait_ms));
        }
        if self.header("x-ratelimit-remaining").map(str::trim) == Some("0") {
            let reset_s: i64 = self.header("x-ratelimit-reset")?.trim().parse().ok()?;
            return Some(reset_s.saturating_mul(1000).max(now_ms));
        }
        None
    }

    /// The error a non-success answer stands for.
    pub fn into_error(self, now_ms: Millis) -> GithubError {
        let status = self.status;
        if status == 403 || status == 429 {
            if let Some(retry_at) = self.rate_limit_lifts_at(now_ms) {
                return GithubError::RateLimited { retry_at };
            }
            let message = self.message();
            // A 403 is a rate limit only when GitHub says so; otherwise it is a permission.
            if status == 429 || message.to_ascii_lowercase().contains("rate limit") {
                return GithubError::RateLimited {
                    retry_at: now_ms.saturating_add(UNTIMED_LIMIT_WAIT_MS),
                };
            }
            return GithubError::Rejected(status, message);
        }
        if (500..600).contains(&status) {
            return GithubError::Server(status);
        }
        GithubError::Rejected(status, self.message())
    }
}

/// Sends one request with the REST headers and a bearer token (an App JWT or an
/// installation token) and reads the whole answer. `body`, when given, is sent as JSON.
pub(crate) async fn send(
    client: &reqwest::Client,
    method: Method,
    url: Url,
    bearer: &SecretString,
    body: Option<&[u8]>,
) -> Result<RestAnswer, GithubError> {
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", bearer.expose_secret()))
        .map_err(|_| GithubError::InvalidArgument {
            field: "token",
            value: "<not a header value>".to_owned(),
        })?;
    authorization.set_sensitive(true);
    let mut request = client
        .request(method, url)
        .header(AUTHORIZATION, authorization)
        .header(ACCEPT, MEDIA_TYPE)
        .header("x-github-api-version", API_VERSION)
        .header(USER_AGENT, SENTINEL_USER_AGENT);
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
    }
    let response = request.send().await.map_err(transport_error)?;
    read(response).await
}

async fn read(mut response: reqwest::Response) -> Result<RestAnswer, GithubError> {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(GithubError::Decode(format!(
                "answer larger than {MAX_BODY_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RestAnswer {
        status,
        headers,
        body,
    })
}

fn transport_error(error: reqwest::Error) -> GithubError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    GithubError::Transport(format!("{kind}: {}", error.without_url()))
}
