//! Sentinel's domain: the values that flow through the system and the pure rules over them.
//!
//! Nothing here does I/O or is async. Wire formats are parsed into these types at the edge
//! (`sentinel-ingest`), stored by `sentinel-store`, and served by `sentinel-web`.

pub mod alerting;
pub mod attribution;
pub mod autopsy;
pub mod channel;
pub mod checkin;
pub mod classify;
pub mod clock;
pub mod code;
pub mod cron_schedule;
pub mod detection;
pub mod event;
pub mod fingerprint;
pub mod id;
pub mod incident;
pub mod ingest;
pub mod jobs;
pub mod llm;
pub mod log_source;
pub mod metrics;
pub mod normalize;
pub mod publish;
pub mod rate;
pub mod role;
pub mod scrub;
pub mod sealed;
pub mod workflow;

pub use clock::{Clock, ManualClock, SystemClock};
