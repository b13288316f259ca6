//! The one HTTP client the HTTP channels share: bounded in time, never following redirects.
//!
//! Redirects are not followed because a webhook URL that redirects is misconfigured, and
//! following it would send a signed body (or a secret-bearing URL's payload) somewhere the
//! operator did not name. Every request has a connect timeout and a total timeout so a slow
//! receiver holds a delivery job for a bounded time only.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use sentinel_core::clock::SharedClock;
use serde::Deserialize;

use crate::error::ConfigError;
use crate::outcome::{classify_http, DeliveryOutcome, HttpAnswer};

/// How much of an error body is kept in the outcome's reason.
const MAX_REASON_BODY: usize = 512;

/// Time limits for outbound HTTP requests; configured in milliseconds
/// (`connect_timeout_ms`, `request_timeout_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HttpOptions {
    /// Limit for establishing the TCP (and TLS) connection.
    #[serde(rename = "connect_timeout_ms", with = "crate::millis")]
    pub connect_timeout: Duration,
    /// Limit for the whole request, from connecting to the end of the answer.
    #[serde(rename = "request_timeout_ms", with = "crate::millis")]
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
        }
    }
}

/// A cheap-to-clone HTTP client plus the clock used to read `Retry-After` dates and to
/// timestamp signatures. Build one per process and hand clones to every client.
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    clock: SharedClock,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport").finish_non_exhaustive()
    }
}

impl HttpTransport {
    pub fn new(options: &HttpOptions, clock: SharedClock) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Sentinel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self { client, clock })
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The pooled client, for clients (GitHub) that read whole answers themselves.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs a JSON body and classifies the answer. Transport failures become `Retry`.
    pub(crate) async fn post_json(
        &self,
        url: &url::Url,
        body: Vec<u8>,
        headers: HeaderMap,
    ) -> (DeliveryOutcome, Option<HttpAnswer>) {
        let request = self
            .client
            .post(url.clone())
            .headers(headers)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        match request.send().await {
            Ok(response) => {
                let answer = read_answer(response).await;
                let outcome = classify_http(&answer, self.clock.now_ms());
                (outcome, Some(answer))
            }
            Err(error) => (DeliveryOutcome::retry(describe(error)), None),
        }
    }
}

async fn read_answer(mut response: reqwest::Response) -> HttpAnswer {
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let retry_after = header(RETRY_AFTER);
    let location = header(LOCATION);
    // Read only the start of the body: it is for the reason text, and a receiver must not be
    // able to make a delivery buffer an unbounded answer. A body cut short by a timeout is
    // still a complete answer as far as the status is concerned.
    let mut bytes = Vec::new();
    while bytes.len() < MAX_REASON_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(MAX_REASON_BODY);
    HttpAnswer {
        status,
        retry_after,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A reason for a failed request that never contains the URL: channel URLs can carry secrets
/// (a Slack webhook URL is its own credential).
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "request timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut reason = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// Parses a configured channel URL, accepting only http and https.
pub(crate) fn parse_channel_url(field: &'static str, raw: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw).map_err(|e| ConfigError::invalid(field, e.to_string()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(ConfigError::invalid(
            field,
            format!("scheme {other} is not http or https"),
        )),
    }
}
