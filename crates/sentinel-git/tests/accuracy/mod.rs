//! The accuracy cases of the heuristic autopsy: small repositories described under
//! `tests/fixtures/autopsy/<case>/` (the tree at a good commit, the files a buggy commit
//! changed, who wrote each commit and when, the error envelope the real SDK sent), built
//! with git, and turned into the [`AutopsyInput`] the workflow would build.
#![allow(clippy::unwrap_used, dead_code)]

pub mod input;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// One case as its `case.json` and directories describe it.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub meta: Value,
}

/// The repository a case builds: three commits (good, buggy, a later unrelated one).
pub struct CaseRepo {
    pub dir: TempDir,
    pub good: String,
    pub buggy: String,
    pub release: String,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autopsy")
}

/// Every case, by name.
pub fn cases() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("case.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(|n| Case::load(&n)).collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Case {
    pub fn load(name: &str) -> Case {
        let dir = fixtures().join(name);
        let meta =
            serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
        Case {
            name: name.to_string(),
            dir,
            meta,
        }
    }

    pub fn expect(&self, key: &str) -> &Value {
        &self.meta["expect"][key]
    }

    pub fn envelope(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("envelope.txt")).unwrap()
    }

    pub fn test_command(&self) -> Vec<String> {
        self.meta["test_command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    /// `git init`, then the good tree, the buggy overlay and a later commit, each with the
    /// author, date (with its time zone) and message of `case.json`.
    pub fn build(&self) -> CaseRepo {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"], None);
        copy_tree(&self.dir.join("good"), dir.path());
        let good = commit(dir.path(), &self.meta["good_commit"]);
        copy_tree(&self.dir.join("buggy"), dir.path());
        let buggy = commit(dir.path(), &self.meta["buggy_commit"]);
        let later = &self.meta["later_commit"];
        std::fs::write(
            dir.path().join(later["path"].as_str().unwrap()),
            later["content"].as_str().unwrap(),
        )
        .unwrap();
        let release = commit(dir.path(), later);
        CaseRepo {
            dir,
            good,
            buggy,
            release,
        }
    }
}

fn git(dir: &Path, args: &[&str], who: Option<&Value>) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    if let Some(who) = who {
        let field = |k: &str| who[k].as_str().unwrap().to_string();
        cmd.env("GIT_AUTHOR_NAME", field("name"))
            .env("GIT_AUTHOR_EMAIL", field("email"))
            .env("GIT_AUTHOR_DATE", field("date"))
            .env("GIT_COMMITTER_NAME", field("name"))
            .env("GIT_COMMITTER_EMAIL", field("email"))
            .env("GIT_COMMITTER_DATE", field("date"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, who: &Value) -> String {
    git(dir, &["add", "-A"], None);
    let message = who["message"].as_str().unwrap();
    git(
        dir,
        &["commit", "-q", "--cleanup=verbatim", "-m", message],
        Some(who),
    );
    git(dir, &["rev-parse", "HEAD"], None)
}
