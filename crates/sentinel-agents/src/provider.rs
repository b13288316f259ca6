//! Providers: what answers root cause, test and fix for an organization. The built-in
//! `heuristic` provider (sentinel-core's rules, offline) is every organization's default;
//! others (OpenAI-compatible, Anthropic) plug in behind the same trait.

use futures::future::BoxFuture;
use sentinel_core::autopsy::{AutopsyInput, Diagnosis};
use sentinel_core::id::OrgId;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a provider gave no diagnosis.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{provider}: {message}")]
pub struct ProviderError {
    pub provider: String,
    pub message: String,
}

/// Answers an autopsy's questions.
pub trait AutopsyProvider: Send + Sync + 'static {
    /// Stored as the autopsy's `model_used`.
    fn name(&self) -> &str;

    fn diagnose<'a>(
        &'a self,
        input: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>>;
}

/// The rules of `sentinel_core::autopsy::heuristic`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeuristicProvider;

impl AutopsyProvider for HeuristicProvider {
    fn name(&self) -> &str {
        "heuristic"
    }

    fn diagnose<'a>(
        &'a self,
        input: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>> {
        Box::pin(async move { Ok(sentinel_core::autopsy::heuristic::diagnose(input)) })
    }
}

/// The provider of each organization: its own when configured, else the default.
#[derive(Clone)]
pub struct Providers {
    default: Arc<dyn AutopsyProvider>,
    by_org: HashMap<OrgId, Arc<dyn AutopsyProvider>>,
}

impl Default for Providers {
    fn default() -> Self {
        Self {
            default: Arc::new(HeuristicProvider),
            by_org: HashMap::new(),
        }
    }
}

impl Providers {
    /// Every organization gets `provider` unless configured otherwise.
    pub fn with_default(mut self, provider: Arc<dyn AutopsyProvider>) -> Self {
        self.default = provider;
        self
    }

    pub fn with_org(mut self, org: OrgId, provider: Arc<dyn AutopsyProvider>) -> Self {
        self.by_org.insert(org, provider);
        self
    }

    /// The provider set for `org` with [`Providers::with_org`], if any: it answers before
    /// the organization's stored model settings.
    pub fn configured_for(&self, org: &OrgId) -> Option<Arc<dyn AutopsyProvider>> {
        self.by_org.get(org).cloned()
    }

    pub fn for_org(&self, org: &OrgId) -> Arc<dyn AutopsyProvider> {
        self.by_org
            .get(org)
            .cloned()
            .unwrap_or_else(|| self.default.clone())
    }
}
