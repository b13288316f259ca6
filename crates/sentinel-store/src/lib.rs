//! All of Sentinel's SQL, behind one [`Store`] API over SQLite and PostgreSQL.
//!
//! SQL lives only in this crate. Each area of the data model has its own module with the
//! queries for both backends; most statements are written once (`$1` placeholders work on
//! both), and where the dialects differ the module says so next to the two versions.
//!
//! SQLite runs in WAL mode with one writer connection (every write transaction starts with
//! `BEGIN IMMEDIATE`, so writers queue instead of failing on lock upgrades) and a pool of
//! readers. The ingest writer has a second writing connection of its own, on its own thread
//! ([`incidents::SqliteIngestConnection`]); the two take turns through SQLite's lock and busy
//! timeout. PostgreSQL uses one pool for both, and the ingest writer a small pool of its own.
//!
//! Every method on tenant-owned data takes the [`OrgId`](sentinel_core::id::OrgId) it acts
//! for and filters by it, so one organization can neither read nor change another's rows.

pub mod alerts;
pub mod autopsy;
pub mod backup;
pub mod code;
mod cursor;
pub mod dashboard;
mod db;
pub mod detections;
mod error;
pub mod github_artifacts;
pub mod incidents;
pub mod jobs;
pub mod llm;
pub mod log_sources;
pub mod metrics;
pub mod monitors;
pub mod tenancy;
pub mod writer;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use db::{Backend, Readiness, Store, StoreOptions, Tx};
pub use error::{DriverError, StoreError};

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;
