//! OpenAI-compatible Chat Completions: `POST {base}/chat/completions` with
//! `Authorization: Bearer <key>` (left out for local servers without one), a system and a
//! user message, and `response_format: {type: "json_schema", json_schema: {name, strict,
//! schema}}` so the answer is the diagnosis JSON.
//!
//! The answer's `usage` follows OpenAI's convention: `prompt_tokens` includes
//! `prompt_tokens_details.cached_tokens`. DeepSeek reports `prompt_cache_hit_tokens`
//! instead; both are read. Local servers often omit the details objects.

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use sentinel_core::llm::{diagnosis_schema, LlmRequest, TokenUsage};
use serde::Deserialize;
use serde_json::json;

use super::error::LlmError;
use super::exchange::post_json;
use super::LlmAnswer;
use crate::http::HttpTransport;

pub struct OpenAiClient {
    base: url::Url,
    key: Option<SecretString>,
    transport: HttpTransport,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct CompletionWire {
    model: String,
    choices: Vec<ChoiceWire>,
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct ChoiceWire {
    message: MessageWire,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct MessageWire {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct UsageWire {
    prompt_tokens: u64,
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetailsWire>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetailsWire>,
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct PromptDetailsWire {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CompletionDetailsWire {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl UsageWire {
    fn normalise(&self) -> TokenUsage {
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .unwrap_or(0);
        let reasoning = self
            .completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0);
        TokenUsage::from_openai(
            self.prompt_tokens,
            self.completion_tokens,
            cached,
            reasoning,
        )
    }
}

impl OpenAiClient {
    pub fn new(base: url::Url, key: Option<SecretString>, transport: HttpTransport) -> Self {
        Self {
            base,
            key,
            transport,
        }
    }

    /// The request body. OpenAI's own API refuses `max_tokens` for its reasoning models
    /// and documents `max_completion_tokens`; other servers know only `max_tokens`.
    pub fn body(&self, request: &LlmRequest) -> serde_json::Value {
        let max_key = if self.base.host_str() == Some("api.openai.com") {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        json!({
            "model": request.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            max_key: request.max_output_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "diagnosis", "strict": true, "schema": diagnosis_schema()},
            },
        })
    }

    pub async fn complete(&self, request: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| LlmError::NotConfigured("base URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(["chat", "completions"]);
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.key {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                .map_err(|_| LlmError::NotConfigured("API key is not a header value".into()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let answer = post_json(
            &self.transport,
            url,
            headers,
            &self.body(request),
            self.key.as_ref(),
        )
        .await?;
        let wire: CompletionWire = answer.json()?;
        let usage = wire
            .usage
            .as_ref()
            .map(UsageWire::normalise)
            .unwrap_or_default();
        let choice = wire
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::Malformed("no choices in the answer".into()))?;
        if let Some(refusal) = choice.message.refusal.filter(|r| !r.is_empty()) {
            return Err(LlmError::Malformed(format!("the model refused: {refusal}")));
        }
        let text = choice
            .message
            .content
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                LlmError::Malformed(format!(
                    "no content in the answer (finish_reason {})",
                    choice.finish_reason.as_deref().unwrap_or("none")
                ))
            })?;
        tracing::debug!(
            provider = "openai",
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
