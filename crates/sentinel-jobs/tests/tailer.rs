//! The log tailer over real files: rotation by rename and by copytruncate, a restart in the
//! middle of a file, a 10 MB line, a line cut in half, invalid UTF-8. Every read is an
//! explicit poll; nothing sleeps.
#![allow(clippy::unwrap_used)]

use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::log_source::{FieldMapping, LogFormat, LogSourceConfig};
use sentinel_jobs::tailer::Tailer;
use sentinel_store::incidents::IncidentQuery;
use sentinel_store::log_sources::LogSource;
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::writer::{IngestWriter, WriterOptions};
use sentinel_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const NOW: i64 = 1_796_000_000_000;

struct Setup {
    store: Store,
    writer: IngestWriter,
    clock: SharedClock,
    source: LogSource,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new(store: Store, pattern: &str) -> Self {
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
                    name: "api".into(),
                    platform: "python".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = LogSourceConfig {
            path: dir.path().join(pattern).to_string_lossy().into_owned(),
            format: LogFormat::JsonLines,
            fields: FieldMapping::default(),
            poll_interval_ms: 1_000,
            enabled: true,
        };
        let source = store
            .create_log_source(&org.id, &service.id, &config, NOW)
            .await
            .unwrap();
        let clock: SharedClock = Arc::new(ManualClock::new(NOW));
        let writer =
            IngestWriter::spawn(store.clone(), clock.clone(), WriterOptions::default(), None);
        Self {
            store,
            writer,
            clock,
            source,
            dir,
        }
    }

    fn tailer(&self) -> Tailer {
        Tailer::new(self.store.clone(), self.writer.clone(), self.clock.clone())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Occurrences stored, over all incidents.
    async fn occurrences(&self) -> i64 {
        let page = self
            .store
            .list_incidents(&self.source.org_id, &IncidentQuery::default())
            .await
            .unwrap();
        page.items.iter().map(|i| i.occurrence_count).sum()
    }

    async fn offsets(&self) -> Vec<(String, i64, i64)> {
        self.store
            .log_source_files(&self.source.org_id, &self.source.id)
            .await
            .unwrap()
            .into_iter()
            .map(|f| {
                (
                    f.path.rsplit('/').next().unwrap().to_string(),
                    f.offset,
                    f.malformed,
                )
            })
            .collect()
    }
}

fn error_line(n: usize) -> String {
    format!("{{\"level\":\"error\",\"message\":\"failure {n}\",\"exception\":{{\"type\":\"ValueError{n}\",\"message\":\"bad\"}}}}\n")
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(bytes).unwrap();
}

async fn a_restart_mid_file_neither_rereads_nor_skips(store: Store) {
    let setup = Setup::new(store, "app.log").await;
    let log = setup.path("app.log");
    append(
        &log,
        format!(
            "{}{}{{\"level\":\"info\",\"message\":\"ok\"}}\n",
            error_line(1),
            error_line(2)
        )
        .as_bytes(),
    );
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!((report.lines, report.events), (3, 2));
    assert_eq!(setup.occurrences().await, 2);
    append(&log, error_line(3).as_bytes());
    // A new tailer knows only what the store holds.
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!((report.lines, report.events), (1, 1));
    assert_eq!(setup.occurrences().await, 3);
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!(report.events, 0);
    setup.writer.shutdown().await;
}

async fn rotation_by_rename_finishes_the_old_file_then_reads_the_new(store: Store) {
    let setup = Setup::new(store, "app.log").await;
    let log = setup.path("app.log");
    append(&log, error_line(1).as_bytes());
    setup.tailer().poll_source(&setup.source).await.unwrap();
    // Written after the last poll, then rotated away before the next.
    append(&log, error_line(2).as_bytes());
    std::fs::rename(&log, setup.path("app.log.1")).unwrap();
    append(&log, error_line(3).as_bytes());
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!(report.events, 2);
    assert_eq!(setup.occurrences().await, 3);
    assert_eq!(
        setup.offsets().await,
        [("app.log".to_string(), error_line(3).len() as i64, 0)]
    );
    setup.writer.shutdown().await;
}

async fn copytruncate_reads_the_file_again_from_its_start(store: Store) {
    let setup = Setup::new(store, "app*.log").await;
    let log = setup.path("app.log");
    append(
        &log,
        format!("{}{}", error_line(1), error_line(2)).as_bytes(),
    );
    setup.tailer().poll_source(&setup.source).await.unwrap();
    std::fs::copy(&log, setup.path("copy.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&log, error_line(3).as_bytes());
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!(report.events, 1);
    assert_eq!(setup.occurrences().await, 3);
    setup.writer.shutdown().await;
}

async fn a_line_cut_in_half_is_read_once_it_is_whole(store: Store) {
    let setup = Setup::new(store, "app.log").await;
    let log = setup.path("app.log");
    let line = error_line(1);
    let (first, second) = line.split_at(20);
    append(&log, first.as_bytes());
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!((report.lines, report.events), (0, 0));
    append(&log, second.as_bytes());
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!((report.lines, report.events), (1, 1));
    assert_eq!(setup.occurrences().await, 1);
    setup.writer.shutdown().await;
}

async fn a_10_mb_line_and_invalid_utf8_are_counted_and_skipped(store: Store) {
    let setup = Setup::new(store, "app.log").await;
    let log = setup.path("app.log");
    let mut huge = b"{\"level\":\"error\",\"message\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    huge.extend_from_slice(b"\"}\n");
    append(&log, &huge);
    append(&log, b"{\"level\":\"error\",\"message\":\"\xff\xfe\"}\n");
    append(&log, error_line(1).as_bytes());
    let report = setup.tailer().poll_source(&setup.source).await.unwrap();
    assert_eq!((report.lines, report.events, report.malformed), (3, 1, 2));
    assert_eq!(setup.occurrences().await, 1);
    let offsets = setup.offsets().await;
    assert_eq!(offsets[0].2, 2);
    assert_eq!(offsets[0].1 as u64, std::fs::metadata(&log).unwrap().len());
    setup.writer.shutdown().await;
}

async fn a_text_traceback_at_the_end_is_read_once_the_file_rests(store: Store) {
    let mut setup = Setup::new(store, "app.log").await;
    setup.source.config.format = LogFormat::Text;
    let log = setup.path("app.log");
    append(&log, b"2026-12-01 10:00:00 ERROR charge failed\nTraceback (most recent call last):\n  File \"/app/billing.py\", line 3, in charge\n    1/0\nZeroDivisionError: division by zero\n");
    let tailer = setup.tailer();
    assert_eq!(tailer.poll_source(&setup.source).await.unwrap().events, 0);
    // Nothing was added since: the record is complete.
    assert_eq!(tailer.poll_source(&setup.source).await.unwrap().events, 1);
    assert_eq!(tailer.poll_source(&setup.source).await.unwrap().events, 0);
    let page = setup
        .store
        .list_incidents(&setup.source.org_id, &IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items[0].error_type, "ZeroDivisionError");
    setup.writer.shutdown().await;
}

sentinel_store::store_tests!(
    a_restart_mid_file_neither_rereads_nor_skips,
    rotation_by_rename_finishes_the_old_file_then_reads_the_new,
    copytruncate_reads_the_file_again_from_its_start,
    a_line_cut_in_half_is_read_once_it_is_whole,
    a_10_mb_line_and_invalid_utf8_are_counted_and_skipped,
    a_text_traceback_at_the_end_is_read_once_the_file_rests,
);
