//! Regression tests in the repository's own framework: the failing call replayed with the
//! arguments it had, expected to complete (or, for a missing setting, to fail with a clear
//! configuration error). Placed beside the repository's existing tests.

use super::finding::{Finding, Subject};
use crate::autopsy::{Category, Language, RepoHints, TestCase, TestFramework};

/// Where and how the failing function is called.
pub(crate) struct Call<'a> {
    pub language: Language,
    /// Repository-relative path of the culprit file.
    pub path: &'a str,
    pub function: &'a str,
    /// Source text of the arguments, in the test's language.
    pub arguments: String,
    pub exception_type: &'a str,
    pub line: u32,
}

/// The framework a test for `language` is written in: the repository's when it fits.
pub(crate) fn framework_for(language: Language, hints: &RepoHints) -> Option<TestFramework> {
    let fits = |f: TestFramework| match language {
        Language::Python => f == TestFramework::Pytest,
        Language::JavaScript | Language::TypeScript => {
            matches!(
                f,
                TestFramework::NodeTest | TestFramework::Jest | TestFramework::Vitest
            )
        }
        Language::Rust => f == TestFramework::RustTest,
        Language::Other => false,
    };
    match hints.test_framework.filter(|f| fits(*f)) {
        Some(f) => Some(f),
        None => match language {
            Language::Python => Some(TestFramework::Pytest),
            Language::JavaScript | Language::TypeScript => Some(TestFramework::NodeTest),
            Language::Rust => Some(TestFramework::RustTest),
            Language::Other => None,
        },
    }
}

