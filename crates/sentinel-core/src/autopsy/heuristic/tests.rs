//! Whole diagnoses: category, culprit, root cause naming the expression, guard patch and
//! regression test, per language; and the answers when nothing matches.

use super::diagnose;
use crate::autopsy::*;
use serde_json::json;

fn frame(
    path: &str,
    function: &str,
    lines: &[&str],
    first_line: u32,
    focus_line: u32,
) -> TracedFrame {
    TracedFrame {
        frame_path: format!("/srv/app/{path}"),
        repo_path: Some(path.to_string()),
        function: Some(function.to_string()),
        line: Some(focus_line),
        in_app: true,
        snapshot: Some(FileSnapshot {
            path: path.to_string(),
            first_line,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            focus_line,
            source: SnapshotSource::Repository,
        }),
        vars: Default::default(),
    }
}

fn input(language: Language, ty: &str, msg: &str, frames: Vec<TracedFrame>) -> AutopsyInput {
    AutopsyInput {
        language,
        exception_type: ty.into(),
        exception_message: msg.into(),
        handled: false,
        mechanism: None,
        frames,
        http_status: None,
        route: None,
        suspect: None,
        repo: RepoHints::default(),
    }
}

const USERS_PY: &[&str] = &[
    "def display_name(user, prefix=\"\"):",
    "    first = user[\"first\"]",
    "    return prefix + first + \" <\" + user[\"email\"] + \">\"",
    "",
    "",
    "def other():",
];

#[test]
fn python_missing_key_end_to_end() {
    let mut top = frame("app/users.py", "display_name", USERS_PY, 1, 3);
    top.vars.insert("user".into(), json!({"first": "'Ann'"}));
    top.vars.insert("prefix".into(), json!("'Dr '"));
    top.vars.insert("first".into(), json!("'Ann'"));
    let mut inp = input(Language::Python, "KeyError", "'email'", vec![top]);
    inp.suspect = Some(SuspectSummary {
        sha: "0123456789abcdef0123".into(),
        author: "Ann".into(),
        summary: "users: show e-mail".into(),
        ai_tool: Some("claude_code".into()),
        ai_confidence: Some(0.9),
        diff: None,
    });
    let d = diagnose(&inp);
    assert_eq!(d.category, Category::MissingKey);
    assert_eq!(d.disposition, Disposition::Identified);
    assert_eq!(
        d.culprit,
        Some(Culprit {
            path: "app/users.py".into(),
            line: 3
        })
    );
    assert!(d.root_cause.contains("app/users.py:3"), "{}", d.root_cause);
    assert!(d.root_cause.contains("user[\"email\"]"), "{}", d.root_cause);
    assert!(d.root_cause.contains("0123456789ab") && d.root_cause.contains("claude_code"));
    assert!(d.confidence >= 0.8);
    let patch = d.patch_diff.expect("a patch");
    assert!(
        patch.contains("@@ -1,6 +1,8 @@\n def display_name(user, prefix=\"\"):\n     first = user[\"first\"]\n+    if \"email\" not in user:\n+        return None\n     return prefix"),
        "{patch}"
    );
    let test = d.test_case.expect("a test");
    assert_eq!(test.framework, TestFramework::Pytest);
    assert_eq!(test.path, "tests/test_autopsy_display_name.py");
    assert!(test.content.contains("from app.users import display_name"));
    assert!(
        test.content
            .contains("display_name(user={\"first\": 'Ann'}, prefix='Dr ')"),
        "{}",
        test.content
    );
    assert!(d.ai_fix_prompt.contains(">    3 "));
    assert_eq!(d.manual_steps.len(), 4);
}

#[test]
fn python_division_guard_and_parse_wrap_keep_indentation() {
    let lines = &[
        "def mean(xs):",
        "  if True:",
        "    return sum(xs) / len(xs)",
        "",
    ];
    let d = diagnose(&input(
        Language::Python,
        "ZeroDivisionError",
        "division by zero",
        vec![frame("stats.py", "mean", lines, 1, 3)],
    ));
    assert_eq!(d.category, Category::DivisionByZero);
    let patch = d.patch_diff.expect("patch");
    assert!(
        patch.contains("+    if len(xs) == 0:\n+      return 0\n     return sum"),
        "{patch}"
    );

    let lines = &[
        "def load(body):",
        "    data = json.loads(body)",
        "    return data[\"a\"]",
    ];
    let d = diagnose(&input(
        Language::Python,
        "JSONDecodeError",
        "Expecting value: line 1 column 1 (char 0)",
        vec![frame("io.py", "load", lines, 1, 2)],
    ));
    assert_eq!(d.category, Category::ParseError);
    let patch = d.patch_diff.expect("patch");
    assert!(patch.contains("-    data = json.loads(body)\n+    try:\n+        data = json.loads(body)\n+    except ValueError:\n+        return None\n"), "{patch}");
}

