//! `/api/v1/llm-calls`: every model call the organization's autopsies made (cursor-paged,
//! newest first: `limit` 1 to 200, default 50, and `cursor`); and
//! `/api/v1/llm/provider`: the organization's model provider, read by viewers and set by
//! admins. The API key is write-only: a PUT with `api_key` seals it with the server's key,
//! without `api_key` keeps the stored one, with `"api_key": null` removes it; no answer
//! ever carries it, only `has_api_key`. The checks of a change ([`save_provider`]) are
//! shared with the dashboard's provider form.

use super::repositories::list_error;
use super::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::SecretString;
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, LlmCallId, OrgId};
use sentinel_core::llm::price::{ModelPriceConfig, PriceTable};
use sentinel_core::llm::{ProviderKind, TokenUsage};
use sentinel_core::role::Role;
use sentinel_store::llm::settings::ProviderSettings;
use sentinel_store::llm::LlmCall;
use serde::{Deserialize, Serialize};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;
/// What a provider may answer with when nothing else is set.
pub const DEFAULT_MAX_OUTPUT_TOKENS: i64 = 4096;
pub const NANOS_PER_USD: f64 = 1.0e9;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/llm-calls", get(list_calls))
        .route("/api/v1/llm/provider", get(get_provider).put(put_provider))
}

#[derive(Debug, Serialize)]
struct CallAnswer {
    id: LlmCallId,
    incident_id: Option<IncidentId>,
    step: String,
    provider: String,
    model_requested: String,
    model_answered: Option<String>,
    input_tokens_uncached: u64,
    input_tokens_cache_read: u64,
    input_tokens_cache_write: u64,
    output_tokens: u64,
    reasoning_tokens: u64,
    cost_usd: Option<f64>,
    price_table_version: Option<String>,
    latency_ms: i64,
    ttft_ms: Option<i64>,
    status: String,
    error: Option<String>,
    input_hash: String,
    cache_hit: bool,
    created_at: Millis,
}

impl From<LlmCall> for CallAnswer {
    fn from(c: LlmCall) -> Self {
        let TokenUsage {
            input_uncached,
            cache_read,
            cache_write,
            output,
            reasoning,
        } = c.usage;
        Self {
            id: c.id,
            incident_id: c.incident_id,
            step: c.step,
            provider: c.provider,
            model_requested: c.model_requested,
            model_answered: c.model_answered,
            input_tokens_uncached: input_uncached,
            input_tokens_cache_read: cache_read,
            input_tokens_cache_write: cache_write,
            output_tokens: output,
            reasoning_tokens: reasoning,
            cost_usd: c.cost_nano_usd.map(|n| n as f64 / NANOS_PER_USD),
            price_table_version: c.price_table_version,
            latency_ms: c.latency_ms,
            ttft_ms: c.ttft_ms,
            status: c.status,
            error: c.error,
            input_hash: c.input_hash,
            cache_hit: c.cache_hit,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
struct CallPage {
    data: Vec<CallAnswer>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn list_calls(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<Json<CallPage>, ApiError> {
    principal.require(Role::Viewer)?;
    let limit = match query.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "limit must be a number from 1 to {MAX_PAGE}"
            )))
        }
    };
    let cursor = query.cursor.filter(|c| !c.is_empty());
    let page = state
        .store
        .list_llm_calls(&principal.org_id, cursor.as_deref(), limit)
        .await
        .map_err(list_error)?;
    Ok(Json(CallPage {
        data: page.items.into_iter().map(CallAnswer::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize)]
struct ProviderAnswer {
    provider: String,
    base_url: String,
    model: String,
    has_api_key: bool,
    max_output_tokens: i64,
    monthly_token_budget: Option<i64>,
    monthly_cost_budget_usd: Option<f64>,
    prices: Option<serde_json::Value>,
    updated_at: Option<Millis>,
}

impl From<ProviderSettings> for ProviderAnswer {
    fn from(s: ProviderSettings) -> Self {
        Self {
            provider: s.provider,
            base_url: s.base_url,
            model: s.model,
            has_api_key: s.api_key_sealed.is_some(),
            max_output_tokens: s.max_output_tokens,
            monthly_token_budget: s.monthly_token_budget,
            monthly_cost_budget_usd: s
                .monthly_cost_budget_nano_usd
                .map(|n| n as f64 / NANOS_PER_USD),
            prices: s.prices.and_then(|p| serde_json::from_str(&p).ok()),
            updated_at: Some(s.updated_at),
        }
    }
}

async fn get_provider(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ProviderAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let settings = state.store.get_provider_settings(&principal.org_id).await?;
    Ok(Json(match settings {
        Some(settings) => settings.into(),
        None => ProviderAnswer {
            provider: ProviderKind::Heuristic.as_str().to_owned(),
            base_url: String::new(),
            model: String::new(),
            has_api_key: false,
            max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS,
            monthly_token_budget: None,
            monthly_cost_budget_usd: None,
            prices: None,
            updated_at: None,
        },
    }))
}

/// `api_key`: absent keeps the stored key, `null` removes it, a string replaces it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutProvider {
    provider: String,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default, deserialize_with = "present")]
    api_key: Option<Option<SecretString>>,
    #[serde(default)]
    max_output_tokens: Option<i64>,
    #[serde(default)]
    monthly_token_budget: Option<i64>,
    #[serde(default)]
    monthly_cost_budget_usd: Option<f64>,
    #[serde(default)]
    prices: Option<Vec<ModelPriceConfig>>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn default_base_url(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Openai => "https://api.openai.com/v1",
        ProviderKind::Anthropic => "https://api.anthropic.com",
        ProviderKind::Heuristic => "",
    }
}

