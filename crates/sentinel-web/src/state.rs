//! What every handler can reach.

use crate::ingest::IngestState;
use crate::metrics::Metrics;
use crate::webhooks::WebhookSecrets;
use sentinel_core::clock::SharedClock;
use sentinel_store::writer::{IngestWriter, WriterOptions};
use sentinel_store::Store;
use std::sync::Arc;

/// Shared state of the web process. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: Arc<WebSettings>,
    pub metrics: Arc<Metrics>,
    /// The ingest endpoints' writer, key cache and scrubber.
    pub ingest: Arc<IngestState>,
}

impl AppState {
    /// State with fresh metrics, and the ingest writer started (call from within the tokio
    /// runtime; stop it with `state.ingest.writer.shutdown()` after the server has stopped).
    pub fn new(store: Store, clock: SharedClock, settings: WebSettings) -> Self {
        let jobs_waker = Arc::new(tokio::sync::Notify::new());
        let writer = IngestWriter::spawn(
            store.clone(),
            clock.clone(),
            WriterOptions::default(),
            Some(jobs_waker.clone()),
        );
        let ingest = IngestState::new(store.clone(), clock.clone(), writer, jobs_waker);
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::new()),
            ingest: Arc::new(ingest),
        }
    }
}

/// The web layer's part of the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The base URL people and SDKs reach this server at, for DSNs and links.
    pub public_url: String,
    /// How long a dashboard login lasts.
    pub session_ttl_ms: i64,
    /// Mark the session cookie `Secure`. Browsers treat `http://localhost` and
    /// `http://127.0.0.1` as secure, so this only needs turning off for plain HTTP on
    /// another host name.
    pub secure_cookies: bool,
    /// The secrets GitHub signs webhook deliveries with; none refuses every delivery.
    pub github_webhook_secrets: WebhookSecrets,
    /// Where autopsy artifacts are read from; `None` answers 404 for every artifact.
    pub artifacts: Option<sentinel_agents::ArtifactStore>,
    /// The server's key, sealing organizations' provider API keys at rest. Without it a
    /// provider key cannot be saved.
    pub sealing_key: Option<sentinel_core::sealed::SealingKey>,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_string(),
            session_ttl_ms: 14 * 24 * 60 * 60 * 1000,
            secure_cookies: true,
            github_webhook_secrets: WebhookSecrets::default(),
            artifacts: None,
            sealing_key: None,
        }
    }
}
