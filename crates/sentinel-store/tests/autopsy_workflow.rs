//! The autopsy workflow's storage on both backends: one active workflow per incident, started
//! with its first job; terminal states final; a step's run restarted with its attempt
//! counted but a succeeded one kept; one autopsy per incident, upserted on a re-run; the
//! artifacts and snapshots org-scoped; the stats over them.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{error_event, org_with_service, write, T0};
use sentinel_core::id::{ArtifactId, IncidentId, OrgId, WorkflowId};
use sentinel_core::workflow::{ArtifactKind, RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_store::autopsy::{AutopsyRecord, NewArtifact, NewFileSnapshot};
use sentinel_store::jobs::NewJob;
use sentinel_store::{Store, StoreError};
use serde_json::json;

async fn incident(store: &Store) -> (OrgId, IncidentId) {
    let (org, service) = org_with_service(store).await;
    let outcomes = write(store, &[error_event(&org, &service, "e1", "fp", T0)], T0).await;
    (org, outcomes[0].incident_id.clone().unwrap())
}

fn first_job(id: &WorkflowId) -> NewJob {
    NewJob::new("autopsy.step", json!({ "workflow_id": id.as_str() }))
        .dedup_key(format!("autopsy.step:{id}:triage"))
}

fn autopsy(incident: &IncidentId, workflow: &WorkflowId, at: i64) -> AutopsyRecord {
    AutopsyRecord {
        incident_id: incident.clone(),
        workflow_id: Some(workflow.clone()),
        root_cause: "user is None at app/users.py:13".into(),
        category: "null_access".into(),
        disposition: "identified".into(),
        confidence: 0.8,
        model_used: "heuristic".into(),
        culprit_path: Some("app/users.py".into()),
        culprit_line: Some(13),
        test_case: None,
        test_path: None,
        patch_diff: None,
        ai_fix_prompt: "Fix it".into(),
        manual_steps: vec!["Guard the lookup".into()],
        analysis_time_ms: Some(400),
        patch_applied: None,
        test_verified: None,
        created_at: at,
        updated_at: at,
    }
}

async fn one_active_workflow_per_incident_and_terminal_states_are_final(store: Store) {
    let (org, incident) = incident(&store).await;
    let id = WorkflowId::generate();
    let workflow = store
        .start_workflow(&org, &id, &incident, &first_job(&id), T0)
        .await
        .unwrap();
    assert_eq!(workflow.status, WorkflowStatus::Active);
    assert_eq!(store.job_counts().await.unwrap().available, 1);

    // A second start while one is active is refused, and enqueues nothing.
    let second = WorkflowId::generate();
    assert!(matches!(
        store
            .start_workflow(&org, &second, &incident, &first_job(&second), T0 + 1)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.job_counts().await.unwrap().available, 1);
    // Another organization cannot start, read or abort it.
    let (other, _) = org_with_service(&store).await;
    let third = WorkflowId::generate();
    assert!(matches!(
        store
            .start_workflow(&other, &third, &incident, &first_job(&third), T0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.get_workflow(&other, &id).await.unwrap().is_none());
    assert!(store
        .abort_active_workflow(&other, &incident, T0)
        .await
        .unwrap()
        .is_none());

    // Active means not terminal.
    assert!(!store
        .finish_workflow(&org, &id, WorkflowStatus::Active, None, T0 + 2)
        .await
        .unwrap());
    assert!(store
        .finish_workflow(
            &org,
            &id,
            WorkflowStatus::Failed,
            Some("triage failure"),
            T0 + 2
        )
        .await
        .unwrap());
    // Final: neither completing nor aborting changes it again.
    assert!(!store
        .finish_workflow(&org, &id, WorkflowStatus::Completed, None, T0 + 3)
        .await
        .unwrap());
    assert!(store
        .abort_active_workflow(&org, &incident, T0 + 3)
        .await
        .unwrap()
        .is_none());
    let failed = store.get_workflow(&org, &id).await.unwrap().unwrap();
    assert_eq!(failed.status, WorkflowStatus::Failed);
    assert_eq!(failed.reason.as_deref(), Some("triage failure"));
    assert_eq!(failed.finished_at, Some(T0 + 2));

    // Once it is over, a re-run starts; abort ends it.
    let rerun = store
        .start_workflow(&org, &second, &incident, &first_job(&second), T0 + 4)
        .await
        .unwrap();
    assert_eq!(
        store.latest_workflow(&org, &incident).await.unwrap(),
        Some(rerun)
    );
    let aborted = store
        .abort_active_workflow(&org, &incident, T0 + 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(aborted.status, WorkflowStatus::Aborted);
    assert!(!store
        .finish_workflow(&org, &second, WorkflowStatus::Completed, None, T0 + 6)
        .await
        .unwrap());
}

async fn a_step_runs_again_after_a_crash_but_not_after_success(store: Store) {
    let (org, incident) = incident(&store).await;
    let id = WorkflowId::generate();
    store
        .start_workflow(&org, &id, &incident, &first_job(&id), T0)
        .await
        .unwrap();
    let first = store
        .begin_agent_run(&org, &id, WorkflowStep::Triage, T0 + 10)
        .await
        .unwrap();
    assert_eq!((first.status, first.attempt), (RunStatus::Running, 1));
    // The worker died: the job runs again and begins the step again.
    let again = store
        .begin_agent_run(&org, &id, WorkflowStep::Triage, T0 + 50)
        .await
        .unwrap();
    assert_eq!((again.attempt, again.started_at), (2, T0 + 50));
    // The first attempt's late finish changes nothing.
    assert!(!store
        .finish_agent_run(&org, &first, RunStatus::Success, None, &json!({}), T0 + 60)
        .await
        .unwrap());
    assert!(store
        .finish_agent_run(
            &org,
            &again,
            RunStatus::Success,
            None,
            &json!({"actionable": true}),
            T0 + 80
        )
        .await
        .unwrap());
    let kept = store
        .begin_agent_run(&org, &id, WorkflowStep::Triage, T0 + 90)
        .await
        .unwrap();
    assert_eq!(kept.status, RunStatus::Success);
    assert_eq!(kept.attempt, 2);
    assert_eq!(kept.duration_ms, Some(30));
    assert_eq!(kept.metadata, json!({"actionable": true}));

    let tracing = store
        .begin_agent_run(&org, &id, WorkflowStep::Tracing, T0 + 100)
        .await
        .unwrap();
    store
        .finish_agent_run(
            &org,
            &tracing,
            RunStatus::Timeout,
            Some("tracing did not finish"),
            &json!({}),
            T0 + 200,
        )
        .await
        .unwrap();
    let runs = store.list_agent_runs(&org, &id).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| (r.step, r.status)).collect::<Vec<_>>(),
        [
            (WorkflowStep::Triage, RunStatus::Success),
            (WorkflowStep::Tracing, RunStatus::Timeout)
        ]
    );
    assert_eq!(runs[1].error.as_deref(), Some("tracing did not finish"));
    let (other, _) = org_with_service(&store).await;
    assert!(store.list_agent_runs(&other, &id).await.unwrap().is_empty());
}

async fn one_autopsy_per_incident_upserted_on_a_rerun(store: Store) {
    let (org, incident) = incident(&store).await;
    let first = WorkflowId::generate();
    store
        .start_workflow(&org, &first, &incident, &first_job(&first), T0)
        .await
        .unwrap();
    store
        .upsert_autopsy(&org, &autopsy(&incident, &first, T0 + 10))
        .await
        .unwrap();
    store
        .finish_workflow(&org, &first, WorkflowStatus::Completed, None, T0 + 20)
        .await
        .unwrap();
    let second = WorkflowId::generate();
    store
        .start_workflow(&org, &second, &incident, &first_job(&second), T0 + 30)
        .await
        .unwrap();
    let rerun = AutopsyRecord {
        category: "missing_key".into(),
        patch_diff: Some("--- a/x\n+++ b/x\n".into()),
        patch_applied: Some(true),
        test_verified: Some(false),
        ..autopsy(&incident, &second, T0 + 40)
    };
    store.upsert_autopsy(&org, &rerun).await.unwrap();
    let stored = store.get_autopsy(&org, &incident).await.unwrap().unwrap();
    // Replaced, created_at the first run's.
    assert_eq!(
        stored,
        AutopsyRecord {
            created_at: T0 + 10,
            ..rerun
        }
    );
    let (other, _) = org_with_service(&store).await;
    assert!(store
        .get_autopsy(&other, &incident)
        .await
        .unwrap()
        .is_none());

    let stats = store.autopsy_stats(&org, T0 - 1).await.unwrap();
    assert_eq!(
        (stats.incidents, stats.analysed, stats.identified),
        (1, 1, 1)
    );
    assert_eq!((stats.patches_checked, stats.patches_applied), (1, 1));
    assert_eq!((stats.tests_checked, stats.tests_verified), (1, 0));
    assert_eq!(stats.median_analysis_time_ms, Some(400));
    assert_eq!(stats.by_category[0].category, "missing_key");
    // Incidents first seen before the period are left out.
    let later = store.autopsy_stats(&org, T0 + 1).await.unwrap();
    assert_eq!((later.incidents, later.analysed), (0, 0));
}

async fn artifacts_and_snapshots_belong_to_their_workflow(store: Store) {
    let (org, incident) = incident(&store).await;
    let id = WorkflowId::generate();
    store
        .start_workflow(&org, &id, &incident, &first_job(&id), T0)
        .await
        .unwrap();
    let new = NewArtifact {
        id: ArtifactId::generate(),
        workflow_id: id.clone(),
        incident_id: incident.clone(),
        kind: ArtifactKind::Patch,
        key: format!("{org}/{incident}/{id}/patch.diff"),
        size: 12,
        sha256: "ab".repeat(32),
    };
    let stored = store.add_artifact(&org, &new, T0 + 1).await.unwrap();
    assert_eq!(stored.kind, ArtifactKind::Patch);
    assert!(matches!(
        store.add_artifact(&org, &new, T0 + 2).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_artifact(&org, &new.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.list_artifacts(&org, &id).await.unwrap(), vec![stored]);
    let (other, _) = org_with_service(&store).await;
    assert!(store.get_artifact(&other, &new.id).await.unwrap().is_none());

    let snapshot = |path: &str| NewFileSnapshot {
        workflow_id: id.clone(),
        incident_id: incident.clone(),
        path: path.into(),
        first_line: 6,
        focus_line: 13,
        source: "repository".into(),
        content: "line".into(),
    };
    store
        .replace_file_snapshots(&org, &id, &[snapshot("a.py"), snapshot("b.py")], T0)
        .await
        .unwrap();
    store
        .replace_file_snapshots(&org, &id, &[snapshot("c.py")], T0 + 1)
        .await
        .unwrap();
    let snapshots = store.list_file_snapshots(&org, &id).await.unwrap();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].path, "c.py");
}

sentinel_store::store_tests!(
    one_active_workflow_per_incident_and_terminal_states_are_final,
    a_step_runs_again_after_a_crash_but_not_after_success,
    one_autopsy_per_incident_upserted_on_a_rerun,
    artifacts_and_snapshots_belong_to_their_workflow,
);
