//! The autopsy workflow end to end over the job runtime, on both backends: every step runs
//! and stores its outputs; a step that crashed resumes without re-running the ones before
//! it; two runtimes never run a step twice; abort stops the rest.
#![allow(clippy::unwrap_used)]

mod support;

use futures::future::BoxFuture;
use sentinel_agents::{start_workflow, AutopsyProvider, ProviderError, Providers};
use sentinel_core::autopsy::{AutopsyInput, Diagnosis};
use sentinel_core::workflow::{ArtifactKind, RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{eventually, finished, runtime, CannedProvider, Fixture};

const FRAME: &str = "/srv/shop/app/users.py";

async fn every_step_runs_and_stores_its_outputs(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let incident = fx.incident("fp-users", FRAME, 4).await;
    let mut deps = fx.deps();
    deps.providers = Providers::default().with_default(Arc::new(CannedProvider));
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    let started = start_workflow(&fx.store, &fx.org, &incident, support::NOW)
        .await
        .unwrap();
    let workflow = finished(&fx.store, &fx.org, &incident).await;
    handle.shutdown(Duration::from_secs(5)).await;
    assert_eq!(workflow.id, started.id);
    assert_eq!(workflow.status, WorkflowStatus::Completed, "{workflow:?}");

    let runs = fx
        .store
        .list_agent_runs(&fx.org, &workflow.id)
        .await
        .unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| (r.step, r.status, r.attempt))
            .collect::<Vec<_>>(),
        WorkflowStep::ALL
            .iter()
            .map(|s| (*s, RunStatus::Success, 1))
            .collect::<Vec<_>>(),
        "{runs:#?}"
    );
    let triage = &runs[0].metadata;
    assert_eq!(triage["actionable"], true);
    assert_eq!(triage["disposition"], "identified");
    let tracing = &runs[1].metadata;
    assert_eq!(tracing["suspect"]["sha"], fx.ai_commit.as_str());
    let frame = &tracing["input"]["frames"][0];
    assert_eq!(frame["repo_path"], "app/users.py");
    assert_eq!(frame["snapshot"]["source"], "repository");
    assert_eq!(frame["snapshot"]["focus_line"], 4);

    let suspect = fx
        .store
        .get_incident_suspect(&fx.org, &incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(suspect.sha, fx.ai_commit);
    assert_eq!(suspect.tool.as_deref(), Some("claude"));

    let autopsy = fx
        .store
        .get_autopsy(&fx.org, &incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(autopsy.category, "null_access");
    assert_eq!(autopsy.model_used, "canned");
    assert_eq!(autopsy.culprit_path.as_deref(), Some("app/users.py"));
    assert_eq!(autopsy.culprit_line, Some(4));
    assert_eq!(
        autopsy.test_path.as_deref(),
        Some("tests/test_users_regression.py")
    );
    assert!(autopsy
        .patch_diff
        .as_deref()
        .unwrap()
        .contains("+    if user is None:"));
    // The default verifier checks the patch against the clone; the repository has no test
    // command, so the test is not run.
    assert_eq!(
        (autopsy.patch_applied, autopsy.test_verified),
        (Some(true), None)
    );
    assert!(autopsy.analysis_time_ms.is_some());

    let artifacts = fx
        .store
        .list_artifacts(&fx.org, &workflow.id)
        .await
        .unwrap();
    let kinds: Vec<ArtifactKind> = artifacts.iter().map(|a| a.kind).collect();
    for kind in ArtifactKind::ALL {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
    // Stored by key with their size and SHA-256.
    let patch = artifacts
        .iter()
        .find(|a| a.kind == ArtifactKind::Patch)
        .unwrap();
    let bytes = fx.artifacts.get(&patch.key).await.unwrap();
    assert_eq!(bytes.as_ref(), autopsy.patch_diff.unwrap().as_bytes());
    assert_eq!(patch.size, bytes.len() as i64);
    let snapshots = fx
        .store
        .list_file_snapshots(&fx.org, &workflow.id)
        .await
        .unwrap();
    assert_eq!(snapshots.len(), 1);
    assert!(snapshots[0].content.contains("return user.name.title()"));
}

/// Panics the first time it is asked: a worker that died in the middle of the step.
struct CrashOnce {
    calls: AtomicUsize,
}

impl AutopsyProvider for CrashOnce {
    fn name(&self) -> &str {
        "crash-once"
    }

    fn diagnose<'a>(
        &'a self,
        _input: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            assert!(call > 0, "the worker died");
            Ok(support::canned_diagnosis())
        })
    }
}

