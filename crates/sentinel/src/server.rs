//! Starting and stopping a Sentinel process: open and migrate the store, set up an empty
//! installation, serve HTTP, run the job runtime, and shut all of it down in order.
//!
//! Shutdown order: stop accepting connections and let requests in flight finish, then let
//! the ingest writer commit its last batch, then stop the job runtime (which releases its
//! leases), then close the store.

use crate::bootstrap::{self, Bootstrap};
use crate::config::{describe_database, Config};
use crate::worker::{Worker, WorkerSettings};
use anyhow::Context as _;
use sentinel_core::clock::SharedClock;
use sentinel_integrations::github::{GithubApp, GithubClient};
use sentinel_integrations::{HttpOptions, HttpTransport};
use sentinel_jobs::code::CommitReader;
use sentinel_jobs::retention::RetentionPolicy;
use sentinel_jobs::tailer::Tailer;
use sentinel_store::writer::{IngestWriter, WriterOptions};
use sentinel_store::{Store, StoreError};
use sentinel_web::state::WebSettings;
use sentinel_web::webhooks::WebhookSecrets;
use sentinel_web::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A started process. Dropping it does not stop it: call [`RunningServer::shutdown`].
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// Where SDKs and people reach this server, used in DSNs.
    pub public_url: String,
    pub store: Store,
    /// What the first start created, with its one-time secrets; `None` on later starts.
    pub bootstrap: Option<Bootstrap>,
    /// The web layer's shared state (metrics, settings).
    pub app: AppState,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    worker: Option<Worker>,
    grace: Duration,
}

/// Opens the store, migrates it, sets up an empty installation, binds the listener and
/// starts serving (and, for the worker role, running jobs).
pub async fn start(config: Config, clock: SharedClock) -> anyhow::Result<RunningServer> {
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let public_url = config.public_url_for(addr);

    let bootstrap = bootstrap::run_if_empty(&store, &config, &public_url, clock.now_ms())
        .await
        .map_err(|err| match err.downcast::<StoreError>() {
            Ok(store_err) => explain_store_error(store_err, &describe_database(&config), "set up"),
            Err(other) => other,
        })
        .context("setting up the first organization")?;

    let artifacts = sentinel_agents::ArtifactStore::open(&config.artifact_store())
        .context("opening the artifact store")?;
    let settings = WebSettings {
        artifacts: Some(artifacts.clone()),
        public_url: public_url.clone(),
        session_ttl_ms: i64::try_from(config.auth.session_ttl_hours)
            .unwrap_or(i64::MAX / 3_600_000)
            .saturating_mul(3_600_000),
        secure_cookies: config.auth.secure_cookies,
        github_webhook_secrets: WebhookSecrets::new(config.github.webhook_secrets()),
        sealing_key: config
            .server
            .secret_key
            .as_ref()
            .map(sentinel_core::sealed::SealingKey::from_base64)
            .transpose()
            .context("server.secret_key")?,
    };
    let app = AppState::new(store.clone(), clock.clone(), settings);
    let role = config.server.role;
    let router = if role.serves_http() {
        sentinel_web::router(app.clone())
    } else {
        // A worker answers health checks and scrapes, nothing else.
        axum::Router::new()
            .merge(sentinel_web::health::routes())
            .merge(sentinel_web::metrics::routes())
            .with_state(app.clone())
    };

    let worker = if role.runs_jobs() {
        let wake_on = role.serves_http().then(|| app.ingest.jobs_waker.clone());
        let settings = WorkerSettings {
            retention: RetentionPolicy {
                event_days: config.retention.event_days,
            },
            public_url: public_url.clone(),
            commits: CommitReader {
                github: github_client(&config, clock.clone())?,
            },
            artifacts,
            sealing_key: app.settings.sealing_key.clone(),
        };
        Some(Worker::start(
            store.clone(),
            clock.clone(),
            wake_on,
            settings,
        ))
    } else {
        None
    };

    let (stop, mut stopped) = watch::channel(false);
    if role.runs_jobs() {
        // The log tailer reads this machine's files; it runs where jobs run, and submits to
        // the process's ingest writer (a worker alone gets one of its own).
        let writer = if role.serves_http() {
            app.ingest.writer.clone()
        } else {
            IngestWriter::spawn(store.clone(), clock.clone(), WriterOptions::default(), None)
        };
        Tailer::new(store.clone(), writer, clock.clone()).spawn(stop.subscribe());
    }
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(
        addr = %addr,
        public_url = %public_url,
        role = role.as_str(),
        database = %describe_database(&config),
        "sentinel started"
    );
    Ok(RunningServer {
        addr,
        public_url,
        store,
        bootstrap,
        app,
        stop,
        http,
        worker,
        grace: Duration::from_secs(config.server.shutdown_timeout_secs),
    })
}

