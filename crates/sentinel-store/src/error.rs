//! The store's error type: what callers can act on, not sqlx's internals.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timed out, I/O error).
    /// Callers answer 503 and retry later; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database is locked by another writer past the busy timeout. Retry later.
    #[error("database busy: {0}")]
    Busy(#[source] sqlx::Error),
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
    Database(#[source] sqlx::Error),
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
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err),
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    return StoreError::Conflict(db.message().to_string());
                }
                // SQLite: 5 = SQLITE_BUSY, 6 = SQLITE_LOCKED (extended codes keep the low byte).
                // PostgreSQL: class 08 = connection exception, 57P01..03 = shutdown/cannot connect.
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                if let Ok(n) = code.parse::<u32>() {
                    if matches!(n & 0xff, 5 | 6) {
                        return StoreError::Busy(err);
                    }
                    // SQLITE_IOERR (10), SQLITE_CANTOPEN (14), SQLITE_READONLY (8): the file is gone.
                    if matches!(n & 0xff, 8 | 10 | 14) {
                        return StoreError::Unavailable(err);
                    }
                }
                if code.starts_with("08") || code.starts_with("57P") {
                    return StoreError::Unavailable(err);
                }
                StoreError::Database(err)
            }
            _ => StoreError::Database(err),
        }
    }
}
