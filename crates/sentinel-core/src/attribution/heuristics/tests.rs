//! Each heuristic at its boundaries.
use super::*;
use crate::code::{FileStatus, Person};

/// 2024-01-01T00:00:00Z.
const MIDNIGHT_UTC: Millis = 1_704_067_200_000;

fn stamp(at_ms: Millis, utc_offset_minutes: i32) -> GitStamp {
    GitStamp {
        person: Person {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            login: None,
        },
        at_ms,
        utc_offset_minutes,
    }
}

fn file(path: &str, lines_added: u32) -> FileChange {
    FileChange {
        path: path.into(),
        previous_path: None,
        status: FileStatus::Modified,
        lines_added,
        lines_deleted: 0,
        binary: false,
        added_lines: Vec::new(),
    }
}

fn commit_at(at_ms: Millis, files: Vec<FileChange>) -> Commit {
    Commit {
        sha: "c".repeat(40),
        parents: vec!["p".repeat(40)],
        author: stamp(at_ms, 0),
        committer: stamp(at_ms, 0),
        message: "Add the importer".into(),
        files,
    }
}

const PREVIOUS: Millis = MIDNIGHT_UTC + 12 * 3_600_000;

fn velocity(lines: u32, gap_ms: Millis) -> Option<Signal> {
    let commit = commit_at(PREVIOUS + gap_ms, vec![file("src/a.rs", lines)]);
    velocity_signal(&commit, Some(PREVIOUS))
}

#[test]
fn velocity_needs_500_lines() {
    assert!(velocity(499, MINUTE_MS).is_none());
    let signal = velocity(500, MINUTE_MS);
    assert!(signal.as_ref().is_some_and(|s| s.weight == VELOCITY_WEIGHT));
    assert_eq!(
        signal.map(|s| s.evidence).as_deref(),
        Some("500 lines added 1:00 after the author's previous commit")
    );
}

#[test]
fn velocity_window_is_under_five_minutes() {
    assert!(velocity(800, 4 * MINUTE_MS + 59_000).is_some());
    assert!(velocity(800, 5 * MINUTE_MS - 1).is_some());
    assert!(velocity(800, 5 * MINUTE_MS).is_none());
    assert!(velocity(800, 0).is_some());
}

#[test]
fn velocity_needs_a_previous_commit_before_this_one() {
    let commit = commit_at(PREVIOUS, vec![file("src/a.rs", 900)]);
    assert!(velocity_signal(&commit, None).is_none());
    // Out of order (previous is later): no window to speak of.
    assert!(velocity_signal(&commit, Some(PREVIOUS + MINUTE_MS)).is_none());
}

#[test]
fn velocity_sums_files_but_not_lockfiles_or_binaries() {
    let files = vec![file("src/a.rs", 250), file("src/b.rs", 250)];
    let commit = commit_at(PREVIOUS + MINUTE_MS, files);
    assert!(velocity_signal(&commit, Some(PREVIOUS)).is_some());

    let mut image = file("assets/logo.png", 5000);
    image.binary = true;
    let files = vec![
        file("src/a.rs", 499),
        file("Cargo.lock", 3000),
        file("web/package-lock.json", 3000),
        image,
    ];
    let commit = commit_at(PREVIOUS + MINUTE_MS, files);
    assert!(velocity_signal(&commit, Some(PREVIOUS)).is_none());
}

#[test]
fn velocity_counts_added_lines_not_deleted() {
    let mut deletion = file("src/old.rs", 10);
    deletion.lines_deleted = 5000;
    let commit = commit_at(PREVIOUS + MINUTE_MS, vec![deletion]);
    assert!(velocity_signal(&commit, Some(PREVIOUS)).is_none());
}

/// A stamp at the given local time in a zone `offset` minutes east of UTC.
fn local(hour: i64, minute: i64, offset: i32) -> GitStamp {
    let local_ms = MIDNIGHT_UTC + (hour * 60 + minute) * MINUTE_MS;
    stamp(local_ms - i64::from(offset) * MINUTE_MS, offset)
}

