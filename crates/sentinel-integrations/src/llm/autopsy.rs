//! The provider step of an autopsy, as the workflow calls it: build the bounded, scrubbed
//! prompt, answer from the cache when an identical request was answered before, stop when
//! the organization's monthly budget is spent, otherwise call the provider; record one
//! `llm_calls` row whatever happens, and read the answer into a [`Diagnosis`].
//!
//! Every failure is an [`AutopsyCallError`]: the caller falls back to the heuristic and
//! says why. The call log is a [`LlmLedger`] the caller passes in (the store, scoped to the
//! organization and incident), so this crate needs no database.

use std::future::Future;

use chrono::{Datelike, TimeZone, Utc};
use sentinel_core::autopsy::{AutopsyInput, Diagnosis};
use sentinel_core::clock::Millis;
pub use sentinel_core::llm::LlmCallRecord;
use sentinel_core::llm::{
    build_patch_retry_prompt, build_prompt, parse_diagnosis, AnswerError, Cost, LlmRequest,
    PriceTable, PromptLimits, ProviderKind, RejectedPatch, TokenUsage,
};
use sentinel_core::scrub::Scrubber;

use super::{LlmClient, LlmError};
use crate::http::HttpTransport;

/// An earlier answer to the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedLlmAnswer {
    pub model_answered: Option<String>,
    pub response: String,
}

/// Tokens and nano-dollars spent in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LlmSpendSoFar {
    pub tokens: i64,
    pub cost_nano_usd: i64,
}

/// The organization's call log. The store implements it in a few lines:
/// `find_cached_llm_answer`, `llm_spend` and `record_llm_call`, with the org (and the
/// incident for the record) bound.
pub trait LlmLedger: Sync {
    fn cached(
        &self,
        input_hash: &str,
        since: Millis,
    ) -> impl Future<Output = Result<Option<CachedLlmAnswer>, String>> + Send;
    fn spend(
        &self,
        from: Millis,
        to: Millis,
    ) -> impl Future<Output = Result<LlmSpendSoFar, String>> + Send;
    fn record(&self, call: &LlmCallRecord) -> impl Future<Output = Result<(), String>> + Send;
}

/// A monthly limit; `None` fields do not limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthlyBudget {
    pub tokens: Option<i64>,
    pub cost_nano_usd: Option<i64>,
}

/// Everything the step needs besides the input and the ledger.
#[derive(Debug)]
pub struct AutopsyProvider<'a> {
    pub client: &'a LlmClient,
    pub provider: ProviderKind,
    pub model: &'a str,
    pub max_output_tokens: u32,
    pub prices: &'a PriceTable,
    pub budget: MonthlyBudget,
    pub scrubber: &'a Scrubber,
    pub limits: PromptLimits,
    /// How long an answer is reused for an identical request.
    pub cache_ttl_ms: Millis,
    /// The workflow step recorded with the call (`diagnose`).
    pub step: &'a str,
    /// The clock the call is timed and dated by.
    pub transport: &'a HttpTransport,
}

/// A diagnosis by a model, and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDiagnosis {
    pub diagnosis: Diagnosis,
    pub cache_hit: bool,
    pub model_answered: Option<String>,
    pub usage: TokenUsage,
    pub cost: Option<Cost>,
}

/// Why the model did not give a diagnosis; the workflow falls back to the heuristic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutopsyCallError {
    #[error("the monthly model budget is spent ({spent_tokens} tokens, {spent_nano_usd} nano-USD this month)")]
    BudgetExhausted {
        spent_tokens: i64,
        spent_nano_usd: i64,
    },
    #[error(transparent)]
    Provider(#[from] LlmError),
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error("the model call log failed: {0}")]
    Ledger(String),
}

/// `[start, end)` of the UTC calendar month holding `now`.
pub fn month_bounds(now: Millis) -> (Millis, Millis) {
    let at = Utc.timestamp_millis_opt(now).single().unwrap_or_default();
    let start = Utc
        .with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let (year, month) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    (start.timestamp_millis(), end.timestamp_millis())
}

