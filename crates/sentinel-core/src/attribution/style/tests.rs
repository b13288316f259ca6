//! The style signal fires on code with several habits of generated code, and not on ordinary
//! human code.
use super::*;
use crate::code::FileStatus;

fn file(path: &str, text: &str) -> FileChange {
    let added_lines: Vec<String> = text.lines().map(str::to_owned).collect();
    FileChange {
        path: path.into(),
        previous_path: None,
        status: FileStatus::Added,
        lines_added: u32::try_from(added_lines.len()).unwrap_or(u32::MAX),
        lines_deleted: 0,
        binary: false,
        added_lines,
    }
}

const GENERATED_PYTHON: &str = r#"
def load_users(path):
    """Load the users from a file.

    Args:
        path: The path of the file.

    Returns:
        The list of users.
    """
    # Step 1: Open the file
    handle = open(path)
    # Step 2: Read the users
    users = read_users(handle)
    # Step 3: Close the file
    handle.close()
    # Return the users
    return users

def save_users(path, users):
    """Save the users to a file.

    Args:
        path: The path of the file.
        users: The users to save.

    Returns:
        None.
    """
    # Open the file for writing
    handle = open_file(path, "w")
    # Write the users
    write_users(handle, users)
    print("✅ Users saved successfully!")

def count_users(users):
    """Count the users.

    Args:
        users: The users.

    Returns:
        The number of users.
    """
    # Count the users
    count = len(users)
    print("🚀 Counted users")
    return count
"#;

#[test]
fn generated_looking_code_fires_with_its_features_named() {
    let signal = style_signal(&file("app/users.py", GENERATED_PYTHON));
    let Some(signal) = signal else {
        panic!("no style signal");
    };
    assert_eq!(signal.name, signal_names::CODE_STYLE);
    assert!(signal.weight > 0.0 && signal.weight <= STYLE_MAX_WEIGHT);
    assert_eq!(signal.weight, STYLE_MAX_WEIGHT, "{}", signal.evidence);
    for feature in [
        "numbered step comments (3)",
        "uniform docstrings (3 functions)",
        "emoji (2 lines)",
        "restating comments",
    ] {
        assert!(signal.evidence.contains(feature), "{}", signal.evidence);
    }
    assert!(signal.tool.is_none());
}

const HUMAN_PYTHON: &str = r#"
import json
import logging

log = logging.getLogger(__name__)


def load_users(path):
    """Users from the export; a missing file means a fresh install."""
    try:
        with open(path) as handle:
            return [User(**row) for row in json.load(handle)]
    except FileNotFoundError:
        return []


def save_users(path, users):
    # Write beside the target and rename, so a crash never leaves half a file.
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump([u.as_dict() for u in users], handle)
    os.replace(tmp, path)
    log.info("saved %d users", len(users))


def count_active(users, now):
    return sum(1 for u in users if u.last_seen > now - WEEK)
"#;

#[test]
fn ordinary_human_code_does_not_fire() {
    assert_eq!(style_signal(&file("app/users.py", HUMAN_PYTHON)), None);
}

#[test]
fn this_projects_own_sources_do_not_fire() {
    let sources = [
        ("fingerprint.rs", include_str!("../../fingerprint.rs")),
        ("normalize.rs", include_str!("../../normalize.rs")),
        ("scrub.rs", include_str!("../../scrub.rs")),
        ("incident.rs", include_str!("../../incident.rs")),
        ("code.rs", include_str!("../../code.rs")),
        (
            "attribution_types.rs",
            include_str!("../../code/attribution_types.rs"),
        ),
        ("combine.rs", include_str!("../combine.rs")),
        ("identities.rs", include_str!("../identities.rs")),
        ("heuristics.rs", include_str!("../heuristics.rs")),
    ];
    for (name, text) in sources {
        assert_eq!(
            style_signal(&file(&format!("src/{name}"), text)),
            None,
            "{name}"
        );
    }
}

#[test]
fn one_habit_alone_is_a_persons_style() {
    // Numbered steps and nothing else.
    let mut text = String::new();
    for step in 1..=6 {
        text.push_str(&format!(
            "    // {step}. Late arrivals belong to the previous window\n"
        ));
        text.push_str(&format!("    let cutoff_{step} = window.start - grace;\n"));
        text.push_str(&format!(
            "    totals.merge(batch_{step}.drain_before(cutoff_{step}));\n"
        ));
    }
    text.push_str("    flush(totals)\n");
    let only_steps = file("src/fold.rs", &text);
    assert_eq!(
        numbered_steps(&classify(&only_steps.added_lines, CommentSyntax::Slash)),
        Some("6".into())
    );
    assert_eq!(style_signal(&only_steps), None);
}

#[test]
fn no_signal_without_enough_added_source_lines() {
    // Documentation and configuration are not code.
    assert_eq!(style_signal(&file("docs/users.md", GENERATED_PYTHON)), None);
    assert_eq!(
        style_signal(&file("config/app.yaml", GENERATED_PYTHON)),
        None
    );
    // No added lines known (a source that gives no diff).
    let mut unknown = file("app/users.py", "");
    unknown.lines_added = 400;
    assert_eq!(style_signal(&unknown), None);
    // Too few lines to judge.
    let short: String = GENERATED_PYTHON
        .lines()
        .take(MIN_LINES)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(style_signal(&file("app/users.py", &short)), None);
}

#[test]
fn block_and_line_comments_are_recognised() {
    let text = "/**\n * Adds two numbers.\n * @param a first\n */\nfunction add(a, b) {\n  // Return the sum\n  return a + b;\n}\n";
    let added: Vec<String> = text.lines().map(str::to_owned).collect();
    let lines = classify(&added, CommentSyntax::Slash);
    let comments: Vec<&str> = lines.iter().filter_map(|l| l.comment).collect();
    assert_eq!(
        comments,
        vec![
            "",
            "Adds two numbers.",
            "@param a first",
            "",
            "Return the sum"
        ]
    );
    // `*ptr = 1;` outside a block is code, not a comment.
    let deref_line = ["*ptr = 1;".to_owned()];
    let deref = classify(&deref_line, CommentSyntax::Slash);
    assert!(deref[0].is_code());
}

#[test]
fn restating_needs_the_comment_words_in_the_code() {
    assert!(restates(
        "Create the user",
        "let user = create_user(&request);"
    ));
    assert!(restates(
        "Increment the retry counter",
        "retryCounter += 1;"
    ));
    assert!(!restates(
        "GitHub sends the hook twice; skip the duplicate",
        "if seen.contains(&delivery_id) { return Ok(()); }"
    ));
    assert!(!restates("", "x = 1"));
}
