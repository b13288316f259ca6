//! One model call's record, shared by the provider step that makes it and the store that
//! keeps it.

use super::{ProviderKind, TokenUsage};
use crate::clock::Millis;

/// One model call as it is recorded in `llm_calls`: what the provider step knows of it. The
/// store adds the incident it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmCallRecord {
    pub step: String,
    pub provider: ProviderKind,
    pub model_requested: String,
    pub model_answered: Option<String>,
    pub usage: TokenUsage,
    pub cost_nano_usd: Option<i64>,
    pub price_table_version: Option<String>,
    pub latency_ms: i64,
    pub ttft_ms: Option<i64>,
    /// `ok`, `budget_exhausted`, `invalid_answer` or the provider error's class.
    pub status: String,
    pub error: Option<String>,
    pub input_hash: String,
    pub cache_hit: bool,
    pub response: Option<String>,
    pub created_at: Millis,
}
