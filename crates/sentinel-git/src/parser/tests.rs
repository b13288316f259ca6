//! The log parser on literal `git log` output: every kind of file change and commit.

use super::*;
use crate::error::GitError;
use sentinel_core::code::{FileChange, FileStatus};

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

/// A record as git prints it for `FORMAT`: header fields, the message, then `\n`.
fn record(sha: &str, parents: &str, message: &str) -> Vec<u8> {
    format!(
        "\x1e{sha}\0{parents}\0Ann Author\0ann@example.com\x001709240400 +0530\0\
         Cy Committer\0cy@example.com\x001709251200 -0800\0{message}\n\0\n"
    )
    .into_bytes()
}

fn parse_all(input: &[u8]) -> Vec<Commit> {
    parse_with(input, Limits::default())
}

fn parse_with(input: &[u8], limits: Limits) -> Vec<Commit> {
    LogParser::new(input, limits)
        .collect::<Result<Vec<_>, _>>()
        .expect("parses")
}

fn only_file(commit: &Commit) -> &FileChange {
    assert_eq!(commit.files.len(), 1, "{:?}", commit.files);
    &commit.files[0]
}

#[test]
fn reads_identities_dates_and_parents() {
    let commits = parse_all(&record(A, "", "first"));
    assert_eq!(commits.len(), 1);
    let c = &commits[0];
    assert_eq!(c.sha, A);
    assert!(c.parents.is_empty());
    assert_eq!(c.author.person.name, "Ann Author");
    assert_eq!(c.author.person.email, "ann@example.com");
    assert_eq!(c.author.person.login, None);
    assert_eq!(c.author.at_ms, 1_709_240_400_000);
    assert_eq!(c.author.utc_offset_minutes, 330);
    assert_eq!(c.committer.person.name, "Cy Committer");
    assert_eq!(c.committer.at_ms, 1_709_251_200_000);
    assert_eq!(c.committer.utc_offset_minutes, -480);
    assert_eq!(c.message, "first");
    assert!(c.files.is_empty());
}

#[test]
fn new_and_modified_files_count_lines_and_keep_added_texts() {
    let mut input = record(A, "", "add");
    input.extend_from_slice(
        b"\ndiff --git a/src/x y.rs b/src/x y.rs\nnew file mode 100644\nindex 0000000..1111111\n\
          --- /dev/null\n+++ b/src/x y.rs\t\n@@ -0,0 +1,3 @@\n+fn main() {\n+++x\n+}\n",
    );
    input.extend(record(B, A, "change"));
    input.extend_from_slice(
        b"\ndiff --git a/src/x y.rs b/src/x y.rs\nindex 1111111..2222222 100644\n\
          --- a/src/x y.rs\t\n+++ b/src/x y.rs\t\n@@ -2 +1,0 @@\n---x\n@@ -3,0 +3 @@ fn\n+// end\n\
          \\ No newline at end of file\n",
    );
    let commits = parse_all(&input);
    assert_eq!(commits.len(), 2);
    let added = only_file(&commits[0]);
    assert_eq!(added.path, "src/x y.rs");
    assert_eq!(added.previous_path, None);
    assert_eq!(added.status, FileStatus::Added);
    assert_eq!((added.lines_added, added.lines_deleted), (3, 0));
    assert!(!added.binary);
    assert_eq!(added.added_lines, vec!["fn main() {", "++x", "}"]);
    assert_eq!(commits[1].parents, vec![A.to_string()]);
    let changed = only_file(&commits[1]);
    assert_eq!(changed.status, FileStatus::Modified);
    assert_eq!((changed.lines_added, changed.lines_deleted), (1, 1));
    assert_eq!(changed.added_lines, vec!["// end"]);
}

#[test]
fn renames_with_and_without_changes_and_quoted_paths() {
    let mut input = record(B, A, "move");
    input.extend_from_slice(
        b"\ndiff --git a/old name.rs b/new name.rs\nsimilarity index 100%\n\
          rename from old name.rs\nrename to new name.rs\n\
          diff --git a/lib.rs \"b/t\\tab.rs\"\nsimilarity index 80%\nrename from lib.rs\n\
          rename to \"t\\tab.rs\"\nindex 1..2 100644\n--- a/lib.rs\n+++ \"b/t\\tab.rs\"\n\
          @@ -1 +1 @@\n-old\n+new\n",
    );
    let commits = parse_all(&input);
    let files = &commits[0].files;
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].path, "new name.rs");
    assert_eq!(files[0].previous_path.as_deref(), Some("old name.rs"));
    assert_eq!(files[0].status, FileStatus::Renamed);
    assert_eq!((files[0].lines_added, files[0].lines_deleted), (0, 0));
    assert_eq!(files[1].path, "t\tab.rs");
    assert_eq!(files[1].previous_path.as_deref(), Some("lib.rs"));
    assert_eq!(files[1].status, FileStatus::Renamed);
    assert_eq!((files[1].lines_added, files[1].lines_deleted), (1, 1));
}

