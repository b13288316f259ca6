//! End to end: the official `sentry` crate reports a panic to a real `sentinel serve`; the
//! autopsy job blames the panicking line in a clone the test builds with git — this very
//! file, committed first without the bug by a human and then with it by an AI-assisted
//! commit — and the incident carries that commit with its attribution, which raises the
//! AI-attribution alert. The autopsy workflow runs to its end, and the API shows its steps
//! and artifacts, one of which streams back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{eventually, open_store, org_of_key, ServerProcess};
use sentinel_core::role::Role;
use sentinel_store::alerts::AlertFilter;
use sentinel_store::code::{NewCodeMapping, NewRepository};
use sentinel_store::incidents::IncidentQuery;
use sentinel_store::tenancy::NewApiKey;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// This file's path inside the workspace: where the clone keeps its copy.
const THIS_FILE: &str = "crates/sentinel/tests/suspect_commit_sdk.rs";

#[inline(never)]
fn total_of(cart: &[u32]) -> u32 {
    let sum: u32 = cart.iter().sum();
    if sum > 100 {
        panic!("cart total {sum} is over the limit"); // the bug
    }
    sum
}

fn git(dir: &Path, args: &[&str], who: (&str, &str), date: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A clone holding this file twice: a human's version without the panicking line, then an
/// AI-assisted commit that adds it. Returns the second commit's sha.
fn build_clone(dir: &Path) -> (String, String) {
    let ada = ("Ada Human", "ada@example.com");
    git(
        dir,
        &["init", "-q", "-b", "main"],
        ada,
        "2024-01-01T10:00:00+0100",
    );
    let source = include_str!("suspect_commit_sdk.rs");
    let target = dir.join(THIS_FILE);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let without_bug: String = source
        .lines()
        .map(|line| {
            if line.ends_with("// the bug") {
                "        // no limit yet"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&target, without_bug).unwrap();
    git(dir, &["add", "-A"], ada, "2024-01-01T10:00:00+0100");
    git(
        dir,
        &["commit", "-q", "-m", "checkout: totals"],
        ada,
        "2024-01-01T10:00:00+0100",
    );
    let human = git(dir, &["rev-parse", "HEAD"], ada, "2024-01-01T10:00:00+0100");
    std::fs::write(&target, source).unwrap();
    let bo = ("Bo Builder", "bo@example.com");
    git(dir, &["add", "-A"], bo, "2024-01-02T15:00:00-0500");
    git(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            "checkout: refuse carts over the limit\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        ],
        bo,
        "2024-01-02T15:00:00-0500",
    );
    let ai = git(dir, &["rev-parse", "HEAD"], bo, "2024-01-02T15:00:00-0500");
    (human, ai)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_reported_by_the_sdk_gets_the_commit_that_wrote_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let clone = tempfile::tempdir().unwrap();
    let (_human, ai_commit) = build_clone(clone.path());

    let server = ServerProcess::start(dir.path());
    let dsn = server.dsn.clone().expect("first start prints the DSN");
    let (key, project) = server.key_and_project();
    let store = open_store(dir.path()).await;
    let org = org_of_key(&store, &key).await;
    let service = store
        .get_service_by_number(project.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let repository = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                clone_path: Some(clone.path().to_string_lossy().into_owned()),
                ..NewRepository::default()
            },
            0,
        )
        .await
        .unwrap();
    // Only a link: no roots, so the frame's path is matched against the clone's tree.
    store
        .create_code_mapping(
            &org,
            &NewCodeMapping {
                service_id: service.id.clone(),
                repository_id: repository.id.clone(),
                stack_root: String::new(),
                source_root: String::new(),
                branch: None,
            },
            0,
        )
        .await
        .unwrap();

    let options = sentry::apply_defaults(sentry::ClientOptions::new().dsn(dsn.as_str()));
    let client = Arc::new(sentry::Client::from_config(options));
    let hub = Arc::new(sentry::Hub::new(
        Some(client.clone()),
        Arc::new(sentry::Scope::default()),
    ));
    sentry::Hub::run(hub, || {
        let _ = std::panic::catch_unwind(|| total_of(&[60, 70]));
    });
    assert!(
        client.flush(Some(Duration::from_secs(20))),
        "the SDK could not deliver"
    );

    let incident = eventually(Duration::from_secs(20), "the panic's incident", || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let query = IncidentQuery {
                include_quiet: true,
                limit: 10,
                ..Default::default()
            };
            let page = store.list_incidents(&org, &query).await.unwrap();
            page.items
                .into_iter()
                .find(|i| i.title.contains("over the limit"))
        }
    })
    .await;
    let suspect = eventually(Duration::from_secs(30), "the suspect commit", || {
        let (store, org, id) = (store.clone(), org.clone(), incident.id.clone());
        async move { store.get_incident_suspect(&org, &id).await.unwrap() }
    })
    .await;

    let bug_line = include_str!("suspect_commit_sdk.rs")
        .lines()
        .position(|line| line.ends_with("// the bug"))
        .unwrap()
        + 1;
    assert_eq!(suspect.sha, ai_commit, "{suspect:#?}");
    assert_eq!(suspect.path, THIS_FILE);
    assert_eq!(suspect.line, Some(i64::try_from(bug_line).unwrap()));
    assert!(
        suspect.reason.starts_with("blame of "),
        "{}",
        suspect.reason
    );
    assert_eq!(suspect.author_email.as_deref(), Some("bo@example.com"));
    assert_eq!(suspect.tool.as_deref(), Some("claude"), "{suspect:#?}");
    assert!(suspect.ai_confidence.unwrap() >= 0.9, "{suspect:#?}");

    // The AI-written suspect raises the default incident_ai_attributed rule's alert.
    let alert = eventually(Duration::from_secs(20), "the AI-attribution alert", || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let filter = AlertFilter {
                rule_kind: Some("incident_ai_attributed".into()),
                ..AlertFilter::default()
            };
            store
                .list_alerts(&org, &filter)
                .await
                .unwrap()
                .into_iter()
                .next()
        }
    })
    .await;
    assert_eq!(alert.incident_id.as_deref(), Some(incident.id.as_str()));
    assert!(alert.summary.contains(&ai_commit[..7]), "{}", alert.summary);
    assert!(alert.summary.contains("claude"), "{}", alert.summary);

    // The workflow completes; the API shows its steps and artifacts.
    let workflow = eventually(Duration::from_secs(30), "the autopsy workflow", || {
        let (store, org, id) = (store.clone(), org.clone(), incident.id.clone());
        async move {
            store
                .latest_workflow(&org, &id)
                .await
                .unwrap()
                .filter(|w| w.status.is_terminal())
        }
    })
    .await;
    assert_eq!(workflow.status.as_str(), "completed", "{workflow:?}");
    let generated = sentinel_web::auth::tokens::generate_api_key();
    store
        .create_api_key(
            &org,
            &NewApiKey {
                name: "reader".into(),
                prefix: generated.prefix.clone(),
                secret_hash: generated.secret_hash.clone(),
                role: Role::Viewer,
                scopes: vec![],
                expires_at: None,
                created_by: None,
            },
            0,
        )
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let answer: serde_json::Value = http
        .get(format!(
            "{}/api/v1/incidents/{}/autopsy",
            server.base_url, incident.id
        ))
        .bearer_auth(&generated.secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["workflow"]["status"], "completed", "{answer:#}");
    let steps: Vec<&str> = answer["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "triage",
            "tracing",
            "root_cause",
            "test_gen",
            "fix",
            "publish"
        ]
    );
    assert_eq!(answer["steps"][1]["status"], "success", "{answer:#}");
    assert_eq!(answer["autopsy"]["model_used"], "heuristic");
    assert_eq!(answer["autopsy"]["culprit"]["path"], THIS_FILE);
    let artifacts = answer["artifacts"].as_array().unwrap();
    let types: Vec<&str> = artifacts
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    for wanted in ["sample_event", "file_snapshot", "pr_body"] {
        assert!(types.contains(&wanted), "{wanted} missing from {types:?}");
    }
    // The PR body streams back from the data directory's artifact folder.
    let pr_body = artifacts.iter().find(|a| a["type"] == "pr_body").unwrap();
    let body = http
        .get(format!(
            "{}{}",
            server.base_url,
            pr_body["url"].as_str().unwrap()
        ))
        .bearer_auth(&generated.secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(&ai_commit), "{body}");
}
