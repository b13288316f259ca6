//! `attribute` end to end: methods, tools, per-file confidence, merges, bots, tiers.
use super::*;
use crate::clock::MINUTE_MS;
use crate::code::{FileChange, FileStatus, GitStamp, Person, RiskTier};

/// 2024-03-05T14:00:00Z, a Tuesday afternoon.
const AFTERNOON: Millis = 1_709_647_200_000;

fn person(name: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        email: email.into(),
        login: None,
    }
}

fn stamp(at_ms: Millis) -> GitStamp {
    GitStamp {
        person: person("Ada Lovelace", "ada@example.com"),
        at_ms,
        utc_offset_minutes: 60,
    }
}

fn file(path: &str, lines_added: u32, lines_deleted: u32) -> FileChange {
    FileChange {
        path: path.into(),
        previous_path: None,
        status: FileStatus::Modified,
        lines_added,
        lines_deleted,
        binary: false,
        added_lines: Vec::new(),
    }
}

fn commit(message: &str, files: Vec<FileChange>) -> Commit {
    Commit {
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        parents: vec!["f".repeat(40)],
        author: stamp(AFTERNOON),
        committer: stamp(AFTERNOON),
        message: message.into(),
        files,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn names(signals: &[Signal]) -> Vec<&str> {
    signals.iter().map(|s| s.name.as_str()).collect()
}

const GENERATED_JS: &str = r#"
/**
 * Fetch the user.
 * @param id The id of the user.
 * @returns The user.
 */
async function fetchUser(id) {
  // Step 1: Build the url
  const url = buildUrl(id);
  // Step 2: Fetch the response
  const response = await fetch(url);
  // Step 3: Parse the json
  const json = await response.json();
  console.log("✅ User fetched");
  // Return the json
  return json;
}

/**
 * Save the user.
 * @param user The user.
 * @returns Nothing.
 */
async function saveUser(user) {
  // Send the user
  await sendUser(user);
  console.log("🚀 User saved");
}

/**
 * Delete the user.
 * @param id The id of the user.
 * @returns Nothing.
 */
function deleteUser(id) {
  // Delete the user
  deleteUserById(id);
}
"#;

fn generated_file(path: &str) -> FileChange {
    let added_lines: Vec<String> = GENERATED_JS.lines().map(str::to_owned).collect();
    let mut change = file(path, u32::try_from(added_lines.len()).unwrap_or(0), 0);
    change.added_lines = added_lines;
    change
}

#[test]
fn a_declared_commit_is_declared_in_every_file() {
    let c = commit(
        "Add login throttling\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        vec![
            file("src/auth/throttle.rs", 120, 4),
            file("README.md", 3, 1),
        ],
    );
    let result = attribute(&c, &AttributionContext::default(), &RiskRules::default());
    assert_eq!(result.sha, c.sha);
    assert_eq!(result.method, AttributionMethod::Declared);
    assert_eq!(result.tool, Some(AiTool::Claude));
    assert!(close(result.ai_confidence, DECLARED_WEIGHT));
    assert_eq!(names(&result.signals), vec!["trailer_co_authored_by"]);
    assert_eq!(result.files.len(), 2);
    let auth = &result.files[0];
    assert_eq!((auth.lines_added, auth.lines_deleted), (120, 4));
    assert_eq!(auth.method, AttributionMethod::Declared);
    assert_eq!(auth.tool, Some(AiTool::Claude));
    assert_eq!(auth.risk_tier, RiskTier::T3);
    assert!(auth.flagged);
    assert!(auth
        .explanation
        .starts_with("T3 (core) because src/auth/throttle.rs"));
    let readme = &result.files[1];
    assert_eq!(readme.risk_tier, RiskTier::T1);
    assert!(!readme.flagged);
}

#[test]
fn nothing_fired_is_a_human_commit() {
    let c = commit("Fix typo", vec![file("src/crypto/aes.rs", 2, 2)]);
    let result = attribute(&c, &AttributionContext::default(), &RiskRules::default());
    assert_eq!(result.method, AttributionMethod::None);
    assert_eq!(result.tool, None);
    assert_eq!(result.ai_confidence, 0.0);
    assert!(result.signals.is_empty());
    let aes = &result.files[0];
    assert_eq!(aes.method, AttributionMethod::None);
    assert_eq!(aes.ai_confidence, 0.0);
    // Confidence 0 is below 0.3: T4 lowered to T3.
    assert_eq!(aes.risk_tier, RiskTier::T3);
}

#[test]
fn a_pushed_commit_gains_the_pr_signal_once_its_pr_is_known() {
    let c = commit("Refactor importer", vec![file("src/import.rs", 40, 10)]);
    let rules = RiskRules::default();
    let before = attribute(&c, &AttributionContext::default(), &rules);
    assert_eq!(before.method, AttributionMethod::None);

    let context = AttributionContext {
        previous_commit_at: None,
        pull_request: Some(PullRequestText {
            number: Some(7),
            title: "Refactor importer",
            body: "Done with Copilot.",
        }),
    };
    let after = attribute(&c, &context, &rules);
    assert_eq!(after.method, AttributionMethod::Heuristic);
    assert_eq!(after.tool, Some(AiTool::Copilot));
    assert!(close(after.ai_confidence, PR_TEXT_WEIGHT));
    assert_eq!(after.files[0].tool, Some(AiTool::Copilot));
}

#[test]
fn heuristics_combine_with_diminishing_returns() {
    // 600 lines two minutes after the previous commit, at 03:10 in UTC+01:00.
    let mut c = commit("Add exporter", vec![file("src/export.rs", 600, 0)]);
    let at = AFTERNOON - 11 * 3_600_000 - 50 * MINUTE_MS;
    c.author.at_ms = at;
    let context = AttributionContext {
        previous_commit_at: Some(at - 2 * MINUTE_MS),
        pull_request: None,
    };
    let result = attribute(&c, &context, &RiskRules::default());
    assert_eq!(names(&result.signals), vec!["velocity", "local_hour"]);
    assert_eq!(result.method, AttributionMethod::Heuristic);
    assert_eq!(result.tool, None);
    let expected = 1.0 - (1.0 - VELOCITY_WEIGHT) * (1.0 - LOCAL_HOUR_WEIGHT * 0.5);
    assert!(close(result.ai_confidence, expected));
    assert!(close(result.files[0].ai_confidence, expected));
}

#[test]
fn files_of_one_commit_differ_by_their_own_style() {
    let c = commit(
        "Add user client",
        vec![
            generated_file("web/src/users.js"),
            file("web/src/index.js", 3, 0),
        ],
    );
    let result = attribute(&c, &AttributionContext::default(), &RiskRules::default());
    // The commit itself: no commit-level signal.
    assert_eq!(result.method, AttributionMethod::None);
    assert_eq!(result.ai_confidence, 0.0);
    let styled = &result.files[0];
    assert_eq!(names(&styled.signals), vec!["code_style"]);
    assert_eq!(styled.method, AttributionMethod::Heuristic);
    assert!(styled.ai_confidence > 0.0 && styled.ai_confidence <= STYLE_MAX_WEIGHT);
    let plain = &result.files[1];
    assert!(plain.signals.is_empty());
    assert_eq!(plain.ai_confidence, 0.0);
}

#[test]
fn a_file_adds_its_style_to_the_commit_signals() {
    let c = commit(
        "Add user client\n\nCo-authored-by: Cursor <cursoragent@cursor.com>",
        vec![
            generated_file("web/src/users.js"),
            file("web/src/index.js", 3, 0),
        ],
    );
    let context = AttributionContext {
        previous_commit_at: None,
        pull_request: Some(PullRequestText {
            number: None,
            title: "Users via Claude Code",
            body: "",
        }),
    };
    let result = attribute(&c, &context, &RiskRules::default());
    // The declared tool wins over the one the PR names.
    assert_eq!(result.tool, Some(AiTool::Cursor));
    assert_eq!(
        names(&result.signals),
        vec!["trailer_co_authored_by", "pr_text"]
    );
    let styled = &result.files[0];
    assert_eq!(
        names(&styled.signals),
        vec!["trailer_co_authored_by", "pr_text", "code_style"]
    );
    assert!(styled.ai_confidence > result.files[1].ai_confidence);
    assert!(close(result.files[1].ai_confidence, result.ai_confidence));
}

#[test]
fn a_merge_commit_is_recorded_without_scoring() {
    let mut c = commit(
        "Merge branch 'feature'\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        vec![file("src/a.rs", 900, 0)],
    );
    c.parents.push("e".repeat(40));
    let result = attribute(&c, &AttributionContext::default(), &RiskRules::default());
    assert_eq!(result.method, AttributionMethod::None);
    assert_eq!(result.ai_confidence, 0.0);
    assert_eq!(names(&result.signals), vec![signal_names::MERGE_COMMIT]);
    assert_eq!(result.signals[0].weight, 0.0);
    assert!(result.files.is_empty());
}

#[test]
fn a_dependency_bot_is_never_ai() {
    let mut c = commit(
        "Bump serde from 1.0.200 to 1.0.201",
        vec![file("Cargo.toml", 1, 1), file("src/generated.rs", 4000, 0)],
    );
    c.author.person = person(
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
    );
    c.author.utc_offset_minutes = 0;
    c.author.at_ms = AFTERNOON - 11 * 3_600_000; // 03:00 UTC
    let context = AttributionContext {
        previous_commit_at: Some(c.author.at_ms - MINUTE_MS),
        pull_request: Some(PullRequestText {
            number: Some(3),
            title: "Bump serde",
            body: "Copilot can review this.",
        }),
    };
    let result = attribute(&c, &context, &RiskRules::default());
    assert_eq!(result.method, AttributionMethod::None);
    assert_eq!(result.tool, None);
    assert_eq!(result.ai_confidence, 0.0);
    assert_eq!(names(&result.signals), vec![signal_names::DEPENDENCY_BOT]);
    assert_eq!(result.files.len(), 2);
    assert!(result
        .files
        .iter()
        .all(|f| f.method == AttributionMethod::None && f.ai_confidence == 0.0));
}

#[test]
fn repository_rules_decide_the_tier() {
    let rules = RiskRules::new(RiskSettings {
        patterns: vec![RiskPattern {
            pattern: "src/engine/**".into(),
            tier: RiskTier::T4,
        }],
        default_tier: None,
    });
    let Ok(rules) = rules else {
        panic!("valid settings refused");
    };
    let c = commit(
        "x\n\nCo-authored-by: Codex <noreply@openai.com>",
        vec![file("src/engine/plan.rs", 10, 0)],
    );
    let result = attribute(&c, &AttributionContext::default(), &rules);
    let plan = &result.files[0];
    assert_eq!(plan.risk_tier, RiskTier::T4);
    assert!(plan.flagged);
    assert!(plan
        .explanation
        .contains("matches the repository pattern `src/engine/**`"));
}

#[test]
fn results_serialize_with_stable_names() {
    let c = commit(
        "x\n\nCo-authored-by: Codex <noreply@openai.com>",
        vec![file("src/a.rs", 1, 0)],
    );
    let result = attribute(&c, &AttributionContext::default(), &RiskRules::default());
    let json = serde_json::to_value(&result).unwrap_or_default();
    assert_eq!(json["method"], "declared");
    assert_eq!(json["tool"], "codex");
    assert_eq!(json["files"][0]["risk_tier"], "T2");
    assert_eq!(json["signals"][0]["name"], "trailer_co_authored_by");
}
