//! Connections, migrations and the two backends behind one [`Store`].
//!
//! The macros [`read!`], [`write!`] and [`tx!`] run one body against whichever backend the
//! store holds: the body is compiled once per backend, so queries are written once and
//! checked against both types of connection.

use crate::incidents::SqliteIngestConnection;
use crate::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    pub url: String,
    /// Readers for SQLite, total connections for PostgreSQL.
    pub max_connections: u32,
    /// How long a write waits for a locked SQLite database before giving up.
    pub busy_timeout: Duration,
    /// How long to wait for a pooled connection before reporting the database unavailable.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to use (tests give each a schema of its own).
    pub pg_schema: Option<String>,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            pg_schema: None,
        }
    }

    /// A SQLite file inside `dir`.
    pub fn sqlite_in(dir: &Path) -> Self {
        Self::new(format!("sqlite://{}", dir.join("sentinel.db").display()))
    }
}

pub(crate) enum Pools {
    Sqlite {
        /// Exactly one connection: SQLite allows one writer at a time anyway, and a single
        /// connection turns lock contention into an orderly queue. (The ingest writer's own
        /// connection is the one other writer; see `open_sqlite_ingest_connection`.)
        writer: SqlitePool,
        reader: SqlitePool,
        /// Runs WAL checkpoints in the background, so commits never pay for them.
        checkpointer: SqlitePool,
        /// The database file and lock wait, for the ingest writer's own connection.
        file: PathBuf,
        busy_timeout: Duration,
    },
    Postgres(PgPool),
}

/// The one storage API. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pools: Arc<Pools>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

