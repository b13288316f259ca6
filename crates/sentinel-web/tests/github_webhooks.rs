//! `POST /webhooks/github` with GitHub's own example payloads (tests/fixtures/github, signed
//! with the secret of GitHub's documentation): every real delivery is accepted or ignored as
//! its event deserves, forgeries are refused before anything is stored, a redelivery changes
//! nothing, and the stored push becomes code events and commits once its job has run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use sentinel_core::code::CodeEventKind;
use sentinel_ingest::github::sign;
use sentinel_store::code::{CodeEventFilter, CommitStatus};
use sentinel_store::testing::TestStore;
use sentinel_web::state::WebSettings;
use sentinel_web::webhooks::WebhookSecrets;
use support::TestApp;

/// The secret GitHub's "Validating webhook deliveries" page signs its example with.
const SECRET: &str = "It's a Secret to Everybody";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn app(test: TestStore) -> TestApp {
    let settings = WebSettings {
        github_webhook_secrets: WebhookSecrets::new([SECRET]),
        ..WebSettings::default()
    };
    TestApp::with_settings(test, settings).await
}

async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: &str,
    body: &[u8],
    signature: Option<&str>,
) -> support::TestResponse {
    let mut headers = vec![
        ("x-github-event", event),
        ("x-github-delivery", delivery),
        ("content-type", "application/json"),
    ];
    if let Some(signature) = signature {
        headers.push(("x-hub-signature-256", signature));
    }
    app.post("/webhooks/github", body.to_vec(), &headers).await
}

async fn every_fixture_is_answered_as_its_event_deserves(app: TestApp) {
    let cases = [
        ("push.multi-commit.json", "push", "accepted"),
        ("push.new-branch.json", "push", "accepted"),
        ("pull_request.opened.json", "pull_request", "accepted"),
        (
            "pull_request.closed-merged.json",
            "pull_request",
            "accepted",
        ),
        (
            "pull_request.closed-unmerged.json",
            "pull_request",
            "accepted",
        ),
        (
            "pull_request_review.submitted.json",
            "pull_request_review",
            "accepted",
        ),
        (
            "deployment_status.created.json",
            "deployment_status",
            "accepted",
        ),
        ("installation.created.json", "installation", "accepted"),
        ("deployment.created.json", "deployment", "ignored"),
        ("ping.json", "ping", "ignored"),
    ];
    for (n, (file, event, status)) in cases.iter().enumerate() {
        let body = fixture(file);
        let signature = sign(SECRET.as_bytes(), &body);
        let delivery = format!("00000000-0000-0000-0000-{n:012}");
        let response = deliver(&app, event, &delivery, &body, Some(&signature)).await;
        assert_eq!(
            response.status,
            StatusCode::ACCEPTED,
            "{file}: {}",
            response.text
        );
        let answer = response.json();
        assert_eq!(answer["status"], *status, "{file}");
        assert_eq!(answer["delivery_id"], delivery.as_str());
        assert_eq!(answer["event"], *event);
    }
    let stored = cases.iter().filter(|c| c.2 == "accepted").count();
    assert_eq!(
        app.store.count_webhook_deliveries().await.unwrap(),
        stored as i64
    );
    // The README's vector for ping.json is GitHub's signature of those exact bytes.
    assert_eq!(
        sign(SECRET.as_bytes(), &fixture("ping.json")),
        "sha256=1164c298af8dd23383e8b64457292606ca70b51e9273776762d1385e443dc148"
    );
}

