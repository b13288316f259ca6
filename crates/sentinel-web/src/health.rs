//! `/healthz` (the process answers) and `/readyz` (the database answers and is migrated).
//!
//! `/readyz` bounds its database check in time: when the database is unreachable a load
//! balancer must hear 503 promptly, not wait for a connection timeout.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::time::Duration;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match tokio::time::timeout(READY_TIMEOUT, state.store.check_ready()).await {
        Ok(Ok(r)) if r.is_current() => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Ok(Ok(r)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "migrations pending",
                "applied": r.migrations_applied, "expected": r.migrations_expected})),
        ),
        Ok(Err(err)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable", "error": err.to_string()})),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable", "error": "timed out"})),
        ),
    }
}
