//! The suspect-commit questions on a history built with git: the commit current at a moment
//! (in another time zone than UTC), a tree's files, the blame of one line, a file's last change.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestRepo, Who};
use sentinel_git::{GitError, Repo};

fn at(date: &'static str) -> Who {
    Who {
        name: "Dev",
        email: "dev@example.com",
        date,
    }
}

/// 2024-03-01T12:00:00Z in milliseconds.
const NOON_UTC_MS: i64 = 1_709_294_400_000;
const HOUR_MS: i64 = 3_600_000;

struct Scene {
    repo: TestRepo,
    first: String,
    second: String,
    third: String,
}

/// first (11:00Z) adds app/users.py; second (12:30Z, written as +0200) changes line 2;
/// third (14:00Z) adds another file.
fn scene() -> Scene {
    let repo = TestRepo::init("main");
    repo.write("app/users.py", b"def name(user):\n    return user.name\n");
    let t1 = at("2024-03-01T11:00:00+0000");
    let first = repo.commit("add users", &t1, &t1);
    repo.write(
        "app/users.py",
        b"def name(user):\n    return user[\"profile\"].name\n",
    );
    let t2 = at("2024-03-01T14:30:00+0200");
    let second = repo.commit("read the profile", &t2, &t2);
    repo.write("lib/util.py", b"x = 1\n");
    let t3 = at("2024-03-01T09:00:00-0500");
    let third = repo.commit("util", &t3, &t3);
    Scene {
        repo,
        first,
        second,
        third,
    }
}

#[test]
fn the_commit_current_at_a_moment_is_the_newest_not_after_it() {
    let s = scene();
    let repo = Repo::open(s.repo.path()).expect("open");
    assert_eq!(
        repo.commit_at("HEAD", NOON_UTC_MS).unwrap(),
        Some(s.first.clone())
    );
    // 12:30Z is the second commit's moment, whatever zone it was written in.
    assert_eq!(
        repo.commit_at("HEAD", NOON_UTC_MS + HOUR_MS / 2).unwrap(),
        Some(s.second.clone())
    );
    assert_eq!(
        repo.commit_at("HEAD", NOON_UTC_MS + HOUR_MS / 2 - 1_000)
            .unwrap(),
        Some(s.first.clone())
    );
    assert_eq!(
        repo.commit_at("HEAD", NOON_UTC_MS + 3 * HOUR_MS).unwrap(),
        Some(s.third.clone())
    );
    assert_eq!(
        repo.commit_at("HEAD", NOON_UTC_MS - 2 * HOUR_MS).unwrap(),
        None
    );
}

#[test]
fn blame_names_the_commit_that_last_changed_the_line() {
    let s = scene();
    let repo = Repo::open(s.repo.path()).expect("open");
    let line2 = repo.blame_line("HEAD", "app/users.py", 2).unwrap().unwrap();
    assert_eq!(line2.sha, s.second);
    let line1 = repo.blame_line("HEAD", "app/users.py", 1).unwrap().unwrap();
    assert_eq!(line1.sha, s.first);
    // Before the change, line 2 was the first commit's.
    let before = repo
        .blame_line(&s.first, "app/users.py", 2)
        .unwrap()
        .unwrap();
    assert_eq!(before.sha, s.first);
    assert_eq!(repo.blame_line("HEAD", "app/users.py", 99).unwrap(), None);
    assert_eq!(repo.blame_line("HEAD", "app/missing.py", 1).unwrap(), None);
    assert_eq!(repo.blame_line(&s.first, "lib/util.py", 1).unwrap(), None);
    assert!(matches!(
        repo.blame_line("nope", "app/users.py", 1),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn files_and_last_changes_are_read_at_a_revision() {
    let s = scene();
    let repo = Repo::open(s.repo.path()).expect("open");
    assert_eq!(
        repo.files_at("HEAD").unwrap(),
        vec!["app/users.py", "lib/util.py"]
    );
    assert_eq!(repo.files_at(&s.first).unwrap(), vec!["app/users.py"]);
    assert_eq!(
        repo.last_change("HEAD", "app/users.py").unwrap(),
        Some(s.second.clone())
    );
    assert_eq!(
        repo.last_change(&s.first, "app/users.py").unwrap(),
        Some(s.first.clone())
    );
    assert_eq!(
        repo.last_change("HEAD", "lib/util.py").unwrap(),
        Some(s.third.clone())
    );
    assert_eq!(repo.last_change("HEAD", "nothing.py").unwrap(), None);
}
