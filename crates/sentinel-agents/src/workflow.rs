//! Starting a workflow, and running one step's job: skip a step that already succeeded, run
//! the step under its timeout, record how it went, and move the workflow on — the next
//! step's job, or its end.

use crate::steps::{self, StepCx, StepOutcome};
use crate::{AutopsyDeps, AutopsyPayload, StepPayload, AUTOPSY_STEP_KIND};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId, WorkflowId};
use sentinel_core::workflow::{RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_jobs::{JobContext, JobError, Waker};
use sentinel_store::autopsy::Workflow;
use sentinel_store::jobs::NewJob;
use sentinel_store::{Store, StoreError};

/// Why no workflow was started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the incident already has an active workflow")]
    AlreadyActive,
    #[error("no such incident")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

fn step_job(payload: &StepPayload) -> Result<NewJob, JobError> {
    let job = NewJob::with_payload(AUTOPSY_STEP_KIND, payload)
        .map_err(|e| JobError::permanent(e.to_string()))?;
    Ok(job
        .org(OrgId::from_string(payload.org_id.clone()))
        .dedup_key(payload.dedup_key())
        // A step's own failures are recorded on its run; job retries are for crashes and
        // an unavailable database.
        .max_attempts(5))
}

/// Starts a workflow for the incident, with its triage job.
pub async fn start_workflow(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
    now: Millis,
) -> Result<Workflow, StartError> {
    let id = WorkflowId::generate();
    let payload = StepPayload {
        org_id: org.as_str().to_owned(),
        workflow_id: id.as_str().to_owned(),
        step: WorkflowStep::Triage,
    };
    let job =
        step_job(&payload).map_err(|e| StartError::Store(StoreError::Corrupt(e.to_string())))?;
    match store.start_workflow(org, &id, incident, &job, now).await {
        Ok(workflow) => Ok(workflow),
        Err(StoreError::Conflict(_)) => Err(StartError::AlreadyActive),
        Err(StoreError::NotFound) => Err(StartError::NotFound),
        Err(err) => Err(StartError::Store(err)),
    }
}

pub(crate) async fn run_start(
    _deps: &AutopsyDeps,
    waker: &Waker,
    ctx: JobContext,
) -> Result<(), JobError> {
    let payload: AutopsyPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id);
    let incident = IncidentId::from_string(payload.incident_id);
    match start_workflow(&ctx.store, &org, &incident, ctx.now_ms()).await {
        Ok(workflow) => {
            tracing::info!(incident = %incident, workflow = %workflow.id, "autopsy started");
            waker.wake();
            Ok(())
        }
        Err(StartError::AlreadyActive) => {
            tracing::info!(incident = %incident, "autopsy already running");
            Ok(())
        }
        Err(StartError::NotFound) => Err(JobError::permanent("incident not found")),
        Err(StartError::Store(err)) => Err(err.into()),
    }
}

pub(crate) async fn run_step(
    deps: &AutopsyDeps,
    waker: &Waker,
    ctx: JobContext,
) -> Result<(), JobError> {
    let payload: StepPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id.clone());
    let id = WorkflowId::from_string(payload.workflow_id.clone());
    let step = payload.step;
    let Some(workflow) = ctx.store.get_workflow(&org, &id).await? else {
        return Err(JobError::permanent("workflow not found"));
    };
    if workflow.status.is_terminal() {
        tracing::info!(workflow = %id, step = step.as_str(), status = workflow.status.as_str(),
            "workflow over; step not run");
        return Ok(());
    }
    let run = ctx
        .store
        .begin_agent_run(&org, &id, step, ctx.now_ms())
        .await?;
    if run.status == RunStatus::Success {
        // The last run recorded its success and stopped before moving on.
        return advance(
            &ctx,
            waker,
            &workflow,
            step,
            RunStatus::Success,
            None,
            &run.metadata,
        )
        .await;
    }
    let cx = StepCx {
        store: ctx.store.clone(),
        deps: deps.clone(),
        clock: ctx.clock.clone(),
        org: org.clone(),
        workflow: workflow.clone(),
    };
    let ran = tokio::time::timeout(deps.step_timeout, steps::run(&cx, step)).await;
    let (status, error, metadata) = match ran {
        Ok(Ok(StepOutcome::Done(metadata))) => (RunStatus::Success, None, metadata),
        Ok(Ok(StepOutcome::Failed { reason, metadata })) => {
            (RunStatus::Failure, Some(reason), metadata)
        }
        // The database or the job itself: the run stays `running` and the job's retry
        // begins it again.
        Ok(Err(err)) => return Err(err),
        Err(_) => (
            RunStatus::Timeout,
            Some(format!(
                "{} did not finish within {} s",
                step.as_str(),
                deps.step_timeout.as_secs_f64()
            )),
            serde_json::Value::Object(Default::default()),
        ),
    };
    tracing::info!(workflow = %id, step = step.as_str(), status = status.as_str(),
        error = error.as_deref().unwrap_or(""), attempt = run.attempt, "autopsy step finished");
    ctx.store
        .finish_agent_run(
            &org,
            &run,
            status,
            error.as_deref(),
            &metadata,
            ctx.now_ms(),
        )
        .await?;
    advance(
        &ctx,
        waker,
        &workflow,
        step,
        status,
        error.as_deref(),
        &metadata,
    )
    .await
}

/// After a step: the next step's job, or the workflow's end.
async fn advance(
    ctx: &JobContext,
    waker: &Waker,
    workflow: &Workflow,
    step: WorkflowStep,
    status: RunStatus,
    error: Option<&str>,
    metadata: &serde_json::Value,
) -> Result<(), JobError> {
    let store = &ctx.store;
    let org = &workflow.org_id;
    let now = ctx.now_ms();
    // Aborted meanwhile: nothing more runs.
    match store.get_workflow(org, &workflow.id).await? {
        Some(current) if !current.status.is_terminal() => {}
        _ => return Ok(()),
    }
    if status != RunStatus::Success && step.is_essential() {
        let reason = format!(
            "{} {}: {}",
            step.as_str(),
            status.as_str(),
            error.unwrap_or("")
        );
        store
            .finish_workflow(
                org,
                &workflow.id,
                WorkflowStatus::Failed,
                Some(&reason),
                now,
            )
            .await?;
        return Ok(());
    }
    let not_actionable = step == WorkflowStep::Triage
        && metadata.get("actionable") == Some(&serde_json::Value::Bool(false));
    let next = step.next().filter(|_| !not_actionable);
    match next {
        Some(next) => {
            let payload = StepPayload {
                org_id: org.as_str().to_owned(),
                workflow_id: workflow.id.as_str().to_owned(),
                step: next,
            };
            store.enqueue(&step_job(&payload)?, now).await?;
            waker.wake();
        }
        None => {
            if let Some(mut autopsy) = store.get_autopsy(org, &workflow.incident_id).await? {
                autopsy.analysis_time_ms = Some(now - workflow.started_at);
                autopsy.updated_at = now;
                store.upsert_autopsy(org, &autopsy).await?;
            }
            store
                .finish_workflow(org, &workflow.id, WorkflowStatus::Completed, None, now)
                .await?;
        }
    }
    Ok(())
}
