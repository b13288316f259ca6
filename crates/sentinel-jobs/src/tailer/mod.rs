//! The log tailer: reads the log files of every enabled source, turns their error lines into
//! events, and submits them to the ingest writer — the same prepare → writer path as a
//! Sentry event, so a log line groups and alerts exactly as the SDK's report would.
//!
//! [`Tailer::poll_source`] reads one source once; [`Tailer::spawn`] polls every source at its
//! own `poll_interval_ms`, re-reading the sources from the store at each tick so a changed
//! interval, path or mapping applies without a restart. Offsets are stored after the
//! window's events are committed: a restart continues where the last commit left off, and a
//! window read twice (stopped between the two) produces the same event ids, stored once.

mod files;

pub use files::{discover, FoundFile, WINDOW_BYTES};

use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::ingest::{NewEvent, ServiceTarget};
use sentinel_core::scrub::Scrubber;
use sentinel_ingest::logfile::LogReader;
use sentinel_ingest::prepare::prepare_event;
use sentinel_store::log_sources::{LogFileState, LogSource};
use sentinel_store::writer::{IngestWriter, WriteError, WriteRequest};
use sentinel_store::{Store, StoreError};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often the running tailer looks at the sources and their due times.
const TICK: Duration = Duration::from_millis(500);

/// Why a poll stopped early. What was committed before it stays committed and recorded.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("ingest writer: {0}")]
    Write(#[from] WriteError),
    #[error("preparing an event: {0}")]
    Prepare(#[from] sentinel_ingest::prepare::PrepareError),
}

/// What one poll of a source read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub files: usize,
    pub lines: i64,
    pub events: usize,
    pub malformed: i64,
}

/// Reads sources and submits their error lines. Cheap to clone.
#[derive(Clone)]
pub struct Tailer {
    store: Store,
    writer: IngestWriter,
    clock: SharedClock,
    scrubber: Arc<Scrubber>,
    /// Per file, its size when a poll last stopped at a held-back text record: the record is
    /// read at the next poll that finds the file no longer growing.
    resting: Arc<Mutex<HashMap<String, u64>>>,
}

impl Tailer {
    pub fn new(store: Store, writer: IngestWriter, clock: SharedClock) -> Self {
        Self {
            store,
            writer,
            clock,
            scrubber: Arc::new(Scrubber::default()),
            resting: Arc::default(),
        }
    }

    /// Reads every file of `source` from its stored offset to its end, once.
    pub async fn poll_source(&self, source: &LogSource) -> Result<PollReport, TailError> {
        let Some(service) = self
            .store
            .get_service(&source.org_id, &source.service_id)
            .await?
        else {
            return Ok(PollReport::default());
        };
        if !service.enabled {
            return Ok(PollReport::default());
        }
        let reader = LogReader {
            format: source.config.format,
            fields: source.config.fields.clone(),
            platform: service.platform.clone(),
        };
        let target = ServiceTarget::from(service);
        let mut stored: HashMap<String, LogFileState> = self
            .store
            .log_source_files(&source.org_id, &source.id)
            .await?
            .into_iter()
            .map(|state| (state.file_key.clone(), state))
            .collect();
        let pattern = source.config.path.clone();
        let found = blocking(move || discover(&pattern))
            .await
            .map_err(|source| TailError::Io {
                path: "log source directory".into(),
                source,
            })?;
        let mut report = PollReport::default();
        // Files rotated away first: their lines are older than the new file's.
        let missing: Vec<LogFileState> = stored
            .values()
            .filter(|state| !found.iter().any(|f| f.key == state.file_key))
            .cloned()
            .collect();
        for state in missing {
            stored.remove(&state.file_key);
            let (path, key) = (state.path.clone(), state.file_key.clone());
            let found_again =
                blocking(move || Ok(files::find_by_key(Path::new(&path), &key))).await;
            if let Ok(Some(file)) = found_again {
                let stored = Some(state.clone());
                self.read_file(
                    source,
                    &reader,
                    &target,
                    &file,
                    stored,
                    Mode::Drain,
                    &mut report,
                )
                .await?;
            }
            self.store
                .forget_log_file(&source.org_id, &source.id, &state.file_key)
                .await?;
        }
        for file in &found {
            let state = stored.remove(&file.key);
            let rest_key = format!("{}:{}", source.id, file.key);
            let resting = self
                .resting
                .lock()
                .map(|r| r.get(&rest_key) == Some(&file.size))
                .unwrap_or(false);
            let mode = if resting { Mode::Drain } else { Mode::Follow };
            let state = self
                .read_file(source, &reader, &target, file, state, mode, &mut report)
                .await?;
            if let Ok(mut rest) = self.resting.lock() {
                if (state.offset as u64) < file.size {
                    rest.insert(rest_key, file.size);
                } else {
                    rest.remove(&rest_key);
                }
            }
        }
        report.files = found.len();
        Ok(report)
    }

