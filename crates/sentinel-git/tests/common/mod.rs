//! Building small repositories with the git CLI in a temporary directory for the tests.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// Who made a commit and when, as git's environment takes it.
pub struct Who {
    pub name: &'static str,
    pub email: &'static str,
    pub date: &'static str,
}

pub const ANN: Who = Who {
    name: "Ann Author",
    email: "ann@example.com",
    date: "2024-03-01T02:30:00+0530",
};

pub const CY: Who = Who {
    name: "Cy Committer",
    email: "cy@example.com",
    date: "2024-03-01T10:00:00-0800",
};

/// A repository in a temporary directory, removed on drop.
pub struct TestRepo {
    pub dir: TempDir,
}

impl TestRepo {
    /// `git init -b branch` in a fresh directory.
    pub fn init(branch: &str) -> Self {
        let repo = TestRepo {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        repo.git(&["init", "-q", "-b", branch]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(self.path())
            .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        cmd
    }

    /// Runs git and returns its trimmed stdout; panics when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_as(args, &ANN, &ANN)
    }

    /// Runs git with the given author and committer identities and dates.
    pub fn git_as(&self, args: &[&str], author: &Who, committer: &Who) -> String {
        let out = self
            .command(args)
            .env("GIT_AUTHOR_NAME", author.name)
            .env("GIT_AUTHOR_EMAIL", author.email)
            .env("GIT_AUTHOR_DATE", author.date)
            .env("GIT_COMMITTER_NAME", committer.name)
            .env("GIT_COMMITTER_EMAIL", committer.email)
            .env("GIT_COMMITTER_DATE", committer.date)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes a file of the work tree, creating its directories.
    pub fn write(&self, path: &str, contents: &[u8]) {
        let full = self.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, contents).expect("write");
    }

    /// Stages everything and commits it with the message kept verbatim; the new sha.
    pub fn commit(&self, message: &str, author: &Who, committer: &Who) -> String {
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
            author,
            committer,
        );
        self.git(&["rev-parse", "HEAD"])
    }
}
