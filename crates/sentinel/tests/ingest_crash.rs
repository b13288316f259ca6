//! Durability: every event the server acknowledged with 200 survives `kill -9`.
//!
//! A real `sentinel serve` process takes envelopes from concurrent senders; once a few
//! hundred have been acknowledged it is killed with SIGKILL mid-load. It is then started
//! again on the same data directory, and every acknowledged event id must be in the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{open_store, org_of_key, ServerProcess};
use sentinel::bench::payload::Envelopes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_survives_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path());
    let (key, project) = server.key_and_project();
    let url = format!("{}/api/{project}/envelope/", server.base_url);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut senders = Vec::new();
    for worker in 0..8u64 {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut envelopes = Envelopes::new(50, 1, worker + 1);
            while !stop.load(Ordering::Relaxed) {
                let answer = client
                    .post(&url)
                    .header(
                        "x-sentry-auth",
                        format!("Sentry sentry_version=7, sentry_key={key}"),
                    )
                    .body(envelopes.next_envelope())
                    .send()
                    .await;
                let Ok(answer) = answer else { continue };
                if answer.status() == 200 {
                    let body: serde_json::Value = answer.json().await.unwrap();
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_string());
                }
            }
        }));
    }

    // Kill once a good number of events have been acknowledged, with the senders still going.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 500 {
        assert!(
            Instant::now() < deadline,
            "the server acknowledged too few events"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

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
