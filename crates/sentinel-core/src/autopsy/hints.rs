//! What a repository's files say about how to test it, and what language an event's code is
//! in: pure functions over paths and file contents the caller reads.

use super::{Language, RepoHints, TestFramework, TracedFrame};

/// The language of the failing code: the SDK's platform when it says, else the extension
/// of the top-most in-app frame's file.
pub fn detect_language(platform: &str, frames: &[TracedFrame]) -> Language {
    let by_extension = frames
        .iter()
        .filter(|f| f.in_app)
        .chain(frames.iter())
        .find_map(|f| language_of_path(f.repo_path.as_deref().unwrap_or(&f.frame_path)));
    match platform {
        "python" => Language::Python,
        "rust" => Language::Rust,
        "node" | "javascript" => match by_extension {
            Some(Language::TypeScript) => Language::TypeScript,
            _ => Language::JavaScript,
        },
        _ => by_extension.unwrap_or(Language::Other),
    }
}

fn language_of_path(path: &str) -> Option<Language> {
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "py" => Language::Python,
        "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
        "ts" | "mts" | "cts" | "tsx" => Language::TypeScript,
        "rs" => Language::Rust,
        _ => return None,
    })
}

/// Whether a repository path is a test file by the usual conventions.
fn is_test_file(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let in_test_dir = path
        .split('/')
        .any(|d| matches!(d, "test" | "tests" | "__tests__" | "spec"));
    let code = language_of_path(path).is_some();
    code && (file.starts_with("test_")
        || file.ends_with("_test.py")
        || [".test.", ".spec.", "-test."]
            .iter()
            .any(|m| file.contains(m))
        || (in_test_dir && path != file))
}

/// Reads the hints from the repository's file list and the contents of its manifests;
/// `read` gives a file's contents by path (`None` when absent or unreadable).
pub fn detect_repo_hints(paths: &[String], read: impl Fn(&str) -> Option<String>) -> RepoHints {
    let mut hints = RepoHints {
        test_files: paths
            .iter()
            .filter(|p| is_test_file(p))
            .take(50)
            .cloned()
            .collect(),
        ..RepoHints::default()
    };
    let has = |name: &str| paths.iter().any(|p| p == name);
    if has("package.json") {
        if let Some(json) =
            read("package.json").and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            hints.esm = json.get("type").and_then(|t| t.as_str()) == Some("module");
            let uses = |dep: &str| {
                ["dependencies", "devDependencies"]
                    .iter()
                    .any(|k| json.get(k).and_then(|d| d.get(dep)).is_some())
                    || json
                        .pointer("/scripts/test")
                        .and_then(|s| s.as_str())
                        .is_some_and(|s| s.contains(dep))
            };
            hints.test_framework = Some(if uses("vitest") {
                TestFramework::Vitest
            } else if uses("jest") {
                TestFramework::Jest
            } else {
                TestFramework::NodeTest
            });
        }
    }
    let python_manifests = paths.iter().filter(|p| {
        let file = p.rsplit('/').next().unwrap_or(p);
        (file.starts_with("requirements") && file.ends_with(".txt"))
            || matches!(
                file,
                "pyproject.toml" | "setup.cfg" | "tox.ini" | "pytest.ini" | "conftest.py"
            )
    });
    let mut python = false;
    for path in python_manifests {
        python = true;
        let mentions = path.ends_with("pytest.ini")
            || path.ends_with("conftest.py")
            || read(path).is_some_and(|t| t.contains("pytest"));
        if mentions && hints.test_framework.is_none() {
            hints.test_framework = Some(TestFramework::Pytest);
        }
    }
    if python
        && hints.test_framework.is_none()
        && hints.test_files.iter().any(|p| p.ends_with(".py"))
    {
        hints.test_framework = Some(TestFramework::Pytest);
    }
    if has("Cargo.toml") {
        let manifest = read("Cargo.toml").unwrap_or_default();
        hints.crate_name = package_name(&manifest);
        if hints.test_framework.is_none() {
            hints.test_framework = Some(TestFramework::RustTest);
        }
    }
    hints
}

/// `name = "…"` in the `[package]` table of a Cargo manifest.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package {
            if let Some(value) = line
                .strip_prefix("name")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
            {
                return Some(value.trim().trim_matches('"').to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn hints(files: &[(&str, &str)]) -> RepoHints {
        let map: HashMap<String, String> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        let paths: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        detect_repo_hints(&paths, |p| map.get(p).cloned())
    }

    #[test]
    fn package_json_names_the_node_framework() {
        let h = hints(&[
            (
                "package.json",
                r#"{"type":"module","devDependencies":{"vitest":"1"}}"#,
            ),
            ("src/a.test.ts", ""),
        ]);
        assert_eq!(h.test_framework, Some(TestFramework::Vitest));
        assert!(h.esm);
        assert_eq!(h.test_files, vec!["src/a.test.ts"]);
        let jest = hints(&[("package.json", r#"{"scripts":{"test":"jest"}}"#)]);
        assert_eq!(jest.test_framework, Some(TestFramework::Jest));
        assert!(!jest.esm);
        let plain = hints(&[("package.json", r#"{"scripts":{"test":"node --test"}}"#)]);
        assert_eq!(plain.test_framework, Some(TestFramework::NodeTest));
    }

    #[test]
    fn python_manifests_name_pytest() {
        let h = hints(&[
            ("requirements-dev.txt", "pytest==8\n"),
            ("tests/test_users.py", ""),
            ("app/users.py", ""),
        ]);
        assert_eq!(h.test_framework, Some(TestFramework::Pytest));
        assert_eq!(h.test_files, vec!["tests/test_users.py"]);
        let toml = hints(&[("pyproject.toml", "[tool.pytest.ini_options]\n")]);
        assert_eq!(toml.test_framework, Some(TestFramework::Pytest));
        let none = hints(&[("pyproject.toml", "[project]\nname='x'\n")]);
        assert_eq!(none.test_framework, None);
    }

    #[test]
    fn cargo_manifest_names_the_crate() {
        let h = hints(&[
            ("Cargo.toml", "[workspace]\n[package]\nname = \"my-lib\"\n"),
            ("src/lib.rs", ""),
        ]);
        assert_eq!(h.crate_name.as_deref(), Some("my-lib"));
        assert_eq!(h.test_framework, Some(TestFramework::RustTest));
        assert!(h.test_files.is_empty());
    }

    fn frame(path: &str, in_app: bool) -> TracedFrame {
        TracedFrame {
            frame_path: path.into(),
            repo_path: None,
            function: None,
            line: Some(1),
            in_app,
            snapshot: None,
            vars: Default::default(),
        }
    }

    #[test]
    fn language_from_platform_then_paths() {
        assert_eq!(detect_language("python", &[]), Language::Python);
        assert_eq!(
            detect_language(
                "node",
                &[
                    frame("node:internal/x", false),
                    frame("/app/src/a.ts", true)
                ]
            ),
            Language::TypeScript
        );
        assert_eq!(
            detect_language("node", &[frame("/app/a.js", true)]),
            Language::JavaScript
        );
        assert_eq!(
            detect_language("other", &[frame("/app/src/main.rs", true)]),
            Language::Rust
        );
        assert_eq!(
            detect_language("", &[frame("README", true)]),
            Language::Other
        );
    }
}
