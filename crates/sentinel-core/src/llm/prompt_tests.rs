//! The prompt names what the model needs, stays within its bounds and carries no secret.

use super::*;
use crate::autopsy::{
    FileSnapshot, Language, RepoHints, SnapshotSource, SuspectSummary, TestFramework,
};

fn frame(path: &str, line: u32, lines: Vec<String>) -> TracedFrame {
    TracedFrame {
        frame_path: format!("/srv/app/{path}"),
        repo_path: Some(path.to_owned()),
        function: Some("get_user".into()),
        line: Some(line),
        in_app: true,
        vars: Default::default(),
        snapshot: Some(FileSnapshot {
            path: path.to_owned(),
            first_line: 1,
            lines,
            focus_line: line,
            source: SnapshotSource::Repository,
        }),
    }
}

pub(crate) fn input() -> AutopsyInput {
    AutopsyInput {
        language: Language::Python,
        exception_type: "KeyError".into(),
        exception_message: "'email'".into(),
        handled: false,
        mechanism: Some("excepthook".into()),
        frames: vec![frame(
            "app/users.py",
            3,
            vec![
                "def get_user(row):".into(),
                "    api_key = 'sk-abcdefghijklmnopqrstuvwxyz0123'".into(),
                "    return row['email']".into(),
            ],
        )],
        http_status: Some(500),
        route: Some("/users/{id}".into()),
        suspect: Some(SuspectSummary {
            sha: "a".repeat(40),
            author: "Dev".into(),
            summary: "read email from the row".into(),
            ai_tool: Some("copilot".into()),
            ai_confidence: Some(0.9),
            diff: Some("+    return row['email']\n".repeat(2000)),
        }),
        repo: RepoHints {
            test_framework: Some(TestFramework::Pytest),
            test_files: vec!["tests/test_users.py".into()],
            esm: false,
            crate_name: None,
        },
    }
}

#[test]
fn the_prompt_names_exception_frame_focus_line_suspect_and_framework() {
    let (system, user) = build_prompt(&input(), &Scrubber::default(), &PromptLimits::default());
    assert!(system.contains("patch_diff"));
    assert!(user.contains("Exception: KeyError: 'email'"));
    assert!(user.contains("- app/users.py:3 in get_user"));
    assert!(user.contains(">    3 |     return row['email']"), "{user}");
    assert!(user.contains(&format!("Suspect commit {}", "a".repeat(40))));
    assert!(user.contains("Test framework: pytest"));
    assert!(user.contains("tests/test_users.py"));
}

#[test]
fn secrets_in_code_context_are_scrubbed_before_they_leave() {
    let (_, user) = build_prompt(&input(), &Scrubber::default(), &PromptLimits::default());
    assert!(
        !user.contains("sk-abcdefghijklmnopqrstuvwxyz0123"),
        "{user}"
    );
    assert!(user.contains(crate::scrub::FILTERED));
}

#[test]
fn the_diff_and_the_whole_prompt_are_bounded() {
    let limits = PromptLimits {
        max_diff_bytes: 500,
        max_total_bytes: 2_000,
        ..PromptLimits::default()
    };
    let (_, user) = build_prompt(&input(), &Scrubber::default(), &limits);
    assert!(user.len() <= 2_000, "{}", user.len());
    assert!(user.contains(TRUNCATED));
    let mut many = input();
    many.frames = vec![many.frames[0].clone(); 20];
    let (_, user) = build_prompt(&many, &Scrubber::default(), &PromptLimits::default());
    assert!(user.contains("(12 more frames left out)"));
    assert!(user.len() <= PromptLimits::default().max_total_bytes);
}

#[test]
fn cutting_respects_character_boundaries() {
    let text = "é".repeat(100);
    let out = cut(&text, 51);
    assert!(out.len() <= 51);
    assert!(out.ends_with(TRUNCATED));
}

#[test]
fn the_patch_retry_prompt_carries_the_refused_patch_and_gits_complaint_within_bounds() {
    let rejected = RejectedPatch {
        patch: format!(
            "--- a/app/users.py\n+++ b/app/users.py\n@@ -9,1 +9,1 @@\n-x\n+token = 'sk-abcdefghijklmnopqrstuvwxyz0123'\n{}",
            "+y\n".repeat(10_000)
        ),
        apply_error: "error: patch failed: app/users.py:9\nerror: app/users.py: patch does not apply".into(),
    };
    let limits = PromptLimits::default();
    let (system, user) =
        build_patch_retry_prompt(&input(), &rejected, &Scrubber::default(), &limits);
    assert_eq!(system, SYSTEM_PROMPT);
    assert!(
        user.contains("Exception: KeyError: 'email'"),
        "the incident is asked about again"
    );
    assert!(user.contains("@@ -9,1 +9,1 @@"));
    assert!(user.contains("patch does not apply"));
    assert!(user.contains("Answer again with the whole JSON object"));
    assert!(
        !user.contains("sk-abcdefghijklmnopqrstuvwxyz0123"),
        "the patch is scrubbed too"
    );
    assert!(user.len() <= limits.max_total_bytes, "{}", user.len());
    let tight = PromptLimits {
        max_total_bytes: 3_000,
        ..limits
    };
    let (_, user) = build_patch_retry_prompt(&input(), &rejected, &Scrubber::default(), &tight);
    assert!(user.len() <= 3_000, "{}", user.len());
    assert!(
        user.contains("git said:"),
        "the complaint survives a tight bound"
    );
}
