//! Wake-ups for workers on PostgreSQL: `LISTEN` on the channel that every enqueue
//! notifies, so idle workers claim new jobs at once instead of at their next poll.

use super::NOTIFY_CHANNEL;
use crate::db::Pools;
use crate::{Store, StoreResult};
use sqlx::postgres::PgListener;

/// A dedicated connection listening for enqueues. Only PostgreSQL has one.
pub struct JobListener {
    inner: PgListener,
}

impl std::fmt::Debug for JobListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobListener").finish_non_exhaustive()
    }
}

impl JobListener {
    /// Waits for the next enqueue notification and returns the job kind it names. A lost
    /// connection is re-established inside; notifications sent while it was down are lost,
    /// which is why workers also poll.
    pub async fn recv(&mut self) -> StoreResult<String> {
        let notification = self.inner.recv().await?;
        Ok(notification.payload().to_string())
    }
}

impl Store {
    /// Starts listening for enqueues; `None` on SQLite, where wake-ups stay in-process.
    pub async fn listen_for_jobs(&self) -> StoreResult<Option<JobListener>> {
        match &*self.pools {
            Pools::Postgres(pool) => {
                let mut inner = PgListener::connect_with(pool).await?;
                inner.listen(NOTIFY_CHANNEL).await?;
                Ok(Some(JobListener { inner }))
            }
            Pools::Sqlite { .. } => Ok(None),
        }
    }
}
