//! Losing PostgreSQL while running: the server talks to the database through a TCP proxy
//! on loopback that the test cuts and restores. While cut, `/readyz` and API requests
//! answer 503; after the restore both recover by themselves, with no restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;

use reqwest::StatusCode;
use sentinel_core::clock::{Clock, ManualClock, SharedClock, SystemClock};
use sentinel_core::role::Role;
use sentinel_store::tenancy::NewApiKey;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A loopback TCP proxy that can drop every connection and refuse new ones on demand.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = {
            let cut = cut.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        continue;
                    };
                    if cut.load(Ordering::SeqCst) {
                        drop(client); // refused: closed at once
                        continue;
                    }
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            })
            .abort_handle()
        };
        Self {
            addr,
            cut,
            connections,
            accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Polls `url` until it answers `want`, failing after 30 s. Returns the last body.
async fn wait_for_status(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    want: StatusCode,
) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let mut request = client.get(url);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Ok(response) = request.send().await {
            if response.status() == want {
                return response.text().await.unwrap_or_default();
            }
        }
        assert!(Instant::now() < until, "{url} never answered {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_api_follow_the_database_and_recover_alone() {
    let Some(test_db) = sentinel_store::testing::postgres().await else {
        eprintln!(
            "skipped: {} is not set",
            sentinel_store::testing::PG_URL_VAR
        );
        return;
    };
    let schema = test_db.options.pg_schema.clone().unwrap();
    test_db.store.close().await;
    let mut url = url::Url::parse(&test_db.options.url).unwrap();
    let upstream: SocketAddr = tokio::net::lookup_host((
        url.host_str().unwrap().to_string(),
        url.port().unwrap_or(5432),
    ))
    .await
    .unwrap()
    .next()
    .unwrap();
    let proxy = Proxy::start(upstream).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.addr.port())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut config = app::test_config(dir.path());
    config.database.url = Some(url.to_string().into());
    config.database.schema = Some(schema);
    config.database.acquire_timeout_ms = 1_000;
    let clock = ManualClock::new(SystemClock.now_ms());
    let shared: SharedClock = Arc::new(clock.clone());
    let server = sentinel::server::start(config, shared).await.unwrap();
    let org = server.bootstrap.as_ref().unwrap().org_id.clone();
    let generated = sentinel_web::auth::tokens::generate_api_key();
    server
        .store
        .create_api_key(
            &org,
            &NewApiKey {
                name: "probe".into(),
                prefix: generated.prefix.clone(),
                secret_hash: generated.secret_hash.clone(),
                role: Role::Viewer,
                scopes: vec![],
                expires_at: None,
                created_by: None,
            },
            clock.now_ms(),
        )
        .await
        .unwrap();
    let key = generated.secret;
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ready = format!("{base}/readyz");
    let services = format!("{base}/api/v1/services");
    wait_for_status(&client, &ready, None, StatusCode::OK).await;
    wait_for_status(&client, &services, Some(&key), StatusCode::OK).await;

    proxy.cut();
    let body = wait_for_status(&client, &ready, None, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(body.contains("database unavailable"), "{body}");
    let body = wait_for_status(
        &client,
        &services,
        Some(&key),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "unavailable");
    // The process itself stays alive and says so.
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    proxy.restore();
    wait_for_status(&client, &ready, None, StatusCode::OK).await;
    let body = wait_for_status(&client, &services, Some(&key), StatusCode::OK).await;
    assert!(body.contains("\"default\""), "{body}");

    server.shutdown().await;
}
