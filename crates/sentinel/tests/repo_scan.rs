//! `sentinel repo scan` on repositories the tests build with git: several authors in their own
//! time zones, declared AI identities (a Claude trailer, a Copilot author, a Cursor trailer),
//! a fast large commit, a merge. What is stored is checked commit by commit and file by file,
//! against what the attribution job records for the same commit; a second scan after new
//! commits adds exactly those. Each test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod git_repo;

use git_repo::{lines, GitRepo, Who};
use sentinel::cli::RepoScanArgs;
use sentinel::scan::{scan_in, ProgressDisplay, ScanReport};
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::code::{AiTool, AttributionMethod, CodeEventDetails, RiskTier};
use sentinel_core::id::OrgId;
use sentinel_store::code::{CodeEventFilter, Repository, StoredCommit};
use sentinel_store::tenancy::NewOrganization;
use sentinel_store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;

const ANN: Who = Who {
    name: "Ann Author",
    email: "ann@example.com",
    date: "2024-03-01T10:00:00+0530",
};
/// 03:30 in Bob's own zone (11:30 UTC): inside the night window only in his offset.
const BOB: Who = Who {
    name: "Bob Builder",
    email: "bob@example.com",
    date: "2024-03-01T03:30:00-0800",
};
const COPILOT: Who = Who {
    name: "copilot-swe-agent[bot]",
    email: "198982749+Copilot@users.noreply.github.com",
    date: "2024-03-02T12:00:00+0200",
};
/// Three minutes after Ann's first commit.
const ANN_SOON_AFTER: Who = Who {
    date: "2024-03-01T10:03:00+0530",
    ..ANN
};
const ANN_MERGING: Who = Who {
    date: "2024-03-03T09:00:00+0530",
    ..ANN
};
const DEE: Who = Who {
    name: "Dee Dev",
    email: "dee@example.com",
    date: "2024-03-04T15:00:00+0100",
};
const ANN_LATER: Who = Who {
    date: "2024-03-05T11:00:00+0530",
    ..ANN
};

const CLAUDE_MESSAGE: &str =
    "Hash passwords with argon2\n\nCo-Authored-By: Claude <noreply@anthropic.com>";
const CURSOR_MESSAGE: &str =
    "Speed up search\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>";

/// The shas of [`history`], by what each commit is.
struct History {
    repo: GitRepo,
    human: String,
    claude: String,
    copilot: String,
    fast: String,
    merge: String,
}

/// c1 Ann (human) → c2 Bob with a Claude trailer, at night in his zone → on `side`, c3 by
/// Copilot's agent → on main, c4 Ann adds 600 lines three minutes after c1 → c5 merges side.
fn history() -> History {
    let repo = GitRepo::init("main", Some("https://github.com/acme/shop.git"));
    repo.write("README.md", "# Shop\n");
    repo.write("src/lib.rs", "pub fn total() -> u32 {\n    0\n}\n");
    let human = repo.commit("Start the shop", &ANN);
    repo.write(
        "src/lib.rs",
        "pub mod auth;\npub fn total() -> u32 {\n    1\n}\n",
    );
    repo.write(
        "src/auth/password.rs",
        "pub fn hash(p: &str) -> String {\n    argon2(p)\n}\n",
    );
    let claude = repo.commit(CLAUDE_MESSAGE, &BOB);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("src/search.rs", "pub fn search() {}\n");
    let copilot = repo.commit("Add search", &COPILOT);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/generated.rs", &lines(600, "value"));
    let fast = repo.commit("Add the generated table", &ANN_SOON_AFTER);
    let merge = repo.merge("side", &ANN_MERGING);
    History {
        repo,
        human,
        claude,
        copilot,
        fast,
        merge,
    }
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

fn args(repo: &GitRepo) -> RepoScanArgs {
    RepoScanArgs {
        path: repo.path().to_path_buf(),
        since: None,
        repo: None,
        org: None,
    }
}

async fn scan(store: &Store, clock: &ManualClock, args: &RepoScanArgs) -> ScanReport {
    let shared: SharedClock = Arc::new(clock.clone());
    scan_in(store, &shared, args, ProgressDisplay::Hidden)
        .await
        .unwrap()
}

async fn repository(store: &Store, org: &OrgId) -> Repository {
    store
        .get_repository_by_full_name(org, "acme/shop")
        .await
        .unwrap()
        .expect("the scan created the repository")
}

async fn commit(store: &Store, repo: &Repository, sha: &str) -> StoredCommit {
    store
        .get_commit(&repo.org_id, &repo.id, sha)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("commit {sha} not stored"))
}

/// The shas of the repository's `commit` events.
async fn event_shas(store: &Store, repo: &Repository) -> BTreeSet<String> {
    let page = store
        .list_code_events(
            &repo.org_id,
            &repo.id,
            &CodeEventFilter::default(),
            None,
            200,
        )
        .await
        .unwrap();
    page.items
        .iter()
        .map(|e| match &e.event.details {
            CodeEventDetails::Commit(c) => c.sha.clone(),
            other => panic!("unexpected event {other:?}"),
        })
        .collect()
}

