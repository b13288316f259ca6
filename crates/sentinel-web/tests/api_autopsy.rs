//! The autopsy API over the real router on both backends: a re-run starts a workflow (409
//! while one is active), abort ends it (terminal states final), the autopsy shows the
//! workflow's steps and artifacts, an artifact streams from the artifact store, the stats
//! add up — and another organization gets 404 for all of it.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sentinel_agents::{ArtifactStore, ArtifactStoreConfig};
use sentinel_core::id::{ArtifactId, WorkflowId};
use sentinel_core::role::Role;
use sentinel_core::workflow::{ArtifactKind, RunStatus, WorkflowStep};
use sentinel_store::autopsy::{AutopsyRecord, NewArtifact};
use sentinel_store::Store;
use sentinel_web::state::WebSettings;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn rerun_abort_and_show(store: Store) {
    let app = App::new(store).await;
    let member = app.key(&app.org, Role::Member).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let outcomes = app.seed(&[app.event("e1", "fp", NOW - 1_000)]).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let uri = format!("/api/v1/incidents/{incident}/autopsy");

    let empty = app.get(&uri, &viewer).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["autopsy"], Value::Null);
    assert_eq!(empty.body["workflow"], Value::Null);

    assert_eq!(
        app.call("POST", &uri, Some(&viewer), None).await.status,
        StatusCode::FORBIDDEN
    );
    let started = app.call("POST", &uri, Some(&member), None).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert_eq!(started.body["workflow"]["status"], json!("active"));
    let again = app.call("POST", &uri, Some(&member), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Another organization sees none of it.
    let (other, _) = org_with_service(&app.store, "globex").await;
    let outsider = app.key(&other, Role::Admin).await;
    assert_eq!(app.get(&uri, &outsider).await.status, StatusCode::NOT_FOUND);
    for path in [uri.clone(), format!("{uri}/abort")] {
        let answer = app.call("POST", &path, Some(&outsider), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }

    // A step as the workflow would record it, then the abort.
    let workflow = WorkflowId::from_string(started.body["workflow"]["id"].as_str().unwrap());
    let run = app
        .store
        .begin_agent_run(&app.org, &workflow, WorkflowStep::Triage, NOW)
        .await
        .unwrap();
    app.store
        .finish_agent_run(
            &app.org,
            &run,
            RunStatus::Success,
            None,
            &json!({"actionable": true}),
            NOW + 40,
        )
        .await
        .unwrap();
    let aborted = app
        .call("POST", &format!("{uri}/abort"), Some(&member), None)
        .await;
    assert_eq!(aborted.status, StatusCode::OK);
    assert_eq!(aborted.body["workflow"]["status"], json!("aborted"));
    let twice = app
        .call("POST", &format!("{uri}/abort"), Some(&member), None)
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let shown = app.get(&uri, &viewer).await;
    assert_eq!(shown.body["workflow"]["status"], json!("aborted"));
    let steps = shown.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["step"], json!("triage"));
    assert_eq!(steps[0]["duration_ms"], json!(40));
    // Over, so a re-run may start.
    let rerun = app.call("POST", &uri, Some(&member), None).await;
    assert_eq!(rerun.status, StatusCode::ACCEPTED);
}