async fn forgeries_are_refused_and_leave_nothing(app: TestApp) {
    let body = fixture("push.new-branch.json");
    let wrong_secret = sign(b"not the secret", &body);
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 0x01;
    let good = sign(SECRET.as_bytes(), &body);
    for (what, sent, signature) in [
        ("wrong secret", &body, Some(wrong_secret.as_str())),
        ("one byte changed", &tampered, Some(good.as_str())),
        ("no signature", &body, None),
        ("not hex", &body, Some("sha256=zz")),
    ] {
        let response = deliver(&app, "push", "forged-1", sent, signature).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(response.json()["error"]["code"], "unauthorized", "{what}");
    }
    // Only the legacy SHA-1 header: refused, and the answer says why.
    let response = app
        .post(
            "/webhooks/github",
            body.clone(),
            &[
                ("x-github-event", "push"),
                ("x-github-delivery", "forged-2"),
                (
                    "x-hub-signature",
                    "sha1=0000000000000000000000000000000000000000",
                ),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.text.contains("SHA-1"), "{}", response.text);
    assert_eq!(app.store.count_webhook_deliveries().await.unwrap(), 0);
    assert_eq!(job_total(&app).await, 0);

    // Signed but not a push payload: 400, nothing stored.
    let junk = br#"{"ref": 12}"#;
    let response = deliver(
        &app,
        "push",
        "junk",
        junk,
        Some(&sign(SECRET.as_bytes(), junk)),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert_eq!(app.store.count_webhook_deliveries().await.unwrap(), 0);
}

async fn a_redelivery_changes_nothing(app: TestApp) {
    let body = fixture("push.multi-commit.json");
    let signature = sign(SECRET.as_bytes(), &body);
    let first = deliver(&app, "push", "redelivered", &body, Some(&signature)).await;
    assert_eq!(first.json()["status"], "accepted");
    let jobs = job_total(&app).await;
    assert_eq!(jobs, 1);
    let second = deliver(&app, "push", "redelivered", &body, Some(&signature)).await;
    assert_eq!(second.status, StatusCode::ACCEPTED);
    assert_eq!(second.json()["status"], "duplicate");
    assert_eq!(app.store.count_webhook_deliveries().await.unwrap(), 1);
    assert_eq!(job_total(&app).await, jobs);
}

async fn a_stored_push_becomes_code_events_and_commits(app: TestApp) {
    // Installation 1 is the one GitHub's examples name; the org claims it and watches
    // Codertocat/Hello-World (no clone, no App: the commit cannot be read, and says so).
    let repo = app.watch_hello_world(None).await;
    let body = fixture("push.new-branch.json");
    let sent = deliver(
        &app,
        "push",
        "push-1",
        &body,
        Some(&sign(SECRET.as_bytes(), &body)),
    )
    .await;
    assert_eq!(sent.json()["status"], "accepted");

    let handle = app.start_code_jobs();
    let sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let commit = loop {
        let commit = app
            .store
            .get_commit(&app.org_id, &repo.id, sha)
            .await
            .unwrap();
        if let Some(commit) = commit.filter(|c| c.status != CommitStatus::Pending) {
            break commit;
        }
        assert!(std::time::Instant::now() < deadline, "commit not settled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    handle.shutdown(std::time::Duration::from_secs(5)).await;
    assert_eq!(commit.status, CommitStatus::Unavailable);
    assert!(commit.unavailable_reason.is_some());
    let events = app
        .store
        .list_code_events(
            &app.org_id,
            &repo.id,
            &CodeEventFilter {
                kind: Some(CodeEventKind::Commit),
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(events.items[0].delivery_id.as_deref(), Some("push-1"));
    let delivery = app
        .store
        .get_webhook_delivery("push-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.status.as_str(), "processed");
}

macro_rules! webhook_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::app(sentinel_store::testing::sqlite().await).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = sentinel_store::testing::postgres().await else {
                        eprintln!("skipped: {} is not set", sentinel_store::testing::PG_URL_VAR);
                        return;
                    };
                    super::$name(super::app(test).await).await;
                }
            )*
        }
    };
}

webhook_tests!(
    every_fixture_is_answered_as_its_event_deserves,
    forgeries_are_refused_and_leave_nothing,
    a_redelivery_changes_nothing,
    a_stored_push_becomes_code_events_and_commits,
);

async fn job_total(app: &TestApp) -> i64 {
    let c = app.store.job_counts().await.unwrap();
    c.available + c.running + c.retryable + c.completed + c.discarded + c.cancelled
}