impl AutopsyProvider<'_> {
    fn record(&self, request: &LlmRequest, hash: &str, status: &str, now: Millis) -> LlmCallRecord {
        LlmCallRecord {
            step: self.step.to_owned(),
            provider: self.provider,
            model_requested: request.model.clone(),
            model_answered: None,
            usage: TokenUsage::default(),
            cost_nano_usd: None,
            price_table_version: None,
            latency_ms: 0,
            ttft_ms: None,
            status: status.to_owned(),
            error: None,
            input_hash: hash.to_owned(),
            cache_hit: false,
            response: None,
            created_at: now,
        }
    }

    /// Diagnoses `input` with the configured model; see the module documentation.
    pub async fn diagnose<L: LlmLedger>(
        &self,
        input: &AutopsyInput,
        ledger: &L,
    ) -> Result<ProviderDiagnosis, AutopsyCallError> {
        let (system, user) = build_prompt(input, self.scrubber, &self.limits);
        self.answer(system, user, ledger).await
    }

    /// Asks once more after the model's patch was refused by `git apply --check`, with the
    /// patch and git's complaint; cached, budgeted and recorded like the first call.
    pub async fn repair_patch<L: LlmLedger>(
        &self,
        input: &AutopsyInput,
        rejected: &RejectedPatch,
        ledger: &L,
    ) -> Result<ProviderDiagnosis, AutopsyCallError> {
        let (system, user) = build_patch_retry_prompt(input, rejected, self.scrubber, &self.limits);
        self.answer(system, user, ledger).await
    }

    async fn answer<L: LlmLedger>(
        &self,
        system: String,
        user: String,
        ledger: &L,
    ) -> Result<ProviderDiagnosis, AutopsyCallError> {
        let clock = self.transport.clock();
        let request = LlmRequest {
            provider: self.provider,
            model: self.model.to_owned(),
            system,
            user,
            max_output_tokens: self.max_output_tokens,
        };
        let hash = request.input_hash();
        let now = clock.now_ms();
        let since = now.saturating_sub(self.cache_ttl_ms);
        if let Some(hit) = ledger
            .cached(&hash, since)
            .await
            .map_err(AutopsyCallError::Ledger)?
        {
            // An answer that no longer parses (the checks got stricter) is not reused.
            if let Ok(diagnosis) = parse_diagnosis(&hit.response) {
                let record = LlmCallRecord {
                    model_answered: hit.model_answered.clone(),
                    cost_nano_usd: Some(0),
                    cache_hit: true,
                    ..self.record(&request, &hash, "ok", now)
                };
                ledger
                    .record(&record)
                    .await
                    .map_err(AutopsyCallError::Ledger)?;
                tracing::info!(step = self.step, input_hash = %hash, "model answer from the cache");
                return Ok(ProviderDiagnosis {
                    diagnosis,
                    cache_hit: true,
                    model_answered: hit.model_answered,
                    usage: TokenUsage::default(),
                    cost: Some(Cost::default()),
                });
            }
        }
        self.check_budget(&request, &hash, now, ledger).await?;
        let answered = self.client.complete(&request).await;
        let done = clock.now_ms();
        let answer = match answered {
            Ok(answer) => answer,
            Err(error) => {
                let record = LlmCallRecord {
                    error: Some(error.to_string()),
                    latency_ms: done.saturating_sub(now),
                    ..self.record(&request, &hash, error.class(), now)
                };
                ledger
                    .record(&record)
                    .await
                    .map_err(AutopsyCallError::Ledger)?;
                tracing::warn!(step = self.step, error = %error, "model call failed");
                return Err(error.into());
            }
        };
        let cost = self
            .prices
            .cost(&answer.model, &answer.usage)
            .or_else(|| self.prices.cost(&request.model, &answer.usage));
        let parsed = parse_diagnosis(&answer.text);
        let base = LlmCallRecord {
            model_answered: Some(answer.model.clone()),
            usage: answer.usage,
            cost_nano_usd: cost.map(Cost::nano_usd),
            price_table_version: cost.map(|_| self.prices.version.clone()),
            latency_ms: answer.latency_ms,
            ttft_ms: answer.ttft_ms,
            ..self.record(&request, &hash, "ok", now)
        };
        let record = match &parsed {
            Ok(_) => LlmCallRecord {
                response: Some(answer.text.clone()),
                ..base
            },
            Err(error) => LlmCallRecord {
                status: "invalid_answer".to_owned(),
                error: Some(error.to_string()),
                ..base
            },
        };
        ledger
            .record(&record)
            .await
            .map_err(AutopsyCallError::Ledger)?;
        Ok(ProviderDiagnosis {
            diagnosis: parsed?,
            cache_hit: false,
            model_answered: Some(answer.model),
            usage: answer.usage,
            cost,
        })
    }

    async fn check_budget<L: LlmLedger>(
        &self,
        request: &LlmRequest,
        hash: &str,
        now: Millis,
        ledger: &L,
    ) -> Result<(), AutopsyCallError> {
        if self.budget == MonthlyBudget::default() {
            return Ok(());
        }
        let (from, to) = month_bounds(now);
        let spent = ledger
            .spend(from, to)
            .await
            .map_err(AutopsyCallError::Ledger)?;
        let over_tokens = self.budget.tokens.is_some_and(|b| spent.tokens >= b);
        let over_cost = self
            .budget
            .cost_nano_usd
            .is_some_and(|b| spent.cost_nano_usd >= b);
        if !(over_tokens || over_cost) {
            return Ok(());
        }
        let error = AutopsyCallError::BudgetExhausted {
            spent_tokens: spent.tokens,
            spent_nano_usd: spent.cost_nano_usd,
        };
        let record = LlmCallRecord {
            error: Some(error.to_string()),
            ..self.record(request, hash, "budget_exhausted", now)
        };
        ledger
            .record(&record)
            .await
            .map_err(AutopsyCallError::Ledger)?;
        tracing::warn!(
            step = self.step,
            spent_tokens = spent.tokens,
            "model budget spent; not calling"
        );
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        // 2024-12-15T10:00:00Z → December 2024.
        let (from, to) = month_bounds(1_734_256_800_000);
        assert_eq!(from, 1_733_011_200_000); // 2024-12-01
        assert_eq!(to, 1_735_689_600_000); // 2025-01-01
        assert_eq!(month_bounds(from), (from, to));
        assert_eq!(month_bounds(to - 1), (from, to));
    }
}