#[test]
fn binary_files_and_deletions() {
    let mut input = record(B, A, "assets");
    input.extend_from_slice(
        b"\ndiff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..87ae6b6\n\
          Binary files /dev/null and b/logo.png differ\n\
          diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex 422c2b7..0000000\n\
          --- a/gone.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n\
          diff --git a/empty b/empty\ndeleted file mode 100644\nindex e69de29..0000000\n",
    );
    let files = &parse_all(&input)[0].files;
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].path, "logo.png");
    assert!(files[0].binary);
    assert_eq!(files[0].status, FileStatus::Added);
    assert_eq!((files[0].lines_added, files[0].lines_deleted), (0, 0));
    assert_eq!(files[1].path, "gone.txt");
    assert_eq!(files[1].status, FileStatus::Deleted);
    assert!(!files[1].binary);
    assert_eq!((files[1].lines_added, files[1].lines_deleted), (0, 2));
    assert_eq!(files[2].path, "empty");
    assert_eq!(files[2].status, FileStatus::Deleted);
}

#[test]
fn empty_commits_and_merges_have_no_files() {
    let mut input = record(A, "", "root");
    input.extend_from_slice(b"\ndiff --git a/f b/f\nnew file mode 100644\n@@ -0,0 +1 @@\n+x\n");
    input.extend(record(B, A, "nothing"));
    input.extend(record(C, &format!("{A} {B}"), "Merge branch 'side'"));
    let commits = parse_all(&input);
    assert_eq!(commits.len(), 3);
    assert_eq!(commits[0].files.len(), 1);
    assert!(commits[1].files.is_empty());
    assert_eq!(commits[1].message, "nothing");
    assert!(commits[2].is_merge());
    assert_eq!(commits[2].parents, vec![A.to_string(), B.to_string()]);
    assert!(commits[2].files.is_empty());
}

#[test]
fn messages_keep_blank_lines_and_trailers() {
    let message = "Subject line\n\n\nBody paragraph.\n\n  indented\n\nCo-Authored-By: Bot <bot@example.com>\nSigned-off-by: Ann <ann@example.com>\n\n";
    let commits = parse_all(&record(A, "", message));
    assert_eq!(
        commits[0].message,
        "Subject line\n\n\nBody paragraph.\n\n  indented\n\nCo-Authored-By: Bot <bot@example.com>\nSigned-off-by: Ann <ann@example.com>"
    );
    // A message line that looks like a patch or a record start stays message.
    let tricky = "s\n\ndiff --git a/x b/x\n\x1enot a record\n+added";
    assert_eq!(parse_all(&record(A, "", tricky))[0].message, tricky);
}

#[test]
fn non_utf8_bytes_are_decoded_lossily() {
    let mut input =
        b"\x1eaaaa\0\0Ren\xe9\0r@x\x001 +0000\0C\0c@x\x002 +0000\0caf\xe9\n\0\n".to_vec();
    input.extend_from_slice(
        b"\ndiff --git a/f\xe9 b/f\xe9\nnew file mode 100644\n@@ -0,0 +1 @@\n+ol\xe9\n",
    );
    let commits = parse_all(&input);
    let c = &commits[0];
    assert_eq!(c.author.person.name, "Ren\u{fffd}");
    assert_eq!(c.message, "caf\u{fffd}");
    assert_eq!(c.files[0].path, "f\u{fffd}");
    assert_eq!(c.files[0].added_lines, vec!["ol\u{fffd}"]);
}

#[test]
fn limits_bound_kept_texts_but_not_counts() {
    let mut input = record(A, "", "big");
    input.extend_from_slice(b"\ndiff --git a/a b/a\nnew file mode 100644\n@@ -0,0 +1,4 @@\n");
    input.extend_from_slice(b"+0123456789\n+1\n+2\n+3\n");
    input.extend_from_slice(b"diff --git a/b b/b\nnew file mode 100644\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    let limits = Limits {
        max_added_lines_per_file: 2,
        max_added_line_bytes: 4,
        max_added_lines_per_commit: 3,
    };
    let files = &parse_with(&input, limits)[0].files;
    assert_eq!(files[0].lines_added, 4);
    assert_eq!(files[0].added_lines, vec!["0123", "1"]);
    assert_eq!(files[1].lines_added, 2);
    assert_eq!(files[1].added_lines, vec!["x"]);
}

fn parse_error(input: &[u8]) -> (u64, String) {
    let result: Result<Vec<_>, _> = LogParser::new(input, Limits::default()).collect();
    match result {
        Err(GitError::Parse { line, message }) => (line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn malformed_output_is_a_parse_error_with_its_line() {
    let (line, message) = parse_error(b"\nnot a commit\n");
    assert_eq!(line, 2);
    assert!(message.contains("not a commit"), "{message}");
    let (_, message) = parse_error(b"\x1eaaaa\0\0A\0a@x\x001 +0000\0C\0c");
    assert!(message.contains("ended inside"), "{message}");
    let (_, message) = parse_error(b"\x1eaaaa\0\0A\0a@x\0yesterday\0C\0c@x\x001 +0000\0m\n\0\n");
    assert!(message.contains("date"), "{message}");
    let mut input = record(A, "", "m");
    input.extend_from_slice(b"\ndiff --git a/f b/f\n@@ -1 +1 @@\n+x\nstray\n");
    let (line, message) = parse_error(&input);
    assert_eq!(line, 7);
    assert!(message.contains("stray"), "{message}");
    let mut input = record(A, "", "m");
    input.extend_from_slice(b"\nindex 1..2\n");
    assert!(parse_error(&input).1.contains("expected a diff"));
}

#[test]
fn stops_after_the_first_error() {
    let mut parser = LogParser::new(&b"garbage\n"[..], Limits::default());
    assert!(matches!(parser.next(), Some(Err(GitError::Parse { .. }))));
    assert!(parser.next().is_none());
}
