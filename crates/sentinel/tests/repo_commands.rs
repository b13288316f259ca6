//! `sentinel repo add` and `sentinel github claim`, in-process on both backends (what they
//! store, what they refuse); then the built binary with a server's own database: `repo scan`
//! and the others next to a running `sentinel serve` on SQLite, and `repo scan` with
//! `--database-url` on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod git_repo;

use git_repo::{GitRepo, Who};
use sentinel::cli::{GithubClaimArgs, RepoAddArgs};
use sentinel::repositories::{add_in, claim_in};
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::id::OrgId;
use sentinel_store::code::InstallationUpsert;
use sentinel_store::tenancy::NewOrganization;
use sentinel_store::Store;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

const ANN: Who = Who {
    name: "Ann Author",
    email: "ann@example.com",
    date: "2024-03-01T10:00:00+0530",
};
const CLAUDE: Who = Who {
    name: "Ann Author",
    email: "ann@example.com",
    date: "2024-03-01T11:00:00+0530",
};

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(5_000))
}

async fn organization(store: &Store, slug: &str) -> OrgId {
    store
        .create_organization(
            &NewOrganization {
                slug: slug.into(),
                name: slug.into(),
            },
            0,
        )
        .await
        .unwrap()
        .id
}

fn add_args(full_name: &str, clone: Option<&Path>, org: Option<&str>) -> RepoAddArgs {
    RepoAddArgs {
        full_name: full_name.into(),
        clone: clone.map(Path::to_path_buf),
        test_command: None,
        org: org.map(str::to_owned),
    }
}

/// The autopsy's test command is the operator's to set, kept across other changes, and
/// cleared by an empty one.
async fn repo_add_sets_and_clears_the_test_command(store: Store) {
    let clock = clock();
    let acme = organization(&store, "acme").await;
    let stored = |store: Store| {
        let acme = acme.clone();
        async move {
            store
                .get_repository_by_full_name(&acme, "acme/shop")
                .await
                .unwrap()
                .unwrap()
                .settings
                .test_command
        }
    };
    let mut args = add_args("acme/shop", None, None);
    args.test_command = Some("python3 -m pytest -q {test}".into());
    let out = add_in(&store, &clock, &args).await.unwrap();
    assert!(out.contains("with `python3 -m pytest -q {test}`"), "{out}");
    assert_eq!(
        stored(store.clone()).await,
        ["python3", "-m", "pytest", "-q", "{test}"]
    );
    // Adding the repository again without the option leaves the command as it was.
    add_in(&store, &clock, &add_args("acme/shop", None, None))
        .await
        .unwrap();
    assert_eq!(stored(store.clone()).await.len(), 5);
    args.test_command = Some(String::new());
    let out = add_in(&store, &clock, &args).await.unwrap();
    assert!(out.contains("no longer runs regression tests"), "{out}");
    assert!(stored(store.clone()).await.is_empty());
}

async fn repo_add_creates_then_sets_the_clone_and_refuses_bad_input(store: Store) {
    let clock = clock();
    let none = add_in(&store, &clock, &add_args("acme/shop", None, None)).await;
    assert!(format!("{:#}", none.unwrap_err()).contains("no organization"));

    let acme = organization(&store, "acme").await;
    let out = add_in(&store, &clock, &add_args(" acme/shop ", None, None))
        .await
        .unwrap();
    assert_eq!(out, "Added acme/shop to acme (default branch main).\n");
    let again = add_in(&store, &clock, &add_args("acme/shop", None, None))
        .await
        .unwrap();
    assert_eq!(again, "acme/shop is already in acme.\n");

    let clone = GitRepo::init("trunk", None);
    clone.commit("first", &ANN);
    let out = add_in(
        &store,
        &clock,
        &add_args("acme/shop", Some(clone.path()), None),
    )
    .await
    .unwrap();
    assert!(out.contains("now reads its commits from"), "{out}");
    let repo = store
        .get_repository_by_full_name(&acme, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        repo.clone_path.as_deref(),
        Some(clone.canonical_path().as_str())
    );
    let out = add_in(
        &store,
        &clock,
        &add_args("acme/tools", Some(clone.path()), None),
    )
    .await
    .unwrap();
    assert!(out.contains("default branch trunk"), "{out}");

    for bad in ["acme", "acme/shop/x", "acme/sh op", "../x"] {
        let err = add_in(&store, &clock, &add_args(bad, None, None))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("OWNER/NAME"), "{bad}: {err:#}");
    }
    let not_a_repo = tempfile::tempdir().unwrap();
    let err = add_in(
        &store,
        &clock,
        &add_args("acme/x", Some(not_a_repo.path()), None),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("not a git repository"),
        "{err:#}"
    );

    let beta = organization(&store, "beta").await;
    let err = add_in(&store, &clock, &add_args("acme/y", None, None))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("--org SLUG"), "{err:#}");
    let err = add_in(&store, &clock, &add_args("acme/y", None, Some("gamma")))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("gamma"), "{err:#}");
    // The same name in another organization is another repository.
    add_in(&store, &clock, &add_args("acme/shop", None, Some("beta")))
        .await
        .unwrap();
    let theirs = store
        .get_repository_by_full_name(&beta, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(theirs.id, repo.id);
    assert_eq!(theirs.clone_path, None);
    let listed = store.list_repositories(&acme, None, 10).await.unwrap();
    assert_eq!(listed.items.len(), 2);
}

fn claim_args(id: i64, org: Option<&str>) -> GithubClaimArgs {
    GithubClaimArgs {
        installation_id: id,
        org: org.map(str::to_owned),
    }
}

