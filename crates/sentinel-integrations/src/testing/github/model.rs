//! The stand-in's repository: blobs, trees (path → blob), commits, branches, pull requests
//! and issues, and the answers GitHub gives to each write, with the request bodies checked
//! field by field against the documented shapes.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::message;

/// A pull request as the stand-in holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullState {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub draft: bool,
    /// How many times it was changed with `PATCH`.
    pub updates: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub updates: u32,
}

type Tree = BTreeMap<String, String>;

/// A branch's commit: its files (path → bytes) and its parents.
pub type BranchSnapshot = (BTreeMap<String, Vec<u8>>, Vec<String>);

pub(super) struct Repo {
    next_id: u64,
    blobs: BTreeMap<String, Vec<u8>>,
    trees: BTreeMap<String, Tree>,
    /// sha → (tree, parents).
    commits: BTreeMap<String, (String, Vec<String>)>,
    branches: BTreeMap<String, String>,
    pub main: String,
    pub pulls: Vec<PullState>,
    pub issues: Vec<IssueState>,
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Array,
    StrOrNull,
}

/// Checks that `body` is an object with exactly the `allowed` fields (the `required` ones
/// present), each of its kind.
fn shape(
    what: &str,
    body: &Value,
    allowed: &[(&str, Kind, bool)],
    problems: &mut Vec<String>,
) -> bool {
    let Some(object) = body.as_object() else {
        problems.push(format!("{what}: body is not a JSON object"));
        return false;
    };
    let before = problems.len();
    for key in object.keys() {
        if !allowed.iter().any(|(name, _, _)| name == key) {
            problems.push(format!("{what}: unknown field {key:?}"));
        }
    }
    for (name, kind, required) in allowed {
        match (object.get(*name), kind) {
            (None, _) if *required => problems.push(format!("{what}: {name} missing")),
            (None, _) => {}
            (Some(Value::String(_)), Kind::Str | Kind::StrOrNull)
            | (Some(Value::Bool(_)), Kind::Bool)
            | (Some(Value::Array(_)), Kind::Array)
            | (Some(Value::Null), Kind::StrOrNull) => {}
            (Some(other), _) => problems.push(format!("{what}: {name} is {other}")),
        }
    }
    problems.len() == before
}

fn invalid(text: &str) -> Response {
    message(StatusCode::UNPROCESSABLE_ENTITY, text)
}

fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

impl Repo {
    pub fn new(files: &[(&str, &str)]) -> Self {
        let mut repo = Self {
            next_id: 1,
            blobs: BTreeMap::new(),
            trees: BTreeMap::new(),
            commits: BTreeMap::new(),
            branches: BTreeMap::new(),
            main: String::new(),
            pulls: Vec::new(),
            issues: Vec::new(),
        };
        let main = repo.id();
        repo.add_commit(&main, files);
        repo.branches.insert("main".to_owned(), main.clone());
        repo.main = main;
        repo
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("{:040x}", 0xabc0_0000_u64 + self.next_id)
    }

    pub fn add_commit(&mut self, sha: &str, files: &[(&str, &str)]) {
        let mut tree = Tree::new();
        for (path, content) in files {
            let blob = self.id();
            self.blobs.insert(blob.clone(), content.as_bytes().to_vec());
            tree.insert((*path).to_owned(), blob);
        }
        let tree_sha = self.id();
        self.trees.insert(tree_sha.clone(), tree);
        self.commits.insert(sha.to_owned(), (tree_sha, Vec::new()));
    }

    pub fn branch(&self, name: &str) -> Option<BranchSnapshot> {
        let commit = self.branches.get(name)?;
        let (tree, parents) = self.commits.get(commit)?;
        let files = self.trees.get(tree)?.iter().map(|(path, blob)| {
            (
                path.clone(),
                self.blobs.get(blob).cloned().unwrap_or_default(),
            )
        });
        Some((files.collect(), parents.clone()))
    }
}

fn text(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_default().to_owned()
}

