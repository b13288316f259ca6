//! Model calls (`llm_calls`, migration 0023): one row per call, the cache of answers by
//! input hash, and an organization's spend over a period for its budget; and the
//! organization's provider settings ([`settings`]) and its usage grouped by day, model and
//! step ([`usage`]).

pub mod settings;
pub mod usage;

use crate::code::ListError;
use crate::cursor::{decode, encode};
use crate::db::{read, write};
use crate::incidents::Page;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, LlmCallId, OrgId};
use sentinel_core::llm::{LlmCallRecord, TokenUsage};
use serde::Serialize;

const CURSOR_TAG: &str = "llm_calls";

/// A call to record: the provider step's record, and the incident it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLlmCall {
    pub incident_id: Option<IncidentId>,
    pub call: LlmCallRecord,
}

/// A recorded call, as listed (without the answer's text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LlmCall {
    pub id: LlmCallId,
    pub incident_id: Option<IncidentId>,
    pub step: String,
    pub provider: String,
    pub model_requested: String,
    pub model_answered: Option<String>,
    pub usage: TokenUsage,
    pub cost_nano_usd: Option<i64>,
    pub price_table_version: Option<String>,
    pub latency_ms: i64,
    pub ttft_ms: Option<i64>,
    pub status: String,
    pub error: Option<String>,
    pub input_hash: String,
    pub cache_hit: bool,
    pub created_at: Millis,
}

/// An earlier successful answer to the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAnswer {
    pub call_id: LlmCallId,
    pub model_answered: Option<String>,
    pub response: String,
}

/// What an organization's calls used over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LlmSpend {
    pub tokens: i64,
    pub cost_nano_usd: i64,
    pub calls: i64,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: String,
    incident_id: Option<String>,
    step: String,
    provider: String,
    model_requested: String,
    model_answered: Option<String>,
    input_tokens_uncached: i64,
    input_tokens_cache_read: i64,
    input_tokens_cache_write: i64,
    output_tokens: i64,
    reasoning_tokens: i64,
    cost_nano_usd: Option<i64>,
    price_table_version: Option<String>,
    latency_ms: i64,
    ttft_ms: Option<i64>,
    status: String,
    error: Option<String>,
    input_hash: String,
    cache_hit: bool,
    created_at: i64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn column(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<CallRow> for LlmCall {
    fn from(r: CallRow) -> Self {
        Self {
            id: LlmCallId::from_string(r.id),
            incident_id: r.incident_id.map(IncidentId::from_string),
            step: r.step,
            provider: r.provider,
            model_requested: r.model_requested,
            model_answered: r.model_answered,
            usage: TokenUsage {
                input_uncached: count(r.input_tokens_uncached),
                cache_read: count(r.input_tokens_cache_read),
                cache_write: count(r.input_tokens_cache_write),
                output: count(r.output_tokens),
                reasoning: count(r.reasoning_tokens),
            },
            cost_nano_usd: r.cost_nano_usd,
            price_table_version: r.price_table_version,
            latency_ms: r.latency_ms,
            ttft_ms: r.ttft_ms,
            status: r.status,
            error: r.error,
            input_hash: r.input_hash,
            cache_hit: r.cache_hit,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, incident_id, step, provider, model_requested, model_answered, \
    input_tokens_uncached, input_tokens_cache_read, input_tokens_cache_write, output_tokens, \
    reasoning_tokens, cost_nano_usd, price_table_version, latency_ms, ttft_ms, status, error, \
    input_hash, cache_hit, created_at";

impl Store {
    /// Records one call.
    pub async fn record_llm_call(&self, org: &OrgId, call: &NewLlmCall) -> StoreResult<LlmCallId> {
        let incident_id = call.incident_id.as_ref();
        let call = &call.call;
        let id = LlmCallId::generate();
        let u = &call.usage;
        write!(self, |pool| {
            sqlx::query(&format!(
                "INSERT INTO llm_calls (org_id, response, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, \
                 $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
            ))
            .bind(org.as_str())
            .bind(call.response.as_deref())
            .bind(id.as_str())
            .bind(incident_id.map(IncidentId::as_str))
            .bind(&call.step)
            .bind(call.provider.as_str())
            .bind(&call.model_requested)
            .bind(call.model_answered.as_deref())
            .bind(column(u.input_uncached))
            .bind(column(u.cache_read))
            .bind(column(u.cache_write))
            .bind(column(u.output))
            .bind(column(u.reasoning))
            .bind(call.cost_nano_usd)
            .bind(call.price_table_version.as_deref())
            .bind(call.latency_ms)
            .bind(call.ttft_ms)
            .bind(&call.status)
            .bind(call.error.as_deref())
            .bind(&call.input_hash)
            .bind(call.cache_hit)
            .bind(call.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(id)
    }

    /// The latest successful answer the provider gave to a request with `input_hash`,
    /// at or after `since` (older answers are not reused).
    pub async fn find_cached_llm_answer(
        &self,
        org: &OrgId,
        input_hash: &str,
        since: Millis,
    ) -> StoreResult<Option<CachedAnswer>> {
        let row: Option<(String, Option<String>, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, model_answered, response FROM llm_calls WHERE org_id = $1 \
                 AND input_hash = $2 AND created_at >= $3 AND status = 'ok' \
                 AND response IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(org.as_str())
            .bind(input_hash)
            .bind(since)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, model_answered, response)| CachedAnswer {
            call_id: LlmCallId::from_string(id),
            model_answered,
            response,
        }))
    }

    /// Tokens and money an organization's calls used in `[from, to)`.
    pub async fn llm_spend(&self, org: &OrgId, from: Millis, to: Millis) -> StoreResult<LlmSpend> {
        let (tokens, cost, calls): (i64, i64, i64) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(input_tokens_uncached + input_tokens_cache_read \
                 + input_tokens_cache_write + output_tokens), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT), COUNT(*) \
                 FROM llm_calls WHERE org_id = $1 AND created_at >= $2 AND created_at < $3",
            )
            .bind(org.as_str())
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?
        });
        Ok(LlmSpend {
            tokens,
            cost_nano_usd: cost,
            calls,
        })
    }

    /// An organization's calls, newest first, `limit` per page.
    pub async fn list_llm_calls(
        &self,
        org: &OrgId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<LlmCall>, ListError> {
        let after = cursor.map(|c| decode(CURSOR_TAG, c)).transpose()?;
        let (before_at, before_id) = after.unwrap_or((i64::MAX, String::new()));
        let limit = i64::from(limit.clamp(1, 500));
        let rows: Vec<CallRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM llm_calls WHERE org_id = $1 \
                 AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3))) \
                 ORDER BY created_at DESC, id DESC LIMIT $4"
            ))
            .bind(org.as_str())
            .bind(before_at)
            .bind(&before_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await
            .map_err(crate::StoreError::from)?
        });
        let mut items: Vec<LlmCall> = rows.into_iter().map(LlmCall::from).collect();
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| encode(CURSOR_TAG, last.created_at, last.id.as_str()))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}
