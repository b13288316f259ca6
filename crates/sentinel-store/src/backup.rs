//! Backups of the SQLite database while the server runs, and putting one back.
//!
//! `VACUUM INTO` writes the whole database as one read transaction sees it: a consistent
//! copy that ingest does not wait for (readers never block the WAL's writer), compacted,
//! with no WAL beside it. PostgreSQL has `pg_dump` for this, which Sentinel does not
//! reimplement: [`Store::backup_into`] refuses it with [`BackupError::Postgres`].
//!
//! A restore copies the backup next to the database file, syncs it, removes the old WAL and
//! shared-memory files and renames the copy over the database, so an interrupted restore
//! leaves either the old database or the new one. The server must be stopped first.

use std::path::{Path, PathBuf};

use crate::db::Pools;
use crate::{Store, StoreError, StoreOptions};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("PostgreSQL databases are backed up with pg_dump (see the README)")]
    Postgres,
    #[error("{0} already exists; choose a new file")]
    TargetExists(PathBuf),
    #[error("{path} is not a Sentinel database: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("the backup has {found} migrations, more than the {known} this build knows: restore it with a newer Sentinel")]
    Newer { found: i64, known: i64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes a consistent copy of the SQLite database to `target`, which must not exist.
    pub async fn backup_into(&self, target: &Path) -> Result<(), BackupError> {
        let Pools::Sqlite { checkpointer, .. } = &*self.pools else {
            return Err(BackupError::Postgres);
        };
        if target.exists() {
            return Err(BackupError::TargetExists(target.to_path_buf()));
        }
        let target_text = target.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target_text)
            .execute(checkpointer)
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }
}

/// What a backup file holds, as far as a restore needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub migrations: i64,
    pub organizations: i64,
    pub events: i64,
}

/// Checks that `backup` is a Sentinel SQLite database this build can run on.
pub async fn inspect_backup(backup: &Path) -> Result<BackupSummary, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: backup.to_path_buf(),
        reason,
    };
    if !backup.is_file() {
        return Err(not_a_backup("no such file".into()));
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(backup)
        .read_only(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    let counted: Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE), \
         (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM events)",
    )
    .fetch_one(&pool)
    .await;
    pool.close().await;
    let (migrations, organizations, events) = counted.map_err(|e| not_a_backup(e.to_string()))?;
    let known = sqlx::migrate!("./migrations/sqlite").iter().count() as i64;
    if migrations > known {
        return Err(BackupError::Newer {
            found: migrations,
            known,
        });
    }
    Ok(BackupSummary {
        migrations,
        organizations,
        events,
    })
}

/// Puts `backup` in place of the SQLite database `options` names. The server must not be
/// running on it. An older backup is migrated when the server next starts.
pub async fn restore_sqlite(
    options: &StoreOptions,
    backup: &Path,
) -> Result<BackupSummary, BackupError> {
    let Some(file) = options.url.strip_prefix("sqlite://") else {
        return Err(BackupError::Postgres);
    };
    let file = PathBuf::from(file.split('?').next().unwrap_or(file));
    let summary = inspect_backup(backup).await?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let staged = with_suffix(&file, ".restoring");
    std::fs::copy(backup, &staged)?;
    std::fs::File::open(&staged)?.sync_all()?;
    // A WAL left from the old database would be replayed onto the restored one.
    for stale in [with_suffix(&file, "-wal"), with_suffix(&file, "-shm")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err.into()),
        }
    }
    std::fs::rename(&staged, &file)?;
    Ok(summary)
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