#[test]
fn python_missing_setting_test_expects_a_clear_error() {
    let lines = &[
        "def client():",
        "    key = os.environ[\"API_KEY\"]",
        "    return key",
    ];
    let d = diagnose(&input(
        Language::Python,
        "KeyError",
        "'API_KEY'",
        vec![frame("app/cfg.py", "client", lines, 1, 2)],
    ));
    assert_eq!(d.category, Category::MissingConfig);
    assert!(d
        .patch_diff
        .expect("patch")
        .contains("+        raise RuntimeError(\"configuration API_KEY is not set"));
    let test = d.test_case.expect("test");
    assert!(test
        .content
        .contains("monkeypatch.delenv(\"API_KEY\", raising=False)"));
    assert!(test.content.contains("client()"));
}

#[test]
fn javascript_null_access_uses_an_optional_chain_and_caller_literals() {
    let lines = &[
        "function displayName(user, prefix) {",
        "  return prefix + user.profile.email.toLowerCase();",
        "}",
        "module.exports = { displayName };",
    ];
    let mut caller = frame(
        "main.js",
        "main",
        &["displayName({ name: \"x\" }, \"Mr \");"],
        5,
        5,
    );
    caller.snapshot.as_mut().expect("snapshot").lines =
        vec!["displayName({ name: \"x\" }, \"Mr \");".into()];
    let mut inp = input(
        Language::JavaScript,
        "TypeError",
        "Cannot read properties of undefined (reading 'email')",
        vec![frame("src/users.js", "displayName", lines, 1, 2), caller],
    );
    inp.repo.test_files = vec!["test/users.test.js".into()];
    let d = diagnose(&inp);
    assert_eq!(d.category, Category::NullAccess);
    assert!(d.root_cause.contains("`user.profile`"), "{}", d.root_cause);
    let patch = d.patch_diff.expect("patch");
    assert!(
        patch.contains("+  return prefix + user.profile?.email.toLowerCase();"),
        "{patch}"
    );
    let test = d.test_case.expect("test");
    assert_eq!(test.framework, TestFramework::NodeTest);
    assert_eq!(test.path, "test/autopsy-displayName.test.js");
    assert!(test.content.contains("require(\"../src/users.js\")"));
    assert!(
        test.content
            .contains("await displayName({ name: \"x\" }, \"Mr \");"),
        "{}",
        test.content
    );
}

#[test]
fn javascript_parse_wrap_keeps_the_name_in_scope_and_vitest_esm() {
    let lines = &[
        "export async function load(body) {",
        "  const data = JSON.parse(body);",
        "  return data.items;",
        "}",
    ];
    let mut inp = input(
        Language::JavaScript,
        "SyntaxError",
        "Unexpected end of JSON input",
        vec![frame("src/load.js", "load", lines, 1, 2)],
    );
    inp.repo.test_framework = Some(TestFramework::Vitest);
    inp.repo.esm = true;
    let d = diagnose(&inp);
    assert_eq!(d.category, Category::ParseError);
    let patch = d.patch_diff.expect("patch");
    assert!(patch.contains("+  let data;\n+  try {\n+    data = JSON.parse(body);\n+  } catch (err) {\n+    return null;\n+  }\n"), "{patch}");
    // No literal arguments anywhere and a parameter to fill: no test rather than a wrong one.
    assert!(d.test_case.is_none());
}

#[test]
fn rust_unwrap_and_index_guards() {
    let lines = &[
        "pub fn first_word(s: &str) -> String {",
        "    s.split(' ').next().unwrap().to_string()",
        "}",
    ];
    let mut inp = input(
        Language::Rust,
        "panic",
        "called `Option::unwrap()` on a `None` value",
        vec![frame("src/text.rs", "first_word", lines, 1, 2)],
    );
    inp.repo.crate_name = Some("my-lib".into());
    let d = diagnose(&inp);
    assert_eq!(d.category, Category::NullAccess);
    assert!(d
        .patch_diff
        .expect("patch")
        .contains("+    s.split(' ').next().unwrap_or_default().to_string()"));
    let test = d.test_case.expect("test");
    assert_eq!(test.path, "tests/autopsy_first_word.rs");
    assert!(
        test.content
            .contains("my_lib::text::first_word(Default::default())"),
        "{}",
        test.content
    );

    let lines = &["pub fn last(xs: &[u8], i: usize) -> u8 {", "    xs[i]", "}"];
    let d = diagnose(&input(
        Language::Rust,
        "panic",
        "index out of bounds: the len is 0 but the index is 0",
        vec![frame("src/lib.rs", "last", lines, 1, 2)],
    ));
    assert_eq!(d.category, Category::IndexOutOfRange);
    assert!(d
        .patch_diff
        .expect("patch")
        .contains("+    if i >= xs.len() { return Default::default(); }\n     xs[i]"));
}

