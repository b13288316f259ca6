//! The model provider page (`/settings/llm`): which provider the organization's autopsies
//! use, its base URL, model, API key, output limit, monthly budgets and price table.
//! Everyone may look; changes need the admin role and go through the API's checks
//! ([`save_provider`]). The API key is write-only: the page says only whether one is
//! stored, an empty key field keeps it, and "remove key" clears it.

use super::format::HtmlTime;
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::api::llm::{
    save_provider, KeyChange, ProviderChange, DEFAULT_MAX_OUTPUT_TOKENS, NANOS_PER_USD,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use secrecy::SecretString;
use sentinel_core::llm::price::ModelPriceConfig;
use sentinel_core::llm::ProviderKind;
use sentinel_core::role::Role;
use serde::Deserialize;
use std::str::FromStr;

/// The settings as the form shows them; numbers are text so an unset one stays empty.
pub struct ProviderView {
    provider: &'static str,
    base_url: String,
    model: String,
    has_api_key: bool,
    max_output_tokens: String,
    monthly_token_budget: String,
    monthly_cost_budget_usd: String,
    prices: String,
    updated: Option<HtmlTime>,
}

#[derive(Template)]
#[template(path = "llm_provider.html")]
struct ProviderPage {
    layout: Layout,
    view: ProviderView,
    providers: Vec<&'static str>,
    /// The server can seal a new key (it has `server.secret_key`).
    can_store_key: bool,
    saved: bool,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /settings/llm`
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let stored = state.store.get_provider_settings(&viewer.org.id).await?;
    let view = match stored {
        Some(s) => ProviderView {
            provider: ProviderKind::parse(&s.provider).map_or("heuristic", ProviderKind::as_str),
            base_url: s.base_url,
            model: s.model,
            has_api_key: s.api_key_sealed.is_some(),
            max_output_tokens: s.max_output_tokens.to_string(),
            monthly_token_budget: s
                .monthly_token_budget
                .map(|n| n.to_string())
                .unwrap_or_default(),
            monthly_cost_budget_usd: s
                .monthly_cost_budget_nano_usd
                .map(|n| (n as f64 / NANOS_PER_USD).to_string())
                .unwrap_or_default(),
            prices: s.prices.as_deref().map(pretty_json).unwrap_or_default(),
            updated: Some(HtmlTime(s.updated_at)),
        },
        None => ProviderView {
            provider: ProviderKind::Heuristic.as_str(),
            base_url: String::new(),
            model: String::new(),
            has_api_key: false,
            max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS.to_string(),
            monthly_token_budget: String::new(),
            monthly_cost_budget_usd: String::new(),
            prices: String::new(),
            updated: None,
        },
    };
    render(&ProviderPage {
        layout: viewer.layout("Model provider", "llm"),
        view,
        providers: [
            ProviderKind::Heuristic,
            ProviderKind::Openai,
            ProviderKind::Anthropic,
        ]
        .map(ProviderKind::as_str)
        .to_vec(),
        can_store_key: state.settings.sealing_key.is_some(),
        saved: query.saved.is_some(),
    })
}

fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// The form as posted; every field is text, empty meaning "not set".
#[derive(Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    remove_key: Option<String>,
    #[serde(default)]
    max_output_tokens: String,
    #[serde(default)]
    monthly_token_budget: String,
    #[serde(default)]
    monthly_cost_budget_usd: String,
    #[serde(default)]
    prices: String,
}

/// A number field: empty is `None`, anything else must parse.
fn number<T: FromStr>(label: &str, text: &str) -> Result<Option<T>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| PageError::BadRequest(format!("{label} must be a number, not {text:?}")))
}

impl ProviderForm {
    fn into_change(self) -> Result<ProviderChange, PageError> {
        let key = self.api_key.trim();
        let api_key = match (self.remove_key.is_some(), key.is_empty()) {
            (false, true) => KeyChange::Keep,
            (true, true) => KeyChange::Remove,
            (false, false) => KeyChange::Replace(SecretString::from(key.to_owned())),
            (true, false) => {
                return Err(PageError::BadRequest(
                    "either enter a new API key or tick \"remove key\", not both".into(),
                ))
            }
        };
        let prices = match self.prices.trim() {
            "" => None,
            json => Some(
                serde_json::from_str::<Vec<ModelPriceConfig>>(json).map_err(|e| {
                    PageError::BadRequest(format!(
                        "the price table must be a JSON array of \
                         {{\"model\", \"input\", \"output\", \"cache_read\", \"cache_write\"}} \
                         in USD per million tokens: {e}"
                    ))
                })?,
            ),
        };
        Ok(ProviderChange {
            provider: self.provider,
            base_url: Some(self.base_url),
            model: Some(self.model),
            api_key,
            max_output_tokens: number("max output tokens", &self.max_output_tokens)?,
            monthly_token_budget: number("monthly token budget", &self.monthly_token_budget)?,
            monthly_cost_budget_usd: number("monthly cost budget", &self.monthly_cost_budget_usd)?,
            prices,
        })
    }
}

/// `POST /settings/llm`
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ProviderForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Admin)?;
    let change = form.into_change()?;
    save_provider(&state, &viewer.org.id, change).await?;
    tracing::info!(org_id = %viewer.org.id, user = %viewer.user.id, "provider settings changed from the dashboard");
    Ok(Redirect::to("/settings/llm?saved=1").into_response())
}
