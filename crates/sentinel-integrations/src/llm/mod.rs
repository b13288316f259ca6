//! Language-model providers over HTTP: [`OpenAiClient`] for any OpenAI-compatible Chat
//! Completions API (OpenAI, Ollama, vLLM, llama.cpp server) with structured JSON output,
//! and [`AnthropicClient`] for Anthropic's Messages API with prompt caching.
//!
//! Both take a core [`LlmRequest`] and give back an [`LlmAnswer`]: the answering model, the
//! text, and the usage already normalised ([`TokenUsage`]). The vendors' JSON stays in
//! their modules. Failures are [`LlmError`]s sorted by what the caller should do (wait,
//! retry, give up and fall back to the heuristic). The API key is a [`SecretString`]: it
//! is sent only in its header, never logged, and cut out of any error text a vendor echoes.
//!
//! [`autopsy`] is the step the autopsy workflow calls: cache, budget, call, record, parse.

pub mod anthropic;
pub mod autopsy;
mod error;
mod exchange;
pub mod openai;

pub use anthropic::AnthropicClient;
pub use error::LlmError;
pub use openai::OpenAiClient;

use secrecy::SecretString;
use sentinel_core::llm::{LlmRequest, ProviderKind, TokenUsage};

use crate::http::HttpTransport;

/// What a model answered to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmAnswer {
    /// The model as the provider names it in its answer (often a dated snapshot of the
    /// model asked for).
    pub model: String,
    pub text: String,
    pub usage: TokenUsage,
    /// From sending the request to reading the whole answer, by the injected clock.
    pub latency_ms: i64,
    /// Time to the first token. Answers are not streamed, so this is unknown (`None`).
    pub ttft_ms: Option<i64>,
}

/// Where and how to reach an organization's provider.
#[derive(Clone)]
pub struct ProviderEndpoint {
    pub kind: ProviderKind,
    /// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, `https://api.anthropic.com`…
    pub base_url: url::Url,
    /// Local servers (Ollama, llama.cpp) need none.
    pub api_key: Option<SecretString>,
}

impl std::fmt::Debug for ProviderEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderEndpoint")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// A client for one configured provider.
#[derive(Debug)]
pub enum LlmClient {
    Openai(OpenAiClient),
    Anthropic(AnthropicClient),
}

impl LlmClient {
    /// The client for `endpoint`; `None` for the heuristic, which needs none.
    pub fn new(endpoint: ProviderEndpoint, transport: HttpTransport) -> Option<Self> {
        match endpoint.kind {
            ProviderKind::Openai => Some(Self::Openai(OpenAiClient::new(
                endpoint.base_url,
                endpoint.api_key,
                transport,
            ))),
            ProviderKind::Anthropic => Some(Self::Anthropic(AnthropicClient::new(
                endpoint.base_url,
                endpoint.api_key,
                transport,
            ))),
            ProviderKind::Heuristic => None,
        }
    }

    pub async fn complete(&self, request: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        match self {
            Self::Openai(client) => client.complete(request).await,
            Self::Anthropic(client) => client.complete(request).await,
        }
    }
}
