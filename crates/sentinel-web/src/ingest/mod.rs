//! Ingest: the endpoints Sentry SDKs and OpenTelemetry exporters post to. What they accept is
//! prepared by [`sentinel_ingest::prepare`] and committed by [`sentinel_store::writer`].
//!
//! - [`sentry`]: `/api/{project_id}/envelope/` and `/api/{project_id}/store/`.
//! - [`otlp`]: OTLP/HTTP `/v1/traces` and `/v1/logs`.
//! - [`target`]: DSN key → organization and service, cached; per-key rate limits.

pub mod native;
pub mod otlp;
pub mod sentry;
pub mod target;

use crate::AppState;
use axum::http::{header, Method};
use axum::routing::post;
use axum::Router;
use sentinel_core::clock::SharedClock;
use sentinel_core::scrub::Scrubber;
use sentinel_store::writer::IngestWriter;
use sentinel_store::Store;
use std::sync::Arc;
use target::TargetResolver;
use tokio::sync::Notify;
use tower_http::cors::{Any, CorsLayer};

/// What the ingest endpoints share.
pub struct IngestState {
    pub writer: IngestWriter,
    pub targets: TargetResolver,
    pub scrubber: Scrubber,
    /// Notified after each commit that enqueued jobs, so an in-process job runtime wakes at
    /// once instead of at its next poll.
    pub jobs_waker: Arc<Notify>,
}

impl IngestState {
    pub fn new(
        store: Store,
        clock: SharedClock,
        writer: IngestWriter,
        jobs_waker: Arc<Notify>,
    ) -> Self {
        Self {
            writer,
            targets: TargetResolver::new(store, clock),
            scrubber: Scrubber::default(),
            jobs_waker,
        }
    }
}

/// Accepts and discards a body: the no-op endpoint `sentinel bench ingest` measures HTTP
/// alone against, so the ingest figures can be read as a share of what this machine can do.
async fn discard(body: axum::body::Body) -> axum::Json<serde_json::Value> {
    let _ = axum::body::to_bytes(body, sentinel_ingest::limits::MAX_ENVELOPE_COMPRESSED).await;
    axum::Json(serde_json::json!({ "id": null }))
}

/// The SDK-facing routes, with CORS open to any origin (browser SDKs post cross-origin).
pub fn routes() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            header::AUTHORIZATION,
            header::HeaderName::from_static("x-sentry-auth"),
            header::HeaderName::from_static("sentinel-key"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-sentry-rate-limits"),
        ])
        .max_age(std::time::Duration::from_secs(3600));
    Router::new()
        .route("/api/{project_id}/envelope/", post(sentry::envelope))
        .route("/api/{project_id}/envelope", post(sentry::envelope))
        .route("/api/{project_id}/store/", post(sentry::store))
        .route("/api/{project_id}/store", post(sentry::store))
        .route("/api/{project_id}/discard/", post(discard))
        .route("/api/v1/events", post(native::create_event))
        .route("/v1/traces", post(otlp::traces))
        .route("/v1/logs", post(otlp::logs))
        .layer(cors)
}
