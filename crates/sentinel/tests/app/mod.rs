//! An in-process Sentinel for API tests: `sentinel::server::start` on 127.0.0.1:0 with a
//! temporary data directory and a clock the test moves.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sentinel::config::Config;
use sentinel::server::{start, RunningServer};
use sentinel_core::clock::{Clock, ManualClock, SharedClock, SystemClock};
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::tenancy::NewApiKey;
use sentinel_web::auth::tokens;
use std::sync::Arc;

pub struct TestApp {
    pub server: Option<RunningServer>,
    pub clock: ManualClock,
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    pub fn org(&self) -> OrgId {
        self.server().bootstrap.as_ref().unwrap().org_id.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stores a new API key of the bootstrap organization and returns its secret.
    pub async fn api_key(&self, role: Role, expires_at: Option<i64>) -> String {
        self.api_key_for(&self.org(), role, expires_at).await
    }

    pub async fn api_key_for(&self, org: &OrgId, role: Role, expires_at: Option<i64>) -> String {
        let generated = tokens::generate_api_key();
        self.server()
            .store
            .create_api_key(
                org,
                &NewApiKey {
                    name: format!("test {role}"),
                    prefix: generated.prefix.clone(),
                    secret_hash: generated.secret_hash.clone(),
                    role,
                    scopes: vec![],
                    expires_at,
                    created_by: None,
                },
                self.clock.now_ms(),
            )
            .await
            .unwrap();
        generated.secret
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

/// A test configuration: temporary data directory, any free loopback port.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut server = sentinel::config::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    server.shutdown_timeout_secs = 5;
    Config {
        data_dir: dir.join("data"),
        server,
        ..Config::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    adjust(&mut config);
    let clock = ManualClock::new(SystemClock.now_ms());
    let shared: SharedClock = Arc::new(clock.clone());
    let server = start(config, shared).await.unwrap();
    let base = format!("http://{}", server.addr);
    TestApp {
        server: Some(server),
        clock,
        base,
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap(),
        dir,
    }
}
