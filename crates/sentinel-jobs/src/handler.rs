//! What a job kind plugs into the runtime: a [`JobHandler`] that runs one claimed job and
//! answers with success, a retryable error or a permanent one.

use futures::future::BoxFuture;
use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::id::{JobId, OrgId};
use sentinel_store::jobs::ClaimedJob;
use sentinel_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Why a run failed, and whether running it again could help.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later: after `after` if given, else after the runtime's backoff.
    #[error("{message}")]
    Retryable {
        message: String,
        after: Option<Duration>,
    },
    /// Running it again cannot succeed (bad payload, missing row): discard the job.
    #[error("{message}")]
    Permanent { message: String },
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        JobError::Retryable {
            message: message.into(),
            after: None,
        }
    }

    /// Retry no sooner than `after` (a `Retry-After` from a remote service, say).
    pub fn retry_after(message: impl Into<String>, after: Duration) -> Self {
        JobError::Retryable {
            message: message.into(),
            after: Some(after),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        JobError::Permanent {
            message: message.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, JobError::Retryable { .. })
    }
}

impl From<StoreError> for JobError {
    /// A value the store cannot decode will not decode next time either; anything else
    /// about the database may pass.
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Corrupt(_) => JobError::permanent(err.to_string()),
            _ => JobError::retry(err.to_string()),
        }
    }
}

impl From<serde_json::Error> for JobError {
    /// A payload that does not parse now never will.
    fn from(err: serde_json::Error) -> Self {
        JobError::permanent(format!("payload: {err}"))
    }
}

impl From<anyhow::Error> for JobError {
    fn from(err: anyhow::Error) -> Self {
        JobError::retry(format!("{err:#}"))
    }
}

/// Everything a handler gets for one run.
#[derive(Clone)]
pub struct JobContext {
    pub job: ClaimedJob,
    pub store: Store,
    pub clock: SharedClock,
    stop: watch::Receiver<bool>,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

impl JobContext {
    pub(crate) fn new(
        job: ClaimedJob,
        store: Store,
        clock: SharedClock,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            job,
            store,
            clock,
            stop,
        }
    }

    pub fn id(&self) -> &JobId {
        &self.job.id
    }

    pub fn org_id(&self) -> Option<&OrgId> {
        self.job.org_id.as_ref()
    }

    /// 1 on the first run.
    pub fn attempt(&self) -> i32 {
        self.job.attempt
    }

    pub fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }

    /// The payload as the handler's own type; a mismatch is a permanent error.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        Ok(self.job.decode()?)
    }

    /// Whether the runtime is shutting down. Long handlers check this between steps and
    /// return a retryable error so the job resumes elsewhere.
    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when the runtime starts shutting down.
    pub async fn stopping(&mut self) {
        // An error means the runtime is gone, which is a stop too.
        let _ = self.stop.wait_for(|stop| *stop).await;
    }
}

/// One job kind's code. Implement it directly, or wrap a closure with [`handler_fn`].
/// Handlers must tolerate running twice for one job: delivery is at least once.
pub trait JobHandler: Send + Sync + 'static {
    /// The `kind` column this handler runs.
    fn kind(&self) -> &str;

    fn run(&self, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>>;
}

/// A handler made from a kind and an async closure.
pub struct FnHandler<F> {
    kind: String,
    run: F,
}

/// Wraps `run` as the handler of `kind`.
pub fn handler_fn<F, Fut>(kind: impl Into<String>, run: F) -> Arc<dyn JobHandler>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    Arc::new(FnHandler {
        kind: kind.into(),
        run,
    })
}

impl<F, Fut> JobHandler for FnHandler<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn kind(&self) -> &str {
        &self.kind
    }

    fn run(&self, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        Box::pin((self.run)(ctx))
    }
}