async fn a_crashed_step_resumes_where_it_stopped(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let incident = fx.incident("fp-crash", FRAME, 4).await;
    let provider = Arc::new(CrashOnce {
        calls: AtomicUsize::new(0),
    });
    let mut deps = fx.deps();
    deps.providers = Providers::default().with_default(provider.clone());
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    let workflow = start_workflow(&fx.store, &fx.org, &incident, support::NOW)
        .await
        .unwrap();
    // The root cause step's job crashes and waits for its retry; its run stays running.
    let crashed = eventually("the crash", Duration::from_secs(30), || {
        let (store, org, id) = (fx.store.clone(), fx.org.clone(), workflow.id.clone());
        let provider = provider.clone();
        async move {
            let run = store
                .get_agent_run(&org, &id, WorkflowStep::RootCause)
                .await
                .unwrap()?;
            (provider.calls.load(Ordering::SeqCst) == 1).then_some(run)
        }
    })
    .await;
    assert_eq!(crashed.status, RunStatus::Running);
    // Once the crash is recorded as a retry (its time counted from the clock as it is now),
    // the retry's backoff passes and the queue runs again.
    eventually("the retry to be scheduled", Duration::from_secs(30), || {
        let store = fx.store.clone();
        async move { (store.job_counts().await.unwrap().retryable > 0).then_some(()) }
    })
    .await;
    fx.clock.advance(10_000);
    let done = finished(&fx.store, &fx.org, &incident).await;
    handle.shutdown(Duration::from_secs(5)).await;
    assert_eq!(done.status, WorkflowStatus::Completed);
    let runs = fx
        .store
        .list_agent_runs(&fx.org, &workflow.id)
        .await
        .unwrap();
    let attempts: Vec<(WorkflowStep, i64)> = runs.iter().map(|r| (r.step, r.attempt)).collect();
    // Triage and tracing ran once; root cause twice; the rest once.
    assert_eq!(
        attempts,
        [
            (WorkflowStep::Triage, 1),
            (WorkflowStep::Tracing, 1),
            (WorkflowStep::RootCause, 2),
            (WorkflowStep::TestGen, 1),
            (WorkflowStep::Fix, 1),
            (WorkflowStep::Publish, 1),
        ]
    );
    assert!(runs.iter().all(|r| r.status == RunStatus::Success));
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

async fn two_runtimes_never_run_one_step_twice(test: TestStore) {
    let fx = Fixture::new(&test, true, false).await;
    let mut incidents = Vec::new();
    for n in 0..6 {
        incidents.push(fx.incident(&format!("fp-{n}"), FRAME, 4).await);
    }
    let second = Store::open(&test.options).await.unwrap();
    let mut deps = fx.deps();
    deps.providers = Providers::default().with_default(Arc::new(CannedProvider));
    let one = runtime(&fx.store, fx.shared.clone(), deps.clone(), "w1");
    let two = runtime(&second, fx.shared.clone(), deps, "w2");
    for incident in &incidents {
        start_workflow(&fx.store, &fx.org, incident, support::NOW)
            .await
            .unwrap();
    }
    for incident in &incidents {
        let workflow = finished(&fx.store, &fx.org, incident).await;
        assert_eq!(workflow.status, WorkflowStatus::Completed);
        let runs = fx
            .store
            .list_agent_runs(&fx.org, &workflow.id)
            .await
            .unwrap();
        assert_eq!(runs.len(), 6);
        assert!(runs.iter().all(|r| r.attempt == 1), "{runs:#?}");
    }
    one.shutdown(Duration::from_secs(5)).await;
    two.shutdown(Duration::from_secs(5)).await;
    // A start while a workflow is active is refused.
    let active = start_workflow(&fx.store, &fx.org, &incidents[0], support::NOW)
        .await
        .unwrap();
    assert!(matches!(
        start_workflow(&fx.store, &fx.org, &incidents[0], support::NOW).await,
        Err(sentinel_agents::StartError::AlreadyActive)
    ));
    fx.store
        .abort_active_workflow(&fx.org, &incidents[0], support::NOW)
        .await
        .unwrap();
    // Aborted before any step ran: the queued triage job runs nothing.
    let handle = runtime(&fx.store, fx.shared.clone(), fx.deps(), "w3");
    eventually("the triage job to finish", Duration::from_secs(30), || {
        let store = fx.store.clone();
        async move { (store.job_counts().await.unwrap().available == 0).then_some(()) }
    })
    .await;
    handle.shutdown(Duration::from_secs(5)).await;
    assert!(fx
        .store
        .list_agent_runs(&fx.org, &active.id)
        .await
        .unwrap()
        .is_empty());
    let aborted = fx
        .store
        .get_workflow(&fx.org, &active.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(aborted.status, WorkflowStatus::Aborted);
}

workflow_tests!(
    every_step_runs_and_stores_its_outputs,
    a_crashed_step_resumes_where_it_stopped,
    two_runtimes_never_run_one_step_twice,
);
