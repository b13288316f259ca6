//! End to end with the official `sentry` crate: a real SDK client, configured with nothing
//! but the DSN a real `sentinel serve` printed, sends errors, panics, messages and a
//! transaction; they become grouped incidents in the server's database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{eventually, open_store, org_of_key, ServerProcess};
use sentinel_core::id::OrgId;
use sentinel_store::incidents::{Incident, IncidentQuery};
use sentinel_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// A hub of its own per test, so parallel tests do not share an SDK client.
fn sdk_hub(dsn: &str) -> (Arc<sentry::Client>, Arc<sentry::Hub>) {
    let mut options = sentry::ClientOptions::new()
        .dsn(dsn)
        .release("shop@2.1.0")
        .traces_sample_rate(1.0);
    options.environment = Some("production".into());
    let options = sentry::apply_defaults(options);
    let client = Arc::new(sentry::Client::from_config(options));
    let hub = Arc::new(sentry::Hub::new(
        Some(client.clone()),
        Arc::new(sentry::Scope::default()),
    ));
    (client, hub)
}

async fn incidents(store: &Store, org: &OrgId) -> Vec<Incident> {
    let query = IncidentQuery {
        include_quiet: true,
        limit: 100,
        ..Default::default()
    };
    store.list_incidents(org, &query).await.unwrap().items
}

#[inline(never)]
fn explode(which: u32) {
    // Two panic sites on different lines, with different numbers in the message: one bug.
    if which.is_multiple_of(2) {
        panic!("inventory for sku {which} went negative");
    } else {
        panic!("inventory for sku {} went negative", which * 1000 + 7);
    }
}

#[inline(never)]
fn a_different_path() {
    panic!("cache poisoned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_errors_panics_messages_and_transactions_become_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let dsn = server.dsn.clone().expect("first start prints the DSN");
    let (key, _) = server.key_and_project();
    let (client, hub) = sdk_hub(&dsn);

    sentry::Hub::run(hub.clone(), || {
        // A captured error, twice with different values: one incident of two events.
        let parse = "12a".parse::<u32>().unwrap_err();
        sentry::capture_error(&parse);
        let parse = "zz".parse::<u32>().unwrap_err();
        sentry::capture_error(&parse);
        // Panics: the same bug from two lines, and a different call path.
        for which in 0..4 {
            let _ = std::panic::catch_unwind(|| explode(which));
        }
        let _ = std::panic::catch_unwind(a_different_path);
        // Messages differing only in their numbers group together.
        sentry::capture_message("payment 1234 declined for user 77", sentry::Level::Error);
        sentry::capture_message("payment 98 declined for user 4410", sentry::Level::Error);
        // A transaction is stored but is not an incident.
        let transaction = sentry::start_transaction(sentry::TransactionContext::new(
            "GET /checkout",
            "http.server",
        ));
        transaction.finish();
    });
    assert!(
        client.flush(Some(Duration::from_secs(20))),
        "the SDK could not deliver"
    );

    let store = open_store(dir.path()).await;
    let org = org_of_key(&store, &key).await;
    let all = eventually(
        Duration::from_secs(20),
        "four incidents with nine events",
        || {
            let (store, org) = (store.clone(), org.clone());
            async move {
                let all = incidents(&store, &org).await;
                let events: i64 = all.iter().map(|i| i.occurrence_count).sum();
                (all.len() == 4 && events == 9).then_some(all)
            }
        },
    )
    .await;

    let by_count = |n: i64, needle: &str| {
        all.iter()
            .find(|i| i.occurrence_count == n && i.title.contains(needle))
            .unwrap_or_else(|| {
                panic!("no incident with {n} events titled like {needle:?}: {all:#?}")
            })
    };
    let parse = by_count(2, "ParseIntError");
    assert_eq!(parse.release.as_deref(), Some("shop@2.1.0"));
    assert_eq!(parse.environment.as_deref(), Some("production"));
    let panics = by_count(4, "went negative");
    assert_eq!(panics.error_class.as_str(), "crash", "{panics:#?}");
    by_count(1, "cache poisoned");
    by_count(2, "declined");
}
