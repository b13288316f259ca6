//! A stand-in for GitHub's REST API on 127.0.0.1: it verifies App JWTs with the App's public
//! key before issuing installation tokens, accepts only tokens it issued and has not revoked,
//! checks GitHub's required headers on every request, and answers each scripted commit sha
//! the way GitHub would.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat};
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use sentinel_core::clock::{Clock, ManualClock};
use serde_json::{json, Value};

pub const APP_ID: u64 = 123_456;
pub const INSTALLATION_ID: u64 = 7_001;
pub const FULL_NAME: &str = "octo-org/payments";
/// How long the installation tokens the stand-in issues live, like GitHub's.
pub const TOKEN_LIFETIME_MS: i64 = 60 * 60 * 1000;

pub const COMMIT_SHA: &str = "3f9a1c2e7b4d5a6f8e0c1b2a3d4e5f60718293a4";
pub const MISSING_SHA: &str = "1111111111111111111111111111111111111111";
pub const GONE_SHA: &str = "2222222222222222222222222222222222222222";
pub const RETRY_AFTER_SHA: &str = "3333333333333333333333333333333333333333";
pub const EXHAUSTED_SHA: &str = "4444444444444444444444444444444444444444";
pub const FORBIDDEN_SHA: &str = "5555555555555555555555555555555555555555";
pub const BROKEN_SHA: &str = "6666666666666666666666666666666666666666";
/// `compare/RANGE_BASE...RANGE_HEAD` lists [`RANGE_LEN`] commits, [`range_sha`] 1 (oldest)
/// to `RANGE_LEN` (the head).
pub const RANGE_BASE: &str = "7777777777777777777777777777777777777777";
pub const RANGE_HEAD: &str = "00000000000000000000000000000000000000fa";
pub const RANGE_LEN: usize = 250;

/// The `n`th commit of the scripted range.
pub fn range_sha(n: usize) -> String {
    format!("{n:040x}")
}

/// The primary limit resets this long after "now" in the `EXHAUSTED_SHA` answer.
pub const RESET_IN_S: i64 = 600;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github");

struct Shared {
    clock: ManualClock,
    public_key: Vec<u8>,
    issued: Mutex<Vec<String>>,
    valid_tokens: Mutex<HashSet<String>>,
    refuse_every_token: AtomicBool,
    repo_requests: AtomicUsize,
    violations: Mutex<Vec<String>>,
}

