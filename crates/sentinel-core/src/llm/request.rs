//! One request to a model as Sentinel sees it, before any vendor's wire format: which
//! provider and model, the system and user text, the output bound. Its [`input_hash`]
//! identifies identical requests, so a repeated autopsy is answered from the cache.
//!
//! [`input_hash`]: LlmRequest::input_hash

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever what goes into a request changes in a way the hash does not see (the
/// answer's schema, say), so old cache entries stop matching.
const HASH_VERSION: &str = "sentinel-llm-request-v1";

/// Which kind of provider answers an organization's autopsies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The built-in rules: offline, no model, the fallback.
    Heuristic,
    /// Any OpenAI-compatible Chat Completions API (OpenAI, Ollama, vLLM, llama.cpp server).
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heuristic => "heuristic",
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "heuristic" => Some(Self::Heuristic),
            "openai" => Some(Self::Openai),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }
}

/// A request for one structured answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmRequest {
    pub provider: ProviderKind,
    pub model: String,
    /// Instructions that are the same for every incident (and so worth caching at the
    /// provider).
    pub system: String,
    /// The incident.
    pub user: String,
    pub max_output_tokens: u32,
}

impl LlmRequest {
    /// SHA-256 (hex) over everything that decides the answer: provider, model, output
    /// bound, system and user text. Each part is length-prefixed so that moving text
    /// from one part to the next changes the hash.
    pub fn input_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let max = self.max_output_tokens.to_string();
        for part in [
            HASH_VERSION,
            self.provider.as_str(),
            self.model.as_str(),
            max.as_str(),
            self.system.as_str(),
            self.user.as_str(),
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request() -> LlmRequest {
        LlmRequest {
            provider: ProviderKind::Openai,
            model: "gpt-4o-mini".into(),
            system: "You diagnose.".into(),
            user: "KeyError: 'email'".into(),
            max_output_tokens: 2000,
        }
    }

    #[test]
    fn identical_requests_share_a_hash_and_any_change_breaks_it() {
        let hash = request().input_hash();
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, request().input_hash());
        let changes = [
            LlmRequest {
                model: "gpt-4o".into(),
                ..request()
            },
            LlmRequest {
                provider: ProviderKind::Anthropic,
                ..request()
            },
            LlmRequest {
                max_output_tokens: 1000,
                ..request()
            },
            LlmRequest {
                user: "KeyError: 'name'".into(),
                ..request()
            },
            // The same text split differently between system and user.
            LlmRequest {
                system: "You diagnose.K".into(),
                user: "eyError: 'email'".into(),
                ..request()
            },
        ];
        for changed in changes {
            assert_ne!(changed.input_hash(), hash, "{changed:?}");
        }
    }

    #[test]
    fn provider_kinds_round_trip() {
        for kind in [
            ProviderKind::Heuristic,
            ProviderKind::Openai,
            ProviderKind::Anthropic,
        ] {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("gemini"), None);
    }
}
