//! `POST /webhooks/github`: GitHub App and repository webhooks.
//!
//! The order is the point: the signature is checked over the raw body before anything is
//! parsed, so a forged delivery costs one HMAC and leaves no trace; a delivery that passes is
//! read once to refuse a malformed body with 400 (GitHub shows it in the hook's log), then
//! stored compressed together with its `github.delivery` job in one transaction and answered
//! 202. Applying it (commits, pull requests, deploys) is the job's work, so GitHub's 10-second
//! delivery timeout never depends on how busy the store is.
//!
//! Deliveries Sentinel has no use for (`ping`, events it does not read, actions it does not
//! record) are answered 202 `ignored` and counted, not stored. GitHub's delivery GUID makes a
//! redelivery a no-op answered `duplicate`.

use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sentinel_ingest::github::{parse_delivery, verify_signature, GithubDelivery, GithubHeaders};
use sentinel_jobs::code::{GithubDeliveryPayload, GITHUB_DELIVERY_KIND};
use sentinel_store::code::{DeliveryOutcome, NewDelivery};
use sentinel_store::jobs::NewJob;
use serde::Serialize;

/// GitHub caps webhook bodies at 25 MB and drops larger deliveries itself.
pub const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

/// The zstd level payloads are stored at: JSON shrinks ~10× at level 3, at a cost far below
/// the HMAC's.
const STORED_LEVEL: i32 = 3;

/// The secrets a delivery's signature may be made with (a new one and the one it replaces,
/// while a rotation is under way). `Debug` shows only how many there are.
#[derive(Clone, Default)]
pub struct WebhookSecrets(Vec<Vec<u8>>);

impl WebhookSecrets {
    /// Empty secrets are dropped: an empty HMAC key would accept anyone who guessed it.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Vec<u8>>,
    {
        Self(
            secrets
                .into_iter()
                .map(Into::into)
                .filter(|s: &Vec<u8>| !s.is_empty())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn as_slices(&self) -> Vec<&[u8]> {
        self.0.iter().map(Vec::as_slice).collect()
    }
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecrets({} configured)", self.0.len())
    }
}

/// What GitHub is told.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAnswer {
    pub delivery_id: String,
    pub event: String,
    /// `accepted`, `duplicate` or `ignored`.
    pub status: &'static str,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/github", post(github))
}

async fn github(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match receive(&state, &headers, body).await {
        Ok(answer) => {
            state.metrics.github_delivery(answer.status);
            (StatusCode::ACCEPTED, Json(answer)).into_response()
        }
        Err((outcome, error)) => {
            state.metrics.github_delivery(outcome);
            error.into_response()
        }
    }
}

/// Refusals carry the metric label they are counted under.
type Refusal = (&'static str, ApiError);

async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<DeliveryAnswer, Refusal> {
    let github =
        GithubHeaders::from_lookup(|name| headers.get(name).and_then(|value| value.to_str().ok()))
            .map_err(|e| ("malformed", ApiError::bad_request(e.to_string())))?;
    let raw = axum::body::to_bytes(body, MAX_DELIVERY_BYTES)
        .await
        .map_err(|_| {
            (
                "too_large",
                ApiError::new(
                    crate::ErrorCode::PayloadTooLarge,
                    "delivery larger than 25 MB",
                ),
            )
        })?;
    verify_signature(
        &state.settings.github_webhook_secrets.as_slices(),
        github.signature_256.as_deref(),
        github.signature_sha1.as_deref(),
        &raw,
    )
    .map_err(|e| {
        tracing::warn!(delivery = %github.delivery_id, event = %github.event, reason = %e, "github delivery refused");
        ("forged", ApiError::unauthorized(e.to_string()))
    })?;
    let delivery = parse_delivery(&github.event, &raw)
        .map_err(|e| ("malformed", ApiError::bad_request(e.to_string())))?;
    let answer = |status| DeliveryAnswer {
        delivery_id: github.delivery_id.clone(),
        event: github.event.clone(),
        status,
    };
    if !worth_storing(&delivery) {
        return Ok(answer("ignored"));
    }
    let installation_id = installation_of(&delivery);
    let org_id = match installation_id {
        Some(id) => state
            .store
            .find_installation(id)
            .await
            .map_err(|e| ("unavailable", ApiError::from(e)))?
            .and_then(|installation| installation.org_id),
        None => None,
    };
    let payload = zstd::bulk::compress(&raw, STORED_LEVEL).map_err(|e| {
        (
            "internal",
            ApiError::internal(format!("compress delivery: {e}")),
        )
    })?;
    let job = NewJob::with_payload(
        GITHUB_DELIVERY_KIND,
        &GithubDeliveryPayload {
            delivery_id: github.delivery_id.clone(),
        },
    )
    .map_err(|e| ("internal", ApiError::internal(format!("job payload: {e}"))))?;
    let job = match &org_id {
        Some(org) => job.org(org.clone()),
        None => job,
    };
    let new = NewDelivery {
        delivery_id: github.delivery_id.clone(),
        event: github.event.clone(),
        installation_id,
        org_id,
        payload,
    };
    let outcome = state
        .store
        .record_webhook_delivery(&new, Some(&job), state.clock.now_ms())
        .await
        .map_err(|e| ("unavailable", ApiError::from(e)))?;
    state.ingest.jobs_waker.notify_one();
    Ok(answer(match outcome {
        DeliveryOutcome::Recorded => "accepted",
        DeliveryOutcome::Duplicate => "duplicate",
    }))
}

/// Whether applying the delivery could change anything.
fn worth_storing(delivery: &GithubDelivery) -> bool {
    match delivery {
        GithubDelivery::Ping { .. }
        | GithubDelivery::Ignored { .. }
        | GithubDelivery::Other { .. } => false,
        // Only a successful deploy is recorded; `pending`, `failure`, … say nothing yet.
        GithubDelivery::DeploymentStatus { event, .. } => event.is_some(),
        GithubDelivery::Installation { .. }
        | GithubDelivery::InstallationRepositories { .. }
        | GithubDelivery::Push { .. }
        | GithubDelivery::PullRequest { .. }
        | GithubDelivery::PullRequestReview { .. } => true,
    }
}

fn installation_of(delivery: &GithubDelivery) -> Option<i64> {
    match delivery {
        GithubDelivery::Installation { installation, .. }
        | GithubDelivery::InstallationRepositories { installation, .. } => Some(installation.id),
        GithubDelivery::Push {
            installation_id, ..
        }
        | GithubDelivery::PullRequest {
            installation_id, ..
        }
        | GithubDelivery::PullRequestReview {
            installation_id, ..
        }
        | GithubDelivery::DeploymentStatus {
            installation_id, ..
        }
        | GithubDelivery::Ping {
            installation_id, ..
        } => *installation_id,
        GithubDelivery::Ignored { .. } | GithubDelivery::Other { .. } => None,
    }
}