pub struct StandIn {
    base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl StandIn {
    pub async fn start(clock: ManualClock) -> Self {
        let shared = Arc::new(Shared {
            clock,
            public_key: std::fs::read(format!("{FIXTURES}/app-public-key.der")).unwrap(),
            issued: Mutex::new(Vec::new()),
            valid_tokens: Mutex::new(HashSet::new()),
            refuse_every_token: AtomicBool::new(false),
            repo_requests: AtomicUsize::new(0),
            violations: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/app/installations/{id}/access_tokens", post(access_token))
            .route("/repos/{owner}/{repo}/commits/{sha}", get(commit))
            .route("/repos/{owner}/{repo}/commits/{sha}/pulls", get(pulls))
            .route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
            .fallback(unexpected)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, shared, task }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many installation tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.issued.lock().unwrap().len()
    }

    /// How many requests reached the repository endpoints.
    pub fn repo_requests(&self) -> usize {
        self.shared.repo_requests.load(Ordering::SeqCst)
    }

    /// Revokes every token issued so far, as an uninstall-and-reinstall would.
    pub fn revoke_tokens(&self) {
        self.shared.valid_tokens.lock().unwrap().clear();
    }

    /// From now on even freshly issued tokens are refused.
    pub fn refuse_every_token(&self) {
        self.shared.refuse_every_token.store(true, Ordering::SeqCst);
    }

    /// Panics with every header problem seen.
    pub fn assert_headers_valid(&self) {
        let violations = self.shared.violations.lock().unwrap().clone();
        assert!(violations.is_empty(), "header violations: {violations:#?}");
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// GitHub's required headers; returns the bearer credential.
fn check_headers(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let mut problems = Vec::new();
    if header(headers, "accept") != Some("application/vnd.github+json") {
        problems.push(format!("accept: {:?}", header(headers, "accept")));
    }
    if header(headers, "x-github-api-version") != Some("2022-11-28") {
        problems.push(format!(
            "x-github-api-version: {:?}",
            header(headers, "x-github-api-version")
        ));
    }
    let agent = header(headers, "user-agent").unwrap_or_default();
    if !agent.starts_with("sentinel/") || agent.len() <= "sentinel/".len() {
        problems.push(format!("user-agent: {agent:?}"));
    }
    let bearer = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_none() {
        problems.push("authorization is not a bearer credential".to_owned());
    }
    shared.violations.lock().unwrap().extend(problems);
    bearer.map(str::to_owned)
}

fn message(status: StatusCode, text: &str) -> Response {
    let body = json!({
        "message": text,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    (status, Json(body)).into_response()
}

/// Checks an App JWT the way GitHub does: RS256 by the App's key, `iss` the App id, issued
/// no later than now, expiring in the future and at most ten minutes after `iat`.
fn verify_app_jwt(shared: &Shared, jwt: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err("not three parts".to_owned());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let header: Value = serde_json::from_slice(&decode(header_b64)?).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &shared.public_key)
        .verify(
            format!("{header_b64}.{claims_b64}").as_bytes(),
            &decode(signature_b64)?,
        )
        .map_err(|_| "bad signature".to_owned())?;
    let claims: Value = serde_json::from_slice(&decode(claims_b64)?).map_err(|e| e.to_string())?;
    let iss_matches = match &claims["iss"] {
        Value::String(iss) => iss.parse() == Ok(APP_ID),
        iss => iss.as_u64() == Some(APP_ID),
    };
    if !iss_matches {
        return Err(format!("iss {}", claims["iss"]));
    }
    let now_s = shared.clock.now_ms() / 1000;
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("iat or exp missing".to_owned());
    };
    if iat > now_s || exp <= now_s || exp - iat > 600 {
        return Err(format!("window iat={iat} exp={exp} now={now_s}"));
    }
    Ok(())
}

async fn access_token(
    State(shared): State<Arc<Shared>>,
    Path(installation_id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let Some(jwt) = check_headers(&shared, &headers) else {
        return message(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    if let Err(reason) = verify_app_jwt(&shared, &jwt) {
        return message(
            StatusCode::UNAUTHORIZED,
            &format!("A JSON web token could not be decoded ({reason})"),
        );
    }
    if installation_id != INSTALLATION_ID {
        return message(StatusCode::NOT_FOUND, "Not Found");
    }
    let mut issued = shared.issued.lock().unwrap();
    let token = format!("ghs_standin{:04}", issued.len() + 1);
    issued.push(token.clone());
    shared.valid_tokens.lock().unwrap().insert(token.clone());
    let expires_at = DateTime::from_timestamp_millis(shared.clock.now_ms() + TOKEN_LIFETIME_MS)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = json!({
        "token": token,
        "expires_at": expires_at,
        "permissions": {"contents": "read", "pull_requests": "read", "metadata": "read"},
        "repository_selection": "selected",
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Checks headers and the installation token of a repository request; the 401 to answer
/// when the token is not one the stand-in accepts.
fn refusal(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    shared.repo_requests.fetch_add(1, Ordering::SeqCst);
    let token = check_headers(shared, headers).unwrap_or_default();
    let valid = shared.valid_tokens.lock().unwrap().contains(&token);
    if !valid || shared.refuse_every_token.load(Ordering::SeqCst) {
        return Some(message(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    None
}

fn fixture(name: &str) -> Response {
    let body = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn commit(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&shared, &headers) {
        return refused;
    }
    if format!("{owner}/{repo}") != FULL_NAME {
        return message(StatusCode::NOT_FOUND, "Not Found");
    }
    let now_s = shared.clock.now_ms() / 1000;
    match sha.as_str() {
        COMMIT_SHA => fixture("commit.json"),
        GONE_SHA => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("No commit found for SHA: {sha}"),
        ),
        RETRY_AFTER_SHA => {
            let mut answer = message(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded a secondary rate limit.",
            );
            answer
                .headers_mut()
                .insert("retry-after", "30".parse().unwrap());
            answer
        }
        EXHAUSTED_SHA => {
            let mut answer = message(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for installation ID 7001.",
            );
            let headers = answer.headers_mut();
            headers.insert("x-ratelimit-limit", "5000".parse().unwrap());
            headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
            headers.insert(
                "x-ratelimit-reset",
                (now_s + RESET_IN_S).to_string().parse().unwrap(),
            );
            answer
        }
        FORBIDDEN_SHA => message(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ),
        BROKEN_SHA => message(StatusCode::BAD_GATEWAY, "Server Error"),
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn pulls(
    State(shared): State<Arc<Shared>>,
    Path((_owner, _repo, sha)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&shared, &headers) {
        return refused;
    }
    match sha.as_str() {
        COMMIT_SHA => fixture("commit-pulls.json"),
        MISSING_SHA => message(StatusCode::NOT_FOUND, "Not Found"),
        _ => (StatusCode::OK, Json(json!([]))).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    per_page: Option<usize>,
    page: Option<usize>,
}

/// GitHub's compare: oldest first, paged, `total_commits` the whole range's length.
async fn compare(
    State(shared): State<Arc<Shared>>,
    Path((_owner, _repo, basehead)): Path<(String, String, String)>,
    axum::extract::Query(query): axum::extract::Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&shared, &headers) {
        return refused;
    }
    if basehead != format!("{RANGE_BASE}...{RANGE_HEAD}") {
        return message(StatusCode::NOT_FOUND, "Not Found");
    }
    let per_page = query.per_page.unwrap_or(250);
    if per_page > 100 && query.per_page.is_some() {
        shared
            .violations
            .lock()
            .unwrap()
            .push(format!("per_page {per_page} is over GitHub's 100"));
    }
    let page = query.page.unwrap_or(1).max(1);
    let commits: Vec<Value> = (1..=RANGE_LEN)
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|n| json!({"sha": range_sha(n), "commit": {"message": format!("change {n}")}}))
        .collect();
    Json(json!({
        "status": "ahead",
        "ahead_by": RANGE_LEN,
        "behind_by": 0,
        "total_commits": RANGE_LEN,
        "commits": commits,
        "files": [],
    }))
    .into_response()
}

async fn unexpected(State(shared): State<Arc<Shared>>, uri: axum::http::Uri) -> Response {
    shared
        .violations
        .lock()
        .unwrap()
        .push(format!("unexpected request to {uri}"));
    message(StatusCode::NOT_FOUND, "Not Found")
}