fn signal_names(commit: &StoredCommit) -> Vec<&str> {
    commit.signals.iter().map(|s| s.name.as_str()).collect()
}

async fn a_history_is_attributed_commit_by_commit_and_file_by_file(store: Store) {
    let h = history();
    let org = organization(&store, "acme").await;
    let clock = ManualClock::new(1_000_000);
    let report = scan(&store, &clock, &args(&h.repo)).await;
    assert_eq!(report.full_name, "acme/shop");
    assert!(report.created);
    assert_eq!(
        (
            report.in_range,
            report.recorded,
            report.known,
            report.merges
        ),
        (5, 5, 0, 1)
    );
    // Claude's trailer, Copilot's author, the fast commit's velocity.
    assert_eq!(report.ai, 3);
    let summary = report.summary();
    assert!(summary.contains("5 new read and recorded (3 AI-attributed, 1 merges not scored)"));
    assert!(summary.contains("commits/s"), "{summary}");

    let repo = repository(&store, &org).await;
    assert_eq!(
        repo.clone_path.as_deref(),
        Some(h.repo.canonical_path().as_str())
    );
    assert_eq!(repo.default_branch, "main");
    let all: BTreeSet<String> = [&h.human, &h.claude, &h.copilot, &h.fast, &h.merge]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(event_shas(&store, &repo).await, all);

    let human = commit(&store, &repo, &h.human).await;
    assert_eq!(human.method, Some(AttributionMethod::None));
    assert_eq!(human.ai_confidence, Some(0.0));
    assert_eq!(human.author_offset_minutes, Some(330));
    let paths: Vec<&str> = human.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["README.md", "src/lib.rs"]);

    let claude = commit(&store, &repo, &h.claude).await;
    assert_eq!(claude.method, Some(AttributionMethod::Declared));
    assert_eq!(claude.tool, Some(AiTool::Claude));
    assert!(claude.ai_confidence.unwrap() >= 0.9);
    assert_eq!(claude.author_offset_minutes, Some(-480));
    let names = signal_names(&claude);
    assert!(names.contains(&"trailer_co_authored_by"), "{names:?}");
    // 03:30 in Bob's own zone.
    assert!(names.contains(&"local_hour"), "{names:?}");
    assert_eq!(claude.files.len(), 2);
    for file in &claude.files {
        assert_eq!(file.method, AttributionMethod::Declared, "{}", file.path);
        assert_eq!(file.tool, Some(AiTool::Claude), "{}", file.path);
    }
    let password = claude
        .files
        .iter()
        .find(|f| f.path == "src/auth/password.rs")
        .unwrap();
    assert_eq!(password.risk_tier, RiskTier::T4);
    assert!(password.flagged, "a declared AI file in T4 is flagged");
    assert_eq!((password.lines_added, password.lines_deleted), (3, 0));
    let lib = claude
        .files
        .iter()
        .find(|f| f.path == "src/lib.rs")
        .unwrap();
    assert_eq!((lib.lines_added, lib.lines_deleted), (2, 1));

    let copilot = commit(&store, &repo, &h.copilot).await;
    assert_eq!(copilot.method, Some(AttributionMethod::Declared));
    assert_eq!(copilot.tool, Some(AiTool::Copilot));
    assert!(signal_names(&copilot).contains(&"author_identity"));

    let fast = commit(&store, &repo, &h.fast).await;
    assert_eq!(fast.method, Some(AttributionMethod::Heuristic));
    assert!(
        signal_names(&fast).contains(&"velocity"),
        "{:?}",
        fast.signals
    );
    assert_eq!(fast.lines_added, 600);
    assert_eq!(fast.ai_lines_added, 600);

    let merge = commit(&store, &repo, &h.merge).await;
    assert!(merge.is_merge);
    assert_eq!(merge.method, Some(AttributionMethod::None));
    assert_eq!(merge.ai_confidence, Some(0.0));
    assert!(merge.files.is_empty(), "a merge is not scored again");
    assert_eq!(merge.lines_added, 0);
    assert_eq!(signal_names(&merge), ["merge_commit"]);
    assert_eq!(merge.parents, vec![h.fast.clone(), h.copilot.clone()]);
}

async fn the_scan_records_what_the_attribution_job_records(store: Store) {
    let h = history();
    let org = organization(&store, "acme").await;
    let clock = ManualClock::new(1_000_000);
    scan(&store, &clock, &args(&h.repo)).await;
    let repo = repository(&store, &org).await;
    let clone = sentinel_git::Repo::open(h.repo.path()).unwrap();
    for sha in [&h.human, &h.claude, &h.copilot, &h.fast, &h.merge] {
        let scanned = commit(&store, &repo, sha).await;
        let read = clone.commit(sha).unwrap();
        sentinel_jobs::code::attribute_and_record(&store, &org, &repo, &read, 2_000_000)
            .await
            .unwrap();
        let mut by_job = commit(&store, &repo, sha).await;
        assert_eq!(by_job.attributed_at, Some(2_000_000));
        by_job.attributed_at = scanned.attributed_at;
        assert_eq!(scanned, by_job, "commit {sha}");
    }
}

