//! An organization's model provider (`llm_provider_settings`, migration 0023). The API key
//! arrives here already sealed with the server's key; the store never sees it in clear.

use crate::db::{read, write};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

/// What an organization configured. `api_key_sealed` is `v1.<base64>` (see
/// `sentinel_core::sealed`), or `None` for a provider that needs no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    pub provider: String,
    pub base_url: String,
    pub model: String,
    pub api_key_sealed: Option<String>,
    pub max_output_tokens: i64,
    pub monthly_token_budget: Option<i64>,
    pub monthly_cost_budget_nano_usd: Option<i64>,
    /// JSON array of model prices replacing the built-in table.
    pub prices: Option<String>,
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    provider: String,
    base_url: String,
    model: String,
    api_key_sealed: Option<String>,
    max_output_tokens: i64,
    monthly_token_budget: Option<i64>,
    monthly_cost_budget_nano_usd: Option<i64>,
    prices: Option<String>,
    updated_at: i64,
}

impl From<SettingsRow> for ProviderSettings {
    fn from(r: SettingsRow) -> Self {
        Self {
            provider: r.provider,
            base_url: r.base_url,
            model: r.model,
            api_key_sealed: r.api_key_sealed,
            max_output_tokens: r.max_output_tokens,
            monthly_token_budget: r.monthly_token_budget,
            monthly_cost_budget_nano_usd: r.monthly_cost_budget_nano_usd,
            prices: r.prices,
            updated_at: r.updated_at,
        }
    }
}

impl Store {
    /// The organization's provider settings; `None` until configured (the heuristic).
    pub async fn get_provider_settings(
        &self,
        org: &OrgId,
    ) -> StoreResult<Option<ProviderSettings>> {
        let row: Option<SettingsRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT provider, base_url, model, api_key_sealed, max_output_tokens, \
                 monthly_token_budget, monthly_cost_budget_nano_usd, prices, updated_at \
                 FROM llm_provider_settings WHERE org_id = $1",
            )
            .bind(org.as_str())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(ProviderSettings::from))
    }

    /// Replaces the organization's settings. The stored key is kept when `settings`
    /// carries none and `keep_key` is set (a settings change that does not touch the key).
    pub async fn put_provider_settings(
        &self,
        org: &OrgId,
        settings: &ProviderSettings,
        keep_key: bool,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            sqlx::query(
                "INSERT INTO llm_provider_settings (org_id, provider, base_url, model, \
                 api_key_sealed, max_output_tokens, monthly_token_budget, \
                 monthly_cost_budget_nano_usd, prices, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (org_id) DO UPDATE SET provider = excluded.provider, \
                 base_url = excluded.base_url, model = excluded.model, \
                 api_key_sealed = CASE WHEN $11 AND excluded.api_key_sealed IS NULL \
                   THEN llm_provider_settings.api_key_sealed ELSE excluded.api_key_sealed END, \
                 max_output_tokens = excluded.max_output_tokens, \
                 monthly_token_budget = excluded.monthly_token_budget, \
                 monthly_cost_budget_nano_usd = excluded.monthly_cost_budget_nano_usd, \
                 prices = excluded.prices, updated_at = excluded.updated_at",
            )
            .bind(org.as_str())
            .bind(&settings.provider)
            .bind(&settings.base_url)
            .bind(&settings.model)
            .bind(settings.api_key_sealed.as_deref())
            .bind(settings.max_output_tokens)
            .bind(settings.monthly_token_budget)
            .bind(settings.monthly_cost_budget_nano_usd)
            .bind(settings.prices.as_deref())
            .bind(settings.updated_at)
            .bind(keep_key)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
