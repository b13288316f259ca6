//! A stand-in for the GitHub REST endpoints publishing writes to, on 127.0.0.1: installation
//! tokens for a verified App JWT, the Git Data API (commits, blobs, trees, refs) over an
//! in-memory repository, pull requests and issues. Every request is checked against GitHub's
//! documented wire format — path, method, headers, JSON body fields and their types — and
//! each departure is recorded for [`GithubStandIn::assert_valid`]. Faults can be scripted per
//! route: a 429 with `Retry-After`, a 500, a malformed answer (after the write happened, as
//! when an answer is lost), or no answer at all.

mod model;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{json, Value};

use model::Repo;
pub use model::{BranchSnapshot, IssueState, PullState};

/// The App the stand-in knows, and the key its JWTs are signed with.
pub const APP_ID: u64 = 123_456;
pub const INSTALLATION_ID: u64 = 7_001;
pub const APP_PRIVATE_KEY_PEM: &str =
    include_str!("../../tests/fixtures/github/app-private-key.pem");
const APP_PUBLIC_KEY_DER: &[u8] = include_bytes!("../../tests/fixtures/github/app-public-key.der");

/// A scripted misbehaviour for the next request that matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After` in seconds, before doing anything.
    RateLimited { retry_after_s: u64 },
    /// 500, before doing anything.
    ServerError,
    /// The write happens, but the answer is not JSON.
    Malformed,
    /// No answer until the client gives up.
    Hang,
}

