//! Waking idle claim loops: in-process through a [`Waker`] (the ingest writer calls it
//! after a commit that enqueued jobs), and across processes on PostgreSQL through
//! `LISTEN/NOTIFY`. Polling stays on as the fallback for anything both miss.

use sentinel_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// A cheap handle that tells a runtime "new jobs may be due now".
#[derive(Debug, Clone, Default)]
pub struct Waker {
    notify: Arc<Notify>,
}

impl Waker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes the claim loop. A wake while it is busy is remembered, never lost.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// Forwards PostgreSQL enqueue notifications for `kinds` to `waker` until `stop`.
/// Returns at once on SQLite.
pub(crate) async fn listen(
    store: Store,
    kinds: Vec<String>,
    waker: Waker,
    mut stop: watch::Receiver<bool>,
) {
    let mut retry_in = Duration::from_millis(200);
    loop {
        let listener = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            listener = store.listen_for_jobs() => listener,
        };
        let mut listener = match listener {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for job notifications; polling only");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    _ = tokio::time::sleep(retry_in) => {}
                }
                retry_in = (retry_in * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        // Whatever was enqueued while not listening is found by claiming now.
        waker.wake();
        loop {
            let kind = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                kind = listener.recv() => kind,
            };
            match kind {
                Ok(kind) if kinds.contains(&kind) => waker.wake(),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "job notification connection lost");
                    break;
                }
            }
        }
    }
}
