//! A scripted HTTP receiver on 127.0.0.1: checks every request against a shape and answers
//! with the next scripted reply.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the receiver answers to the next request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Never answers; the client's timeout must end the request.
    Hang,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Self {
        Self::Status {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn with_header(status: u16, name: &'static str, value: &str) -> Self {
        Self::Status {
            status,
            headers: vec![(name, value.to_owned())],
            body: String::new(),
        }
    }
}

/// Checks a request's shape; `Err` describes what is wrong.
pub type ShapeCheck = fn(&Recorded) -> Result<(), String>;

struct Shared {
    check: ShapeCheck,
    script: Mutex<VecDeque<Reply>>,
    recorded: Mutex<Vec<Recorded>>,
    violations: Mutex<Vec<String>>,
}

pub struct ScriptedServer {
    base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    pub async fn start(check: ShapeCheck, script: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared {
            check,
            script: Mutex::new(script.into()),
            recorded: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// Panics with every shape violation the receiver saw.
    pub fn assert_shapes_valid(&self) {
        let violations = self.shared.violations.lock().unwrap().clone();
        assert!(
            violations.is_empty(),
            "request shape violations: {violations:#?}"
        );
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method,
        path: uri.path().to_owned(),
        headers,
        body,
    };
    if let Err(violation) = (shared.check)(&recorded) {
        shared.violations.lock().unwrap().push(violation);
    }
    shared.recorded.lock().unwrap().push(recorded);
    let reply = shared.script.lock().unwrap().pop_front();
    match reply {
        Some(Reply::Status {
            status,
            headers,
            body,
        }) => {
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_str(&value).unwrap(),
                );
            }
            response
        }
        Some(Reply::Hang) => std::future::pending().await,
        None => (StatusCode::IM_A_TEAPOT, "script exhausted").into_response(),
    }
}

// Helpers for shape checks: each returns the field or a description of what is wrong.

pub fn expect_json_post(r: &Recorded, path: &str) -> Result<Value, String> {
    if r.method != Method::POST {
        return Err(format!("method {} is not POST", r.method));
    }
    if r.path != path {
        return Err(format!("path {} is not {path}", r.path));
    }
    match r.header("content-type") {
        Some(ct) if ct.starts_with("application/json") => {}
        other => return Err(format!("content-type {other:?} is not application/json")),
    }
    serde_json::from_slice(&r.body).map_err(|e| format!("body is not JSON: {e}"))
}

pub fn string<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{key} is not a string in {v}"))
}

pub fn nullable_string(v: &Value, key: &str) -> Result<(), String> {
    match v.get(key) {
        Some(Value::String(_)) | Some(Value::Null) => Ok(()),
        other => Err(format!("{key} is {other:?}, not a string or null")),
    }
}

pub fn one_of(v: &Value, key: &str, allowed: &[&str]) -> Result<(), String> {
    let value = string(v, key)?;
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!("{key} = {value} is not one of {allowed:?}"))
    }
}

pub fn iso8601(v: &Value, key: &str) -> Result<(), String> {
    let value = string(v, key)?;
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|_| ())
        .map_err(|e| format!("{key} = {value} is not ISO 8601: {e}"))
}