    /// Reads `path` once from its start to its end, as `sentinel tail` does: the events are
    /// committed, no offset is stored.
    pub async fn read_once(
        &self,
        service: sentinel_store::tenancy::Service,
        config: sentinel_core::log_source::LogSourceConfig,
    ) -> Result<PollReport, TailError> {
        let source = LogSource {
            id: sentinel_core::id::LogSourceId::generate(),
            org_id: service.org_id.clone(),
            service_id: service.id.clone(),
            config,
            created_at: 0,
            updated_at: 0,
        };
        let reader = LogReader {
            format: source.config.format,
            fields: source.config.fields.clone(),
            platform: service.platform.clone(),
        };
        let target = ServiceTarget::from(service);
        let pattern = source.config.path.clone();
        let found = blocking(move || discover(&pattern))
            .await
            .map_err(|err| TailError::Io {
                path: source.config.path.clone(),
                source: err,
            })?;
        let mut report = PollReport {
            files: found.len(),
            ..PollReport::default()
        };
        for file in &found {
            self.read_file(
                &source,
                &reader,
                &target,
                file,
                None,
                Mode::Once,
                &mut report,
            )
            .await?;
        }
        Ok(report)
    }

    /// Reads one file window by window, committing each window's events and then its
    /// offset. Returns the file's final state.
    #[allow(clippy::too_many_arguments)]
    async fn read_file(
        &self,
        source: &LogSource,
        reader: &LogReader,
        target: &ServiceTarget,
        file: &FoundFile,
        stored: Option<LogFileState>,
        mode: Mode,
        report: &mut PollReport,
    ) -> Result<LogFileState, TailError> {
        let flush = mode != Mode::Follow;
        let io_error = |source| TailError::Io {
            path: file.path.to_string_lossy().into_owned(),
            source,
        };
        let (id, owned) = (source.id.clone(), file.clone());
        let mut state = blocking(move || files::state_for(&id, &owned, stored))
            .await
            .map_err(io_error)?;
        loop {
            let before = state.clone();
            let (reader_copy, owned) = (reader.clone(), file.clone());
            let now = self.clock.now_ms();
            let window =
                blocking(move || files::read_window(&reader_copy, &owned, before, flush, now))
                    .await
                    .map_err(io_error)?;
            let mut events = Vec::with_capacity(window.events.len());
            for event in window.events {
                events.push(self.prepare(target, event, now, &file.path)?);
            }
            report.events += events.len();
            report.lines += window.state.lines - state.lines;
            report.malformed += window.state.malformed - state.malformed;
            if !events.is_empty() {
                self.writer
                    .submit(WriteRequest {
                        events,
                        ..WriteRequest::default()
                    })
                    .await?;
            }
            if window.state != state && mode != Mode::Once {
                self.store
                    .save_log_file_state(&source.org_id, &window.state, self.clock.now_ms())
                    .await?;
            }
            state = window.state;
            if !window.more {
                return Ok(state);
            }
        }
    }

    fn prepare(
        &self,
        target: &ServiceTarget,
        mut event: sentinel_core::event::Event,
        now: Millis,
        path: &Path,
    ) -> Result<NewEvent, TailError> {
        event.contexts.insert(
            "log".into(),
            serde_json::json!({ "file": path.to_string_lossy() }),
        );
        Ok(prepare_event(target, &self.scrubber, event, now)?)
    }

    /// Polls every enabled source once (what one tick of the running tailer does for the
    /// sources that are due).
    pub async fn poll_all(&self) -> Result<PollReport, TailError> {
        let mut total = PollReport::default();
        for source in self.store.log_sources_to_tail().await? {
            let report = self.poll_source(&source).await?;
            total.files += report.files;
            total.lines += report.lines;
            total.events += report.events;
            total.malformed += report.malformed;
        }
        Ok(total)
    }

    /// Runs until `stop` is set: each source is read when its interval has passed since its
    /// last read. The sources are read from the store at each tick (hot reload).
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last_read: HashMap<String, Millis> = HashMap::new();
            loop {
                match self.store.log_sources_to_tail().await {
                    Ok(sources) => {
                        let now = self.clock.now_ms();
                        for source in sources {
                            let due = last_read
                                .get(source.id.as_str())
                                .is_none_or(|at| now - at >= source.config.poll_interval_ms);
                            if !due {
                                continue;
                            }
                            last_read.insert(source.id.as_str().to_string(), now);
                            match self.poll_source(&source).await {
                                Ok(report) if report.events > 0 || report.malformed > 0 => {
                                    tracing::info!(source = %source.id, lines = report.lines, events = report.events, malformed = report.malformed, "log source read");
                                }
                                Ok(_) => {}
                                Err(err) => {
                                    tracing::warn!(source = %source.id, error = %err, "log source not read");
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "log sources not loaded"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(TICK) => {}
                    _ = stop.changed() => break,
                }
            }
            tracing::debug!("log tailer stopped");
        })
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The file may still grow: a text record that ends it waits.
    Follow,
    /// The file rests or was rotated away: read to its very end.
    Drain,
    /// Read to the end without storing an offset (`sentinel tail`).
    Once,
}

/// Runs file I/O off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)?
}