/// The directory of the first existing test file that `keep` accepts, else `default`.
fn test_dir(hints: &RepoHints, keep: impl Fn(&str) -> bool, default: &str) -> String {
    hints
        .test_files
        .iter()
        .find(|p| keep(p))
        .map(|p| {
            p.rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| default.to_string())
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

fn identifier(function: &str) -> String {
    let short = function.rsplit(['.', ':']).next().unwrap_or(function);
    short
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The regression test for `call`, or `None` for a language without a framework.
pub(crate) fn regression_test(
    call: &Call<'_>,
    finding: &Finding,
    hints: &RepoHints,
) -> Option<TestCase> {
    let framework = framework_for(call.language, hints)?;
    let setting = match (&finding.subject, finding.category) {
        (Some(Subject::Setting { name, .. }), Category::MissingConfig) => Some(name.as_str()),
        _ => None,
    };
    let about = format!(
        "{} at {}:{} ({})",
        call.exception_type,
        call.path,
        call.line,
        finding.category.as_str()
    );
    match framework {
        TestFramework::Pytest => Some(pytest(call, setting, &about, hints)),
        TestFramework::NodeTest | TestFramework::Jest | TestFramework::Vitest => {
            Some(node(call, framework, setting, &about, hints))
        }
        TestFramework::RustTest => rust(call, &about, hints),
    }
}

fn pytest(call: &Call<'_>, setting: Option<&str>, about: &str, hints: &RepoHints) -> TestCase {
    let dir = test_dir(
        hints,
        |p| {
            p.ends_with(".py")
                && p.rsplit('/')
                    .next()
                    .is_some_and(|f| f.starts_with("test_") || f.ends_with("_test.py"))
        },
        "tests",
    );
    let name = identifier(call.function);
    let path = join(&dir, &format!("test_autopsy_{name}.py"));
    let (root, module_path) = match call.path.strip_prefix("src/") {
        Some(rest) => ("/ \"src\"", rest),
        None => ("", call.path),
    };
    let module = module_path.trim_end_matches(".py").replace('/', ".");
    let module = module
        .strip_suffix(".__init__")
        .unwrap_or(&module)
        .to_string();
    let depth = if dir.is_empty() {
        0
    } else {
        dir.split('/').count()
    };
    let target = format!("{}({})", name, call.arguments);
    let body = match setting {
        Some(setting) => format!(
            "def test_{name}_reports_missing_{lower}(monkeypatch):\n    monkeypatch.delenv({setting:?}, raising=False)\n    with pytest.raises(RuntimeError, match={setting:?}):\n        {target}\n",
            lower = setting.to_ascii_lowercase()
        ),
        None => format!("def test_{name}_regression():\n    {target}\n"),
    };
    let content = format!(
        "\"\"\"Regression test for {about}, from Sentinel's autopsy.\"\"\"\n\nimport sys\nfrom pathlib import Path\n\nimport pytest  # noqa: F401\n\nsys.path.insert(0, str(Path(__file__).resolve().parents[{depth}]{root}))\n\nfrom {module} import {name}  # noqa: E402\n\n\n{body}"
    );
    TestCase {
        framework: TestFramework::Pytest,
        path,
        content,
    }
}

/// `../src/users.js` from `test/` to `src/users.js`.
fn relative(from_dir: &str, to: &str) -> String {
    let ups = if from_dir.is_empty() {
        0
    } else {
        from_dir.split('/').count()
    };
    if ups == 0 {
        format!("./{to}")
    } else {
        format!("{}{to}", "../".repeat(ups))
    }
}

fn node(
    call: &Call<'_>,
    framework: TestFramework,
    setting: Option<&str>,
    about: &str,
    hints: &RepoHints,
) -> TestCase {
    let is_test = |p: &str| {
        let file = p.rsplit('/').next().unwrap_or(p);
        [".test.", ".spec.", "-test."]
            .iter()
            .any(|m| file.contains(m))
            || p.starts_with("test/")
            || p.contains("/test/")
    };
    let dir = test_dir(
        hints,
        |p| is_test(p) && !p.ends_with(".py") && !p.ends_with(".rs"),
        "test",
    );
    let name = identifier(call.function);
    let typescript = call.language == Language::TypeScript && framework != TestFramework::NodeTest;
    let ext = if typescript { "ts" } else { "js" };
    let path = join(&dir, &format!("autopsy-{name}.test.{ext}"));
    let mut import_path = relative(&dir, call.path);
    if typescript {
        import_path = import_path.trim_end_matches(".ts").to_string();
    }
    let esm = hints.esm || typescript;
    let mut header = format!("// Regression test for {about}, from Sentinel's autopsy.\n");
    match (framework, esm) {
        (TestFramework::NodeTest, true) => header.push_str("import test from \"node:test\";\nimport assert from \"node:assert/strict\";\n"),
        (TestFramework::NodeTest, false) => header.push_str("const test = require(\"node:test\");\nconst assert = require(\"node:assert/strict\");\n"),
        (TestFramework::Vitest, _) => header.push_str("import { test, expect } from \"vitest\";\n"),
        _ => {}
    }
    if esm {
        header.push_str(&format!("import {{ {name} }} from \"{import_path}\";\n"));
    } else {
        header.push_str(&format!(
            "const {{ {name} }} = require(\"{import_path}\");\n"
        ));
    }
    let target = format!("{}({})", name, call.arguments);
    let body = match (setting, framework) {
        (Some(s), TestFramework::NodeTest) => format!(
            "test(\"{name} reports the missing {s} setting\", async () => {{\n  delete process.env.{s};\n  await assert.rejects(async () => {target}, /{s} is not set/);\n}});\n"
        ),
        (Some(s), _) => format!(
            "test(\"{name} reports the missing {s} setting\", async () => {{\n  delete process.env.{s};\n  await expect((async () => {target})()).rejects.toThrow(/{s} is not set/);\n}});\n"
        ),
        (None, _) => format!("test(\"{name} completes where it threw\", async () => {{\n  await {target};\n}});\n"),
    };
    TestCase {
        framework,
        path,
        content: format!("{header}\n{body}"),
    }
}

fn rust(call: &Call<'_>, about: &str, hints: &RepoHints) -> Option<TestCase> {
    let krate = hints.crate_name.as_ref()?.replace('-', "_");
    let module = call.path.strip_prefix("src/")?.trim_end_matches(".rs");
    let module = module.strip_suffix("/mod").unwrap_or(module);
    let mut path_in_crate = vec![krate];
    if !matches!(module, "lib" | "main") {
        path_in_crate.extend(module.split('/').map(str::to_string));
    }
    let name = identifier(call.function);
    path_in_crate.push(name.clone());
    let content = format!(
        "//! Regression test for {about}, from Sentinel's autopsy.\n\n#[test]\nfn {name}_does_not_panic() {{\n    let _ = {}({});\n}}\n",
        path_in_crate.join("::"),
        call.arguments
    );
    Some(TestCase {
        framework: TestFramework::RustTest,
        path: format!("tests/autopsy_{name}.rs"),
        content,
    })
}
