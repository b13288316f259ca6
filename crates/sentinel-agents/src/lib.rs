//! The autopsy workflow of ARCHITECTURE §4: triage → tracing → root cause → test → fix →
//! publish, each step its own job. A workflow row records the run, an agent run row each
//! step, the autopsy row the outcome, and each output is an artifact in the artifact store.
//!
//! | kind | payload | enqueued by |
//! |---|---|---|
//! | `autopsy.start` | [`AutopsyPayload`] | the ingest writer when an incident crosses its threshold; the API's re-run |
//! | `autopsy.step` | [`StepPayload`] | `autopsy.start` (triage), then each step that finishes (the next) |
//!
//! A step's job has the dedup key `autopsy.step:<workflow>:<step>`, so one unfinished job
//! exists per step and its fenced lease lets one worker run it at a time. A step that
//! already succeeded is never run again: a job re-run after a crash between recording the
//! success and enqueuing the next step only enqueues the next step. A step that crashed
//! runs again with its attempt counted.
//!
//! Call [`register`] once per runtime.

mod artifacts;
mod input;
mod locate;
mod model;
pub mod provider;
mod steps;
mod suspect;
pub mod verify;
mod workflow;

pub use artifacts::{ArtifactError, ArtifactStore, ArtifactStoreConfig, S3Config, StoredBytes};
pub use locate::{locate, revision_for, FrameRef, Located, NotLocated};
pub use model::{ModelSetup, DEFAULT_CACHE_TTL_MS};
pub use provider::{AutopsyProvider, HeuristicProvider, ProviderError, Providers};
pub use suspect::{find_suspect, SuspectOutcome};
pub use verify::{GitVerifier, NotRun, Verifier, VerifyRequest};
pub use workflow::{start_workflow, StartError};

use sentinel_core::workflow::WorkflowStep;
use sentinel_jobs::code::CommitReader;
use sentinel_jobs::{handler_fn, JobRuntime};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub const AUTOPSY_START_KIND: &str = sentinel_core::jobs::AUTOPSY_START;
pub const AUTOPSY_STEP_KIND: &str = "autopsy.step";

/// `{incident_id, org_id}`: the incident to examine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutopsyPayload {
    pub incident_id: String,
    pub org_id: String,
}

/// One step of one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPayload {
    pub org_id: String,
    pub workflow_id: String,
    pub step: WorkflowStep,
}

impl StepPayload {
    pub fn dedup_key(&self) -> String {
        format!(
            "{AUTOPSY_STEP_KIND}:{}:{}",
            self.workflow_id,
            self.step.as_str()
        )
    }
}

/// The largest file a snapshot is read from: bigger ones are generated or vendored, and
/// reading them would cost more than the autopsy.
pub const MAX_SNAPSHOT_FILE_BYTES: u64 = 1024 * 1024;

/// What the autopsy's handlers share.
#[derive(Clone)]
pub struct AutopsyDeps {
    /// Reads a suspect commit that was never attributed, to attribute it on the spot.
    pub reader: CommitReader,
    pub providers: Providers,
    /// Calls each organization's configured model; `None` leaves every autopsy to
    /// `providers` (the heuristic by default).
    pub models: Option<ModelSetup>,
    pub verifier: Arc<dyn Verifier>,
    pub artifacts: ArtifactStore,
    /// A step still running after this is stopped and recorded as `timeout`.
    pub step_timeout: Duration,
    pub max_file_bytes: u64,
}

impl AutopsyDeps {
    /// The defaults: the heuristic provider for every organization, verification against
    /// the clone (tests only where the repository has a test command), a two-minute step
    /// timeout.
    pub fn new(reader: CommitReader, artifacts: ArtifactStore) -> Self {
        Self {
            reader,
            providers: Providers::default(),
            models: None,
            verifier: Arc::new(GitVerifier::default()),
            artifacts,
            step_timeout: Duration::from_secs(120),
            max_file_bytes: MAX_SNAPSHOT_FILE_BYTES,
        }
    }
}

impl std::fmt::Debug for AutopsyDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutopsyDeps")
            .field("step_timeout", &self.step_timeout)
            .finish_non_exhaustive()
    }
}

/// Registers the autopsy handlers on `runtime`.
/// Each step's job wakes the runtime for the next one: without `NOTIFY` (SQLite) it would
/// otherwise wait for the next poll.
pub fn register(runtime: &mut JobRuntime, deps: AutopsyDeps) {
    let deps = Arc::new(deps);
    let waker = runtime.waker();
    let start = deps.clone();
    let start_waker = waker.clone();
    runtime.register(handler_fn(AUTOPSY_START_KIND, move |ctx| {
        let (deps, waker) = (start.clone(), start_waker.clone());
        async move { workflow::run_start(&deps, &waker, ctx).await }
    }));
    runtime.register(handler_fn(AUTOPSY_STEP_KIND, move |ctx| {
        let (deps, waker) = (deps.clone(), waker.clone());
        async move { workflow::run_step(&deps, &waker, ctx).await }
    }));
}
