//! A running application over a fresh store, for HTTP-level tests (`spawn_app()` style):
//! one organization, one service with a DSN key, the real router and ingest writer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::id::{OrgId, ServiceId, ServiceKeyId};
use sentinel_store::incidents::{Incident, IncidentQuery};
use sentinel_store::tenancy::{NewOrganization, NewService, Service};
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use sentinel_web::AppState;
use std::io::Write;
use std::sync::Arc;
use tower::ServiceExt;

pub const NOW: i64 = 1_763_900_000_000;

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub clock: ManualClock,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub project: i64,
    pub public_key: String,
    pub key_id: ServiceKeyId,
    pub test: TestStore,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as sent, for answers that are not text (protobuf).
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl TestApp {
    pub async fn new(test: TestStore) -> Self {
        Self::with_settings(test, sentinel_web::state::WebSettings::default()).await
    }

    pub async fn with_settings(
        test: TestStore,
        settings: sentinel_web::state::WebSettings,
    ) -> Self {
        let store = test.store.clone();
        let clock = ManualClock::new(NOW);
        let shared: SharedClock = Arc::new(clock.clone());
        let org = store
            .create_organization(
                &NewOrganization {
                    slug: "acme".into(),
                    name: "Acme".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let service = store
            .create_service(
                &org.id,
                &NewService {
                    name: "shop".into(),
                    platform: "python".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let public_key = format!("{:032x}", ulid::Ulid::new().0);
        let key = store
            .create_service_key(&org.id, &service.id, &public_key, None, NOW)
            .await
            .unwrap();
        let state = AppState::new(store.clone(), shared, settings);
        let router = sentinel_web::router(state);
        Self {
            router,
            store,
            clock,
            org_id: org.id,
            service_id: service.id,
            project: service.number,
            public_key,
            key_id: key.id,
            test,
        }
    }

    pub fn auth_header(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key={}",
            self.public_key
        )
    }

    /// Serves the router on a loopback port, for clients that speak real HTTP (SDKs,
    /// exporters); returns `http://127.0.0.1:PORT`. The server runs until the test ends.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = self.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        format!("http://{address}")
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).to_string(),
            body: bytes.to_vec(),
        }
    }

    pub async fn post(&self, uri: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    pub async fn post_envelope(
        &self,
        body: &[u8],
        headers: &[(&str, &str)],
        encoding: Option<&str>,
    ) -> TestResponse {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("content-type", "application/x-sentry-envelope"));
        if let Some(encoding) = encoding {
            all.push(("content-encoding", encoding));
        }
        self.post(
            &format!("/api/{}/envelope/", self.project),
            body.to_vec(),
            &all,
        )
        .await
    }

    pub async fn incidents(&self) -> Vec<Incident> {
        let query = IncidentQuery {
            include_quiet: true,
            limit: 100,
            ..Default::default()
        };
        self.store
            .list_incidents(&self.org_id, &query)
            .await
            .unwrap()
            .items
    }

    pub async fn incident_count(&self) -> usize {
        self.incidents().await.len()
    }

    pub async fn second_service(&self) -> Service {
        self.store
            .create_service(
                &self.org_id,
                &NewService {
                    name: "other".into(),
                    platform: "node".into(),
                },
                NOW,
            )
            .await
            .unwrap()
    }

    pub async fn revoke_key(&self) {
        self.store
            .revoke_service_key(&self.org_id, &self.key_id, NOW)
            .await
            .unwrap();
        // The key cache keeps answers for a few seconds; move past it.
        self.clock.advance(60_000);
    }

    pub async fn set_rate_limit(&self, per_minute: i64) {
        self.store
            .set_service_key_rate_limit(&self.org_id, &self.key_id, Some(per_minute))
            .await
            .unwrap();
    }

    /// A new API key of `role` in the test organization; returns the secret.
    pub async fn api_key(&self, role: sentinel_core::role::Role) -> String {
        let generated = sentinel_web::auth::tokens::generate_api_key();
        let new = sentinel_store::tenancy::NewApiKey {
            name: format!("{role} key"),
            prefix: generated.prefix.clone(),
            secret_hash: generated.secret_hash.clone(),
            role,
            scopes: Vec::new(),
            expires_at: None,
            created_by: None,
        };
        self.store
            .create_api_key(&self.org_id, &new, NOW)
            .await
            .unwrap();
        generated.secret
    }

    pub async fn lock_database(&self) -> Option<sentinel_store::testing::SqliteWriteLock> {
        sentinel_store::testing::hold_sqlite_write_lock(&self.test.options).await
    }
}

