//! Sentinel's HTTP surface.
//!
//! One axum [`Router`] serves the Sentry-compatible ingest endpoints, the `/api/v1` JSON API,
//! health and metrics. Handlers are thin: they parse at the edge, call the store or the ingest
//! writer, and map failures through the one [`ApiError`](error::ApiError).

pub mod api;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod health;
pub mod ingest;
pub mod metrics;
pub mod request_id;
pub mod state;
pub mod webhooks;

pub use error::{ApiError, ErrorCode};
pub use state::AppState;

use axum::Router;

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(api::routes())
        .merge(api::incidents::routes())
        .merge(api::events::routes())
        .merge(ingest::routes())
        .merge(webhooks::routes())
        .merge(dashboard::routes());
    // Applied after every route is merged, so all responses are counted; the request id
    // layer is outermost, so every answer (and every logged failure) carries one.
    routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track_http,
        ))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}
