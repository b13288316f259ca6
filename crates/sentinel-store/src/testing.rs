//! Fresh stores for tests: a SQLite file in a temporary folder, or a PostgreSQL schema of
//! its own when `SENTINEL_TEST_DATABASE_URL` is set.
//!
//! [`store_tests!`](crate::store_tests) turns `async fn name(store: Store)` into one test per
//! backend, so one suite proves both. Without the PostgreSQL URL the PostgreSQL half passes
//! after printing that it was skipped; CI always sets it.

use crate::{Store, StoreOptions};

/// The environment variable that enables the PostgreSQL half of the suites.
pub const PG_URL_VAR: &str = "SENTINEL_TEST_DATABASE_URL";

/// A store that lives as long as this value (its temporary folder is removed on drop).
pub struct TestStore {
    pub store: Store,
    pub options: StoreOptions,
    _dir: Option<tempfile::TempDir>,
}

/// A migrated SQLite store in a new temporary folder.
pub async fn sqlite() -> TestStore {
    sqlite_with(|_| {}).await
}

/// A migrated SQLite store in a new temporary folder, with adjusted options (e.g. a short
/// busy timeout for tests that hold the database's lock).
pub async fn sqlite_with(adjust: impl FnOnce(&mut StoreOptions)) -> TestStore {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut options = StoreOptions::sqlite_in(dir.path());
    options.max_connections = 4;
    adjust(&mut options);
    let store = Store::open(&options).await.expect("open sqlite test store");
    TestStore {
        store,
        options,
        _dir: Some(dir),
    }
}

/// A SQLite store in a new temporary folder with no migration applied.
pub async fn sqlite_unmigrated() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = StoreOptions::sqlite_in(dir.path());
    let store = Store::connect(&options)
        .await
        .expect("open sqlite test store");
    TestStore {
        store,
        options,
        _dir: Some(dir),
    }
}

/// A PostgreSQL store in a new, empty schema (no migration applied), or `None` when no test
/// database is set.
pub async fn postgres_unmigrated() -> Option<TestStore> {
    postgres_store(false).await
}

/// A migrated PostgreSQL store in a new schema, or `None` when no test database is set.
pub async fn postgres() -> Option<TestStore> {
    postgres_store(true).await
}

async fn postgres_store(migrated: bool) -> Option<TestStore> {
    let url = std::env::var(PG_URL_VAR).ok().filter(|u| !u.is_empty())?;
    let schema = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
    let admin = sqlx::PgPool::connect(&url)
        .await
        .expect("connect to test postgres");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create test schema");
    admin.close().await;
    let mut options = StoreOptions::new(url);
    options.pg_schema = Some(schema);
    options.max_connections = 4;
    let store = if migrated {
        Store::open(&options).await
    } else {
        Store::connect(&options).await
    }
    .expect("open postgres test store");
    Some(TestStore {
        store,
        options,
        _dir: None,
    })
}

/// Holds SQLite's write lock from a separate connection, as another process would, until
/// dropped (the transaction is rolled back). `None` for PostgreSQL, which has no
/// whole-database write lock.
pub async fn hold_sqlite_write_lock(options: &StoreOptions) -> Option<SqliteWriteLock> {
    use sqlx::Connection;
    if !options.url.starts_with("sqlite:") {
        return None;
    }
    let mut conn = sqlx::SqliteConnection::connect(&options.url)
        .await
        .expect("second connection to the test database");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut conn)
        .await
        .expect("take the write lock");
    Some(SqliteWriteLock { _conn: conn })
}

/// See [`hold_sqlite_write_lock`]. Closing the connection rolls the open transaction back.
pub struct SqliteWriteLock {
    _conn: sqlx::SqliteConnection,
}

/// Every value stored in every table of the store, as text (compressed payloads
/// decompressed), one line per row. For tests that prove something was *not* stored.
pub async fn all_stored_text(store: &Store) -> String {
    use sqlx::{Column, Row};
    let mut out = String::new();
    let backend = store.backend();
    let tables: Vec<String> = crate::db::read!(store, |pool| {
        let sql = match backend {
            crate::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            crate::Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        };
        sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await
            .expect("list tables")
    });
    for table in tables {
        crate::db::read!(store, |pool| {
            let rows = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(pool)
                .await
                .expect("read table");
            for row in rows {
                out.push_str(&table);
                for (i, column) in row.columns().iter().enumerate() {
                    out.push(' ');
                    out.push_str(column.name());
                    out.push('=');
                    if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                        out.push_str(&text);
                    } else if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                        let plain = zstd::decode_all(&bytes[..]).unwrap_or(bytes);
                        out.push_str(&String::from_utf8_lossy(&plain));
                    }
                }
                out.push('\n');
            }
        });
    }
    out
}

/// A PostgreSQL URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(PG_URL_VAR).ok().filter(|u| !u.is_empty())
}

/// Declares one test per backend for each listed `async fn name(store: Store)`.
///
/// ```ignore
/// async fn creates_org(store: Store) { ... }
/// sentinel_store::store_tests!(creates_org);
/// ```
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = $crate::testing::sqlite().await;
                    super::$name(test.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = $crate::testing::postgres().await else {
                        eprintln!("skipped: {} is not set", $crate::testing::PG_URL_VAR);
                        return;
                    };
                    super::$name(test.store.clone()).await;
                    test.store.close().await;
                }
            )*
        }
    };
}
