//! The code side's storage: GitHub App installations, repositories, webhook deliveries,
//! the append-only code-event feed, commits and their per-file attribution. The tables for
//! all of them are in migration 0015 (0016 adds overrides' notes); what each deploy shipped
//! in 0017; code mappings and incidents' suspect commits in 0018.
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
mod deploys;
mod events;
mod history;
mod installations;
mod mappings;
mod overview;
mod repositories;
pub(crate) mod rows;
mod suspects;

pub use commits::{
    CommitOverride, CommitStatus, CommitSummary, FileRisk, PendingCommit, StoredCommit,
    StoredFileAttribution,
};
pub use cursor::{InvalidCursor, ListError};
pub use deliveries::{DeliveryOutcome, DeliveryStatus, NewDelivery, StoredDelivery};
pub use deploys::{DeployRange, DeployRangeSource, ShippingDeploy};
pub use events::{CodeEventFilter, NewCodeEvent, StoredCodeEvent};
pub use installations::{ClaimInstallationError, GithubInstallation, InstallationUpsert};
pub use mappings::{CodeMapping, NewCodeMapping};
pub use overview::{
    HighRiskFile, OverviewDay, PathCount, RepositoryOverview, ToolCount, RANGE_SCAN_LIMIT,
};
pub use repositories::{
    GithubRepository, NewRepository, Repository, RepositoryPatch, RepositorySettings, RiskPattern,
};
pub use suspects::IncidentSuspect;

/// The confidence from which an attribution counts as AI-written.
pub const AI_CONFIDENCE_THRESHOLD: f64 = 0.5;

/// The most rows one list call returns.
pub const MAX_CODE_PAGE: u32 = 200;
