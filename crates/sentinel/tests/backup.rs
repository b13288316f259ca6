//! `sentinel backup` while a real server takes envelopes, then `sentinel restore` into a new
//! data directory: every event acknowledged before the backup began is in the restored
//! database, and a server starts on it. Refusals: an existing backup file, a restore over a
//! database without `--force`, a file that is not a Sentinel database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{open_store, org_of_key, EnvelopeSenders, ServerProcess};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn sentinel(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_event_acknowledged_before_it() {
    let live = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(live.path());
    let (key, project) = server.key_and_project();
    let senders = EnvelopeSenders::start(&server, &key, &project, 4);
    senders.wait_for(300, Duration::from_secs(120)).await;

    // The backup runs while the senders go on.
    let before = senders.acknowledged.lock().unwrap().clone();
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("sentinel-backup.db");
    let backed_up = tokio::task::spawn_blocking({
        let (live, file) = (live.path().to_path_buf(), file.clone());
        move || sentinel(&live, &["backup", file.to_str().unwrap()])
    })
    .await
    .unwrap();
    let during = senders.count();
    senders.stop().await;
    assert!(backed_up.status.success(), "{}", text(&backed_up));
    assert!(
        text(&backed_up).contains("Backed up"),
        "{}",
        text(&backed_up)
    );
    assert!(
        during > before.len(),
        "the senders kept going while the backup ran"
    );
    let again = sentinel(live.path(), &["backup", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    // Restored into a new data directory: every event acknowledged before the backup.
    let restored = tempfile::tempdir().unwrap();
    let put_back = sentinel(restored.path(), &["restore", file.to_str().unwrap()]);
    assert!(put_back.status.success(), "{}", text(&put_back));
    let over = sentinel(restored.path(), &["restore", file.to_str().unwrap()]);
    assert!(
        !over.status.success(),
        "a restore over a database needs --force"
    );
    assert!(text(&over).contains("--force"), "{}", text(&over));
    let store = open_store(restored.path()).await;
    let org = org_of_key(&store, &key).await;
    let mut missing = 0;
    for id in &before {
        if store.get_event(&org, id).await.is_err() {
            missing += 1;
        }
    }
    assert_eq!(
        missing,
        0,
        "of {} acknowledged before the backup",
        before.len()
    );
    store.close().await;
    let on_restored = ServerProcess::start(restored.path());
    assert!(
        on_restored.dsn.is_none(),
        "the restored organization is kept"
    );
    drop(on_restored);
    drop(server);
}

#[test]
fn a_file_that_is_not_a_sentinel_database_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.db");
    std::fs::write(&bogus, "not a database at all").unwrap();
    let data = dir.path().join("data");
    let output = sentinel(&data, &["restore", bogus.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("not a Sentinel database"),
        "{}",
        text(&output)
    );
    assert!(
        !data.join("sentinel.db").exists(),
        "nothing was put in place"
    );
}
