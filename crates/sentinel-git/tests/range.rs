//! `Repo::commits_between` on a history built with git: what a deploy ships since the
//! previous one, merges included, cut at a limit.

mod common;

use common::{TestRepo, ANN, CY};
use sentinel_git::{GitError, Repo};

#[test]
fn the_range_is_what_head_adds_over_base_newest_first() {
    let t = TestRepo::init("main");
    let deployed = t.commit("first deploy", &ANN, &CY);
    let a = t.commit("a", &ANN, &CY);
    t.git(&["checkout", "-q", "-b", "feature"]);
    let b = t.commit("b", &ANN, &CY);
    t.git(&["checkout", "-q", "main"]);
    let c = t.commit("c", &ANN, &CY);
    t.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let merge = t.git(&["rev-parse", "HEAD"]);
    let repo = Repo::open(t.path()).expect("open");

    let range = repo
        .commits_between(Some(&deployed), "HEAD", 100)
        .expect("range");
    assert!(!range.truncated);
    assert_eq!(range.shas.len(), 4, "{range:?}");
    assert_eq!(range.shas[0], merge);
    for sha in [&a, &b, &c] {
        assert!(range.shas.contains(sha), "{sha} missing from {range:?}");
    }
    assert!(!range.shas.contains(&deployed));

    // The first deploy of an environment ships the whole history up to it.
    let first = repo.commits_between(None, &deployed, 100).expect("first");
    assert_eq!(first.shas, vec![deployed.clone()]);

    // Redeploying the same commit ships nothing.
    let same = repo
        .commits_between(Some(&merge), &merge, 100)
        .expect("same");
    assert!(same.shas.is_empty() && !same.truncated);
}

#[test]
fn a_range_longer_than_the_limit_is_cut_and_says_so() {
    let t = TestRepo::init("main");
    let base = t.commit("base", &ANN, &CY);
    let mut newest = String::new();
    for i in 0..5 {
        newest = t.commit(&format!("c{i}"), &ANN, &CY);
    }
    let repo = Repo::open(t.path()).expect("open");
    let range = repo.commits_between(Some(&base), "HEAD", 3).expect("range");
    assert!(range.truncated);
    assert_eq!(range.shas.len(), 3);
    assert_eq!(range.shas[0], newest);
    let exact = repo.commits_between(Some(&base), "HEAD", 5).expect("exact");
    assert!(!exact.truncated);
    assert_eq!(exact.shas.len(), 5);
}

#[test]
fn a_revision_the_clone_does_not_have_is_unknown() {
    let t = TestRepo::init("main");
    let sha = t.commit("only", &ANN, &CY);
    let repo = Repo::open(t.path()).expect("open");
    let missing = "0123456789abcdef0123456789abcdef01234567";
    assert!(matches!(
        repo.commits_between(Some(missing), &sha, 10),
        Err(GitError::UnknownRevision(_))
    ));
    assert!(matches!(
        repo.commits_between(None, missing, 10),
        Err(GitError::UnknownRevision(_))
    ));
}
