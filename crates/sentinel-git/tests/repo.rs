//! `Repo` on repositories built with git: opening, the origin's `OWNER/NAME`, the default
//! branch, revisions, and an empty repository.

mod common;

use common::{TestRepo, ANN, CY};
use sentinel_git::{GitError, LogOptions, Repo};

#[test]
fn opening_a_directory_that_is_not_a_repository_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    match Repo::open(dir.path()) {
        Err(GitError::NotARepository { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected NotARepository, got {other:?}"),
    }
    assert!(matches!(
        Repo::open(dir.path().join("missing")),
        Err(GitError::NotARepository { .. })
    ));
}

#[test]
fn origin_full_name_reads_the_remote_url() {
    let t = TestRepo::init("main");
    let repo = Repo::open(t.path()).expect("open");
    assert_eq!(repo.origin_full_name().expect("no origin"), None);
    let cases = [
        ("https://github.com/acme/widgets.git", Some("acme/widgets")),
        ("https://github.com/acme/widgets", Some("acme/widgets")),
        ("git@github.com:acme/gadgets.git", Some("acme/gadgets")),
        ("ssh://git@git.example.com/team/tool.git", Some("team/tool")),
        ("/srv/mirrors/acme/widgets.git", Some("acme/widgets")),
        ("/widgets", None),
    ];
    t.git(&["remote", "add", "origin", "https://example.com/x/y"]);
    for (url, expected) in cases {
        t.git(&["remote", "set-url", "origin", url]);
        let found = repo.origin_full_name().expect("origin");
        assert_eq!(found.as_deref(), expected, "{url}");
    }
}

#[test]
fn default_branch_prefers_origin_head_then_the_current_branch() {
    let t = TestRepo::init("trunk");
    let sha = t.commit("first", &ANN, &CY);
    let repo = Repo::open(t.path()).expect("open");
    assert_eq!(repo.default_branch().expect("current"), "trunk");
    t.git(&["update-ref", "refs/remotes/origin/stable", &sha]);
    t.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/stable",
    ]);
    assert_eq!(repo.default_branch().expect("origin"), "stable");
    t.git(&["symbolic-ref", "--delete", "refs/remotes/origin/HEAD"]);
    t.git(&["checkout", "-q", "--detach"]);
    assert_eq!(repo.default_branch().expect("fallback"), "main");
}

#[test]
fn resolve_and_head_name_commits() {
    let t = TestRepo::init("main");
    let first = t.commit("first", &ANN, &CY);
    t.git(&["tag", "v1"]);
    let second = t.commit("second", &ANN, &CY);
    let repo = Repo::open(t.path()).expect("open");
    assert_eq!(repo.head_sha().expect("head"), Some(second.clone()));
    assert_eq!(repo.resolve("v1").expect("tag"), first);
    assert_eq!(repo.resolve("HEAD~1").expect("parent"), first);
    assert_eq!(repo.resolve(&second[..10]).expect("short"), second);
    assert!(matches!(repo.resolve("v2"), Err(GitError::UnknownRevision(r)) if r == "v2"));
    assert!(matches!(
        repo.resolve(""),
        Err(GitError::UnknownRevision(_))
    ));
    // A tree is not a commit.
    let tree = t.git(&["rev-parse", "HEAD^{tree}"]);
    assert!(matches!(
        repo.resolve(&tree),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn an_empty_repository_has_no_head_and_no_history() {
    let t = TestRepo::init("develop");
    let repo = Repo::open(t.path()).expect("open");
    assert_eq!(repo.head_sha().expect("head"), None);
    assert_eq!(repo.default_branch().expect("branch"), "develop");
    let commits: Vec<_> = repo.log(LogOptions::default()).expect("log").collect();
    assert!(commits.is_empty());
    assert!(matches!(
        repo.log(LogOptions {
            rev: Some("HEAD".into()),
            ..LogOptions::default()
        }),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn a_repository_that_disappears_is_a_failure_not_an_empty_answer() {
    let t = TestRepo::init("main");
    t.commit("first", &ANN, &CY);
    let repo = Repo::open(t.path()).expect("open");
    std::fs::remove_dir_all(t.path().join(".git")).expect("remove");
    match repo.head_sha() {
        Err(GitError::Failed {
            command, stderr, ..
        }) => {
            assert!(command.starts_with("git rev-parse"), "{command}");
            assert!(stderr.contains("not a git repository"), "{stderr}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn bare_repositories_read_like_clones() {
    let t = TestRepo::init("main");
    let sha = t.commit("first", &ANN, &CY);
    let bare = tempfile::tempdir().expect("tempdir");
    let target = bare.path().join("acme").join("widgets.git");
    let src = t.path().to_string_lossy().into_owned();
    let dst = target.to_string_lossy().into_owned();
    t.git(&["clone", "-q", "--bare", &src, &dst]);
    let repo = Repo::open(&target).expect("open bare");
    assert_eq!(repo.head_sha().expect("head"), Some(sha.clone()));
    let commits: Vec<_> = repo
        .log(LogOptions::default())
        .expect("log")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].sha, sha);
    assert_eq!(commits[0].message, "first");
}
