//! The store's error type: what callers can act on, not the drivers' internals.

use thiserror::Error;

/// The driver error behind a [`StoreError`]: sqlx for most of the store, rusqlite for the
/// SQLite ingest connection.
#[derive(Debug, Error)]
pub enum DriverError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timed out, I/O error).
    /// Callers answer 503 and retry later; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] DriverError),
    /// The database is locked by another writer past the busy timeout. Retry later.
    #[error("database busy: {0}")]
    Busy(#[source] DriverError),
    /// A uniqueness constraint refused the write.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// A stored value could not be decoded into its domain type.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database url: {0}")]
    InvalidUrl(String),
    #[error("database error: {0}")]
    Database(#[source] DriverError),
}

impl StoreError {
    /// Whether the same operation may succeed if tried again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Busy(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.into()),
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    return StoreError::Conflict(db.message().to_string());
                }
                // SQLite: 5 = SQLITE_BUSY, 6 = SQLITE_LOCKED (extended codes keep the low byte).
                // PostgreSQL: class 08 = connection exception, 57P01..03 = shutdown/cannot connect.
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                if let Ok(n) = code.parse::<u32>() {
                    if matches!(n & 0xff, 5 | 6) {
                        return StoreError::Busy(err.into());
                    }
                    // SQLITE_IOERR (10), SQLITE_CANTOPEN (14), SQLITE_READONLY (8): the file is gone.
                    if matches!(n & 0xff, 8 | 10 | 14) {
                        return StoreError::Unavailable(err.into());
                    }
                }
                // 40P01 deadlock detected, 40001 serialization failure: the transaction was
                // rolled back and may simply be tried again.
                if code == "40P01" || code == "40001" {
                    return StoreError::Busy(err.into());
                }
                if code.starts_with("08") || code.starts_with("57P") {
                    return StoreError::Unavailable(err.into());
                }
                StoreError::Database(err.into())
            }
            _ => StoreError::Database(err.into()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match &err {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy(err.into()),
                ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::DiskFull
                | ErrorCode::NotADatabase => StoreError::Unavailable(err.into()),
                ErrorCode::ConstraintViolation
                    if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    StoreError::Conflict(message.clone().unwrap_or_else(|| failure.to_string()))
                }
                _ => StoreError::Database(err.into()),
            },
            _ => StoreError::Database(err.into()),
        }
    }
}