async fn artifacts_stream_and_stats_add_up(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = ArtifactStore::open(&ArtifactStoreConfig::Local(dir.path().into())).unwrap();
    let settings = WebSettings {
        artifacts: Some(artifacts.clone()),
        ..WebSettings::default()
    };
    let app = App::with_settings(store, settings).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let outcomes = app.seed(&[app.event("e1", "fp", NOW - 1_000)]).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let started = app
        .call(
            "POST",
            &format!("/api/v1/incidents/{incident}/autopsy"),
            Some(&app.key(&app.org, Role::Member).await),
            None,
        )
        .await;
    let workflow = WorkflowId::from_string(started.body["workflow"]["id"].as_str().unwrap());
    let diff = "--- a/app/users.py\n+++ b/app/users.py\n@@ -1 +1 @@\n-a\n+b\n";
    let key = format!("{}/{incident}/{workflow}/patch.diff", app.org);
    let put = artifacts
        .put(&key, diff.as_bytes().to_vec().into())
        .await
        .unwrap();
    let id = ArtifactId::generate();
    app.store
        .add_artifact(
            &app.org,
            &NewArtifact {
                id: id.clone(),
                workflow_id: workflow.clone(),
                incident_id: incident.clone(),
                kind: ArtifactKind::Patch,
                key,
                size: put.size,
                sha256: put.sha256.clone(),
            },
            NOW,
        )
        .await
        .unwrap();

    let fetch = |key: String| {
        let router = app.router.clone();
        let uri = format!("/api/v1/artifacts/{id}");
        async move {
            let request = Request::builder()
                .uri(uri)
                .header("authorization", format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, kind, bytes)
        }
    };
    let (status, kind, bytes) = fetch(viewer.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind.as_deref(), Some("text/x-diff; charset=utf-8"));
    assert_eq!(bytes.as_ref(), diff.as_bytes());
    let (other, _) = org_with_service(&app.store, "globex").await;
    let outsider = app.key(&other, Role::Admin).await;
    assert_eq!(fetch(outsider.clone()).await.0, StatusCode::NOT_FOUND);

    let shown = app
        .get(&format!("/api/v1/incidents/{incident}/autopsy"), &viewer)
        .await;
    let listed = &shown.body["artifacts"][0];
    assert_eq!(listed["type"], json!("patch"));
    assert_eq!(listed["sha256"], json!(put.sha256));
    assert_eq!(listed["url"], json!(format!("/api/v1/artifacts/{id}")));

    // Two more incidents: one analysed with a patch that applied, one not analysed.
    let more = app
        .seed(&[
            app.event("e2", "fp2", NOW - 500),
            app.event("e3", "fp3", NOW - 400),
        ])
        .await;
    let record = |incident, category: &str, time, applied| AutopsyRecord {
        incident_id: incident,
        workflow_id: None,
        root_cause: "x".into(),
        category: category.into(),
        disposition: "identified".into(),
        confidence: 0.7,
        model_used: "heuristic".into(),
        culprit_path: None,
        culprit_line: None,
        test_case: None,
        test_path: None,
        patch_diff: None,
        ai_fix_prompt: String::new(),
        manual_steps: Vec::new(),
        analysis_time_ms: Some(time),
        patch_applied: applied,
        test_verified: None,
        created_at: NOW,
        updated_at: NOW,
    };
    app.store
        .upsert_autopsy(
            &app.org,
            &record(incident.clone(), "null_access", 300, None),
        )
        .await
        .unwrap();
    app.store
        .upsert_autopsy(
            &app.org,
            &record(
                more[0].incident_id.clone().unwrap(),
                "missing_key",
                500,
                Some(true),
            ),
        )
        .await
        .unwrap();
    let stats = app.get("/api/v1/autopsies/stats?days=30", &viewer).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    assert_eq!(stats.body["incidents"], json!(3));
    assert_eq!(stats.body["analysed"], json!(2));
    assert_eq!(stats.body["success_rate"], json!(1.0));
    assert_eq!(stats.body["patch_success_rate"], json!(1.0));
    assert_eq!(stats.body["test_success_rate"], Value::Null);
    assert_eq!(stats.body["median_analysis_time_ms"], json!(400));
    assert_eq!(stats.body["by_category"].as_array().unwrap().len(), 2);
    let theirs = app.get("/api/v1/autopsies/stats", &outsider).await;
    assert_eq!(theirs.body["analysed"], json!(0));
    assert_eq!(
        app.get("/api/v1/autopsies/stats?days=0", &viewer)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

sentinel_store::store_tests!(rerun_abort_and_show, artifacts_stream_and_stats_add_up);
