//! `GET /github/setup?installation_id=…&setup_action=install`: the GitHub App's setup URL,
//! where GitHub sends the person who just installed (or reconfigured) the App.
//!
//! Signed in as an admin or owner, the installation is claimed for the organization of the
//! session and the person lands on the repositories page; signed out, they log in first and
//! come back here. An installation another organization claimed is refused with 403.
//!
//! An installation id Sentinel has not yet heard of from GitHub's `installation` webhook is
//! refused, not recorded as a pending claim: the id in this URL is whatever the browser
//! sends, so reserving unknown ids would let anyone squat on installations that do not exist
//! yet. GitHub usually delivers the webhook within seconds of the redirect, so the refusal
//! page offers to try again (and does so itself after a few seconds, without script).
//!
//! Once claimed, the installation's `installation` deliveries that were ignored while nobody
//! owned it are queued again, so its repositories are attached.

use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sentinel_core::role::Role;
use sentinel_jobs::code::GITHUB_DELIVERY_KIND;
use sentinel_store::code::ClaimInstallationError;
use sentinel_store::jobs::NewJob;
use serde::Deserialize;

/// Seconds before the "not yet known" page loads itself again.
const RETRY_SECONDS: u32 = 5;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetupParams {
    #[serde(default)]
    installation_id: Option<String>,
    /// `install` or `update`; both claim.
    #[serde(default)]
    setup_action: Option<String>,
    /// GitHub passes back a `state` the App's install link carried; Sentinel sets none.
    #[serde(default)]
    #[allow(dead_code)]
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "github_setup.html")]
struct SetupPage {
    layout: Layout,
    heading: String,
    message: String,
    /// The URL to try again, for an installation GitHub has not announced yet.
    retry: Option<String>,
    retry_seconds: u32,
}

fn page(
    viewer: &Viewer,
    status: StatusCode,
    heading: &str,
    message: String,
    retry: Option<String>,
) -> Result<Response, PageError> {
    let html = SetupPage {
        layout: viewer.layout("GitHub setup", "code"),
        heading: heading.to_string(),
        message,
        retry,
        retry_seconds: RETRY_SECONDS,
    };
    let mut response = render(&html)?;
    *response.status_mut() = status;
    Ok(response)
}

/// The job that applies a stored delivery: a `GithubDeliveryPayload`, built without a
/// fallible serialisation step.
fn delivery_job(delivery_id: &str) -> NewJob {
    let mut payload = serde_json::Map::new();
    payload.insert("delivery_id".to_string(), delivery_id.into());
    NewJob::new(GITHUB_DELIVERY_KIND, payload.into())
}

/// `GET /github/setup`
pub async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<SetupParams>,
) -> Result<Response, PageError> {
    viewer.require(Role::Admin)?;
    let installation_id = params
        .installation_id
        .as_deref()
        .and_then(|id| id.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            PageError::BadRequest(
                "this link needs the installation_id GitHub adds to it; install the App again \
                 from GitHub"
                    .to_string(),
            )
        })?;
    if let Some(action) = params.setup_action.as_deref() {
        if !matches!(action, "install" | "update" | "request") {
            return Err(PageError::BadRequest(format!(
                "unknown setup_action {action:?}"
            )));
        }
    }
    let not_yet_known = || {
        page(
            &viewer,
            StatusCode::NOT_FOUND,
            "Waiting for GitHub",
            format!(
                "GitHub has not told Sentinel about installation #{installation_id} yet. It \
                 usually does within seconds of installing; this page tries again shortly. If it \
                 keeps saying this, check that the App's webhook URL points at this server's \
                 /webhooks/github."
            ),
            Some(uri.to_string()),
        )
    };
    let Some(found) = state.store.find_installation(installation_id).await? else {
        return not_yet_known();
    };
    if found.deleted {
        return page(
            &viewer,
            StatusCode::NOT_FOUND,
            "Installation removed",
            format!(
                "Installation #{installation_id} ({}) was uninstalled on GitHub. Install the App \
                 again to connect it.",
                found.account_login
            ),
            None,
        );
    }
    let now = state.clock.now_ms();
    let claimed = match state
        .store
        .claim_installation(installation_id, &viewer.org.id, now)
        .await
    {
        Ok(claimed) => claimed,
        Err(ClaimInstallationError::ClaimedByAnother) => {
            tracing::warn!(installation = installation_id, org = %viewer.org.id, user = %viewer.user.id, "installation claimed by another organization refused");
            return page(
                &viewer,
                StatusCode::FORBIDDEN,
                "Installation belongs to another organization",
                format!(
                    "GitHub installation #{installation_id} ({}) is already connected to another \
                     Sentinel organization, so it cannot be connected to {}. An administrator \
                     of that organization can uninstall the App on GitHub; then install it again \
                     from here.",
                    found.account_login, viewer.org.name
                ),
                None,
            );
        }
        Err(ClaimInstallationError::NotFound) => return not_yet_known(),
        Err(ClaimInstallationError::Store(err)) => return Err(err.into()),
    };
    let requeued = state
        .store
        .requeue_ignored_installation_deliveries(
            installation_id,
            |delivery_id| delivery_job(delivery_id).org(viewer.org.id.clone()),
            now,
        )
        .await?;
    tracing::info!(installation = installation_id, account = %claimed.account_login, org = %viewer.org.id, user = %viewer.user.id, requeued, "github installation claimed");
    Ok(Redirect::to(&format!("/repositories?installed={installation_id}")).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sentinel_jobs::code::GithubDeliveryPayload;

    #[test]
    fn the_requeued_job_carries_the_delivery_payload() {
        let job = delivery_job("d-1");
        assert_eq!(job.kind, GITHUB_DELIVERY_KIND);
        let payload: GithubDeliveryPayload = serde_json::from_value(job.payload).unwrap();
        assert_eq!(payload.delivery_id, "d-1");
    }
}
