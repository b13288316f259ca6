//! `Repo::log` and `Repo::commit` on a repository built with git: identities and time zones,
//! messages with trailers, added, modified, renamed, binary and deleted files, a merge, and
//! reading only what is newer than a known commit.

mod common;

use common::{TestRepo, Who, ANN, CY};
use sentinel_core::code::{Commit, FileChange, FileStatus};
use sentinel_git::{GitError, LogOptions, Repo};

const TRAILERED: &str =
    "Fix the parser\n\nIt read one line too many.\n\n\nCo-Authored-By: Bot <bot@example.com>";

struct History {
    repo: TestRepo,
    shas: Vec<String>,
}

fn who(name: &'static str, date: &'static str) -> Who {
    Who {
        name,
        email: "dev@example.com",
        date,
    }
}

/// c0 adds files, c1 modifies one, c2 renames one and adds a binary file, c3 (on `side`)
/// adds a file, c4 deletes one, c5 merges `side`.
fn history() -> History {
    let repo = TestRepo::init("main");
    repo.write("src/main.rs", b"fn main() {\n    run();\n}\n");
    repo.write(
        "docs/read me.md",
        b"# Guide\n\nline one\nline two\nline three\n",
    );
    repo.write("ü/naïve.txt", "café\n".as_bytes());
    repo.write("t\tab.txt", b"tab\n");
    let c0 = repo.commit("Initial import", &ANN, &CY);
    repo.write("src/main.rs", b"fn main() {\n    run_all();\n}\n");
    let later = who("Dee Dev", "2024-03-02T09:15:00+0000");
    let c1 = repo.commit(TRAILERED, &later, &later);
    repo.git(&["mv", "docs/read me.md", "docs/guide.md"]);
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0");
    let c2 = repo.commit("Rename the guide, add a logo", &later, &later);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", b"from the side\n");
    let side = who("Sid Side", "2024-03-03T08:00:00+0100");
    let c3 = repo.commit("Side work", &side, &side);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["rm", "-q", "t\tab.txt"]);
    let west = who("Wes West", "2024-03-03T23:45:00-0430");
    let c4 = repo.commit("Remove the tab file", &west, &west);
    let merge = who("Max Merger", "2024-03-04T12:00:00+0200");
    repo.git_as(
        &["merge", "-q", "--no-ff", "-m", "Merge side", "side"],
        &merge,
        &merge,
    );
    let c5 = repo.git(&["rev-parse", "HEAD"]);
    History {
        repo,
        shas: vec![c0, c1, c2, c3, c4, c5],
    }
}

fn read(repo: &Repo, options: LogOptions) -> Vec<Commit> {
    repo.log(options)
        .expect("log starts")
        .collect::<Result<Vec<_>, _>>()
        .expect("log reads")
}

fn file<'a>(commit: &'a Commit, path: &str) -> &'a FileChange {
    commit
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not in {:?}", commit.files))
}

#[test]
fn reads_the_whole_history_oldest_first_with_every_field() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let commits = read(&repo, LogOptions::default());
    let shas: Vec<&str> = commits.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(shas, h.shas.iter().map(String::as_str).collect::<Vec<_>>());

    let c0 = &commits[0];
    assert!(c0.parents.is_empty());
    assert_eq!(c0.author.person.name, "Ann Author");
    assert_eq!(c0.author.person.email, "ann@example.com");
    assert_eq!(c0.author.person.login, None);
    assert_eq!(c0.author.at_ms, 1_709_240_400_000);
    assert_eq!(c0.author.utc_offset_minutes, 330);
    assert_eq!(c0.author.local_minute_of_day(), 2 * 60 + 30);
    assert_eq!(c0.committer.person.name, "Cy Committer");
    assert_eq!(c0.committer.at_ms, 1_709_316_000_000);
    assert_eq!(c0.committer.utc_offset_minutes, -480);
    assert_eq!(c0.message, "Initial import");
    assert_eq!(c0.files.len(), 4);
    let main = file(c0, "src/main.rs");
    assert_eq!(main.status, FileStatus::Added);
    assert_eq!((main.lines_added, main.lines_deleted), (3, 0));
    assert_eq!(main.added_lines, vec!["fn main() {", "    run();", "}"]);
    assert_eq!(file(c0, "docs/read me.md").lines_added, 5);
    assert_eq!(file(c0, "ü/naïve.txt").added_lines, vec!["café"]);
    assert_eq!(file(c0, "t\tab.txt").status, FileStatus::Added);

    let c1 = &commits[1];
    assert_eq!(c1.parents, vec![h.shas[0].clone()]);
    assert_eq!(c1.message, TRAILERED);
    assert_eq!(c1.author.utc_offset_minutes, 0);
    assert_eq!(c1.author.at_ms, 1_709_370_900_000);
    let main = file(c1, "src/main.rs");
    assert_eq!(main.status, FileStatus::Modified);
    assert_eq!((main.lines_added, main.lines_deleted), (1, 1));
    assert_eq!(main.added_lines, vec!["    run_all();"]);

    let c2 = &commits[2];
    assert_eq!(c2.files.len(), 2);
    let guide = file(c2, "docs/guide.md");
    assert_eq!(guide.status, FileStatus::Renamed);
    assert_eq!(guide.previous_path.as_deref(), Some("docs/read me.md"));
    assert_eq!((guide.lines_added, guide.lines_deleted), (0, 0));
    let logo = file(c2, "logo.png");
    assert!(logo.binary);
    assert_eq!(logo.status, FileStatus::Added);
    assert_eq!((logo.lines_added, logo.lines_deleted), (0, 0));
    assert!(logo.added_lines.is_empty());

    assert_eq!(file(&commits[3], "side.txt").status, FileStatus::Added);
    let c4 = &commits[4];
    assert_eq!(c4.committer.utc_offset_minutes, -270);
    assert_eq!(c4.committer.at_ms, 1_709_525_700_000);
    let gone = file(c4, "t\tab.txt");
    assert_eq!(gone.status, FileStatus::Deleted);
    assert_eq!((gone.lines_added, gone.lines_deleted), (0, 1));

    let c5 = &commits[5];
    assert!(c5.is_merge());
    assert_eq!(c5.parents, vec![h.shas[4].clone(), h.shas[3].clone()]);
    assert!(c5.files.is_empty());
    assert_eq!(c5.message, "Merge side");
    assert_eq!(c5.author.utc_offset_minutes, 120);
}

