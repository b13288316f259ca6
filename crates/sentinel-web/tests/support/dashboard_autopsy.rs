//! The incident page's suspect commit and autopsy, with the fixture of `dashboard.rs`: the
//! commit links to its commit page with an "AI-written" badge, the patch renders as +/- lines,
//! the test, the prompt (selectable without JavaScript) and the steps show with their timings;
//! the re-run form needs the CSRF token and starts a workflow.

use super::{fixture, NOW};
use axum::http::StatusCode;
use sentinel_core::id::WorkflowId;
use sentinel_core::workflow::{RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_store::autopsy::AutopsyRecord;
use sentinel_store::code::{IncidentSuspect, NewRepository};
use sentinel_store::github_artifacts::{GithubArtifactKind, NewGithubArtifact};
use sentinel_store::jobs::NewJob;
use sentinel_store::Store;
use serde_json::json;

async fn the_incident_page_shows_the_suspect_and_the_autopsy(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    let org = &f.org_a;
    let incident = &f.incident_a;
    let repository = f
        .store
        .create_repository(
            org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            NOW,
        )
        .await
        .unwrap();
    let sha = "c0ffee".repeat(6) + "abcd";
    f.store
        .set_incident_suspect(
            org,
            &IncidentSuspect {
                incident_id: incident.clone(),
                repository_id: repository.id.clone(),
                sha: sha.clone(),
                path: "shop/cart.py".into(),
                line: Some(42),
                revision: "b".repeat(40),
                reason: "blame of shop/cart.py:42 at bbbbbbb".into(),
                author_name: Some("Bo".into()),
                author_email: None,
                authored_at: None,
                ai_confidence: Some(0.97),
                method: Some("declared".into()),
                tool: Some("claude".into()),
                found_at: NOW,
            },
        )
        .await
        .unwrap();
    let workflow = WorkflowId::generate();
    f.store
        .start_workflow(
            org,
            &workflow,
            incident,
            &NewJob::new("noop", json!({})),
            NOW,
        )
        .await
        .unwrap();
    let run = f
        .store
        .begin_agent_run(org, &workflow, WorkflowStep::Triage, NOW)
        .await
        .unwrap();
    f.store
        .finish_agent_run(org, &run, RunStatus::Success, None, &json!({}), NOW + 1_250)
        .await
        .unwrap();
    f.store
        .finish_workflow(org, &workflow, WorkflowStatus::Completed, None, NOW + 2_000)
        .await
        .unwrap();
    f.store
        .upsert_autopsy(
            org,
            &AutopsyRecord {
                incident_id: incident.clone(),
                workflow_id: Some(workflow.clone()),
                root_cause: "items is empty at shop/cart.py:42: len(items) is 0".into(),
                category: "division_by_zero".into(),
                disposition: "identified".into(),
                confidence: 0.85,
                model_used: "heuristic".into(),
                culprit_path: Some("shop/cart.py".into()),
                culprit_line: Some(42),
                test_case: Some("def test_empty_cart():\n    assert total([]) == 0\n".into()),
                test_path: Some("tests/test_cart_regression.py".into()),
                patch_diff: Some(
                    "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -41,2 +41,4 @@\n-    return sum(prices) / len(items)\n+    if not items:\n+        return 0\n".into(),
                ),
                ai_fix_prompt: "Guard <items> in shop/cart.py:42".into(),
                manual_steps: vec!["Return 0 for an empty cart".into()],
                analysis_time_ms: Some(2_000),
                patch_applied: None,
                test_verified: None,
                created_at: NOW,
                updated_at: NOW,
            },
        )
        .await
        .unwrap();

    for (kind, number, name, url) in [
        (
            GithubArtifactKind::Pr,
            Some(7),
            None,
            "https://github.com/acme/shop/pull/7",
        ),
        (
            GithubArtifactKind::Branch,
            None,
            Some("sentinel/fix-1".to_owned()),
            "https://github.com/acme/shop/tree/sentinel/fix-1",
        ),
        // Never a link that is not a web page.
        (
            GithubArtifactKind::Issue,
            Some(8),
            None,
            "javascript:alert(1)",
        ),
    ] {
        let new = NewGithubArtifact {
            kind,
            repo: "acme/shop".into(),
            number,
            name,
            url: url.into(),
        };
        f.store
            .upsert_github_artifact(org, incident, &new, NOW)
            .await
            .unwrap();
    }

    let uri = format!("/incidents/{}", incident.as_str());
    let page = f.get(&uri, Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = &page.html;
    for expected in [
        format!("href=\"/repositories/{}/commits/{sha}\"", repository.id),
        "AI-written · claude".to_string(),
        "blame of shop/cart.py:42 at bbbbbbb".into(),
        "items is empty at shop/cart.py:42".into(),
        "<span class=\"del\">-    return sum(prices) / len(items)</span>".into(),
        "<span class=\"add\">+    if not items:</span>".into(),
        "tests/test_cart_regression.py".into(),
        // Escaped, in a field that can be selected without JavaScript.
        "<textarea id=\"fix-prompt\" readonly rows=\"6\">Guard &#60;items&#62; in shop/cart.py:42</textarea>".into(),
        "data-copy=\"fix-prompt\" hidden".into(),
        "<li>Return 0 for an empty cart</li>".into(),
        "<td>triage</td>".into(),
        "1.2 s".into(),
        "id=\"autopsy-status\">completed".into(),
        format!("action=\"/incidents/{}/autopsy\"", incident.as_str()),
        "Draft pull request: <a href=\"https://github.com/acme/shop/pull/7\" rel=\"noopener\">acme/shop#7</a>".into(),
        "Branch: <a href=\"https://github.com/acme/shop/tree/sentinel/fix-1\" rel=\"noopener\">sentinel/fix-1</a>".into(),
    ] {
        assert!(html.contains(&expected), "missing {expected:?}");
    }
    assert!(!html.contains("javascript:"), "{html}");

    let rerun = format!("/incidents/{}/autopsy", incident.as_str());
    let forged = f.post(&rerun, Some(&session), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = f.post(&rerun, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let latest = f
        .store
        .latest_workflow(org, incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.status, WorkflowStatus::Active);
    assert_ne!(latest.id, workflow);
    let twice = f.post(&rerun, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let foreign = f
        .post(
            &format!("/incidents/{}/autopsy", f.incident_b.as_str()),
            Some(&session),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

sentinel_store::store_tests!(the_incident_page_shows_the_suspect_and_the_autopsy);
