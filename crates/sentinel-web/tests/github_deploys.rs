//! A successful deployment_status delivery for a repository with a local clone: once the
//! jobs have run, each deploy is linked to the commits it shipped since the previous deploy
//! of its environment, read from a history the test builds with git.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sentinel_ingest::github::sign;
use sentinel_store::code::DeployRangeSource;
use sentinel_store::testing::TestStore;
use sentinel_web::state::WebSettings;
use sentinel_web::webhooks::WebhookSecrets;
use serde_json::Value;
use support::TestApp;

const SECRET: &str = "It's a Secret to Everybody";

async fn app(test: TestStore) -> TestApp {
    let settings = WebSettings {
        github_webhook_secrets: WebhookSecrets::new([SECRET]),
        ..WebSettings::default()
    };
    TestApp::with_settings(test, settings).await
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "1714550400 +0200")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_DATE", "1714550400 +0200")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn commit(dir: &Path, name: &str) -> String {
    std::fs::write(dir.join(name), name).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", name]);
    git(dir, &["rev-parse", "HEAD"])
}

/// GitHub's example deployment_status, moved to `sha` and `deployment_id` at `at`.
fn deployment_status(deployment_id: i64, sha: &str, at: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/github/deployment_status.created.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    body["deployment"]["id"] = deployment_id.into();
    body["deployment"]["sha"] = sha.into();
    body["deployment"]["created_at"] = at.into();
    body["deployment_status"]["id"] = (deployment_id * 10).into();
    body["deployment_status"]["created_at"] = at.into();
    body["deployment_status"]["updated_at"] = at.into();
    serde_json::to_vec(&body).unwrap()
}

async fn deploys_are_linked_to_the_commits_they_shipped(app: TestApp) {
    let clone = tempfile::tempdir().unwrap();
    git(clone.path(), &["init", "-q", "-b", "master"]);
    let first = commit(clone.path(), "one");
    let second = commit(clone.path(), "two");
    let third = commit(clone.path(), "three");

    let repo = app
        .watch_hello_world(Some(clone.path().to_string_lossy().into_owned()))
        .await;

    for (delivery, id, sha, at) in [
        ("deploy-1", 1, &first, "2024-05-01T10:00:00Z"),
        ("deploy-2", 2, &third, "2024-05-02T10:00:00Z"),
    ] {
        let body = deployment_status(id, sha, at);
        let sent = app
            .post(
                "/webhooks/github",
                body.clone(),
                &[
                    ("x-github-event", "deployment_status"),
                    ("x-github-delivery", delivery),
                    ("content-type", "application/json"),
                    ("x-hub-signature-256", &sign(SECRET.as_bytes(), &body)),
                ],
            )
            .await;
        assert_eq!(sent.json()["status"], "accepted", "{delivery}");
    }

    let handle = app.start_code_jobs();
    // Both deploys linked: the third commit is in the second deploy's range.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (shipping_first, shipping_third) = loop {
        let one = app
            .store
            .deploys_shipping(&app.org_id, &repo.id, &first)
            .await
            .unwrap();
        let three = app
            .store
            .deploys_shipping(&app.org_id, &repo.id, &third)
            .await
            .unwrap();
        if !one.is_empty() && !three.is_empty() {
            break (one, three);
        }
        assert!(Instant::now() < deadline, "deploys not linked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    handle.shutdown(Duration::from_secs(5)).await;

    assert_eq!(shipping_first.len(), 1);
    assert_eq!(shipping_first[0].head_sha, first);
    assert_eq!(shipping_third.len(), 1);
    let second_deploy = &shipping_third[0];
    assert_eq!(second_deploy.environment, "production");
    let range = app
        .store
        .get_deploy_range(&app.org_id, &second_deploy.deploy_event_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(range.source, DeployRangeSource::Clone);
    assert_eq!(range.shas, vec![third.clone(), second.clone()]);
    assert_eq!(range.base_sha.as_deref(), Some(first.as_str()));
    assert!(range.previous_deploy_id.is_some());
    assert!(!range.truncated);
    let first_range = app
        .store
        .get_deploy_range(&app.org_id, &shipping_first[0].deploy_event_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_range.shas, vec![first.clone()]);
    assert_eq!(first_range.previous_deploy_id, None);
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deploys_are_linked_to_the_commits_they_shipped() {
        let app = super::app(sentinel_store::testing::sqlite().await).await;
        super::deploys_are_linked_to_the_commits_they_shipped(app).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deploys_are_linked_to_the_commits_they_shipped() {
        let Some(test) = sentinel_store::testing::postgres().await else {
            eprintln!(
                "skipped: {} is not set",
                sentinel_store::testing::PG_URL_VAR
            );
            return;
        };
        super::deploys_are_linked_to_the_commits_they_shipped(super::app(test).await).await;
    }
}
