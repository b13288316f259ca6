//! The autopsy's jobs. So far one step runs: finding the incident's suspect commit (the
//! tracing step of ARCHITECTURE §4 "Autopsy workflow"), with the commit's attribution
//! copied onto the incident. Root cause, test and patch are not built yet.
//!
//! | kind | payload | enqueued by |
//! |---|---|---|
//! | `autopsy.start` | [`AutopsyPayload`] | the ingest writer, when an incident crosses its threshold |
//!
//! Call [`register`] once per runtime.

mod locate;
mod suspect;

pub use locate::{locate, revision_for, FrameRef, Located, NotLocated};
pub use suspect::{find_suspect, SuspectOutcome};

use crate::code::CommitReader;
use crate::{handler_fn, JobRuntime};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const AUTOPSY_START_KIND: &str = sentinel_core::jobs::AUTOPSY_START;

/// `{incident_id, org_id}`: the incident to examine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutopsyPayload {
    pub incident_id: String,
    pub org_id: String,
}

/// What the autopsy handlers share.
#[derive(Debug, Clone, Default)]
pub struct AutopsyDeps {
    /// Reads a suspect commit that was never attributed, to attribute it on the spot.
    pub reader: CommitReader,
}

/// Registers the autopsy handlers on `runtime`.
pub fn register(runtime: &mut JobRuntime, deps: AutopsyDeps) {
    let deps = Arc::new(deps);
    runtime.register(handler_fn(AUTOPSY_START_KIND, move |ctx| {
        let deps = deps.clone();
        async move { suspect::run_autopsy_start(&deps, ctx).await }
    }));
}