/// The GitHub App client when `[github]` names an App; `None` reads local clones only.
fn github_client(config: &Config, clock: SharedClock) -> anyhow::Result<Option<Arc<GithubClient>>> {
    let github = &config.github;
    let (app_id, key_path) = match (github.app_id, &github.private_key_path) {
        (None, None) => return Ok(None),
        (Some(id), Some(path)) => (id, path),
        _ => anyhow::bail!(
            "github.app_id and github.private_key_path are set together or not at all"
        ),
    };
    let pem = std::fs::read_to_string(key_path)
        .with_context(|| format!("cannot read the GitHub App key {}", key_path.display()))?;
    let app = GithubApp::with_api_base(app_id, &pem.into(), &github.api_url)
        .context("the GitHub App configuration")?;
    let transport =
        HttpTransport::new(&HttpOptions::default(), clock).context("the HTTP client for GitHub")?;
    Ok(Some(Arc::new(GithubClient::new(app, transport))))
}

/// Opens and migrates the configured store, turning failures into messages an operator
/// can act on.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let where_ = describe_database(config);
    if config.uses_data_dir_database() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    let options = config.store_options();
    let store = match Store::connect(&options).await {
        Ok(store) => store,
        Err(err @ StoreError::Unavailable(_)) => {
            // A pool timeout hides why; one plain TCP connection usually tells.
            let hint = tcp_hint(&options.url).await;
            return Err(explain_store_error(
                err,
                &format!("{where_} ({hint})"),
                "open",
            ));
        }
        Err(err) => return Err(explain_store_error(err, &where_, "open")),
    };
    store
        .migrate()
        .await
        .map_err(|err| explain_store_error(err, &where_, "migrate"))?;
    Ok(store)
}

/// What a direct TCP connection to the database's host says, for error messages.
async fn tcp_hint(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return "the database URL could not be parsed".to_string();
    };
    let host = parsed.host_str().unwrap_or("localhost").to_string();
    let port = parsed.port().unwrap_or(5432);
    let attempt = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await;
    match attempt {
        Ok(Ok(_)) => {
            format!("{host}:{port} accepts connections, but the database did not answer in time")
        }
        Ok(Err(err)) => format!("connecting to {host}:{port}: {err}"),
        Err(_) => format!("connecting to {host}:{port}: no answer within 2 s"),
    }
}

fn explain_store_error(err: StoreError, where_: &str, action: &str) -> anyhow::Error {
    match &err {
        StoreError::Unavailable(_) => {
            anyhow::anyhow!("cannot reach the database at {where_}: {err}")
        }
        StoreError::Busy(_) => anyhow::anyhow!(
            "the database at {where_} is locked by another process; stop it or raise \
             database.busy_timeout_ms: {err}"
        ),
        StoreError::InvalidUrl(_) => anyhow::anyhow!("bad database URL: {err}"),
        _ => anyhow::anyhow!("cannot {action} the database at {where_}: {err}"),
    }
}

impl RunningServer {
    /// Waits for Ctrl-C or SIGTERM (or the HTTP server stopping on its own), then shuts
    /// down.
    pub async fn run_until_signal(mut self) -> anyhow::Result<()> {
        let outcome = tokio::select! {
            _ = shutdown_signal() => {
                tracing::info!("shutdown requested");
                Ok(())
            }
            result = &mut self.http => {
                match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(anyhow::Error::new(err).context("the HTTP server failed")),
                    Err(err) => Err(anyhow::Error::new(err).context("the HTTP server panicked")),
                }
            }
        };
        self.shutdown().await;
        outcome
    }

    /// Stops accepting, lets requests in flight finish (up to the grace period), stops the
    /// job runtime (releasing its leases) and closes the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let http = self.http;
        if !http.is_finished() {
            match tokio::time::timeout(self.grace, http).await {
                Ok(_) => {}
                Err(_) => tracing::warn!(
                    grace_secs = self.grace.as_secs(),
                    "requests still running after the grace period; stopping anyway"
                ),
            }
        }
        // Requests are done: commit what the ingest writer still holds.
        self.app.ingest.writer.shutdown().await;
        if let Some(worker) = self.worker {
            worker.shutdown(self.grace).await;
        }
        self.store.close().await;
        tracing::info!("sentinel stopped");
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