/// What a change does to the stored API key.
pub enum KeyChange {
    Keep,
    Remove,
    Replace(SecretString),
}

/// A change of the provider settings, as the API's PUT and the dashboard's form both
/// express it; [`save_provider`] checks it. Fields left `None` take their defaults.
pub struct ProviderChange {
    pub provider: String,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: KeyChange,
    pub max_output_tokens: Option<i64>,
    pub monthly_token_budget: Option<i64>,
    pub monthly_cost_budget_usd: Option<f64>,
    pub prices: Option<Vec<ModelPriceConfig>>,
}

impl From<PutProvider> for ProviderChange {
    fn from(request: PutProvider) -> Self {
        Self {
            provider: request.provider,
            base_url: request.base_url,
            model: request.model,
            api_key: match request.api_key {
                None => KeyChange::Keep,
                Some(None) => KeyChange::Remove,
                Some(Some(key)) => KeyChange::Replace(key),
            },
            max_output_tokens: request.max_output_tokens,
            monthly_token_budget: request.monthly_token_budget,
            monthly_cost_budget_usd: request.monthly_cost_budget_usd,
            prices: request.prices,
        }
    }
}

async fn put_provider(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<PutProvider>,
) -> Result<Json<ProviderAnswer>, ApiError> {
    principal.require(Role::Admin)?;
    let stored = save_provider(&state, &principal.org_id, request.into()).await?;
    Ok(Json(stored.into()))
}

/// Checks a change, seals a new key with the server's key, stores the settings and
/// returns them as stored. The caller has checked the admin role.
pub async fn save_provider(
    state: &AppState,
    org: &OrgId,
    change: ProviderChange,
) -> Result<ProviderSettings, ApiError> {
    let kind = ProviderKind::parse(&change.provider).ok_or_else(|| {
        ApiError::bad_request("provider must be one of heuristic, openai, anthropic")
    })?;
    let base_url = change
        .base_url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| default_base_url(kind).to_owned());
    if kind != ProviderKind::Heuristic {
        let parsed = url::Url::parse(&base_url)
            .map_err(|e| ApiError::bad_request(format!("base_url: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(ApiError::bad_request(
                "base_url must be an http or https URL",
            ));
        }
    }
    let model = change.model.unwrap_or_default().trim().to_owned();
    if kind != ProviderKind::Heuristic && (model.is_empty() || model.len() > 200) {
        return Err(ApiError::bad_request(
            "model must name the model (1 to 200 characters)",
        ));
    }
    let max_output_tokens = change
        .max_output_tokens
        .unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    if !(1..=200_000).contains(&max_output_tokens) {
        return Err(ApiError::bad_request(
            "max_output_tokens must be from 1 to 200000",
        ));
    }
    if change.monthly_token_budget.is_some_and(|b| b < 0) {
        return Err(ApiError::bad_request(
            "monthly_token_budget must be at least 0",
        ));
    }
    let cost_budget = match change.monthly_cost_budget_usd {
        Some(usd) if !usd.is_finite() || !(0.0..=1.0e9).contains(&usd) => {
            return Err(ApiError::bad_request(
                "monthly_cost_budget_usd must be from 0 to 1e9",
            ))
        }
        Some(usd) => Some((usd * NANOS_PER_USD).round() as i64),
        None => None,
    };
    let prices = match &change.prices {
        Some(prices) => {
            PriceTable::from_config("org", prices)
                .map_err(|e| ApiError::bad_request(format!("prices: {e}")))?;
            serde_json::to_string(prices).ok()
        }
        None => None,
    };
    let (api_key_sealed, keep_key) = match change.api_key {
        KeyChange::Keep => (None, true),
        KeyChange::Remove => (None, false),
        KeyChange::Replace(key) => {
            let sealing = state.settings.sealing_key.as_ref().ok_or_else(|| {
                ApiError::conflict(
                    "this server has no secret key configured (server.secret_key), \
                     so it cannot store an API key",
                )
            })?;
            (Some(sealing.seal(org.as_str(), &key)), false)
        }
    };
    let settings = ProviderSettings {
        provider: kind.as_str().to_owned(),
        base_url,
        model,
        api_key_sealed,
        max_output_tokens,
        monthly_token_budget: change.monthly_token_budget,
        monthly_cost_budget_nano_usd: cost_budget,
        prices,
        updated_at: state.clock.now_ms(),
    };
    state
        .store
        .put_provider_settings(org, &settings, keep_key)
        .await?;
    tracing::info!(org_id = %org, provider = kind.as_str(), "provider settings changed");
    state
        .store
        .get_provider_settings(org)
        .await?
        .ok_or_else(|| ApiError::internal("provider settings vanished after writing"))
}