#[test]
fn since_reads_only_commits_not_reachable_from_it() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let newer = read(
        &repo,
        LogOptions {
            since: Some(h.shas[2].clone()),
            ..LogOptions::default()
        },
    );
    let shas: Vec<&String> = newer.iter().map(|c| &c.sha).collect();
    assert_eq!(shas, vec![&h.shas[3], &h.shas[4], &h.shas[5]]);
    let nothing = LogOptions {
        since: Some("main".into()),
        ..LogOptions::default()
    };
    assert!(read(&repo, nothing).is_empty());
    // `rev` bounds the other end.
    let older = LogOptions {
        rev: Some(h.shas[1].clone()),
        ..LogOptions::default()
    };
    let shas: Vec<String> = read(&repo, older).into_iter().map(|c| c.sha).collect();
    assert_eq!(shas, h.shas[..2].to_vec());
}

#[test]
fn limits_bound_the_kept_line_texts() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let options = LogOptions {
        max_added_lines_per_file: 2,
        max_added_line_bytes: 4,
        ..LogOptions::default()
    };
    let commits = read(&repo, options);
    let main = file(&commits[0], "src/main.rs");
    assert_eq!(main.lines_added, 3);
    assert_eq!(main.added_lines, vec!["fn m", "    "]);
}

#[test]
fn one_commit_reads_like_the_log() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let all = read(&repo, LogOptions::default());
    for (sha, expected) in h.shas.iter().zip(&all) {
        assert_eq!(&repo.commit(sha).expect("commit"), expected);
    }
    assert_eq!(repo.commit("side").expect("by branch").sha, h.shas[3]);
    assert!(matches!(repo.commit("nope"), Err(GitError::UnknownRevision(r)) if r == "nope"));
    assert!(matches!(
        repo.commit("--all"),
        Err(GitError::UnknownRevision(_))
    ));
    let unknown = LogOptions {
        since: Some("v9.9".into()),
        ..LogOptions::default()
    };
    assert!(matches!(
        repo.log(unknown),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn dropping_a_stream_early_stops_git() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let mut stream = repo.log(LogOptions::default()).expect("log");
    let first = stream.next().expect("one").expect("ok");
    assert_eq!(first.sha, h.shas[0]);
    assert_eq!(stream.commits_read(), 1);
    drop(stream);
}

#[test]
fn named_commits_read_exactly_like_the_log_in_the_order_given() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let all = read(&repo, LogOptions::default());
    let wanted = vec![h.shas[4].clone(), h.shas[1].clone(), h.shas[5].clone()];
    let some: Vec<Commit> = repo
        .log_commits(&wanted, &LogOptions::default())
        .expect("log starts")
        .collect::<Result<_, _>>()
        .expect("log reads");
    assert_eq!(some, vec![all[4].clone(), all[1].clone(), all[5].clone()]);
    assert!(repo
        .log_commits(&[], &LogOptions::default())
        .expect("empty")
        .next()
        .is_none());
    // An unknown object is git's error, not a silently shorter list.
    let missing = vec!["0123456789012345678901234567890123456789".to_string()];
    let read_missing: Result<Vec<Commit>, GitError> = repo
        .log_commits(&missing, &LogOptions::default())
        .expect("log starts")
        .collect();
    assert!(read_missing.is_err());
    assert!(matches!(
        repo.log_commits(&["HEAD~1".to_string()], &LogOptions::default()),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn summaries_list_the_logs_commits_without_patches() {
    let h = history();
    let repo = Repo::open(h.repo.path()).expect("open");
    let all = read(&repo, LogOptions::default());
    let summaries = repo.log_summaries(&LogOptions::default()).expect("list");
    assert_eq!(summaries.len(), all.len());
    for (summary, commit) in summaries.iter().zip(&all) {
        assert_eq!(summary.sha, commit.sha);
        assert_eq!(summary.author_email, commit.author.person.email);
        assert_eq!(summary.authored_at, commit.author.at_ms);
    }
    let since = LogOptions {
        since: Some(h.shas[2].clone()),
        ..LogOptions::default()
    };
    let newer: Vec<String> = repo
        .log_summaries(&since)
        .expect("list")
        .into_iter()
        .map(|s| s.sha)
        .collect();
    assert_eq!(newer, h.shas[3..].to_vec());
    assert_eq!(
        repo.current_branch().expect("branch").as_deref(),
        Some("main")
    );
}
