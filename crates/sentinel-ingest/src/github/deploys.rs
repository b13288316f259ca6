//! `deployment_status` deliveries: a `success` status is a deploy of the deployment's SHA to
//! its environment; other states (pending, failure, …) are reported but record nothing.

use super::wire::DeploymentStatusPayload;
use super::{repository, time, GithubDelivery, PayloadError};
use sentinel_core::code::{CodeEvent, CodeEventDetails, DeployDetails};

const SUCCESS: &str = "success";

pub(super) fn status_delivery(
    payload: DeploymentStatusPayload,
) -> Result<GithubDelivery, PayloadError> {
    let status = payload.deployment_status;
    let deployment = payload.deployment;
    let state = status.state.to_ascii_lowercase();
    let event =
        if state == SUCCESS {
            let creator_login = deployment.creator.map(|creator| creator.login);
            let actor = status
                .creator
                .map(|creator| creator.login)
                .or_else(|| payload.sender.map(|sender| sender.login))
                .or_else(|| creator_login.clone())
                .unwrap_or_default();
            // The status names the environment it reached; older payloads only the deployment.
            let environment = status.environment.or(deployment.environment).ok_or(
                PayloadError::MissingField {
                    field: "deployment.environment",
                },
            )?;
            Some(CodeEvent {
                occurred_at: time::millis(&status.created_at, "deployment_status.created_at")?,
                actor,
                details: CodeEventDetails::Deploy(DeployDetails {
                    deployment_id: deployment.id,
                    sha: deployment.sha.to_ascii_lowercase(),
                    environment,
                    creator_login,
                }),
            })
        } else {
            None
        };
    Ok(GithubDelivery::DeploymentStatus {
        repository: repository(payload.repository),
        installation_id: payload.installation.map(|i| i.id),
        state,
        event,
    })
}
