//! Verifying a patch and a regression test against repositories built with git: the patch
//! check at a revision, the test run before and after in a throwaway work tree, the timeout
//! that kills the whole process group, the cleared environment and the bounded output.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestRepo, ANN};
use sentinel_core::autopsy::{TestCase, TestFramework};
use sentinel_git::{FileAt, Repo, TestCommand};
use std::time::{Duration, Instant};

const PATCH: &str = "diff --git a/value.txt b/value.txt\n--- a/value.txt\n+++ b/value.txt\n@@ -1,2 +1,2 @@\n first\n-bad\n+good\n";

/// One commit with `value.txt` = "first\nbad\n"; the work tree then drifts (uncommitted).
fn scene() -> (TestRepo, String) {
    let repo = TestRepo::init("main");
    repo.write("value.txt", b"first\nbad\n");
    let sha = repo.commit("add value", &ANN, &ANN);
    repo.write("value.txt", b"changed in the work tree\n");
    (repo, sha)
}

fn shell_test(script: &str) -> TestCase {
    TestCase {
        framework: TestFramework::NodeTest,
        path: "checks/regression.sh".into(),
        content: script.into(),
    }
}

fn worktrees(repo: &TestRepo) -> usize {
    repo.git(&["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

#[test]
fn apply_check_reads_the_revision_not_the_work_tree() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    assert_eq!(clone.apply_check(&sha, PATCH).unwrap(), Ok(()));
    let wrong = PATCH.replace("-bad", "-worse");
    let complaint = clone.apply_check(&sha, &wrong).unwrap().unwrap_err();
    assert!(complaint.contains("value.txt"), "{complaint}");
    // Neither the work tree nor the index changed.
    assert_eq!(
        std::fs::read_to_string(repo.path().join("value.txt")).unwrap(),
        "changed in the work tree\n"
    );
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]), "");
}

#[test]
fn test_fails_before_and_passes_after_in_a_removed_worktree() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    let test = shell_test("grep -qx good value.txt\n");
    let command = TestCommand::new(["sh", "{test}"]);
    let v = clone
        .verify_diagnosis(&sha, Some(PATCH), Some(&test), Some(&command))
        .unwrap();
    assert_eq!(v.patch_applies, Some(true));
    assert_eq!(v.test_failed_before, Some(true));
    assert_eq!(v.test_passed_after, Some(true));
    assert!(v.test_verified());
    assert!(!v.timed_out);
    assert_eq!(worktrees(&repo), 1, "the throwaway work tree is gone");
    // The clone's own work tree was not touched.
    assert_eq!(
        std::fs::read_to_string(repo.path().join("value.txt")).unwrap(),
        "changed in the work tree\n"
    );
}

#[test]
fn a_patch_that_does_not_apply_is_not_run_after() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    let test = shell_test("exit 1\n");
    let v = clone
        .verify_diagnosis(
            &sha,
            Some(&PATCH.replace("-bad", "-nope")),
            Some(&test),
            Some(&TestCommand::new(["sh", "{test}"])),
        )
        .unwrap();
    assert_eq!(v.patch_applies, Some(false));
    assert!(v.apply_error.is_some());
    assert_eq!(v.test_failed_before, Some(true));
    assert_eq!(v.test_passed_after, None);
    assert!(!v.test_verified());
}

#[test]
fn a_hanging_test_is_killed_with_its_children_at_the_timeout() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    let marker = tempfile::tempdir().unwrap();
    let pid_file = marker.path().join("child.pid");
    let test = shell_test("sleep 30 &\necho $! > \"$PID_FILE\"\nwait\n");
    let mut command = TestCommand::new(["sh", "{test}"]);
    command.timeout = Duration::from_millis(500);
    command
        .env
        .push(("PID_FILE".into(), pid_file.display().to_string()));
    let started = Instant::now();
    let v = clone
        .verify_diagnosis(&sha, None, Some(&test), Some(&command))
        .unwrap();
    assert!(v.timed_out);
    assert_eq!(v.test_failed_before, None);
    assert!(started.elapsed() < Duration::from_secs(20));
    let child: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let gone = || {
        std::fs::read_to_string(format!("/proc/{child}/stat"))
            .map(|stat| stat.split(' ').nth(2) == Some("Z"))
            .unwrap_or(true)
    };
    while !gone() {
        assert!(
            Instant::now() < deadline,
            "the test's background child {child} still runs"
        );
        std::thread::yield_now();
    }
    assert_eq!(worktrees(&repo), 1);
}

#[test]
fn the_environment_is_cleared_and_output_bounded() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    let test = shell_test("env\nhead -c 100000 /dev/zero | tr '\\0' a\nexit 3\n");
    let mut command = TestCommand::new(["sh", "{test}"]);
    command.max_output = 4096;
    let v = clone
        .verify_diagnosis(&sha, None, Some(&test), Some(&command))
        .unwrap();
    assert_eq!(v.test_failed_before, Some(true));
    assert!(
        v.output_before.contains("HOME="),
        "{}",
        &v.output_before[..200.min(v.output_before.len())]
    );
    assert!(!v.output_before.contains("CARGO_MANIFEST_DIR"));
    assert!(v.output_before.len() <= 2 * 4096);
}

#[test]
fn test_paths_outside_the_tree_are_refused() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    let mut test = shell_test("exit 0\n");
    test.path = "../escape.sh".into();
    let v = clone
        .verify_diagnosis(
            &sha,
            None,
            Some(&test),
            Some(&TestCommand::new(["sh", "{test}"])),
        )
        .unwrap();
    assert_eq!(v.test_failed_before, None);
    assert!(v.output_before.contains("refused"));
}

#[test]
fn file_at_reads_the_revision_and_refuses_large_or_missing_files() {
    let (repo, sha) = scene();
    let clone = Repo::open(repo.path()).unwrap();
    assert_eq!(
        clone.file_at(&sha, "value.txt", 1024).unwrap(),
        FileAt::Text("first\nbad\n".to_string())
    );
    assert_eq!(
        clone.file_at(&sha, "value.txt", 4).unwrap(),
        FileAt::TooLarge { size: 10 },
        "over the limit"
    );
    assert_eq!(
        clone.file_at(&sha, "missing.txt", 1024).unwrap(),
        FileAt::Missing
    );
}
