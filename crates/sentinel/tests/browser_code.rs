//! The code pages in a real browser (headless Chromium over WebDriver) against a real
//! `sentinel serve`: from the repositories list to a repository's overview and its chart,
//! the feed filtered with its form, a commit page, and a person's verdict recorded through
//! the commit page's form. Screenshots of the overview and the commit page go to
//! target/test-artifacts/code-overview.png and code-commit.png.
//!
//! Skips (and passes) when `chromedriver` is not installed; CI installs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    artifacts_dir, find_chromedriver, log_in, open_browser, start_driver, text_now, wait_for,
};
use common::{open_store, ServerProcess};
use fantoccini::Locator;
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::code::{
    CodeEvent, CodeEventDetails, Commit, CommitRef, FileChange, FileStatus, GitStamp, Person,
};
use sentinel_store::code::{NewCodeEvent, NewRepository};
use sentinel_store::Store;
use std::process::Command;
use std::time::{Duration, Instant};

const EMAIL: &str = "code-browser@example.com";
const PASSWORD: &str = "browser-test-password-2";
const DAY: i64 = 86_400_000;
const AI_SHA: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const HUMAN_SHA: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";

fn commit(sha: &str, at: i64, message: &str, path: &str) -> Commit {
    let stamp = GitStamp {
        person: Person {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            login: None,
        },
        at_ms: at,
        utc_offset_minutes: 60,
    };
    Commit {
        sha: sha.into(),
        parents: vec!["0".repeat(40)],
        author: stamp.clone(),
        committer: stamp,
        message: message.into(),
        files: vec![FileChange {
            path: path.into(),
            previous_path: None,
            status: FileStatus::Modified,
            lines_added: 25,
            lines_deleted: 3,
            binary: false,
            added_lines: Vec::new(),
        }],
    }
}

/// A repository with an AI-written auth change and a human README fix, in the server's one
/// organization, written through the store while the server runs (WAL allows both).
async fn seed(store: &Store) -> String {
    let org = store.list_organizations().await.unwrap().remove(0).id;
    let repo = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/storefront".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            0,
        )
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let commits = [
        commit(
            AI_SHA,
            now - 2 * DAY,
            "Rotate session keys\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            "src/auth/keys.rs",
        ),
        commit(HUMAN_SHA, now - DAY, "Fix README link", "README.md"),
    ];
    let attributions: Vec<_> = commits
        .iter()
        .map(|c| attribute(c, &AttributionContext::default(), &RiskRules::default()))
        .collect();
    let batch: Vec<_> = commits.iter().zip(attributions.iter()).collect();
    store
        .record_attributions(&org, &repo.id, &batch, now)
        .await
        .unwrap();
    let events: Vec<_> = commits
        .iter()
        .map(|c| {
            NewCodeEvent::new(
                CodeEvent {
                    occurred_at: c.author.at_ms,
                    actor: c.author.person.email.clone(),
                    details: CodeEventDetails::Commit(CommitRef {
                        sha: c.sha.clone(),
                        branch: Some("main".into()),
                        distinct: true,
                        forced: false,
                        message: c.message.clone(),
                        author: c.author.clone(),
                        committer: c.committer.person.clone(),
                        url: None,
                    }),
                },
                None,
            )
        })
        .collect();
    store
        .insert_code_events(&org, &repo.id, &events, now)
        .await
        .unwrap();
    repo.id.as_str().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reads_a_repository_and_records_a_verdict_in_the_browser() {
    let Some(chromedriver) = find_chromedriver() else {
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let created = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "owner",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("SENTINEL_USER_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let store = open_store(dir.path()).await;
    let repo = seed(&store).await;

    let driver = start_driver(&chromedriver);
    let (browser, _profile) = open_browser(&driver).await;
    let base = &server.base_url;
    log_in(&browser, base, "/repositories", EMAIL, PASSWORD).await;
    wait_for(&browser, "table.repositories").await;

    // From the list to the overview: figures and the chart.
    browser
        .find(Locator::Css(&format!("a[href='/repositories/{repo}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "svg.share").await;
    assert_eq!(text_now(&browser, "#commits").await, "2");
    assert_eq!(text_now(&browser, "#share-commit").await, "50 %");
    let bars = browser
        .find_all(Locator::Css("svg.share rect.vol"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 2, "one bar per day with commits");
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(
        artifacts.join("code-overview.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();

    // The feed, filtered with its form to AI-written commits.
    browser
        .find(Locator::Css(&format!(
            "a[href='/repositories/{repo}/events']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "table.events").await;
    browser
        .find(Locator::Css("select[name=ai]"))
        .await
        .unwrap()
        .select_by_value("true")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("ai=true")
    {
        assert!(Instant::now() < deadline, "the filter form did not submit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for(&browser, "table.events").await;
    let rows = browser
        .find_all(Locator::Css("table.events tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]
        .text()
        .await
        .unwrap()
        .contains("Rotate session keys"));

    // The commit page, and a verdict through its form.
    browser
        .find(Locator::Css(&format!(
            "a[href='/repositories/{repo}/commits/{AI_SHA}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "#verdict").await;
    let page = browser.source().await.unwrap();
    assert!(page.contains("trailer_co_authored_by"));
    assert!(page.contains("src/auth/keys.rs"));
    browser
        .find(Locator::Css("input[name=ai][value=false]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("pair-programmed without a tool")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.override button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = text_now(&browser, "#override").await;
        if shown.contains(&format!("Set by {EMAIL}")) {
            assert!(shown.contains("pair-programmed without a tool"), "{shown}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the verdict was not shown: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::fs::write(
        artifacts.join("code-commit.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    let org = store.list_organizations().await.unwrap().remove(0).id;
    let stored = store
        .get_commit(
            &org,
            &sentinel_core::id::RepositoryId::from_string(repo.as_str()),
            AI_SHA,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ai_confidence, Some(0.0));
    assert_eq!(
        stored.override_note.as_deref(),
        Some("pair-programmed without a tool")
    );

    browser.close().await.unwrap();
    drop(driver);
}
