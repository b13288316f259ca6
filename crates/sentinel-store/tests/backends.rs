//! The harness itself: both backends open, migrate and report ready, and placeholders bind
//! by number on both.
#![allow(clippy::unwrap_used)]

use sentinel_store::{Backend, Store};

async fn migrations_are_current_after_open(store: Store) {
    let readiness = store.check_ready().await.unwrap();
    assert!(readiness.is_current(), "{readiness:?}");
    assert!(readiness.migrations_expected >= 3);
}

async fn placeholders_bind_by_number(store: Store) {
    let mut tx = store.begin().await.unwrap();
    let backend = tx.backend();
    assert!(matches!(backend, Backend::Sqlite | Backend::Postgres));
    let pair: (String, String) = match &mut tx {
        sentinel_store::Tx::Sqlite(t) => sqlx::query_as("SELECT $2, $1")
            .bind("first")
            .bind("second")
            .fetch_one(&mut **t)
            .await
            .unwrap(),
        sentinel_store::Tx::Postgres(t) => sqlx::query_as("SELECT $2::text, $1::text")
            .bind("first")
            .bind("second")
            .fetch_one(&mut **t)
            .await
            .unwrap(),
    };
    assert_eq!(pair, ("second".to_string(), "first".to_string()));
    tx.commit().await.unwrap();
}

sentinel_store::store_tests!(
    migrations_are_current_after_open,
    placeholders_bind_by_number
);
