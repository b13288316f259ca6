//! From a stack frame to a file of the repository. A frame's path is what the SDK saw on
//! the machine that raised (`/srv/app/app/users.py`, `webpack:///./src/cart.ts`,
//! `app:///dist/server.js`); the repository knows `app/users.py` and `src/cart.ts`.
//!
//! The order of trust: an explicit code mapping (the longest stack root that prefixes the
//! path), then the path itself read as repository-relative, then the longest path-suffix
//! match against the tree at the release — the last only when it is unambiguous.

use crate::event::{Event, Frame};
use std::collections::{HashMap, HashSet};

/// A service's stack-frame prefix and where it lives in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMapping {
    /// Removed from the frame's path (after normalisation), e.g. `/srv/app/`. Empty matches
    /// every path.
    pub stack_root: String,
    /// Put in its place, e.g. `backend/`. Empty for the repository's root.
    pub source_root: String,
}

/// The files of one tree, indexed for the suffix match.
#[derive(Debug, Default)]
pub struct RepoFiles {
    paths: HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
}

impl RepoFiles {
    pub fn new(paths: impl IntoIterator<Item = String>) -> Self {
        let mut files = RepoFiles::default();
        for path in paths {
            let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
            files.by_name.entry(name).or_default().push(path.clone());
            files.paths.insert(path);
        }
        files
    }

    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The file whose path shares the most trailing components with `path` (at least the
    /// file name). `None` when no file has that name, or when two files tie at the best
    /// length: guessing between `a/index.js` and `b/index.js` would blame the wrong file.
    pub fn longest_suffix_match(&self, path: &str) -> Option<&str> {
        let wanted: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let name = wanted.last()?;
        let mut best: Option<(&str, usize)> = None;
        let mut tied = false;
        for candidate in self.by_name.get(*name)? {
            let shared = candidate
                .rsplit('/')
                .zip(wanted.iter().rev())
                .take_while(|(a, b)| a == *b)
                .count();
            match best {
                Some((_, n)) if shared < n => {}
                Some((_, n)) if shared == n => tied = true,
                _ => {
                    best = Some((candidate, shared));
                    tied = false;
                }
            }
        }
        if tied {
            return None;
        }
        best.map(|(path, _)| path)
    }
}

/// A frame's path without URL schemes, `./`, backslashes, query or fragment.
pub fn normalize_frame_path(raw: &str) -> String {
    let mut path = raw.trim().replace('\\', "/");
    if let Some(cut) = path.find(['?', '#']) {
        path.truncate(cut);
    }
    // `webpack:///./src/x.ts`, `app:///x.js`, `file:///srv/x.py`, `webpack://name/./src/x.ts`.
    if let Some((scheme, rest)) = path.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            let rest = if scheme == "file" || rest.starts_with('/') {
                rest.to_owned()
            } else {
                // A host-like first component (webpack's bundle name) is not a directory.
                rest.split_once('/')
                    .map(|(_, r)| r.to_owned())
                    .unwrap_or_default()
            };
            path = rest;
        }
    }
    // Windows drive letters.
    if path.len() > 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic() {
        path = path[2..].to_owned();
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

fn join(root: &str, rest: &str) -> String {
    let root = root.trim_matches('/');
    let rest = rest.trim_start_matches('/');
    if root.is_empty() {
        rest.to_owned()
    } else {
        format!("{root}/{rest}")
    }
}

/// The repository file a frame's path names, or `None` when it maps nowhere.
pub fn resolve_frame_path(
    raw: &str,
    mappings: &[PathMapping],
    files: &RepoFiles,
) -> Option<String> {
    let path = normalize_frame_path(raw);
    if path.is_empty() {
        return None;
    }
    let mut explicit: Vec<&PathMapping> = mappings.iter().collect();
    explicit.sort_by_key(|m| std::cmp::Reverse(normalize_frame_path(&m.stack_root).len()));
    for mapping in explicit {
        let root = normalize_frame_path(&mapping.stack_root);
        let rest = if root.is_empty() {
            Some(path.as_str())
        } else {
            path.strip_prefix(root.as_str())
                .filter(|rest| rest.is_empty() || rest.starts_with('/') || root.ends_with('/'))
        };
        if let Some(rest) = rest {
            let candidate = join(&mapping.source_root, rest);
            if files.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    let relative = path.trim_start_matches('/');
    if files.contains(relative) {
        return Some(relative.to_owned());
    }
    files.longest_suffix_match(relative).map(str::to_owned)
}

/// The frames worth blaming, the one that raised first: the main exception's in-app frames
/// (all frames not marked as library code when the SDK marked none in-app).
pub fn frames_top_first(event: &Event) -> Vec<&Frame> {
    let Some(exception) = event.exceptions.iter().rev().find(|e| !e.frames.is_empty()) else {
        return Vec::new();
    };
    let any_in_app = exception.frames.iter().any(|f| f.in_app == Some(true));
    exception
        .frames
        .iter()
        .rev()
        .filter(|f| {
            if any_in_app {
                f.in_app == Some(true)
            } else {
                f.in_app != Some(false)
            }
        })
        .collect()
}

/// The path a frame reports: its `abs_path` when it has one, else its `filename`.
pub fn frame_path(frame: &Frame) -> Option<&str> {
    frame
        .abs_path
        .as_deref()
        .filter(|p| !p.is_empty())
        .or(frame.filename.as_deref())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn files() -> RepoFiles {
        RepoFiles::new(
            [
                "app/users.py",
                "backend/app/users.py",
                "src/cart.ts",
                "web/src/index.js",
                "api/src/index.js",
                "src/main.rs",
            ]
            .map(String::from),
        )
    }

    #[test]
    fn paths_lose_schemes_dots_and_queries() {
        assert_eq!(
            normalize_frame_path("webpack:///./src/cart.ts"),
            "/src/cart.ts"
        );
        assert_eq!(
            normalize_frame_path("webpack://shop/./src/cart.ts"),
            "src/cart.ts"
        );
        assert_eq!(
            normalize_frame_path("app:///dist/server.js?v=3"),
            "/dist/server.js"
        );
        assert_eq!(
            normalize_frame_path("file:///srv/app/x.py"),
            "/srv/app/x.py"
        );
        assert_eq!(
            normalize_frame_path("C:\\build\\src\\main.rs"),
            "/build/src/main.rs"
        );
        assert_eq!(normalize_frame_path("./app//users.py"), "app/users.py");
    }

    #[test]
    fn an_explicit_mapping_wins_with_its_longest_root() {
        let mappings = [
            PathMapping {
                stack_root: "/srv/".into(),
                source_root: "".into(),
            },
            PathMapping {
                stack_root: "/srv/app/".into(),
                source_root: "backend/".into(),
            },
        ];
        assert_eq!(
            resolve_frame_path("/srv/app/app/users.py", &mappings, &files()).as_deref(),
            Some("backend/app/users.py")
        );
        // A root that is only a prefix of a directory name does not match.
        // Applied, it would answer x/p/main.rs; not applied, the suffix match ties between
        // the two files and answers nothing.
        let partial = [PathMapping {
            stack_root: "/srv/ap".into(),
            source_root: "x".into(),
        }];
        let files = RepoFiles::new(["x/p/main.rs", "main.rs"].map(String::from));
        assert_eq!(
            resolve_frame_path("/srv/app/main.rs", &partial, &files),
            None
        );
    }

    #[test]
    fn without_a_mapping_relative_then_the_unambiguous_longest_suffix() {
        assert_eq!(
            resolve_frame_path("app/users.py", &[], &files()).as_deref(),
            Some("app/users.py")
        );
        assert_eq!(
            resolve_frame_path("webpack:///./src/cart.ts", &[], &files()).as_deref(),
            Some("src/cart.ts")
        );
        assert_eq!(
            resolve_frame_path("/home/ci/build/web/src/index.js", &[], &files()).as_deref(),
            Some("web/src/index.js")
        );
        // Two files end in src/index.js and nothing more is shared: no guess.
        assert_eq!(resolve_frame_path("/opt/src/index.js", &[], &files()), None);
        assert_eq!(
            resolve_frame_path("/usr/lib/python3/json/decoder.py", &[], &files()),
            None
        );
        assert_eq!(resolve_frame_path("", &[], &files()), None);
    }

    #[test]
    fn frames_are_the_main_exceptions_in_app_ones_top_first() {
        let frame = |name: &str, in_app: Option<bool>| Frame {
            filename: Some(name.into()),
            in_app,
            ..Frame::default()
        };
        let mut event: Event = serde_json::from_str(
            r#"{"event_id":"0123456789abcdef0123456789abcdef","timestamp_ms":0}"#,
        )
        .unwrap();
        event.exceptions = vec![crate::event::Exception {
            ty: "KeyError".into(),
            frames: vec![
                frame("main.py", Some(true)),
                frame("lib/site.py", Some(false)),
                frame("app/users.py", Some(true)),
            ],
            ..Default::default()
        }];
        let names: Vec<_> = frames_top_first(&event)
            .iter()
            .map(|f| f.filename.clone().unwrap())
            .collect();
        assert_eq!(names, ["app/users.py", "main.py"]);
        // No frame marked in-app: everything not marked as library.
        event.exceptions[0].frames[0].in_app = None;
        event.exceptions[0].frames[2].in_app = None;
        assert_eq!(frames_top_first(&event).len(), 2);
    }
}