/// The answer to a repository request (`rest` is the path after `/repos/{owner}/{repo}`).
pub(super) fn answer(
    repo: &mut Repo,
    full_name: &str,
    method: &Method,
    rest: &[&str],
    query: &str,
    body: &Value,
    problems: &mut Vec<String>,
) -> Response {
    use Kind::*;
    let web = format!("https://github.com/{full_name}");
    let what = format!("{method} {}", rest.join("/"));
    match (method.as_str(), rest) {
        ("GET", ["git", "commits", sha]) => match repo.commits.get(*sha) {
            Some((tree, parents)) => Json(json!({
                "sha": sha, "tree": {"sha": tree},
                "parents": parents.iter().map(|p| json!({"sha": p})).collect::<Vec<_>>(),
            }))
            .into_response(),
            None => message(StatusCode::NOT_FOUND, "Not Found"),
        },
        ("POST", ["git", "blobs"]) => {
            if !shape(
                &what,
                body,
                &[("content", Str, true), ("encoding", Str, false)],
                problems,
            ) {
                return invalid("Invalid request");
            }
            let content = text(body, "content");
            let bytes = match body["encoding"].as_str().unwrap_or("utf-8") {
                "utf-8" => content.into_bytes(),
                "base64" => match STANDARD.decode(&content) {
                    Ok(bytes) => bytes,
                    Err(_) => return invalid("content is not base64"),
                },
                other => {
                    problems.push(format!("{what}: encoding {other:?}"));
                    return invalid("Invalid encoding");
                }
            };
            let sha = repo.id();
            repo.blobs.insert(sha.clone(), bytes);
            created(json!({"sha": sha, "url": format!("{web}/git/blobs/{sha}")}))
        }
        ("POST", ["git", "trees"]) => {
            if !shape(
                &what,
                body,
                &[("tree", Array, true), ("base_tree", Str, false)],
                problems,
            ) {
                return invalid("Invalid request");
            }
            let mut tree = match body["base_tree"].as_str() {
                Some(base) => match repo.trees.get(base) {
                    Some(tree) => tree.clone(),
                    None => return invalid("base_tree is not a tree"),
                },
                None => {
                    problems.push(format!("{what}: no base_tree (every other file would go)"));
                    Tree::new()
                }
            };
            let entries = body["tree"].as_array().cloned().unwrap_or_default();
            let allowed = [
                ("path", Str, true),
                ("mode", Str, true),
                ("type", Str, true),
                ("sha", StrOrNull, false),
                ("content", Str, false),
            ];
            for entry in &entries {
                if !shape(&format!("{what} entry"), entry, &allowed, problems) {
                    return invalid("Invalid tree entry");
                }
                if !matches!(entry["mode"].as_str(), Some("100644" | "100755"))
                    || entry["type"] != "blob"
                {
                    problems.push(format!("{what}: entry {entry}"));
                }
                let path = text(entry, "path");
                match &entry["sha"] {
                    Value::Null => {
                        if tree.remove(&path).is_none() {
                            return invalid("Cannot delete a path that does not exist");
                        }
                    }
                    Value::String(sha) if repo.blobs.contains_key(sha) => {
                        tree.insert(path, sha.clone());
                    }
                    _ => return invalid("tree.sha is not a blob"),
                }
            }
            let sha = repo.id();
            repo.trees.insert(sha.clone(), tree);
            created(
                json!({"sha": sha, "url": format!("{web}/git/trees/{sha}"), "tree": [], "truncated": false}),
            )
        }
        ("POST", ["git", "commits"]) => {
            let allowed = [
                ("message", Str, true),
                ("tree", Str, true),
                ("parents", Array, false),
            ];
            if !shape(&what, body, &allowed, problems) {
                return invalid("Invalid request");
            }
            let tree = text(body, "tree");
            let parents: Vec<String> = body["parents"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !repo.trees.contains_key(&tree)
                || parents.iter().any(|p| !repo.commits.contains_key(p))
            {
                return invalid("tree or parent not found");
            }
            let sha = repo.id();
            repo.commits.insert(sha.clone(), (tree, parents));
            created(json!({"sha": sha, "url": format!("{web}/git/commits/{sha}")}))
        }
        ("GET", ["git", "ref", "heads", branch @ ..]) => {
            match repo.branches.get(&branch.join("/")) {
                Some(sha) => Json(json!({
                    "ref": format!("refs/heads/{}", branch.join("/")),
                    "object": {"type": "commit", "sha": sha},
                }))
                .into_response(),
                None => message(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        ("POST", ["git", "refs"]) => {
            if !shape(
                &what,
                body,
                &[("ref", Str, true), ("sha", Str, true)],
                problems,
            ) {
                return invalid("Invalid request");
            }
            let name = text(body, "ref");
            let Some(branch) = name.strip_prefix("refs/heads/") else {
                problems.push(format!("{what}: ref {name:?} is not refs/heads/…"));
                return invalid("Reference name is not valid");
            };
            let sha = text(body, "sha");
            if repo.branches.contains_key(branch) {
                return invalid("Reference already exists");
            }
            if !repo.commits.contains_key(&sha) {
                return invalid("Object does not exist");
            }
            repo.branches.insert(branch.to_owned(), sha.clone());
            created(json!({"ref": name, "object": {"type": "commit", "sha": sha}}))
        }
        ("PATCH", ["git", "refs", "heads", branch @ ..]) => {
            if !shape(
                &what,
                body,
                &[("sha", Str, true), ("force", Bool, false)],
                problems,
            ) {
                return invalid("Invalid request");
            }
            let branch = branch.join("/");
            let sha = text(body, "sha");
            if branch == "main" {
                problems.push(format!("{what}: the default branch was moved"));
            }
            if !repo.branches.contains_key(&branch) || !repo.commits.contains_key(&sha) {
                return invalid("Reference does not exist");
            }
            repo.branches.insert(branch.clone(), sha.clone());
            Json(json!({"ref": format!("refs/heads/{branch}"), "object": {"type": "commit", "sha": sha}}))
                .into_response()
        }
        ("POST", ["pulls"]) => {
            let allowed = [
                ("title", Str, true),
                ("head", Str, true),
                ("base", Str, true),
                ("body", Str, false),
                ("draft", Bool, false),
                ("maintainer_can_modify", Bool, false),
            ];
            if !shape(&what, body, &allowed, problems) {
                return invalid("Invalid request");
            }
            let head = text(body, "head");
            if !repo.branches.contains_key(&head)
                || !repo.branches.contains_key(&text(body, "base"))
            {
                return invalid("Validation Failed: head or base does not exist");
            }
            if repo.pulls.iter().any(|p| p.head == head) {
                return invalid(&format!("A pull request already exists for {head}."));
            }
            let number = (repo.pulls.len() + repo.issues.len() + 1) as u64;
            repo.pulls.push(PullState {
                number,
                title: text(body, "title"),
                body: text(body, "body"),
                head,
                base: text(body, "base"),
                draft: body["draft"] == true,
                updates: 0,
            });
            created(
                json!({"number": number, "html_url": format!("{web}/pull/{number}"), "draft": body["draft"]}),
            )
        }
        ("GET", ["pulls"]) => {
            let wanted = query
                .split('&')
                .find_map(|p| p.strip_prefix("head="))
                .map(|h| h.replace("%3A", ":").replace("%2F", "/"));
            let owner = full_name.split('/').next().unwrap_or_default();
            let found: Vec<Value> = repo
                .pulls
                .iter()
                .filter(|p| wanted.as_deref() == Some(&format!("{owner}:{}", p.head)))
                .map(
                    |p| json!({"number": p.number, "html_url": format!("{web}/pull/{}", p.number)}),
                )
                .collect();
            Json(Value::Array(found)).into_response()
        }
        ("PATCH", ["pulls", number]) => {
            let allowed = [
                ("title", Str, false),
                ("body", Str, false),
                ("state", Str, false),
                ("base", Str, false),
            ];
            if !shape(&what, body, &allowed, problems) {
                return invalid("Invalid request");
            }
            let Some(pull) = repo
                .pulls
                .iter_mut()
                .find(|p| p.number.to_string() == *number)
            else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            pull.title = text(body, "title");
            pull.body = text(body, "body");
            pull.updates += 1;
            Json(json!({"number": pull.number, "html_url": format!("{web}/pull/{}", pull.number)}))
                .into_response()
        }
        ("POST", ["issues"]) => {
            let allowed = [
                ("title", Str, true),
                ("body", Str, false),
                ("labels", Array, false),
            ];
            if !shape(&what, body, &allowed, problems) {
                return invalid("Invalid request");
            }
            let number = (repo.pulls.len() + repo.issues.len() + 1) as u64;
            repo.issues.push(IssueState {
                number,
                title: text(body, "title"),
                body: text(body, "body"),
                updates: 0,
            });
            created(json!({"number": number, "html_url": format!("{web}/issues/{number}")}))
        }
        ("PATCH", ["issues", number]) => {
            let allowed = [
                ("title", Str, false),
                ("body", Str, false),
                ("state", Str, false),
            ];
            if !shape(&what, body, &allowed, problems) {
                return invalid("Invalid request");
            }
            let Some(issue) = repo
                .issues
                .iter_mut()
                .find(|i| i.number.to_string() == *number)
            else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            issue.title = text(body, "title");
            issue.body = text(body, "body");
            issue.updates += 1;
            Json(json!({"number": issue.number, "html_url": format!("{web}/issues/{}", issue.number)})).into_response()
        }
        _ => {
            problems.push(format!("unexpected request {what}"));
            message(StatusCode::NOT_FOUND, "Not Found")
        }
    }
}
