//! Sentinel's durable job queue runtime.
//!
//! Jobs live in the store's `jobs` table (see `sentinel_store::jobs`); this crate runs
//! them. A [`JobRuntime`] holds a [`JobHandler`] per job kind and a list of cron
//! [`Schedule`]s. Once started it:
//! - claims due jobs in batches into a fixed number of slots, with a fenced lease;
//! - runs each job's handler while heartbeating its lease, and records success (batched),
//!   a retry with exponential backoff and jitter, or a discard;
//! - wakes on [`Waker::wake`] (in-process enqueuers) and on PostgreSQL `NOTIFY`, and
//!   polls as the fallback;
//! - takes expired leases back (reaper), so a dead worker's jobs run elsewhere;
//! - fires cron schedules leaderlessly: one run per slot across every process;
//! - shuts down gracefully: stop claiming, finish or stop running jobs, release leases.

pub mod code;
mod cron;
mod executor;
pub mod handler;
pub mod kinds;
pub mod metrics;
pub mod retention;
pub mod retry;
mod runtime;
pub mod schedule;
mod stats;
pub mod tailer;
mod waker;

pub use handler::{handler_fn, JobContext, JobError, JobHandler};
pub use retry::RetryPolicy;
pub use runtime::{JobRuntime, RuntimeConfig, RuntimeHandle, ShutdownReport};
pub use schedule::{Schedule, ScheduleSpec, ScheduleSpecError};
pub use stats::StatsSnapshot;
pub use waker::Waker;
