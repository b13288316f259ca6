//! Durability: every event the server acknowledged with 200 survives `kill -9`.
//!
//! A real `sentinel serve` process takes envelopes from concurrent senders; once a few
//! hundred have been acknowledged it is killed with SIGKILL mid-load. It is then started
//! again on the same data directory, and every acknowledged event id must be in the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{open_store, org_of_key, EnvelopeSenders, ServerProcess};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_survives_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path());
    let (key, project) = server.key_and_project();
    let senders = EnvelopeSenders::start(&server, &key, &project, 8);
    // Kill once a good number of events have been acknowledged, with the senders still going.
    senders.wait_for(500, Duration::from_secs(120)).await;
    server.kill9();
    let acknowledged = senders.stop().await;

    // It starts again on the same data, and nothing acknowledged is missing.
    let restarted = ServerProcess::start(dir.path());
    assert!(
        restarted.dsn.is_none(),
        "a restart must not print a new DSN"
    );
    let store = open_store(dir.path()).await;
    let org = org_of_key(&store, &key).await;
    let mut missing = Vec::new();
    for id in &acknowledged {
        if store.get_event(&org, id).await.is_err() {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events are missing: {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
}
