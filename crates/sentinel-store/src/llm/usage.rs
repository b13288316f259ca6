//! What an organization's model calls used over a period, grouped for the usage page: per
//! UTC day (calls, tokens, cost), per model and per workflow step (calls, the token
//! classes, cost, cache hits, calls without a price, failures). One grouped aggregate over
//! `llm_calls` per grouping; the day is `created_at / 86 400 000`.

use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

const DAY_MS: Millis = 86_400_000;

/// Sums over a group of calls. Tokens follow `llm_calls`: the three input classes are
/// disjoint, reasoning is part of output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct UsageTotals {
    pub calls: i64,
    pub input_uncached: i64,
    pub cache_read: i64,
    pub cache_write: i64,
    pub output: i64,
    /// Nano-USD of the priced calls.
    pub cost_nano_usd: i64,
    /// Calls answered from the cache.
    pub cache_hits: i64,
    /// Calls whose model the price table did not know (no cost recorded).
    pub unpriced: i64,
    /// Calls whose status is not `ok`.
    pub failed: i64,
}

impl UsageTotals {
    /// Every token the calls used, as the budget counts them.
    pub fn tokens(&self) -> i64 {
        self.input_uncached + self.cache_read + self.cache_write + self.output
    }

    fn add(&mut self, other: &UsageTotals) {
        self.calls += other.calls;
        self.input_uncached += other.input_uncached;
        self.cache_read += other.cache_read;
        self.cache_write += other.cache_write;
        self.output += other.output;
        self.cost_nano_usd += other.cost_nano_usd;
        self.cache_hits += other.cache_hits;
        self.unpriced += other.unpriced;
        self.failed += other.failed;
    }
}

/// One UTC day with calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct DayUsage {
    pub day_start: Millis,
    #[sqlx(flatten)]
    pub totals: UsageTotals,
}

/// The calls that asked for one model of one provider.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ModelUsage {
    pub provider: String,
    pub model: String,
    #[sqlx(flatten)]
    pub totals: UsageTotals,
}

/// The calls one workflow step made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StepUsage {
    pub step: String,
    #[sqlx(flatten)]
    pub totals: UsageTotals,
}

/// An organization's calls in a period, grouped three ways. Days without calls are left
/// out; models and steps come most expensive first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlmUsage {
    pub days: Vec<DayUsage>,
    pub models: Vec<ModelUsage>,
    pub steps: Vec<StepUsage>,
}

impl LlmUsage {
    /// The whole period's sums.
    pub fn totals(&self) -> UsageTotals {
        let mut all = UsageTotals::default();
        for day in &self.days {
            all.add(&day.totals);
        }
        all
    }
}

// PostgreSQL sums BIGINTs into NUMERIC; the casts keep both backends at i64.
const TOTALS: &str = "COUNT(*) AS calls, \
    CAST(COALESCE(SUM(input_tokens_uncached), 0) AS BIGINT) AS input_uncached, \
    CAST(COALESCE(SUM(input_tokens_cache_read), 0) AS BIGINT) AS cache_read, \
    CAST(COALESCE(SUM(input_tokens_cache_write), 0) AS BIGINT) AS cache_write, \
    CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output, \
    CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT) AS cost_nano_usd, \
    CAST(COALESCE(SUM(CASE WHEN cache_hit THEN 1 ELSE 0 END), 0) AS BIGINT) AS cache_hits, \
    CAST(COALESCE(SUM(CASE WHEN cost_nano_usd IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS unpriced, \
    CAST(COALESCE(SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed";

const SCOPE: &str = "FROM llm_calls WHERE org_id = $1 AND created_at >= $2 AND created_at < $3";

impl Store {
    /// The organization's calls in `[from, to)`, per day, per model and per step.
    pub async fn llm_usage(&self, org: &OrgId, from: Millis, to: Millis) -> StoreResult<LlmUsage> {
        let days_sql = format!(
            "SELECT (created_at / {DAY_MS}) * {DAY_MS} AS day_start, {TOTALS} {SCOPE} \
             GROUP BY created_at / {DAY_MS} ORDER BY 1"
        );
        let models_sql = format!(
            "SELECT provider, model_requested AS model, {TOTALS} {SCOPE} \
             GROUP BY provider, model_requested ORDER BY cost_nano_usd DESC, calls DESC, 1, 2"
        );
        let steps_sql = format!(
            "SELECT step, {TOTALS} {SCOPE} GROUP BY step \
             ORDER BY cost_nano_usd DESC, calls DESC, 1"
        );
        let usage = read!(self, |pool| {
            let days = sqlx::query_as(&days_sql)
                .bind(org.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            let models = sqlx::query_as(&models_sql)
                .bind(org.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            let steps = sqlx::query_as(&steps_sql)
                .bind(org.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            LlmUsage {
                days,
                models,
                steps,
            }
        });
        Ok(usage)
    }
}
