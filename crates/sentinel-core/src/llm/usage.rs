//! What one model call used, in one convention whatever the vendor.
//!
//! The vendors count differently. OpenAI-compatible APIs report `prompt_tokens` *including*
//! the cached part (`prompt_tokens_details.cached_tokens`), and `completion_tokens`
//! including the reasoning part (`completion_tokens_details.reasoning_tokens`). Anthropic
//! reports `input_tokens` as the *uncached* part only, with cache reads
//! (`cache_read_input_tokens`) and cache writes (`cache_creation_input_tokens`) beside it.
//! [`TokenUsage`] keeps the four input classes disjoint, so that they are priced separately
//! and summed without counting a token twice.

use serde::{Deserialize, Serialize};

/// Tokens of one call. The three input fields are disjoint; `reasoning` is the part of
/// `output` the model spent thinking (already inside `output`, priced as output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens read neither from nor into the provider's prompt cache.
    pub input_uncached: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl TokenUsage {
    /// From an OpenAI-compatible `usage` block. `cached` is
    /// `prompt_tokens_details.cached_tokens` (part of `prompt_tokens`); `reasoning` is
    /// `completion_tokens_details.reasoning_tokens` (part of `completion_tokens`). A
    /// provider that reports more cached tokens than prompt tokens is trusted for the
    /// smaller number: the cached part can never exceed the whole.
    pub fn from_openai(prompt: u64, completion: u64, cached: u64, reasoning: u64) -> Self {
        let cache_read = cached.min(prompt);
        Self {
            input_uncached: prompt - cache_read,
            cache_read,
            cache_write: 0,
            output: completion,
            reasoning: reasoning.min(completion),
        }
    }

    /// From an Anthropic Messages `usage` block: `input_tokens` is already the uncached part.
    pub fn from_anthropic(input: u64, output: u64, cache_creation: u64, cache_read: u64) -> Self {
        Self {
            input_uncached: input,
            cache_read,
            cache_write: cache_creation,
            output,
            reasoning: 0,
        }
    }

    /// Every input token the model read, cached or not.
    pub fn total_input(&self) -> u64 {
        self.input_uncached + self.cache_read + self.cache_write
    }

    /// All tokens of the call, as a token budget counts them.
    pub fn total(&self) -> u64 {
        self.total_input() + self.output
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn openai_cached_tokens_are_taken_out_of_prompt_tokens() {
        let usage = TokenUsage::from_openai(2006, 300, 1920, 0);
        assert_eq!(usage.input_uncached, 86);
        assert_eq!(usage.cache_read, 1920);
        assert_eq!(usage.total_input(), 2006);
        assert_eq!(usage.total(), 2306);
    }

    #[test]
    fn anthropic_cache_tokens_are_added_to_input_tokens() {
        let usage = TokenUsage::from_anthropic(21, 393, 188_086, 0);
        assert_eq!(usage.input_uncached, 21);
        assert_eq!(usage.cache_write, 188_086);
        assert_eq!(usage.total_input(), 188_107);
    }

    #[test]
    fn a_cached_count_larger_than_the_prompt_is_capped() {
        let usage = TokenUsage::from_openai(10, 5, 50, 9);
        assert_eq!((usage.input_uncached, usage.cache_read), (0, 10));
        assert_eq!(usage.reasoning, 5);
    }
}
