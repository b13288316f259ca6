//! The workflow's steps. Each reads what earlier steps recorded (their runs' metadata, the
//! autopsy row) and answers [`StepOutcome::Done`] with its own metadata, or
//! [`StepOutcome::Failed`] with the reason and what it found anyway. A `JobError` is for
//! the database or the artifact store being unavailable: the job retries the step.

mod ask;
mod diagnose;
mod github;
mod publish;
mod tracing_step;
mod triage;

use crate::AutopsyDeps;
use bytes::Bytes;
use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::id::{ArtifactId, OrgId, RepositoryId};
use sentinel_core::workflow::{ArtifactKind, WorkflowStep};
use sentinel_jobs::JobError;
use sentinel_store::autopsy::{Artifact, NewArtifact, Workflow};
use sentinel_store::code::Repository;
use sentinel_store::Store;
use serde_json::Value;

pub(crate) struct StepCx {
    pub store: Store,
    pub deps: AutopsyDeps,
    pub clock: SharedClock,
    pub org: OrgId,
    pub workflow: Workflow,
}

pub(crate) enum StepOutcome {
    Done(Value),
    Failed { reason: String, metadata: Value },
}

impl StepOutcome {
    fn failed(reason: impl Into<String>) -> Self {
        StepOutcome::Failed {
            reason: reason.into(),
            metadata: Value::Object(Default::default()),
        }
    }
}

pub(crate) async fn run(cx: &StepCx, step: WorkflowStep) -> Result<StepOutcome, JobError> {
    match step {
        WorkflowStep::Triage => triage::run(cx).await,
        WorkflowStep::Tracing => tracing_step::run(cx).await,
        WorkflowStep::RootCause => diagnose::root_cause(cx).await,
        WorkflowStep::TestGen => diagnose::test_gen(cx).await,
        WorkflowStep::Fix => diagnose::fix(cx).await,
        WorkflowStep::Publish => publish::run(cx).await,
    }
}

impl StepCx {
    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    /// The metadata an earlier step recorded, whatever its status.
    pub async fn metadata_of(&self, step: WorkflowStep) -> Result<Option<Value>, JobError> {
        Ok(self
            .store
            .get_agent_run(&self.org, &self.workflow.id, step)
            .await?
            .map(|r| r.metadata))
    }

    /// The repository and the revision the tracing step read the code at, when it found
    /// them.
    pub async fn traced_repository(
        &self,
    ) -> Result<(Option<Repository>, Option<String>), JobError> {
        let tracing = self
            .metadata_of(WorkflowStep::Tracing)
            .await?
            .unwrap_or(Value::Null);
        let repository = match tracing["repository"].as_str() {
            Some(id) => {
                self.store
                    .get_repository(&self.org, &RepositoryId::from_string(id))
                    .await?
            }
            None => None,
        };
        Ok((repository, tracing["revision"].as_str().map(str::to_owned)))
    }

    /// Stores `bytes` in the artifact store and indexes them.
    pub async fn artifact(
        &self,
        kind: ArtifactKind,
        extension: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<Artifact, JobError> {
        let id = ArtifactId::generate();
        let key = format!(
            "{}/{}/{}/{}-{id}.{extension}",
            self.org,
            self.workflow.incident_id,
            self.workflow.id,
            kind.as_str()
        );
        let stored = self
            .deps
            .artifacts
            .put(&key, bytes.into())
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        let new = NewArtifact {
            id,
            workflow_id: self.workflow.id.clone(),
            incident_id: self.workflow.incident_id.clone(),
            kind,
            key: stored.key,
            size: stored.size,
            sha256: stored.sha256,
        };
        Ok(self.store.add_artifact(&self.org, &new, self.now()).await?)
    }
}
