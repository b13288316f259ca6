//! A real `sentinel serve` process for end-to-end tests: started on a free loopback port
//! with its own data directory, ready when `/readyz` answers 200.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;

use sentinel_core::id::OrgId;
use sentinel_store::{Store, StoreOptions};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub child: Child,
    pub base_url: String,
    /// The DSN, printed on the first start only.
    pub dsn: Option<String>,
}

impl ServerProcess {
    pub fn start(data_dir: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sentinel"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // The first start prints the DSN; later starts print none. Read stdout on a thread so
        // the pipe never fills, and pick the DSN out if it comes.
        let (sender, receiver) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(dsn) = line.strip_prefix("DSN: ") {
                    let _ = sender.send(dsn.trim().to_string());
                }
            }
        });
        let base_url = format!("http://127.0.0.1:{port}");
        wait_ready(&base_url, Duration::from_secs(60));
        let dsn = receiver.recv_timeout(Duration::from_millis(500)).ok();
        Self {
            child,
            base_url,
            dsn,
        }
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_ready(base_url: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if http_get_is_ok(&format!("{base_url}/readyz")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server at {base_url} not ready within {within:?}");
}

/// A synchronous HTTP GET over std, so readiness polling needs no runtime.
fn http_get_is_ok(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (rest, "/".to_string()),
    };
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

impl ServerProcess {
    /// The DSN's public key and project id.
    pub fn key_and_project(&self) -> (String, String) {
        let dsn =
            url::Url::parse(self.dsn.as_deref().expect("first start prints the DSN")).unwrap();
        (
            dsn.username().to_string(),
            dsn.path().trim_matches('/').to_string(),
        )
    }
}

/// Opens the SQLite database a server process writes, from the test (WAL allows both).
pub async fn open_store(data_dir: &Path) -> Store {
    Store::connect(&StoreOptions::sqlite_in(data_dir))
        .await
        .unwrap()
}

/// The organization a DSN key belongs to.
pub async fn org_of_key(store: &Store, key: &str) -> OrgId {
    store.find_service_key(key).await.unwrap().unwrap().org_id
}

/// Polls `check` until it returns `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Concurrent SDK-like senders posting envelopes to a server until stopped, keeping the id
/// of every event the server acknowledged with 200.
pub struct EnvelopeSenders {
    pub acknowledged: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl EnvelopeSenders {
    /// `count` senders to `server`'s envelope endpoint with the DSN's `key` and `project`.
    pub fn start(server: &ServerProcess, key: &str, project: &str, count: u64) -> Self {
        use std::sync::atomic::Ordering;
        let url = format!("{}/api/{project}/envelope/", server.base_url);
        let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let tasks = (0..count)
            .map(|worker| {
                let (client, url, key) = (client.clone(), url.clone(), key.to_owned());
                let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut envelopes = sentinel::bench::payload::Envelopes::new(50, 1, worker + 1);
                    while !stop.load(Ordering::Relaxed) {
                        let answer = client
                            .post(&url)
                            .header(
                                "x-sentry-auth",
                                format!("Sentry sentry_version=7, sentry_key={key}"),
                            )
                            .body(envelopes.next_envelope())
                            .send()
                            .await;
                        let Ok(answer) = answer else { continue };
                        if answer.status() == 200 {
                            let body: serde_json::Value = answer.json().await.unwrap();
                            let id = body["id"].as_str().unwrap().to_string();
                            acknowledged.lock().unwrap().push(id);
                        }
                    }
                })
            })
            .collect();
        Self {
            acknowledged,
            stop,
            tasks,
        }
    }

    pub fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until at least `n` events were acknowledged; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "the server acknowledged too few events"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the senders and answers every acknowledged id.
    pub async fn stop(self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let ids = self.acknowledged.lock().unwrap().clone();
        ids
    }
}
