//! The code alert rules end to end on both backends, each through its real trigger path:
//! signed GitHub webhooks (push, pull requests, deployment status) → the code jobs attribute
//! the commits from a clone the test builds with git and link the deploys → the cron-fired
//! `metrics.daily` job (or the deploy check) → an alert → its delivery reaches a webhook
//! channel on loopback. Each rule is also shown not to fire at its threshold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::extract::State;
use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::SharedClock;
use sentinel_ingest::github::sign;
use sentinel_store::alerts::{AlertFilter, NewChannel};
use sentinel_store::testing::TestStore;
use sentinel_web::state::WebSettings;
use sentinel_web::webhooks::WebhookSecrets;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::TestApp;

const SECRET: &str = "It's a Secret to Everybody";
/// 2025-12-01T00:00Z, a Monday.
const B: i64 = 1_764_547_200_000;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn git(dir: &Path, args: &[&str], date: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn iso(at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

struct Made {
    sha: String,
    message: String,
    at: i64,
}

/// A commit writing `lines` lines to `path` at `at`.
fn commit(dir: &Path, path: &str, lines: usize, message: &str, at: i64) -> Made {
    let file = dir.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let body: String = (0..lines)
        .map(|i| format!("line {i} of {path}\n"))
        .collect();
    std::fs::write(&file, body).unwrap();
    let date = format!("{} +0000", at / 1000);
    git(dir, &["add", "-A"], &date);
    git(dir, &["commit", "-q", "-m", message], &date);
    Made {
        sha: git(dir, &["rev-parse", "HEAD"], &date),
        message: message.into(),
        at,
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn push(commits: &[Made]) -> Value {
    let mut body = fixture("push.new-branch.json");
    let list: Vec<Value> = commits
        .iter()
        .map(|c| {
            json!({"id": c.sha, "tree_id": c.sha, "distinct": true, "message": c.message,
                "timestamp": iso(c.at), "url": "https://github.com/Codertocat/Hello-World",
                "author": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
                "committer": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
                "added": [], "removed": [], "modified": []})
        })
        .collect();
    body["before"] = "0".repeat(40).into();
    body["after"] = commits.last().unwrap().sha.clone().into();
    body["head_commit"] = list.last().unwrap().clone();
    body["commits"] = list.into();
    body
}

/// A pull request with head `head`, merged at `merged_at` after `hours` open.
fn merged_pr(number: u64, head: &str, merged_at: i64, hours: f64) -> Value {
    let mut body = fixture("pull_request.closed-merged.json");
    let hello = fixture("pull_request_review.submitted.json");
    body["repository"] = hello["repository"].clone();
    body["installation"] = hello["installation"].clone();
    body["number"] = number.into();
    let pr = &mut body["pull_request"];
    pr["number"] = number.into();
    pr["created_at"] = iso(merged_at - (hours * HOUR as f64) as i64).into();
    pr["merged_at"] = iso(merged_at).into();
    pr["closed_at"] = iso(merged_at).into();
    pr["head"]["sha"] = head.into();
    pr["merge_commit_sha"] = head.into();
    body
}

fn deployment(id: i64, sha: &str, at: i64) -> Value {
    let mut body = fixture("deployment_status.created.json");
    body["deployment"]["id"] = id.into();
    body["deployment"]["sha"] = sha.into();
    body["deployment"]["created_at"] = iso(at).into();
    body["deployment_status"]["id"] = (id * 10).into();
    body["deployment_status"]["created_at"] = iso(at).into();
    body["deployment_status"]["updated_at"] = iso(at).into();
    body
}

async fn deliver(app: &TestApp, event: &str, delivery: &str, body: &Value) {
    let body = serde_json::to_vec(body).unwrap();
    let sent = app
        .post(
            "/webhooks/github",
            body.clone(),
            &[
                ("x-github-event", event),
                ("x-github-delivery", delivery),
                ("content-type", "application/json"),
                ("x-hub-signature-256", &sign(SECRET.as_bytes(), &body)),
            ],
        )
        .await;
    assert_eq!(
        sent.json()["status"],
        "accepted",
        "{delivery}: {}",
        sent.text
    );
}

/// A webhook channel's stand-in on loopback: every body it receives.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(
            |State(seen): State<Arc<Mutex<Vec<Value>>>>, body: axum::body::Bytes| async move {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                "ok"
            },
        )
        .with_state(seen.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (url, seen)
}

fn runtime(app: &TestApp) -> sentinel_jobs::RuntimeHandle {
    let clock: SharedClock = Arc::new(app.clock.clone());
    let mut runtime = sentinel_jobs::JobRuntime::new(
        app.store.clone(),
        clock.clone(),
        sentinel_jobs::RuntimeConfig {
            poll_interval: Duration::from_millis(20),
            schedule_tick: Duration::from_millis(20),
            ..Default::default()
        },
    );
    sentinel_jobs::code::register(
        &mut runtime,
        sentinel_jobs::code::CodeDeps {
            reader: sentinel_jobs::code::CommitReader::default(),
        },
    );
    let alerts =
        sentinel_jobs::kinds::AlertDeps::standard(app.store.clone(), clock, "http://127.0.0.1")
            .unwrap();
    sentinel_jobs::metrics::register(
        &mut runtime,
        sentinel_jobs::metrics::MetricsDeps {
            engine: alerts.engine.clone(),
        },
    );
    sentinel_jobs::kinds::register_handlers(&mut runtime, alerts);
    runtime.start()
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kinds_alerted(app: &TestApp) -> Vec<String> {
    let mut kinds: Vec<String> = app
        .store
        .list_alerts(&app.org_id, &AlertFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.rule_kind)
        .collect();
    kinds.sort();
    kinds
}

/// Waits until the daily job has computed day `date` (moving the clock to 00:05 the next day
/// fires its cron slot), then until every alert recorded so far reached the receiver.
async fn finish_day(
    app: &TestApp,
    seen: &Arc<Mutex<Vec<Value>>>,
    repo: &sentinel_core::id::RepositoryId,
    day_start: i64,
) {
    app.clock.set(day_start + DAY + 5 * 60_000);
    let date = iso(day_start)[..10].to_string();
    wait_for(&format!("the row of {date}"), || async {
        app.store
            .get_repo_metric(
                &app.org_id,
                repo,
                sentinel_core::metrics::Period::Day,
                &date,
            )
            .await
            .unwrap()
            .is_some_and(|r| !r.stale)
            && app.store.job_counts().await.unwrap().available == 0
            && app.store.job_counts().await.unwrap().running == 0
    })
    .await;
    let alerts = app
        .store
        .list_alerts(&app.org_id, &AlertFilter::default())
        .await
        .unwrap();
    wait_for("every alert delivered", || async {
        let seen = seen.lock().unwrap();
        alerts.iter().all(|a| {
            seen.iter()
                .any(|body| body["dedup_key"] == a.dedup_key.as_str())
        })
    })
    .await;
}

async fn the_code_rules_fire_through_their_trigger_paths(app: TestApp) {
    let clone = tempfile::tempdir().unwrap();
    git(
        clone.path(),
        &["init", "-q", "-b", "master"],
        "1700000000 +0000",
    );
    let human = commit(
        clone.path(),
        "src/crypto/aes.py",
        3,
        "Tidy the cipher",
        B - 20 * DAY,
    );
    let ai = commit(
        clone.path(),
        "src/crypto/keys.py",
        4,
        "Rotate keys\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        B - 20 * DAY + HOUR,
    );
    let claude = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>";
    // Day B+5: 90 % of the changed lines by AI; day B+6: 91 %.
    let share_days = [
        commit(
            clone.path(),
            "docs/a.md",
            9,
            &format!("Docs a{claude}"),
            B + 5 * DAY + HOUR,
        ),
        commit(
            clone.path(),
            "docs/b.md",
            1,
            "Docs b",
            B + 5 * DAY + 2 * HOUR,
        ),
        commit(
            clone.path(),
            "docs/c.md",
            91,
            &format!("Docs c{claude}"),
            B + 6 * DAY + HOUR,
        ),
        commit(
            clone.path(),
            "docs/d.md",
            9,
            "Docs d",
            B + 6 * DAY + 2 * HOUR,
        ),
    ];
    let repo = app
        .watch_hello_world(Some(clone.path().to_string_lossy().into_owned()))
        .await;
    let (url, seen) = receiver().await;
    app.store
        .create_channel(
            &app.org_id,
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::from_parts(
                    "webhook",
                    json!({"url": url, "secret": "a-long-webhook-secret"}),
                )
                .unwrap(),
                enabled: true,
            },
            support::NOW,
        )
        .await
        .unwrap();

    let mut all = vec![human, ai];
    all.extend(share_days);
    deliver(&app, "push", "push-1", &push(&all)).await;
    // Verification tax, all on AI-written pull requests merged at noon: 10 h on B−7 and
    // B−6, 15 h on B (1.5 × a week earlier: not a spike), 15.25 h on B+1 (a spike), 49.75 h
    // on B+2 (80 h over seven days: not over), 0.25 h on B+3 (80.25 h: over).
    let ai_sha = all[1].sha.clone();
    for (n, (day, hours)) in [
        (-7, 10.0),
        (-6, 10.0),
        (0, 15.0),
        (1, 15.25),
        (2, 49.75),
        (3, 0.25),
    ]
    .into_iter()
    .enumerate()
    {
        let body = merged_pr(n as u64 + 1, &ai_sha, B + day * DAY + 12 * HOUR, hours);
        deliver(&app, "pull_request", &format!("pr-{n}"), &body).await;
    }

    // Everything starts on B−7; the code jobs attribute the pushed commits from the clone.
    app.clock.set(B - 7 * DAY);
    let handle = runtime(&app);
    wait_for("the commits attributed", || async {
        let mut settled = true;
        for made in &all {
            let commit = app
                .store
                .get_commit(&app.org_id, &repo.id, &made.sha)
                .await
                .unwrap();
            settled &=
                commit.is_some_and(|c| c.status == sentinel_store::code::CommitStatus::Attributed);
        }
        settled
    })
    .await;

    // The deploy of the human T4 change alerts nobody; the next one ships Claude's.
    deliver(
        &app,
        "deployment_status",
        "deploy-1",
        &deployment(1, &all[0].sha, B - 7 * DAY + HOUR),
    )
    .await;
    wait_for("the first deploy checked", || async {
        app.store.job_counts().await.unwrap().completed >= 1
            && app.store.job_counts().await.unwrap().available == 0
            && app.store.job_counts().await.unwrap().running == 0
            && app
                .store
                .get_deploy_range(&app.org_id, &first_deploy(&app, &repo.id).await)
                .await
                .unwrap()
                .is_some()
    })
    .await;
    assert!(kinds_alerted(&app).await.is_empty());
    deliver(
        &app,
        "deployment_status",
        "deploy-2",
        &deployment(2, &all[1].sha, B - 7 * DAY + 2 * HOUR),
    )
    .await;
    wait_for("the high-risk deploy alert", || async {
        kinds_alerted(&app).await == ["high_risk_deployed"]
    })
    .await;

    // B−7 and B−6 are spikes too (nothing a week earlier); from then on each day is judged
    // by the alerts it adds.
    let count = |kinds: &[String], kind: &str| kinds.iter().filter(|k| *k == kind).count();
    for day in -7..=6 {
        let before = kinds_alerted(&app).await;
        finish_day(&app, &seen, &repo.id, B + day * DAY).await;
        let after = kinds_alerted(&app).await;
        let added = |kind: &str| count(&after, kind) - count(&before, kind);
        match day {
            0 => assert_eq!(added("verification_tax_spike"), 0, "at 1.5 ×: {after:?}"),
            1 => assert_eq!(added("verification_tax_spike"), 1, "{after:?}"),
            2 => assert_eq!(added("verification_tax_absolute"), 0, "at 80 h: {after:?}"),
            3 => assert_eq!(added("verification_tax_absolute"), 1, "{after:?}"),
            5 => {
                assert_eq!(added("ai_code_high"), 1, "{after:?}");
                assert_eq!(added("ai_code_critical"), 0, "at 90 %: {after:?}");
            }
            6 => {
                assert_eq!(added("ai_code_critical"), 1, "{after:?}");
                assert_eq!(added("ai_code_high"), 0, "{after:?}");
            }
            _ => {}
        }
        if day < 5 {
            assert_eq!(
                count(&after, "ai_code_high") + count(&after, "ai_code_critical"),
                0
            );
        }
    }
    // Every alert reached the channel's stand-in.
    let alerts = app
        .store
        .list_alerts(&app.org_id, &AlertFilter::default())
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    for alert in &alerts {
        let deliveries = seen
            .iter()
            .filter(|b| {
                b["dedup_key"] == alert.dedup_key.as_str() && b["title"] == alert.title.as_str()
            })
            .count();
        assert!(deliveries >= 1, "{} not delivered", alert.rule_kind);
    }
    handle.shutdown(Duration::from_secs(5)).await;
}

async fn first_deploy(
    app: &TestApp,
    repo: &sentinel_core::id::RepositoryId,
) -> sentinel_core::id::CodeEventId {
    let events = app
        .store
        .list_code_events(
            &app.org_id,
            repo,
            &sentinel_store::code::CodeEventFilter {
                kind: Some(sentinel_core::code::CodeEventKind::Deploy),
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    match events.items.first() {
        Some(e) => e.id.clone(),
        None => sentinel_core::id::CodeEventId::from_string("none".to_string()),
    }
}

fn opened_pr(number: u64, at: i64) -> Value {
    let mut body = fixture("pull_request.opened.json");
    let hello = fixture("pull_request_review.submitted.json");
    body["repository"] = hello["repository"].clone();
    body["installation"] = hello["installation"].clone();
    body["number"] = number.into();
    let pr = &mut body["pull_request"];
    pr["number"] = number.into();
    pr["created_at"] = iso(at).into();
    pr["updated_at"] = iso(at).into();
    pr["head"]["sha"] = format!("{number:040x}").into();
    body
}

fn review(number: u64, at: i64) -> Value {
    let mut body = fixture("pull_request_review.submitted.json");
    body["pull_request"]["number"] = number.into();
    body["review"]["submitted_at"] = iso(at).into();
    body["review"]["id"] = (number * 7).into();
    body["review"]["user"]["login"] = "bob".into();
    body
}

/// Waits for the hourly saturation reading of day B to be `expected`.
async fn saturation_reads(app: &TestApp, repo: &sentinel_core::id::RepositoryId, expected: f64) {
    wait_for(&format!("saturation {expected}"), || async {
        let row = app
            .store
            .get_repo_metric(
                &app.org_id,
                repo,
                sentinel_core::metrics::Period::Day,
                "2025-12-01",
            )
            .await
            .unwrap();
        row.and_then(|r| r.review_saturation) == Some(expected)
            && app.store.job_counts().await.unwrap().available == 0
            && app.store.job_counts().await.unwrap().running == 0
    })
    .await;
}

async fn review_saturation_fires_over_its_threshold(app: TestApp) {
    let repo = app.watch_hello_world(None).await;
    let (url, seen) = receiver().await;
    app.store
        .create_channel(
            &app.org_id,
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::from_parts(
                    "webhook",
                    json!({"url": url, "secret": "a-long-webhook-secret"}),
                )
                .unwrap(),
                enabled: true,
            },
            support::NOW,
        )
        .await
        .unwrap();
    // One reviewer who got through five reviews on Friday: a capacity of five a day.
    for n in 0..5u64 {
        deliver(
            &app,
            "pull_request_review",
            &format!("review-{n}"),
            &review(100 + n, B - 3 * DAY + 12 * HOUR + n as i64 * 60_000),
        )
        .await;
    }
    // Four pull requests waiting on Monday morning: 0.8, not over.
    for n in 1..=4u64 {
        deliver(
            &app,
            "pull_request",
            &format!("open-{n}"),
            &opened_pr(n, B + 8 * HOUR),
        )
        .await;
    }
    app.clock.set(B + 9 * HOUR);
    let handle = runtime(&app);
    // The schedule learns its first slot (10:10) before the clock reaches it.
    wait_for("the saturation schedule", || async {
        app.store
            .get_schedule("metrics-saturation")
            .await
            .unwrap()
            .is_some()
    })
    .await;
    app.clock.set(B + 10 * HOUR + 10 * 60_000);
    saturation_reads(&app, &repo.id, 0.8).await;
    assert!(kinds_alerted(&app).await.is_empty());
    // A fifth: 1.0 at the next hour's reading.
    deliver(
        &app,
        "pull_request",
        "open-5",
        &opened_pr(5, B + 10 * HOUR + 30 * 60_000),
    )
    .await;
    // The delivery is applied before the clock reaches the next reading; otherwise the two
    // jobs, both due at once, may run side by side (without NOTIFY, SQLite's queue learns of
    // the delivery only at its next poll).
    wait_for("the fifth pull request applied", || async {
        app.store
            .pull_requests_waiting_for_review(
                &app.org_id,
                &repo.id,
                B + 10 * HOUR + 31 * 60_000,
                30 * DAY,
            )
            .await
            .unwrap()
            == 5
    })
    .await;
    app.clock.set(B + 11 * HOUR + 10 * 60_000);
    saturation_reads(&app, &repo.id, 1.0).await;
    assert_eq!(kinds_alerted(&app).await, ["review_saturation_high"]);
    let alert = app
        .store
        .list_alerts(&app.org_id, &AlertFilter::default())
        .await
        .unwrap()
        .remove(0);
    wait_for("the saturation alert delivered", || async {
        seen.lock()
            .unwrap()
            .iter()
            .any(|b| b["dedup_key"] == alert.dedup_key.as_str())
    })
    .await;
    // Still saturated an hour later: the same alert, counted again.
    app.clock.set(B + 12 * HOUR + 10 * 60_000);
    wait_for("a second occurrence", || async {
        app.store
            .list_alerts(&app.org_id, &AlertFilter::default())
            .await
            .unwrap()[0]
            .occurrence_count
            == 2
    })
    .await;
    assert_eq!(
        app.store
            .list_alerts(&app.org_id, &AlertFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    handle.shutdown(Duration::from_secs(5)).await;
}

async fn app(test: TestStore) -> TestApp {
    let settings = WebSettings {
        github_webhook_secrets: WebhookSecrets::new([SECRET]),
        ..WebSettings::default()
    };
    TestApp::with_settings(test, settings).await
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_code_rules_fire_through_their_trigger_paths() {
        let app = super::app(sentinel_store::testing::sqlite().await).await;
        super::the_code_rules_fire_through_their_trigger_paths(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn review_saturation_fires_over_its_threshold() {
        let app = super::app(sentinel_store::testing::sqlite().await).await;
        super::review_saturation_fires_over_its_threshold(app).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_code_rules_fire_through_their_trigger_paths() {
        let Some(test) = sentinel_store::testing::postgres().await else {
            eprintln!(
                "skipped: {} is not set",
                sentinel_store::testing::PG_URL_VAR
            );
            return;
        };
        super::the_code_rules_fire_through_their_trigger_paths(super::app(test).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn review_saturation_fires_over_its_threshold() {
        let Some(test) = sentinel_store::testing::postgres().await else {
            eprintln!(
                "skipped: {} is not set",
                sentinel_store::testing::PG_URL_VAR
            );
            return;
        };
        super::review_saturation_fires_over_its_threshold(super::app(test).await).await;
    }
}