/// An envelope with one event item and a fresh event id in the envelope header.
pub fn envelope(event: &str) -> Vec<u8> {
    let id = format!("{:032x}", ulid::Ulid::new().0);
    format!("{{\"event_id\":\"{id}\",\"sent_at\":\"2026-11-23T10:00:00Z\"}}\n{{\"type\":\"event\",\"content_type\":\"application/json\"}}\n{event}\n")
        .into_bytes()
}

/// The event id in the header of an envelope made by [`envelope`].
pub fn event_id_of(envelope: &[u8]) -> String {
    let header = envelope.split(|b| *b == b'\n').next().unwrap();
    let value: serde_json::Value = serde_json::from_slice(header).unwrap();
    value["event_id"].as_str().unwrap().to_string()
}

/// A Python-like error event with a short in-app stack.
pub fn event_json(ty: &str, value: &str) -> String {
    serde_json::json!({
        "platform": "python",
        "level": "error",
        "timestamp": 1_763_900_000.5,
        "release": "shop@1.0.0",
        "environment": "production",
        "exception": {"values": [{
            "type": ty,
            "value": value,
            "mechanism": {"type": "generic", "handled": true},
            "stacktrace": {"frames": [
                {"filename": "app/main.py", "module": "app.main", "function": "handle", "lineno": 10, "in_app": true},
                {"filename": "app/orders.py", "module": "app.orders", "function": "load", "lineno": 42, "in_app": true}
            ]}
        }]}
    })
    .to_string()
}

/// Compresses `plain` as `encoding` ("deflate-raw" is deflate without the zlib wrapper) and
/// returns the `Content-Encoding` value to send with it.
pub fn encode(encoding: &str, plain: &[u8]) -> (&'static str, Vec<u8>) {
    match encoding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(plain).unwrap();
            ("gzip", e.finish().unwrap())
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(plain).unwrap();
            ("deflate", e.finish().unwrap())
        }
        "deflate-raw" => {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(plain).unwrap();
            ("deflate", e.finish().unwrap())
        }
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &plain[..], &mut out, &Default::default()).unwrap();
            ("br", out)
        }
        "zstd" => ("zstd", zstd::encode_all(plain, 1).unwrap()),
        other => panic!("unknown encoding {other}"),
    }
}

/// One test per backend for each `async fn name(app: TestApp)`.
#[allow(unused_macros)]
macro_rules! app_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = sentinel_store::testing::sqlite_with(|o| {
                        o.busy_timeout = std::time::Duration::from_millis(300);
                    })
                    .await;
                    super::$name(crate::support::TestApp::new(test).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = sentinel_store::testing::postgres().await else {
                        eprintln!("skipped: {} is not set", sentinel_store::testing::PG_URL_VAR);
                        return;
                    };
                    super::$name(crate::support::TestApp::new(test).await).await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use app_tests;

impl TestApp {
    /// Installation 1 (the one GitHub's example payloads name), claimed by the app's
    /// organization, watching Codertocat/Hello-World, read from `clone_path` when given.
    pub async fn watch_hello_world(
        &self,
        clone_path: Option<String>,
    ) -> sentinel_store::code::Repository {
        self.store
            .upsert_installation(
                &sentinel_store::code::InstallationUpsert {
                    github_id: 1,
                    account_login: "Codertocat".into(),
                    account_type: "User".into(),
                    suspended: false,
                },
                NOW,
            )
            .await
            .unwrap();
        self.store
            .claim_installation(1, &self.org_id, NOW)
            .await
            .unwrap();
        self.store
            .create_repository(
                &self.org_id,
                &sentinel_store::code::NewRepository {
                    full_name: "Codertocat/Hello-World".into(),
                    default_branch: "master".into(),
                    github_id: Some(186853002),
                    installation_id: Some(1),
                    clone_path,
                    settings: Default::default(),
                },
                NOW,
            )
            .await
            .unwrap()
    }

    /// The code jobs (deliveries, attribution, deploy links) running on the app's store and
    /// clock, without GitHub: commits are read from local clones only.
    pub fn start_code_jobs(&self) -> sentinel_jobs::RuntimeHandle {
        let clock: SharedClock = Arc::new(self.clock.clone());
        let mut runtime = sentinel_jobs::JobRuntime::new(
            self.store.clone(),
            clock,
            sentinel_jobs::RuntimeConfig {
                poll_interval: std::time::Duration::from_millis(20),
                ..Default::default()
            },
        );
        sentinel_jobs::code::register(
            &mut runtime,
            sentinel_jobs::code::CodeDeps {
                reader: sentinel_jobs::code::CommitReader::default(),
            },
        );
        runtime.start()
    }
}
