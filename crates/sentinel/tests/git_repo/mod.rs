//! Small repositories built with the git CLI in a temporary directory, commit by commit,
//! with the identities and dates (in their own time zones) each test needs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// Who made a commit and when, as git's environment takes it.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub name: &'static str,
    pub email: &'static str,
    /// ISO 8601 with the author's own offset, e.g. `2024-03-01T10:00:00+0530`.
    pub date: &'static str,
}

/// A repository in a temporary directory, removed on drop.
pub struct GitRepo {
    pub dir: TempDir,
}

impl GitRepo {
    /// `git init -b branch` with `origin` pointing at `origin_url` (when given).
    pub fn init(branch: &str, origin_url: Option<&str>) -> Self {
        let repo = GitRepo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", branch]);
        if let Some(url) = origin_url {
            repo.git(&["remote", "add", "origin", url]);
        }
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The canonical path, as a scan records it.
    pub fn canonical_path(&self) -> String {
        std::fs::canonicalize(self.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Runs git as `who` (author and committer); its trimmed stdout.
    pub fn git_as(&self, args: &[&str], who: &Who) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env("GIT_AUTHOR_NAME", who.name)
            .env("GIT_AUTHOR_EMAIL", who.email)
            .env("GIT_AUTHOR_DATE", who.date)
            .env("GIT_COMMITTER_NAME", who.name)
            .env("GIT_COMMITTER_EMAIL", who.email)
            .env("GIT_COMMITTER_DATE", who.date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn git(&self, args: &[&str]) -> String {
        const NOBODY: Who = Who {
            name: "Nobody",
            email: "nobody@example.com",
            date: "2024-01-01T00:00:00+0000",
        };
        self.git_as(args, &NOBODY)
    }

    /// Writes a file of the work tree, creating its directories.
    pub fn write(&self, path: &str, contents: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, contents).unwrap();
    }

    /// Stages everything and commits it as `who` with the message verbatim; the new sha.
    pub fn commit(&self, message: &str, who: &Who) -> String {
        self.git(&["add", "-A"]);
        self.git_as(
            &[
                "commit",
                "-q",
                "--allow-empty",
                "--cleanup=verbatim",
                "-m",
                message,
            ],
            who,
        );
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git merge --no-ff` of `branch` into the current branch as `who`; the merge's sha.
    pub fn merge(&self, branch: &str, who: &Who) -> String {
        self.git_as(
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                &format!("Merge {branch}"),
                branch,
            ],
            who,
        );
        self.git(&["rev-parse", "HEAD"])
    }
}

/// `n` distinct lines of code, for commits that must be large.
pub fn lines(n: usize, word: &str) -> String {
    (0..n).map(|i| format!("let {word}_{i} = {i};\n")).collect()
}
