//! The worker role: the job runtime from `sentinel-jobs`, with every job kind this build
//! knows registered in [`register_job_kinds`].
//!
//! In an `all` process the ingest writer's wake-up signal is forwarded to the runtime, so a
//! job enqueued by an ingest commit starts at once instead of at the next poll.

use sentinel_core::clock::SharedClock;
use sentinel_jobs::retention::RetentionPolicy;
use sentinel_jobs::{
    handler_fn, JobContext, JobError, JobRuntime, RuntimeConfig, RuntimeHandle, Schedule,
    ScheduleSpec,
};
use sentinel_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Removes expired dashboard sessions.
pub const SESSION_CLEANUP_KIND: &str = "tenancy.session_cleanup";

/// Registers the handler and schedule of every job kind. Areas that add job kinds (alerts,
/// autopsies, retention, metrics) register them here.
pub fn register_job_kinds(runtime: &mut JobRuntime, store: &Store, retention: RetentionPolicy) {
    sentinel_jobs::retention::register(runtime, store, retention);
    let sessions = store.clone();
    runtime.register(handler_fn(SESSION_CLEANUP_KIND, move |ctx| {
        let store = sessions.clone();
        async move { run_session_cleanup(&store, ctx).await }
    }));
    runtime.add_schedule(Schedule::new(
        "session-cleanup",
        ScheduleSpec::hourly_at(17),
        SESSION_CLEANUP_KIND,
    ));
}

/// Runs one `tenancy.session_cleanup` job.
#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
async fn run_session_cleanup(store: &Store, ctx: JobContext) -> Result<(), JobError> {
    let removed = store
        .delete_expired_sessions(ctx.now_ms())
        .await
        .map_err(|err| JobError::retry(err.to_string()))?;
    tracing::debug!(removed, "expired sessions removed");
    Ok(())
}

/// A running job runtime.
pub struct Worker {
    handle: RuntimeHandle,
    forward: Option<JoinHandle<()>>,
}

/// What the job kinds need from the configuration.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub retention: RetentionPolicy,
    /// The base URL for links in notifications.
    pub public_url: String,
    /// Reads commits for attribution: local clones, and GitHub when an App is configured.
    pub commits: sentinel_jobs::code::CommitReader,
    /// Where the autopsy stores its outputs.
    pub artifacts: sentinel_agents::ArtifactStore,
    /// Opens the organizations' stored model API keys; without it only the heuristic
    /// answers autopsies.
    pub sealing_key: Option<sentinel_core::sealed::SealingKey>,
}

/// A model takes far longer to answer than a webhook receiver: the request may run for
/// most of the autopsy step's two minutes.
const MODEL_HTTP: sentinel_integrations::HttpOptions = sentinel_integrations::HttpOptions {
    connect_timeout: Duration::from_secs(10),
    request_timeout: Duration::from_secs(90),
};

/// The autopsy's dependencies: the organizations' configured models over their own HTTP
/// client, the heuristic for the rest.
fn autopsy_deps(settings: &WorkerSettings, clock: SharedClock) -> sentinel_agents::AutopsyDeps {
    let mut deps =
        sentinel_agents::AutopsyDeps::new(settings.commits.clone(), settings.artifacts.clone());
    match sentinel_integrations::HttpTransport::new(&MODEL_HTTP, clock) {
        Ok(transport) => {
            deps.models = Some(sentinel_agents::ModelSetup::new(
                settings.sealing_key.clone(),
                transport,
                Arc::new(sentinel_core::scrub::Scrubber::default()),
            ));
        }
        Err(err) => tracing::error!(error = %err, "configured models cannot be called"),
    }
    deps
}

impl Worker {
    /// Starts the runtime. `wake_on`, when given, is a signal raised after commits that
    /// enqueued jobs (the ingest writer's); each raise wakes the runtime.
    pub fn start(
        store: Store,
        clock: SharedClock,
        wake_on: Option<Arc<Notify>>,
        settings: WorkerSettings,
    ) -> Self {
        let mut runtime = JobRuntime::new(store.clone(), clock.clone(), RuntimeConfig::default());
        register_job_kinds(&mut runtime, &store, settings.retention);
        sentinel_agents::register(&mut runtime, autopsy_deps(&settings, clock.clone()));
        sentinel_jobs::code::register(
            &mut runtime,
            sentinel_jobs::code::CodeDeps {
                reader: settings.commits,
            },
        );
        match sentinel_jobs::kinds::AlertDeps::standard(store.clone(), clock, settings.public_url) {
            Ok(deps) => {
                sentinel_jobs::metrics::register(
                    &mut runtime,
                    sentinel_jobs::metrics::MetricsDeps {
                        engine: deps.engine.clone(),
                    },
                );
                sentinel_jobs::kinds::register(&mut runtime, deps)
            }
            Err(err) => tracing::error!(error = %err, "alert deliveries cannot run"),
        }
        let forward = wake_on.map(|signal| {
            let waker = runtime.waker();
            tokio::spawn(async move {
                loop {
                    signal.notified().await;
                    waker.wake();
                }
            })
        });
        Self {
            handle: runtime.start(),
            forward,
        }
    }

    /// Stops claiming jobs, waits up to `grace` for running ones and gives back the leases
    /// of those still running.
    pub async fn shutdown(self, grace: Duration) {
        if let Some(forward) = self.forward {
            forward.abort();
        }
        let report = self.handle.shutdown(grace).await;
        tracing::info!(
            abandoned = report.abandoned,
            released = report.released,
            "job runtime stopped"
        );
    }
}
