//! `alert.high_risk_deploy`: once a deploy is linked to the commits it shipped, the T4 files
//! among them and how surely each was written by AI; the `high_risk_deployed` rule fires on
//! the surest.

use super::{DeployRiskPayload, MetricsDeps};
use crate::kinds::fire_signal;
use crate::{JobContext, JobError};
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::clock::Millis;
use sentinel_core::code::CodeEventDetails;
use sentinel_core::id::{CodeEventId, OrgId};
use sentinel_store::{Store, StoreResult};

/// Files named in the alert's summary.
const LISTED_FILES: i64 = 5;

/// Checks one linked deploy; returns the alerts recorded.
pub async fn fire_high_risk_deploy(
    store: &Store,
    engine: &RuleEngine,
    org: &OrgId,
    deploy: &CodeEventId,
    now: Millis,
) -> StoreResult<usize> {
    let Some(event) = store.get_code_event(org, deploy).await? else {
        return Ok(0);
    };
    let CodeEventDetails::Deploy(details) = &event.event.details else {
        return Ok(0);
    };
    let files = store
        .shipped_critical_files(org, deploy, LISTED_FILES)
        .await?;
    let Some(surest) = files.first() else {
        return Ok(0);
    };
    let Some(repository) = store.get_repository(org, &event.repository_id).await? else {
        return Ok(0);
    };
    let mut signal = Signal::new(
        signals::DEPLOY_HIGH_RISK,
        format!("repository:{}", repository.id),
        format!(
            "AI-written critical code deployed to {} in {}",
            details.environment, repository.full_name
        ),
    );
    signal
        .labels
        .insert("repository_id".into(), repository.id.to_string());
    signal
        .labels
        .insert("environment".into(), details.environment.clone());
    signal.labels.insert("sha".into(), details.sha.clone());
    signal
        .facts
        .insert("max_t4_ai_confidence".into(), surest.ai_confidence);
    signal.summary = files
        .iter()
        .map(|f| {
            format!(
                "{} ({}, {:.0}% AI)",
                f.path,
                f.sha.get(..7).unwrap_or(&f.sha),
                f.ai_confidence * 100.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(fire_signal(store, engine, org, &signal, now).await?.len())
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(super) async fn run_high_risk_deploy_job(
    deps: &MetricsDeps,
    ctx: JobContext,
) -> Result<(), JobError> {
    let payload: DeployRiskPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id);
    let deploy = CodeEventId::from_string(payload.deploy_event_id);
    fire_high_risk_deploy(&ctx.store, &deps.engine, &org, &deploy, ctx.now_ms()).await?;
    Ok(())
}
