//! One JSON POST to a provider: bounded read of the answer, status mapped to [`LlmError`],
//! and the key kept out of every error text.

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::error::LlmError;
use crate::http::HttpTransport;
use crate::outcome::parse_retry_after;

/// More than this is not a diagnosis; refused rather than buffered.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
const MAX_MESSAGE_CHARS: usize = 300;

pub(super) struct Answer {
    pub body: Vec<u8>,
    pub elapsed_ms: i64,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, LlmError> {
        serde_json::from_slice(&self.body).map_err(|e| LlmError::Malformed(e.to_string()))
    }
}

/// POSTs `body` with `headers` and returns a 2xx answer's body, or the error it stands for.
pub(super) async fn post_json(
    transport: &HttpTransport,
    url: url::Url,
    headers: HeaderMap,
    body: &serde_json::Value,
    key: Option<&SecretString>,
) -> Result<Answer, LlmError> {
    let started = transport.clock().now_ms();
    let response = transport
        .client()
        .post(url)
        .headers(headers)
        .header(CONTENT_TYPE, "application/json")
        .json(body)
        .send()
        .await
        .map_err(transport_error)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, transport.clock().now_ms()));
    let body = read_bounded(response).await?;
    let elapsed_ms = transport.clock().now_ms().saturating_sub(started);
    match status {
        200..=299 => Ok(Answer { body, elapsed_ms }),
        429 => Err(LlmError::RateLimited { retry_after }),
        500..=599 => Err(LlmError::Server(status)),
        _ => Err(LlmError::Rejected {
            status,
            message: redact(&error_message(&body), key),
        }),
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, LlmError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(LlmError::Malformed(format!(
                "answer larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `error.message` as both vendors put it, or the start of the body.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<String> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_owned));
    let text = parsed.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// `text` with every occurrence of the key (and of its longer prefixes, as vendors echo
/// keys cut short) replaced.
pub(super) fn redact(text: &str, key: Option<&SecretString>) -> String {
    let Some(key) = key.map(|k| k.expose_secret()) else {
        return text.to_owned();
    };
    let mut out = text.to_owned();
    if key.len() >= 8 {
        out = out.replace(key, "[REDACTED]");
        // "sk-abc123…" cut at 8+ characters still names most of the key.
        for len in (8..key.len()).rev() {
            if let Some(prefix) = key.get(..len) {
                if out.contains(prefix) {
                    out = out.replace(prefix, "[REDACTED]");
                }
            }
        }
    } else if !key.is_empty() {
        out = out.replace(key, "[REDACTED]");
    }
    out
}

fn transport_error(error: reqwest::Error) -> LlmError {
    if error.is_timeout() {
        return LlmError::Timeout;
    }
    let kind = if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    LlmError::Transport(format!("{kind}: {}", error.without_url()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_their_prefixes_are_cut_out_of_error_text() {
        let key = SecretString::from("sk-test-0123456789abcdef");
        let text = "Incorrect API key provided: sk-test-0123456789abcdef. Also sk-test-0123***";
        let out = redact(text, Some(&key));
        assert!(!out.contains("0123456789abcdef"), "{out}");
        assert!(!out.contains("sk-test-0123"), "{out}");
        assert_eq!(redact("no key here", Some(&key)), "no key here");
    }
}