async fn github_claim_takes_stored_installations_once(store: Store) {
    let clock = clock();
    let acme = organization(&store, "acme").await;
    let beta = organization(&store, "beta").await;
    store
        .upsert_installation(
            &InstallationUpsert {
                github_id: 4242,
                account_login: "acme-inc".into(),
                account_type: "Organization".into(),
                suspended: false,
            },
            1_000,
        )
        .await
        .unwrap();

    let err = claim_in(&store, &clock, &claim_args(9999, Some("acme")))
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("no installation 9999"),
        "{err:#}"
    );
    assert!(store.find_installation(9999).await.unwrap().is_none());

    let out = claim_in(&store, &clock, &claim_args(4242, Some("acme")))
        .await
        .unwrap();
    assert_eq!(
        out,
        "Installation 4242 (Organization acme-inc) belongs to acme.\n"
    );
    // Claiming one's own again changes nothing.
    claim_in(&store, &clock, &claim_args(4242, Some("acme")))
        .await
        .unwrap();
    let err = claim_in(&store, &clock, &claim_args(4242, Some("beta")))
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("already belongs to another organization"),
        "{err:#}"
    );
    let installation = store.find_installation(4242).await.unwrap().unwrap();
    assert_eq!(installation.org_id, Some(acme.clone()));
    assert_eq!(installation.claimed_at, Some(5_000));
    assert!(store.list_installations(&beta).await.unwrap().is_empty());
    let err = claim_in(&store, &clock, &claim_args(4242, None))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("--org SLUG"), "{err:#}");
}

sentinel_store::store_tests!(
    repo_add_creates_then_sets_the_clone_and_refuses_bad_input,
    repo_add_sets_and_clears_the_test_command,
    github_claim_takes_stored_installations_once,
);

/// The built binary with no configuration from the test's own environment.
fn sentinel(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sentinel"));
    command.current_dir(dir).env("RUST_LOG", "warn");
    for (key, _) in std::env::vars() {
        if key.starts_with("SENTINEL__") {
            command.env_remove(key);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Two commits, one of them with Claude's trailer, and an origin on GitHub.
fn small_clone() -> GitRepo {
    let clone = GitRepo::init("main", Some("git@github.com:acme/shop.git"));
    clone.write("src/lib.rs", "pub fn a() {}\n");
    clone.commit("Start", &ANN);
    clone.write("src/lib.rs", "pub fn a() {}\npub fn b() {}\n");
    clone.commit(
        "Add b\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        &CLAUDE,
    );
    clone
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_share_a_running_servers_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::ServerProcess::start(&data);
    let clone = small_clone();

    let scanned = run(sentinel(dir.path())
        .args(["repo", "scan"])
        .arg(clone.path())
        .arg("--data-dir")
        .arg(&data));
    assert!(scanned.status.success(), "{}", text(&scanned.stderr));
    let summary = text(&scanned.stdout);
    assert!(
        summary.starts_with("Scanned acme/shop (new repository) from "),
        "{summary}"
    );
    assert!(
        summary.contains("2 new read and recorded (1 AI-attributed"),
        "{summary}"
    );
    // stderr is a pipe here: no progress bar.
    let stderr = text(&scanned.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains("commits ("),
        "{stderr:?}"
    );

    let rescanned = run(sentinel(dir.path())
        .args(["repo", "scan"])
        .arg(clone.path())
        .arg("--data-dir")
        .arg(&data));
    assert!(rescanned.status.success(), "{}", text(&rescanned.stderr));
    assert!(text(&rescanned.stdout).contains("0 new read and recorded"));

    let added = run(sentinel(dir.path())
        .args(["repo", "add", "acme/api", "--data-dir"])
        .arg(&data));
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).starts_with("Added acme/api to "));

    let refused = run(sentinel(dir.path())
        .args(["github", "claim", "777", "--data-dir"])
        .arg(&data));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("no installation 777"),
        "{}",
        text(&refused.stderr)
    );

    let no_origin = GitRepo::init("main", None);
    no_origin.commit("first", &ANN);
    let refused = run(sentinel(dir.path())
        .args(["repo", "scan"])
        .arg(no_origin.path())
        .arg("--data-dir")
        .arg(&data));
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("--repo OWNER/NAME"));

    // The server kept answering, and sees what the commands wrote.
    common::wait_ready(&server.base_url, std::time::Duration::from_secs(10));
    let store = common::open_store(&data).await;
    let org = store.list_organizations().await.unwrap().remove(0);
    let repo = store
        .get_repository_by_full_name(&org.id, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .settled_commit_shas(&org.id, &repo.id)
            .await
            .unwrap()
            .len(),
        2
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_scan_takes_the_servers_database_url() {
    let Some(test) = sentinel_store::testing::postgres().await else {
        eprintln!(
            "skipped: {} is not set",
            sentinel_store::testing::PG_URL_VAR
        );
        return;
    };
    let store = test.store.clone();
    let org = organization(&store, "acme").await;
    let dir = tempfile::tempdir().unwrap();
    let clone = small_clone();
    let scanned = run(sentinel(dir.path())
        .args(["repo", "scan"])
        .arg(clone.path())
        .arg("--database-url")
        .arg(&test.options.url)
        .env(
            "SENTINEL__DATABASE__SCHEMA",
            test.options.pg_schema.as_deref().unwrap(),
        ));
    assert!(scanned.status.success(), "{}", text(&scanned.stderr));
    assert!(text(&scanned.stdout).contains("2 new read and recorded"));
    let repo = store
        .get_repository_by_full_name(&org, "acme/shop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .settled_commit_shas(&org, &repo.id)
            .await
            .unwrap()
            .len(),
        2
    );
    // Nothing went to a SQLite file in the working directory.
    assert!(!dir.path().join("sentinel-data").exists());
    store.close().await;
}
