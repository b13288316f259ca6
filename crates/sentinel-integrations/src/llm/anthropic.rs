//! Anthropic's Messages API: `POST {base}/v1/messages` with `x-api-key`,
//! `anthropic-version: 2023-06-01`, the instructions as a `system` text block marked
//! `cache_control: {type: "ephemeral"}` (the same for every incident, so later autopsies
//! read it from the provider's prompt cache) and the incident as the user message.
//!
//! The answer's `usage` follows Anthropic's convention: `input_tokens` is the uncached part
//! only; `cache_creation_input_tokens` and `cache_read_input_tokens` come beside it.

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use sentinel_core::llm::{LlmRequest, TokenUsage};
use serde::Deserialize;
use serde_json::json;

use super::error::LlmError;
use super::exchange::post_json;
use super::LlmAnswer;
use crate::http::HttpTransport;

/// The Messages API version Sentinel is written against.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct AnthropicClient {
    base: url::Url,
    key: Option<SecretString>,
    transport: HttpTransport,
}

impl std::fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct MessageWire {
    model: String,
    content: Vec<BlockWire>,
    #[serde(default)]
    stop_reason: Option<String>,
    usage: UsageWire,
}

#[derive(Deserialize)]
struct BlockWire {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct UsageWire {
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl AnthropicClient {
    pub fn new(base: url::Url, key: Option<SecretString>, transport: HttpTransport) -> Self {
        Self {
            base,
            key,
            transport,
        }
    }

    pub fn body(request: &LlmRequest) -> serde_json::Value {
        json!({
            "model": request.model,
            "max_tokens": request.max_output_tokens,
            "system": [{
                "type": "text",
                "text": request.system,
                "cache_control": {"type": "ephemeral"},
            }],
            "messages": [{
                "role": "user",
                "content": [{"type": "text", "text": request.user}],
            }],
        })
    }

    pub async fn complete(&self, request: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| LlmError::NotConfigured("Anthropic needs an API key".into()))?;
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| LlmError::NotConfigured("base URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(["v1", "messages"]);
        let mut headers = HeaderMap::new();
        let mut value = HeaderValue::from_str(key.expose_secret())
            .map_err(|_| LlmError::NotConfigured("API key is not a header value".into()))?;
        value.set_sensitive(true);
        headers.insert("x-api-key", value);
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        let answer = post_json(
            &self.transport,
            url,
            headers,
            &Self::body(request),
            Some(key),
        )
        .await?;
        let wire: MessageWire = answer.json()?;
        let u = &wire.usage;
        let usage = TokenUsage::from_anthropic(
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens.unwrap_or(0),
            u.cache_read_input_tokens.unwrap_or(0),
        );
        let text: String = wire
            .content
            .iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text.as_deref())
            .collect();
        if text.trim().is_empty() {
            return Err(LlmError::Malformed(format!(
                "no text in the answer (stop_reason {})",
                wire.stop_reason.as_deref().unwrap_or("none")
            )));
        }
        tracing::debug!(
            provider = "anthropic",
            model = %wire.model,
            input_tokens = usage.total_input(),
            output_tokens = usage.output,
            latency_ms = answer.elapsed_ms,
            "model answered"
        );
        Ok(LlmAnswer {
            model: wire.model,
            text,
            usage,
            latency_ms: answer.elapsed_ms,
            ttft_ms: None,
        })
    }
}
