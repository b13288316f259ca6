//! The code side's storage: GitHub App installations, repositories, webhook deliveries,
//! the append-only code-event feed, commits and their per-file attribution. The tables for
//! all of them are in migration 0015.
//!
//! Like the rest of the store, every method on tenant-owned rows takes the organization it
//! acts for. The exceptions are the lookups that find the organization in the first place:
//! an installation by its GitHub id, a delivery by its GUID, and the repositories of an
//! installation.
//!
//! "AI" everywhere in this module means an attribution with `ai_confidence` of at least
//! [`AI_CONFIDENCE_THRESHOLD`] (0.5): the feed's `ai` filter, the overview's AI commits and
//! AI lines.

mod commits;
mod cursor;
mod deliveries;
mod events;
mod history;
mod installations;
mod overview;
mod repositories;
mod rows;

pub use commits::{
    CommitOverride, CommitStatus, PendingCommit, StoredCommit, StoredFileAttribution,
};
pub use cursor::{InvalidCursor, ListError};
pub use deliveries::{DeliveryOutcome, DeliveryStatus, NewDelivery, StoredDelivery};
pub use events::{CodeEventFilter, NewCodeEvent, StoredCodeEvent};
pub use installations::{ClaimInstallationError, GithubInstallation, InstallationUpsert};
pub use overview::{HighRiskFile, OverviewDay, RepositoryOverview, ToolCount};
pub use repositories::{
    GithubRepository, NewRepository, Repository, RepositoryPatch, RepositorySettings, RiskPattern,
};

/// The confidence from which an attribution counts as AI-written.
pub const AI_CONFIDENCE_THRESHOLD: f64 = 0.5;

/// The most rows one list call returns.
pub const MAX_CODE_PAGE: u32 = 200;