async fn a_second_scan_adds_only_the_new_commits(store: Store) {
    let h = history();
    let org = organization(&store, "acme").await;
    let clock = ManualClock::new(1_000_000);
    scan(&store, &clock, &args(&h.repo)).await;

    h.repo
        .write("src/search.rs", "pub fn search() {\n    fast()\n}\n");
    let cursor = h.repo.commit(CURSOR_MESSAGE, &DEE);
    h.repo.write("CHANGELOG.md", "- search\n");
    let human = h.repo.commit("Note the change", &ANN_LATER);
    clock.advance(60_000);
    let report = scan(&store, &clock, &args(&h.repo)).await;
    assert!(!report.created);
    assert_eq!(
        (report.in_range, report.recorded, report.known, report.ai),
        (7, 2, 5, 1)
    );

    let repo = repository(&store, &org).await;
    assert_eq!(event_shas(&store, &repo).await.len(), 7);
    let added = commit(&store, &repo, &cursor).await;
    assert_eq!(added.tool, Some(AiTool::Cursor));
    assert_eq!(added.attributed_at, Some(1_060_000));
    assert_eq!(
        commit(&store, &repo, &human).await.attributed_at,
        Some(1_060_000)
    );
    // The first scan's commits were not written again.
    for sha in [&h.human, &h.claude, &h.merge] {
        assert_eq!(
            commit(&store, &repo, sha).await.attributed_at,
            Some(1_000_000)
        );
    }

    clock.advance(60_000);
    let again = scan(&store, &clock, &args(&h.repo)).await;
    assert_eq!((again.in_range, again.recorded, again.known), (7, 0, 7));
}

async fn since_reads_only_what_is_newer_and_repo_names_a_clone_without_origin(store: Store) {
    let h = history();
    let org = organization(&store, "acme").await;
    let clock = ManualClock::new(1_000_000);
    let mut args = args(&h.repo);
    args.since = Some(h.claude.clone());
    args.repo = Some("acme/storefront".into());
    let report = scan(&store, &clock, &args).await;
    assert_eq!(report.full_name, "acme/storefront");
    assert_eq!((report.in_range, report.recorded), (3, 3));
    let repo = store
        .get_repository_by_full_name(&org, "acme/storefront")
        .await
        .unwrap()
        .unwrap();
    let expected: BTreeSet<String> = [&h.copilot, &h.fast, &h.merge]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(event_shas(&store, &repo).await, expected);

    // The velocity context comes from the whole store, not only from the scanned range:
    // c1 was not scanned, so the fast commit has no previous commit of Ann's here.
    let fast = commit(&store, &repo, &h.fast).await;
    assert!(!signal_names(&fast).contains(&"velocity"));
}

async fn scans_that_cannot_start_change_nothing(store: Store) {
    let clock = ManualClock::new(1_000_000);
    let shared: SharedClock = Arc::new(clock.clone());
    let no_origin = GitRepo::init("main", None);
    no_origin.commit("first", &ANN);

    let no_org = scan_in(&store, &shared, &args(&no_origin), ProgressDisplay::Hidden).await;
    assert!(no_org.is_err());

    organization(&store, "acme").await;
    let err = scan_in(&store, &shared, &args(&no_origin), ProgressDisplay::Hidden)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("--repo OWNER/NAME"), "{err:#}");

    let mut bad_name = args(&no_origin);
    bad_name.repo = Some("not a name".into());
    let err = scan_in(&store, &shared, &bad_name, ProgressDisplay::Hidden)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("OWNER/NAME"), "{err:#}");

    let mut bad_since = args(&no_origin);
    bad_since.repo = Some("acme/x".into());
    bad_since.since = Some("v9.9".into());
    let err = scan_in(&store, &shared, &bad_since, ProgressDisplay::Hidden)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("v9.9"), "{err:#}");

    let not_a_repo = tempfile::tempdir().unwrap();
    let mut args = args(&no_origin);
    args.path = not_a_repo.path().to_path_buf();
    args.repo = Some("acme/y".into());
    let err = scan_in(&store, &shared, &args, ProgressDisplay::Hidden)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("not a git repository"),
        "{err:#}"
    );

    let org = store
        .get_organization_by_slug("acme")
        .await
        .unwrap()
        .unwrap();
    let page = store.list_repositories(&org.id, None, 10).await.unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);
}

sentinel_store::store_tests!(
    a_history_is_attributed_commit_by_commit_and_file_by_file,
    the_scan_records_what_the_attribution_job_records,
    a_second_scan_adds_only_the_new_commits,
    since_reads_only_what_is_newer_and_repo_names_a_clone_without_origin,
    scans_that_cannot_start_change_nothing,
);
