//! Engineering metrics' storage (migration 0021): the facts a `repo_metrics` row is computed
//! from, the rows themselves (written only under the holder's lock token, so a holder whose
//! lock expired cannot overwrite the work of the one that took over), staleness, and the
//! organization's metrics settings.

mod facts;
mod review;
mod rows;
mod settings;

pub use review::ShippedCriticalFile;
pub(crate) use rows::mark_stale_in;
pub use rows::{MetricsKey, NewMetricRow, RepoMetricRow};

/// Rows of one fenced write per transaction: a recompute of two years' days writes in
/// chunks, each proving again that its lock is still held.
pub const ROWS_PER_WRITE: usize = 64;
