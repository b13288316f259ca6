//! Upgrading a database an earlier build left: for every migration set this build has
//! shipped (the first 1, 2, … N migrations), a database is made at that point with an
//! organization in it, then upgraded by opening it as this build does. The upgrade applies
//! every remaining migration, keeps the organization, and the latest schema takes writes.
//! On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::testing::{postgres_unmigrated, sqlite_unmigrated, TestStore, PG_URL_VAR};
use sentinel_store::Store;

const NOW: i64 = 1_709_251_200_000;

async fn upgrade_from_every_earlier_set(blank: impl AsyncFn() -> Option<TestStore>) {
    let Some(probe) = blank().await else {
        eprintln!("skipped: {PG_URL_VAR} is not set");
        return;
    };
    let known = probe.store.migrations_known();
    probe.store.close().await;
    assert!(known > 20, "{known} migrations");
    for shipped in 1..known {
        let test = blank().await.unwrap();
        let old: &Store = &test.store;
        old.migrate_first(shipped).await.unwrap();
        let readiness = old.check_ready().await.unwrap();
        assert_eq!(readiness.migrations_applied, shipped as i64);
        let org = old
            .create_organization(
                &NewOrganization {
                    slug: format!("acme-{shipped}"),
                    name: "Acme".into(),
                },
                NOW,
            )
            .await
            .unwrap();

        // This build opens it: everything after `shipped` is applied.
        old.migrate()
            .await
            .unwrap_or_else(|e| panic!("upgrading from {shipped}: {e}"));
        let readiness = old.check_ready().await.unwrap();
        assert_eq!(
            (readiness.migrations_applied, readiness.migrations_expected),
            (known as i64, known as i64),
            "from {shipped}"
        );
        let kept = old.get_organization(&org.id).await.unwrap().unwrap();
        assert_eq!(kept.slug, format!("acme-{shipped}"));
        old.create_service(
            &org.id,
            &NewService {
                name: "shop".into(),
                platform: "python".into(),
            },
            NOW,
        )
        .await
        .unwrap_or_else(|e| panic!("a write after upgrading from {shipped}: {e}"));
        old.close().await;
    }
}

#[tokio::test]
async fn sqlite_upgrades_from_every_earlier_migration_set() {
    upgrade_from_every_earlier_set(async || Some(sqlite_unmigrated().await)).await;
}

#[tokio::test]
async fn postgres_upgrades_from_every_earlier_migration_set() {
    upgrade_from_every_earlier_set(postgres_unmigrated).await;
}
