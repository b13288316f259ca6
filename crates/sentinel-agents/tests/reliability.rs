//! What goes wrong is recorded, and nothing else waits for it: a repository without a clone,
//! a file over 1 MB, a frame that maps nowhere, a provider that errors, a step that hangs past
//! its timeout (while another incident's workflow completes), on both backends. And the
//! default provider is the heuristic one.
#![allow(clippy::unwrap_used)]

mod support;

use futures::future::BoxFuture;
use sentinel_agents::{start_workflow, AutopsyProvider, ProviderError, Providers};
use sentinel_core::autopsy::{AutopsyInput, Diagnosis};
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_core::workflow::{RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_store::autopsy::{AgentRun, Workflow};
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use std::sync::Arc;
use std::time::Duration;
use support::{runtime, CannedProvider, Fixture, NOW};

async fn finished(store: &Store, org: &OrgId, incident: &IncidentId) -> (Workflow, Vec<AgentRun>) {
    let workflow = support::finished(store, org, incident).await;
    let runs = store.list_agent_runs(org, &workflow.id).await.unwrap();
    (workflow, runs)
}

fn run(runs: &[AgentRun], step: WorkflowStep) -> &AgentRun {
    runs.iter().find(|r| r.step == step).unwrap()
}

async fn run_one(
    fx: &Fixture,
    incident: &IncidentId,
    providers: Providers,
) -> (Workflow, Vec<AgentRun>) {
    let mut deps = fx.deps();
    deps.providers = providers;
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    start_workflow(&fx.store, &fx.org, incident, NOW)
        .await
        .unwrap();
    let outcome = finished(&fx.store, &fx.org, incident).await;
    handle.shutdown(Duration::from_secs(5)).await;
    outcome
}

fn canned() -> Providers {
    Providers::default().with_default(Arc::new(CannedProvider))
}

async fn a_repository_without_a_clone_fails_tracing_only(test: TestStore) {
    let fx = Fixture::new(&test, false, false).await;
    let incident = fx.incident("fp", "/srv/shop/app/users.py", 4).await;
    let (workflow, runs) = run_one(&fx, &incident, canned()).await;
    assert_eq!(workflow.status, WorkflowStatus::Completed);
    let tracing = run(&runs, WorkflowStep::Tracing);
    assert_eq!(tracing.status, RunStatus::Failure);
    let error = tracing.error.as_deref().unwrap();
    assert!(error.contains("no local clone"), "{error}");
    // The steps after it worked from the event.
    assert_eq!(
        run(&runs, WorkflowStep::RootCause).status,
        RunStatus::Success
    );
    assert_eq!(run(&runs, WorkflowStep::Publish).status, RunStatus::Success);
    assert!(fx
        .store
        .get_autopsy(&fx.org, &incident)
        .await
        .unwrap()
        .is_some());
}

async fn a_file_over_a_megabyte_is_not_snapshot(test: TestStore) {
    let fx = Fixture::new(&test, true, true).await;
    let incident = fx.incident("fp", "/srv/shop/app/generated.py", 3).await;
    let (workflow, runs) = run_one(&fx, &incident, canned()).await;
    assert_eq!(workflow.status, WorkflowStatus::Completed);
    let tracing = run(&runs, WorkflowStep::Tracing);
    assert_eq!(tracing.status, RunStatus::Failure);
    let error = tracing.error.as_deref().unwrap();
    assert!(
        error.contains("app/generated.py is 1100") && error.contains("snapshot limit"),
        "{error}"
    );
    // The suspect was still found (blame reads the file, the snapshot would not).
    assert!(tracing.metadata["suspect"]["sha"].is_string());
    assert!(fx
        .store
        .list_file_snapshots(&fx.org, &workflow.id)
        .await
        .unwrap()
        .is_empty());
}

async fn a_frame_that_maps_nowhere_is_recorded(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let incident = fx.incident("fp", "/srv/shop/app/vanished.py", 9).await;
    let (workflow, runs) = run_one(&fx, &incident, canned()).await;
    assert_eq!(workflow.status, WorkflowStatus::Completed);
    let tracing = run(&runs, WorkflowStep::Tracing);
    assert_eq!(tracing.status, RunStatus::Failure);
    let error = tracing.error.as_deref().unwrap();
    assert!(
        error.contains("maps to a file of the repository (/srv/shop/app/vanished.py)"),
        "{error}"
    );
    assert!(fx
        .store
        .get_incident_suspect(&fx.org, &incident)
        .await
        .unwrap()
        .is_none());
}

struct Failing;

impl AutopsyProvider for Failing {
    fn name(&self) -> &str {
        "failing"
    }

    fn diagnose<'a>(
        &'a self,
        _: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>> {
        Box::pin(async {
            Err(ProviderError {
                provider: "failing".into(),
                message: "503 from the model server".into(),
            })
        })
    }
}

struct Hanging;

impl AutopsyProvider for Hanging {
    fn name(&self) -> &str {
        "hanging"
    }

    fn diagnose<'a>(
        &'a self,
        _: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>> {
        Box::pin(futures::future::pending())
    }
}

async fn a_provider_error_fails_the_workflow(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let incident = fx.incident("fp", "/srv/shop/app/users.py", 4).await;
    let providers = Providers::default().with_org(fx.org.clone(), Arc::new(Failing));
    let (workflow, runs) = run_one(&fx, &incident, providers).await;
    assert_eq!(workflow.status, WorkflowStatus::Failed);
    let root = run(&runs, WorkflowStep::RootCause);
    assert_eq!(root.status, RunStatus::Failure);
    assert_eq!(
        root.error.as_deref(),
        Some("failing: 503 from the model server")
    );
    assert!(workflow.reason.unwrap().starts_with("root_cause failure"));
    // Nothing after it ran; the suspect found before it stays.
    assert_eq!(runs.len(), 3);
    assert!(fx
        .store
        .get_incident_suspect(&fx.org, &incident)
        .await
        .unwrap()
        .is_some());
}

async fn a_hanging_step_times_out_and_blocks_nothing(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let other = Fixture::new(&test, true, false).await;
    let stuck = fx.incident("fp-stuck", "/srv/shop/app/users.py", 4).await;
    let fine = other.incident("fp-fine", "/srv/shop/app/users.py", 4).await;
    let mut deps = fx.deps();
    deps.step_timeout = Duration::from_millis(1_500);
    // The first organization's provider hangs; the other's answers.
    deps.providers = canned().with_org(fx.org.clone(), Arc::new(Hanging));
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    start_workflow(&fx.store, &fx.org, &stuck, NOW)
        .await
        .unwrap();
    start_workflow(&other.store, &other.org, &fine, NOW)
        .await
        .unwrap();
    let (fine_workflow, _) = finished(&other.store, &other.org, &fine).await;
    assert_eq!(fine_workflow.status, WorkflowStatus::Completed);
    let (stuck_workflow, stuck_runs) = finished(&fx.store, &fx.org, &stuck).await;
    handle.shutdown(Duration::from_secs(5)).await;
    assert_eq!(stuck_workflow.status, WorkflowStatus::Failed);
    let root = run(&stuck_runs, WorkflowStep::RootCause);
    assert_eq!(root.status, RunStatus::Timeout);
    let error = root.error.as_deref().unwrap();
    assert!(error.contains("did not finish within 1.5 s"), "{error}");
    assert!(stuck_workflow
        .reason
        .unwrap()
        .starts_with("root_cause timeout"));
}

async fn the_default_provider_is_the_heuristic_one(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let incident = fx.incident("fp", "/srv/shop/app/users.py", 4).await;
    let (workflow, runs) = run_one(&fx, &incident, Providers::default()).await;
    assert_eq!(workflow.status, WorkflowStatus::Completed);
    assert_eq!(
        run(&runs, WorkflowStep::RootCause).status,
        RunStatus::Success
    );
    let autopsy = fx
        .store
        .get_autopsy(&fx.org, &incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(autopsy.model_used, "heuristic");
    assert_eq!(autopsy.culprit_path.as_deref(), Some("app/users.py"));
    // Whatever the rules answer, a missing test or patch is recorded, not fatal.
    for step in [WorkflowStep::TestGen, WorkflowStep::Fix] {
        let r = run(&runs, step);
        assert!(
            r.status == RunStatus::Success || r.error.is_some(),
            "{step:?}: {r:?}"
        );
    }
    assert_eq!(run(&runs, WorkflowStep::Publish).status, RunStatus::Success);
}

workflow_tests!(
    a_repository_without_a_clone_fails_tracing_only,
    a_file_over_a_megabyte_is_not_snapshot,
    a_frame_that_maps_nowhere_is_recorded,
    a_provider_error_fails_the_workflow,
    a_hanging_step_times_out_and_blocks_nothing,
    the_default_provider_is_the_heuristic_one,
);