/// A write transaction on either backend. Commit it or drop it to roll back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs `$body` with `$pool` bound to the read pool of the store's backend.
macro_rules! read {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &*$store.pools {
            $crate::db::Pools::Sqlite { reader, .. } => {
                let $pool = reader;
                $body
            }
            $crate::db::Pools::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that writes (SQLite's single writer).
/// For a single statement; use [`Store::begin`] and [`tx!`] for several.
#[allow(unused_macros)]
macro_rules! write {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &*$store.pools {
            $crate::db::Pools::Sqlite { writer, .. } => {
                let $pool = writer;
                $body
            }
            $crate::db::Pools::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut Connection`).
#[allow(unused_macros)]
macro_rules! tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use {read, tx, write};

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates.
    pub async fn open(options: &StoreOptions) -> StoreResult<Self> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens without migrating.
    pub async fn connect(options: &StoreOptions) -> StoreResult<Self> {
        let url = options.url.as_str();
        let pools = if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(options.busy_timeout)
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000")
                // Checkpoints (copying the WAL into the database file, with an fsync) would
                // otherwise run inside whichever commit crosses 1,000 pages, stalling ingest.
                // A background connection checkpoints often instead (see
                // `CHECKPOINT_INTERVAL`); under sustained ingest the commit that crosses
                // this higher threshold copies only what the background has not yet.
                .pragma("wal_autocheckpoint", "20000");
            // The writer's one connection is a local file handle that cannot go stale, so
            // the pool's ping before every acquire would only add a round trip to each
            // transaction (≈0.5 ms per ingest batch under load).
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(base.clone())
                .await?;
            // Each reader connection keeps its own page cache, and the pool opens up to
            // `max_connections` of them, so 32 MB each could add up to a quarter of a GB
            // under load (role `all` peaked at 130–236 MB in some ingest runs). 8 MB each
            // rendered the dashboard benchmark's list and incident pages as fast as 32 MB
            // did (BENCHMARKS.md); the OS page cache holds the rest.
            let reader = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(base.clone().read_only(true).pragma("cache_size", "-8000"))
                .await?;
            let checkpointer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(base.clone())
                .await?;
            spawn_checkpoints(checkpointer.clone());
            Pools::Sqlite {
                file: base.get_filename().to_path_buf(),
                busy_timeout: options.busy_timeout,
                writer,
                reader,
                checkpointer,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut connect = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
            if let Some(schema) = &options.pg_schema {
                connect = connect.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::InvalidUrl(format!(
                "{url:?}: expected sqlite://… or postgres://…"
            )));
        };
        Ok(Self {
            pools: Arc::new(pools),
        })
    }

    pub fn backend(&self) -> Backend {
        match &*self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies only the first `count` migrations, as an older build would have left the
    /// database (the upgrade tests start from each).
    #[cfg(any(test, feature = "testing"))]
    pub async fn migrate_first(&self, count: usize) -> StoreResult<()> {
        fn first(mut migrator: sqlx::migrate::Migrator, count: usize) -> sqlx::migrate::Migrator {
            let kept = migrator.migrations.iter().take(count).cloned().collect();
            migrator.migrations = std::borrow::Cow::Owned(kept);
            migrator
        }
        match &*self.pools {
            Pools::Sqlite { writer, .. } => {
                first(sqlx::migrate!("./migrations/sqlite"), count)
                    .run(writer)
                    .await?
            }
            Pools::Postgres(pg) => {
                first(sqlx::migrate!("./migrations/postgres"), count)
                    .run(pg)
                    .await?
            }
        }
        Ok(())
    }

    /// The number of migrations this build carries for the store's backend.
    pub fn migrations_known(&self) -> usize {
        match self.backend() {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").iter().count(),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").iter().count(),
        }
    }

    /// Applies the migrations this build carries.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &*self.pools {
            Pools::Sqlite { writer, .. } => {
                sqlx::migrate!("./migrations/sqlite").run(writer).await?
            }
            Pools::Postgres(pg) => sqlx::migrate!("./migrations/postgres").run(pg).await?,
        }
        Ok(())
    }

    /// Ready means: the database answers, and every migration this build carries is applied.
    pub async fn check_ready(&self) -> StoreResult<Readiness> {
        let expected = self.migrations_known() as i64;
        let applied: i64 = read!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await?
        });
        Ok(Readiness {
            migrations_applied: applied,
            migrations_expected: expected,
        })
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so the write lock is taken
    /// up front and a busy database is reported here rather than half-way through.
    pub async fn begin(&self) -> StoreResult<Tx> {
        match &*self.pools {
            Pools::Sqlite { writer, .. } => {
                Ok(Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?))
            }
            Pools::Postgres(pg) => Ok(Tx::Postgres(pg.begin().await?)),
        }
    }

    /// Creates a PostgreSQL schema (benchmarks and tests give each run a schema of its own).
    pub async fn create_pg_schema(&self, name: &str) -> StoreResult<()> {
        let Pools::Postgres(pg) = &*self.pools else {
            return Err(StoreError::InvalidUrl(
                "schemas exist only on PostgreSQL".into(),
            ));
        };
        check_schema_name(name)?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {name}"))
            .execute(pg)
            .await?;
        Ok(())
    }

    /// Drops a PostgreSQL schema made by [`Store::create_pg_schema`], with everything in it.
    pub async fn drop_pg_schema(&self, name: &str) -> StoreResult<()> {
        let Pools::Postgres(pg) = &*self.pools else {
            return Err(StoreError::InvalidUrl(
                "schemas exist only on PostgreSQL".into(),
            ));
        };
        check_schema_name(name)?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .execute(pg)
            .await?;
        Ok(())
    }

    /// Closes every connection; used at shutdown.
    pub async fn close(&self) {
        match &*self.pools {
            Pools::Sqlite {
                writer,
                reader,
                checkpointer,
                ..
            } => {
                writer.close().await;
                reader.close().await;
                checkpointer.close().await;
            }
            Pools::Postgres(pg) => pg.close().await,
        }
    }

    /// On SQLite, a connection of its own for the ingest writer's thread, which runs each
    /// batch on it synchronously (see [`SqliteIngestConnection`]); `None` on PostgreSQL.
    /// Blocking: call it from the thread that will own the connection.
    pub fn open_sqlite_ingest_connection(&self) -> StoreResult<Option<SqliteIngestConnection>> {
        match &*self.pools {
            Pools::Sqlite {
                file, busy_timeout, ..
            } => SqliteIngestConnection::open(file, *busy_timeout).map(Some),
            Pools::Postgres(_) => Ok(None),
        }
    }

    /// On PostgreSQL, a store with a pool of its own of up to `connections` connections, with
    /// the same settings, for a task that runs on a runtime of its own (a connection is a
    /// socket that belongs to the runtime that opened it). On SQLite, this store. Call it
    /// from the runtime that will use the result; close it when done.
    pub async fn with_own_pool(&self, connections: u32) -> StoreResult<Store> {
        match &*self.pools {
            Pools::Postgres(pg) => {
                let pool = PgPoolOptions::new()
                    .max_connections(connections.max(1))
                    .acquire_timeout(pg.options().get_acquire_timeout())
                    .connect_with((*pg.connect_options()).clone())
                    .await?;
                Ok(Store {
                    pools: Arc::new(Pools::Postgres(pool)),
                })
            }
            Pools::Sqlite { .. } => Ok(self.clone()),
        }
    }

    /// The PostgreSQL pool, for `LISTEN` connections (wake-ups for the job queue).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &*self.pools {
            Pools::Postgres(pg) => Some(pg),
            Pools::Sqlite { .. } => None,
        }
    }
}

/// Schema names are spliced into DDL, so only `[a-z0-9_]+` is accepted.
fn check_schema_name(name: &str) -> StoreResult<()> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(StoreError::InvalidUrl(format!(
            "invalid schema name {name:?}"
        )))
    }
}

/// How often the background connection checkpoints the WAL.
///
/// Under sustained ingest the WAL grows by tens of thousands of pages a second, and a
/// passive checkpoint that runs while the writer commits never catches up completely, so
/// only the writer's own automatic checkpoint (at 20,000 pages) lets the WAL start over.
/// That one runs inside a commit and copies whatever the background has not, so the
/// interval bounds the stall. In the ingest bench (BENCHMARKS.md): every second, the worst
/// acknowledgement was 80–95 ms; every 200 ms, 77–81 ms with p99 40–45 ms once batches got
/// small; every 100 ms, 44–47 ms with p99 near 29 ms and the most events per second; every
/// 50 ms, p99 near 24 ms but more CPU per event, as hot pages are copied more often. An idle
/// database makes this a no-op.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Checkpoints the WAL every [`CHECKPOINT_INTERVAL`] (PASSIVE: never waits for readers or
/// the writer) until the pool is closed.
fn spawn_checkpoints(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %err, "background checkpoint failed");
            }
        }
    });
}

/// What `/readyz` reports about the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub migrations_applied: i64,
    pub migrations_expected: i64,
}

impl Readiness {
    pub fn is_current(&self) -> bool {
        self.migrations_applied >= self.migrations_expected
    }
}