#[test]
fn local_hour_window_in_a_zone_east_of_utc() {
    let india = 5 * 60 + 30;
    assert!(local_hour_signal(&local(1, 59, india)).is_none());
    let at_two = local_hour_signal(&local(2, 0, india));
    assert_eq!(
        at_two.as_ref().map(|s| s.evidence.as_str()),
        Some("authored at 02:00 local time (UTC+05:30)")
    );
    assert!(at_two.is_some_and(|s| s.weight == LOCAL_HOUR_WEIGHT));
    assert!(local_hour_signal(&local(4, 59, india)).is_some());
    assert!(local_hour_signal(&local(5, 0, india)).is_none());
    // 03:00 UTC is 08:30 in India: the zone decides, not UTC.
    assert!(local_hour_signal(&stamp(MIDNIGHT_UTC + 3 * 3_600_000, india)).is_none());
}

#[test]
fn local_hour_window_in_a_zone_west_of_utc() {
    let new_york = -5 * 60;
    assert!(local_hour_signal(&local(1, 59, new_york)).is_none());
    assert!(local_hour_signal(&local(2, 0, new_york)).is_some());
    assert!(local_hour_signal(&local(4, 59, new_york)).is_some());
    assert!(local_hour_signal(&local(5, 0, new_york)).is_none());
    assert_eq!(
        local_hour_signal(&local(3, 15, new_york)).map(|s| s.evidence),
        Some("authored at 03:15 local time (UTC-05:00)".to_owned())
    );
}

fn pr<'a>(title: &'a str, body: &'a str) -> PullRequestText<'a> {
    PullRequestText {
        number: Some(42),
        title,
        body,
    }
}

fn pr_tool(title: &str, body: &str) -> Option<AiTool> {
    pr_text_signal(Some(&pr(title, body))).and_then(|s| s.tool)
}

#[test]
fn pr_text_naming_a_tool() {
    let signal = pr_text_signal(Some(&pr("Add retries", "Written with Claude Code.")));
    assert!(signal.as_ref().is_some_and(|s| s.weight == PR_TEXT_WEIGHT));
    assert_eq!(
        signal.map(|s| s.evidence),
        Some("pull request #42 body names claude: \"Claude Code\"".to_owned())
    );
    let named = [
        ("Fix login (via copilot)", "", AiTool::Copilot),
        (
            "Refactor",
            "Made with [Cursor](https://cursor.com)",
            AiTool::Cursor,
        ),
        ("Refactor", "Done in Cursor Agent", AiTool::Cursor),
        (
            "Refactor",
            "https://app.devin.ai/sessions/abc",
            AiTool::Devin,
        ),
        (
            "Port to tokio",
            "Codex task: https://chatgpt.com/codex/tasks/1",
            AiTool::Codex,
        ),
        ("Gemini suggestions applied", "", AiTool::Gemini),
        ("Use Aider for the migration", "", AiTool::Aider),
        ("Refactor", "Opened by Google Jules", AiTool::Jules),
        ("Tidy up", "Generated by Windsurf", AiTool::Windsurf),
        ("Tidy up", "With Amazon Q Developer", AiTool::AmazonQ),
    ];
    for (title, body, tool) in named {
        assert_eq!(pr_tool(title, body), Some(tool), "{title} / {body}");
    }
}

#[test]
fn pr_text_takes_the_title_first_then_the_earliest_phrase() {
    assert_eq!(
        pr_tool("Copilot fixes", "Claude Code wrote the tests"),
        Some(AiTool::Copilot)
    );
    assert_eq!(
        pr_tool("Fixes", "Gemini reviewed what Claude Code wrote"),
        Some(AiTool::Gemini)
    );
}

#[test]
fn pr_text_ignores_words_that_only_look_like_tools() {
    let ordinary = [
        ("Fix database cursor leak", "The cursor was never closed."),
        ("Thanks Devin and Jules", "Claude reviewed it, thanks!"),
        ("Update the codex of style rules", "continue on error"),
        ("Release notes", "Nothing to see."),
    ];
    for (title, body) in ordinary {
        assert_eq!(pr_tool(title, body), None, "{title} / {body}");
    }
    assert!(pr_text_signal(None).is_none());
}

#[test]
fn every_pr_phrase_compiles() {
    assert_eq!(pr_phrases().len(), PR_PHRASES.len());
}
