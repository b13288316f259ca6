//! `code.link_deploy`: links a recorded deploy to the commits it shipped since the previous
//! deploy of the same environment, so "which deploy first shipped this commit" is a lookup.

use super::{CodeDeps, LinkDeployPayload};
use crate::{JobContext, JobError};
use sentinel_core::code::CodeEventDetails;
use sentinel_core::id::{CodeEventId, OrgId};
use sentinel_store::code::DeployRange;
use sentinel_store::jobs::NewJob;

pub(super) async fn run_link_deploy(deps: &CodeDeps, ctx: JobContext) -> Result<(), JobError> {
    let payload: LinkDeployPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id);
    let event_id = CodeEventId::from_string(payload.deploy_event_id);
    let Some(event) = ctx.store.get_code_event(&org, &event_id).await? else {
        return Err(JobError::permanent("deploy event not found"));
    };
    let CodeEventDetails::Deploy(deploy) = &event.event.details else {
        return Err(JobError::permanent("the code event is not a deploy"));
    };
    let Some(repository) = ctx.store.get_repository(&org, &event.repository_id).await? else {
        return Err(JobError::permanent("repository not found"));
    };
    let previous = ctx
        .store
        .previous_deploy(
            &org,
            &repository.id,
            &deploy.environment,
            event.event.occurred_at,
        )
        .await?;
    let base_sha = previous
        .as_ref()
        .and_then(|p| p.event.sha().map(str::to_owned));
    let now = ctx.now_ms();
    let shipped = deps
        .reader
        .shipped(&repository, base_sha.as_deref(), &deploy.sha, now)
        .await?;
    tracing::info!(repository = %repository.full_name, environment = %deploy.environment,
        sha = %deploy.sha, commits = shipped.shas.len(), truncated = shipped.truncated,
        source = shipped.source.as_str(), "deploy linked");
    let range = DeployRange {
        deploy_event_id: event.id.clone(),
        repository_id: repository.id.clone(),
        environment: deploy.environment.clone(),
        head_sha: deploy.sha.clone(),
        deployed_at: event.event.occurred_at,
        previous_deploy_id: previous.map(|p| p.id),
        base_sha,
        source: shipped.source,
        shas: shipped.shas,
        truncated: shipped.truncated,
    };
    ctx.store.link_deploy(&org, &range, now).await?;
    // Now that the deploy knows what it shipped, the high-risk deploy rule can read it.
    let check = crate::metrics::DeployRiskPayload {
        org_id: org.as_str().to_string(),
        deploy_event_id: event.id.as_str().to_string(),
    };
    let job = NewJob::with_payload(crate::metrics::HIGH_RISK_DEPLOY_KIND, &check)?
        .org(org.clone())
        .dedup_key(format!("high-risk-deploy:{}", event.id));
    ctx.store.enqueue(&job, now).await?;
    Ok(())
}