#[test]
fn nothing_matches_gives_unknown_with_a_prompt() {
    let lines = &["def f():", "    raise Oops()"];
    let d = diagnose(&input(
        Language::Python,
        "Oops",
        "boom",
        vec![frame("a.py", "f", lines, 1, 2)],
    ));
    assert_eq!(d.category, Category::Unknown);
    assert_eq!(d.disposition, Disposition::NotFound);
    assert!(d.patch_diff.is_none() && d.test_case.is_none());
    assert!(d.ai_fix_prompt.contains("Oops: boom"));
    assert_eq!(
        d.culprit,
        Some(Culprit {
            path: "a.py".into(),
            line: 2
        })
    );
}

#[test]
fn no_in_app_frame_means_no_culprit_and_no_patch() {
    let mut lib = frame("site-packages/x.py", "g", &["    return d['k']"], 10, 10);
    lib.in_app = false;
    let d = diagnose(&input(Language::Python, "KeyError", "'k'", vec![lib]));
    assert_eq!(d.category, Category::MissingKey);
    assert_eq!(d.disposition, Disposition::NotFound);
    assert!(d.culprit.is_none() && d.patch_diff.is_none());
    assert!(d.confidence < 0.5);
}

#[test]
fn module_level_code_gets_no_return_guard() {
    let lines = &["CONFIG = load()", "PORT = CONFIG['port']"];
    let mut top = frame("settings.py", "<module>", lines, 1, 2);
    top.function = Some("<module>".into());
    let d = diagnose(&input(Language::Python, "KeyError", "'port'", vec![top]));
    assert_eq!(d.category, Category::MissingConfig);
    assert!(d.patch_diff.is_none());
}

#[test]
fn typescript_with_vitest_writes_a_ts_test_beside_the_existing_ones() {
    let lines = &[
        "export function total(cart: Cart): number {",
        "  return cart.items.length;",
        "}",
    ];
    let mut caller = frame("src/main.ts", "main", &["total({});"], 3, 3);
    caller.line = Some(3);
    let mut inp = input(
        Language::TypeScript,
        "TypeError",
        "Cannot read properties of undefined (reading 'length')",
        vec![frame("src/cart.ts", "total", lines, 10, 11), caller],
    );
    inp.repo.test_framework = Some(TestFramework::Vitest);
    inp.repo.test_files = vec!["src/__tests__/cart.spec.ts".into()];
    let d = diagnose(&inp);
    assert_eq!(d.category, Category::NullAccess);
    assert!(d.patch_diff.expect("patch").contains("@@ -10,3 +10,3 @@"));
    let test = d.test_case.expect("test");
    assert_eq!(test.framework, TestFramework::Vitest);
    assert_eq!(test.path, "src/__tests__/autopsy-total.test.ts");
    assert!(test
        .content
        .contains("import { test, expect } from \"vitest\";"));
    assert!(
        test.content
            .contains("import { total } from \"../../src/cart\";"),
        "{}",
        test.content
    );
    assert!(test.content.contains("await total({});"));
}

#[test]
fn python_vars_that_are_not_literals_give_no_test() {
    let lines = &[
        "def charge(client, amount):",
        "    return amount / client.rate",
    ];
    let mut top = frame("app/pay.py", "charge", lines, 1, 2);
    top.vars
        .insert("client".into(), json!("<Client object at 0x7f>"));
    top.vars.insert("amount".into(), json!("3"));
    let d = diagnose(&input(
        Language::Python,
        "ZeroDivisionError",
        "division by zero",
        vec![top],
    ));
    assert_eq!(d.category, Category::DivisionByZero);
    assert!(d.patch_diff.is_some());
    assert!(
        d.test_case.is_none(),
        "a call with an object the test cannot rebuild is not guessed"
    );
}