struct Shared {
    full_name: String,
    tokens: Mutex<Vec<String>>,
    repo: Mutex<Repo>,
    faults: Mutex<VecDeque<(Method, String, Fault)>>,
    log: Mutex<Vec<String>>,
    violations: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The stand-in; stops when dropped.
pub struct GithubStandIn {
    base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl GithubStandIn {
    /// Serves `full_name`, whose default branch `main` is at a commit holding `files`; its
    /// sha is [`GithubStandIn::head`].
    pub async fn start(full_name: &str, files: &[(&str, &str)]) -> Self {
        let shared = Arc::new(Shared {
            full_name: full_name.to_owned(),
            tokens: Mutex::new(Vec::new()),
            repo: Mutex::new(Repo::new(files)),
            faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the GitHub stand-in");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, shared, task }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The sha of `main`'s commit, the one a fix is based on.
    pub fn head(&self) -> String {
        lock(&self.shared.repo).main.clone()
    }

    /// Registers a commit whose tree holds `files`, e.g. to match a local clone's sha.
    pub fn add_commit(&self, sha: &str, files: &[(&str, &str)]) {
        lock(&self.shared.repo).add_commit(sha, files);
    }

    /// The next request of `method` whose path ends with `path_suffix` misbehaves.
    pub fn fail_next(&self, method: Method, path_suffix: &str, fault: Fault) {
        lock(&self.shared.faults).push_back((method, path_suffix.to_owned(), fault));
    }

    /// `METHOD /path` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared.log).clone()
    }

    /// The files of the commit `branch` points at, and that commit's parents.
    pub fn branch(&self, branch: &str) -> Option<BranchSnapshot> {
        lock(&self.shared.repo).branch(branch)
    }

    pub fn pulls(&self) -> Vec<PullState> {
        lock(&self.shared.repo).pulls.clone()
    }

    pub fn issues(&self) -> Vec<IssueState> {
        lock(&self.shared.repo).issues.clone()
    }

    /// Panics with every departure from GitHub's wire format seen so far.
    pub fn assert_valid(&self) {
        let violations = lock(&self.shared.violations).clone();
        assert!(
            violations.is_empty(),
            "wire format violations: {violations:#?}"
        );
    }
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    let body = json!({"message": text, "documentation_url": "https://docs.github.com/rest"});
    (status, Json(body)).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_headers(headers: &HeaderMap, has_body: bool, problems: &mut Vec<String>) {
    if header(headers, "accept") != Some("application/vnd.github+json") {
        problems.push(format!("accept {:?}", header(headers, "accept")));
    }
    if header(headers, "x-github-api-version") != Some("2022-11-28") {
        problems.push("x-github-api-version missing or wrong".to_owned());
    }
    if !header(headers, "user-agent").is_some_and(|a| a.starts_with("sentinel/")) {
        problems.push("user-agent missing".to_owned());
    }
    if has_body && header(headers, "content-type") != Some("application/json") {
        problems.push(format!(
            "content-type {:?}",
            header(headers, "content-type")
        ));
    }
}

fn verify_jwt(jwt: &str) -> bool {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [head, claims, signature] = parts[..] else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let signed = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, APP_PUBLIC_KEY_DER)
        .verify(format!("{head}.{claims}").as_bytes(), &signature)
        .is_ok();
    let iss = URL_SAFE_NO_PAD
        .decode(claims)
        .ok()
        .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
        .map(|c| c["iss"].clone());
    let iss_ok = match iss {
        Some(Value::String(s)) => s.parse() == Ok(APP_ID),
        Some(v) => v.as_u64() == Some(APP_ID),
        None => false,
    };
    signed && iss_ok
}

fn take_fault(shared: &Shared, method: &Method, path: &str) -> Option<Fault> {
    let mut faults = lock(&shared.faults);
    let at = faults
        .iter()
        .position(|(m, suffix, _)| m == method && path.ends_with(suffix.as_str()))?;
    faults.remove(at).map(|(_, _, fault)| fault)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    lock(&shared.log).push(format!("{method} {path}"));
    let mut problems = Vec::new();
    check_headers(&headers, !body.is_empty(), &mut problems);
    let bearer = header(&headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let json_body = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => value,
            Err(e) => {
                problems.push(format!("{method} {path}: body is not JSON: {e}"));
                Value::Null
            }
        }
    };
    let answer = route(&shared, &method, &uri, &bearer, &json_body, &mut problems).await;
    lock(&shared.violations).extend(problems);
    answer
}

async fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    bearer: &str,
    body: &Value,
    problems: &mut Vec<String>,
) -> Response {
    let path = uri.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["app", "installations", id, "access_tokens"] = segments[..] {
        if method != Method::POST || !verify_jwt(bearer) {
            return message(
                StatusCode::UNAUTHORIZED,
                "A JSON web token could not be decoded",
            );
        }
        if id != INSTALLATION_ID.to_string() {
            return message(StatusCode::NOT_FOUND, "Not Found");
        }
        let mut tokens = lock(&shared.tokens);
        let token = format!("ghs_publish{:04}", tokens.len() + 1);
        tokens.push(token.clone());
        let body = json!({"token": token, "expires_at": "2100-01-01T00:00:00Z"});
        return (StatusCode::CREATED, Json(body)).into_response();
    }
    if !lock(&shared.tokens).iter().any(|t| t == bearer) {
        problems.push(format!("{method} {path}: not an installation token"));
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    let Some(rest) = segments
        .strip_prefix(&["repos"])
        .and_then(|s| (s.len() >= 2).then(|| (format!("{}/{}", s[0], s[1]), &s[2..])))
        .filter(|(name, _)| *name == shared.full_name)
        .map(|(_, rest)| rest.to_vec())
    else {
        problems.push(format!("{method} {path}: not a repository path"));
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let fault = take_fault(shared, method, path);
    match fault {
        Some(Fault::RateLimited { retry_after_s }) => {
            let mut answer = message(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded a secondary rate limit.",
            );
            if let Ok(value) = retry_after_s.to_string().parse() {
                answer.headers_mut().insert("retry-after", value);
            }
            return answer;
        }
        Some(Fault::ServerError) => {
            return message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return message(StatusCode::GATEWAY_TIMEOUT, "too late");
        }
        Some(Fault::Malformed) | None => {}
    }
    let query = uri.query().unwrap_or_default();
    let answer = {
        let mut repo = lock(&shared.repo);
        model::answer(
            &mut repo,
            &shared.full_name,
            method,
            &rest,
            query,
            body,
            problems,
        )
    };
    if fault == Some(Fault::Malformed) {
        return (
            answer.status(),
            [("content-type", "application/json; charset=utf-8")],
            "{\"number\": 1, \"html_url\": ",
        )
            .into_response();
    }
    answer
}
