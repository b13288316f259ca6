//! An organization's own model, as its provider settings describe it: the client for its
//! endpoint (the API key opened with the server's key only here, just before the call), its
//! price table and monthly budget, and the call log over the store ([`StoreLedger`]).
//!
//! Settings that cannot be used — a key sealed with another server key, a price table that
//! no longer parses, no server key at all — make the model [`OrgModel::Unusable`] with the
//! reason; the autopsy then falls back to the heuristic and records why. The reason never
//! carries the key.

use std::sync::Arc;

use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_core::llm::price::ModelPriceConfig;
use sentinel_core::llm::{PriceTable, PromptLimits, ProviderKind};
use sentinel_core::scrub::Scrubber;
use sentinel_core::sealed::SealingKey;
use sentinel_integrations::llm::autopsy::{
    AutopsyProvider, CachedLlmAnswer, LlmCallRecord, LlmLedger, LlmSpendSoFar, MonthlyBudget,
};
use sentinel_integrations::llm::{LlmClient, ProviderEndpoint};
use sentinel_integrations::HttpTransport;
use sentinel_store::llm::settings::ProviderSettings;
use sentinel_store::llm::NewLlmCall;
use sentinel_store::{Store, StoreResult};

/// How long an answer is reused for an identical request: a week.
pub const DEFAULT_CACHE_TTL_MS: Millis = 7 * 24 * 60 * 60 * 1000;

/// What calling an organization's model needs from the server.
#[derive(Clone)]
pub struct ModelSetup {
    /// The server's key the API sealed each organization's API key with; without it no
    /// stored key can be opened.
    pub sealing_key: Option<SealingKey>,
    /// Shared with nothing that needs short timeouts: a model takes its time.
    pub transport: HttpTransport,
    /// The ingest scrubber's rules, applied again to each prompt.
    pub scrubber: Arc<Scrubber>,
    pub limits: PromptLimits,
    pub cache_ttl_ms: Millis,
}

impl std::fmt::Debug for ModelSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSetup")
            .field("has_sealing_key", &self.sealing_key.is_some())
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .finish_non_exhaustive()
    }
}

/// An organization's model, or why it has none that can be called.
pub(crate) enum OrgModel {
    /// Not configured, or configured as `heuristic`.
    None,
    Ready(Box<ConfiguredModel>),
    Unusable(String),
}

/// One organization's model, ready to call.
pub(crate) struct ConfiguredModel {
    client: LlmClient,
    provider: ProviderKind,
    model: String,
    max_output_tokens: u32,
    prices: PriceTable,
    budget: MonthlyBudget,
}

impl ConfiguredModel {
    /// The name the autopsy records as `model_used` when the answer names none.
    pub fn model(&self) -> &str {
        &self.model
    }
}

impl ModelSetup {
    pub fn new(
        sealing_key: Option<SealingKey>,
        transport: HttpTransport,
        scrubber: Arc<Scrubber>,
    ) -> Self {
        Self {
            sealing_key,
            transport,
            scrubber,
            limits: PromptLimits::default(),
            cache_ttl_ms: DEFAULT_CACHE_TTL_MS,
        }
    }

    /// The organization's model as its stored settings describe it.
    pub(crate) async fn for_org(&self, store: &Store, org: &OrgId) -> StoreResult<OrgModel> {
        let Some(settings) = store.get_provider_settings(org).await? else {
            return Ok(OrgModel::None);
        };
        Ok(self.configure(org, settings))
    }

    fn configure(&self, org: &OrgId, settings: ProviderSettings) -> OrgModel {
        let Some(provider) = ProviderKind::parse(&settings.provider) else {
            return OrgModel::Unusable(format!("unknown provider {:?}", settings.provider));
        };
        if provider == ProviderKind::Heuristic {
            return OrgModel::None;
        }
        let api_key = match (&settings.api_key_sealed, &self.sealing_key) {
            (None, _) => None,
            (Some(_), None) => {
                return OrgModel::Unusable(
                    "the server has no secret key to open the stored API key with".into(),
                )
            }
            (Some(sealed), Some(key)) => match key.open(org.as_str(), sealed) {
                Ok(secret) => Some(secret),
                Err(err) => return OrgModel::Unusable(format!("the stored API key: {err}")),
            },
        };
        let base_url = match url::Url::parse(&settings.base_url) {
            Ok(url) => url,
            Err(err) => return OrgModel::Unusable(format!("base URL: {err}")),
        };
        let prices = match &settings.prices {
            None => PriceTable::builtin(),
            Some(json) => match serde_json::from_str::<Vec<ModelPriceConfig>>(json)
                .map_err(|e| e.to_string())
                .and_then(|models| {
                    // The version names the settings it came from, so a cost can be traced
                    // back to the prices it was computed with.
                    PriceTable::from_config(format!("org-{}", settings.updated_at), &models)
                        .map_err(|e| e.to_string())
                }) {
                Ok(table) => table,
                Err(err) => return OrgModel::Unusable(format!("price table: {err}")),
            },
        };
        let endpoint = ProviderEndpoint {
            kind: provider,
            base_url,
            api_key,
        };
        let Some(client) = LlmClient::new(endpoint, self.transport.clone()) else {
            return OrgModel::None;
        };
        OrgModel::Ready(Box::new(ConfiguredModel {
            client,
            provider,
            model: settings.model,
            max_output_tokens: u32::try_from(settings.max_output_tokens.max(1)).unwrap_or(u32::MAX),
            prices,
            budget: MonthlyBudget {
                tokens: settings.monthly_token_budget,
                cost_nano_usd: settings.monthly_cost_budget_nano_usd,
            },
        }))
    }

    /// The provider step for one call of `model`, recorded as `step`.
    pub(crate) fn call<'a>(
        &'a self,
        model: &'a ConfiguredModel,
        step: &'a str,
    ) -> AutopsyProvider<'a> {
        AutopsyProvider {
            client: &model.client,
            provider: model.provider,
            model: &model.model,
            max_output_tokens: model.max_output_tokens,
            prices: &model.prices,
            budget: model.budget,
            scrubber: &self.scrubber,
            limits: self.limits,
            cache_ttl_ms: self.cache_ttl_ms,
            step,
            transport: &self.transport,
        }
    }
}

/// The call log of one organization's calls for one incident, kept in `llm_calls`.
pub(crate) struct StoreLedger<'a> {
    pub store: &'a Store,
    pub org: &'a OrgId,
    pub incident: &'a IncidentId,
}

impl LlmLedger for StoreLedger<'_> {
    async fn cached(
        &self,
        input_hash: &str,
        since: Millis,
    ) -> Result<Option<CachedLlmAnswer>, String> {
        let found = self
            .store
            .find_cached_llm_answer(self.org, input_hash, since)
            .await
            .map_err(|e| e.to_string())?;
        Ok(found.map(|hit| CachedLlmAnswer {
            model_answered: hit.model_answered,
            response: hit.response,
        }))
    }

    async fn spend(&self, from: Millis, to: Millis) -> Result<LlmSpendSoFar, String> {
        let spend = self
            .store
            .llm_spend(self.org, from, to)
            .await
            .map_err(|e| e.to_string())?;
        Ok(LlmSpendSoFar {
            tokens: spend.tokens,
            cost_nano_usd: spend.cost_nano_usd,
        })
    }

    async fn record(&self, call: &LlmCallRecord) -> Result<(), String> {
        let new = NewLlmCall {
            incident_id: Some(self.incident.clone()),
            call: call.clone(),
        };
        self.store
            .record_llm_call(self.org, &new)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
