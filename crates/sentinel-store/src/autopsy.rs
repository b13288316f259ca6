//! The autopsy workflow's storage (migration 0020): workflows and their steps' runs, the one
//! autopsy per incident, the file snapshots the tracing step took, and the artifacts' index
//! (their bytes live in the artifact store, by key).
//!
//! A workflow's terminal states are final: every status change is guarded by
//! `status = 'active'`, and an incident has at most one active workflow (a partial unique
//! index), so a second start while one runs is a [`StoreError::Conflict`](crate::StoreError).

mod artifacts;
mod autopsies;
mod runs;
mod workflows;

pub use artifacts::{Artifact, FileSnapshotRow, NewArtifact, NewFileSnapshot};
pub use autopsies::{AutopsyRecord, AutopsyStats, CategoryStats};
pub use runs::AgentRun;
pub use workflows::Workflow;
