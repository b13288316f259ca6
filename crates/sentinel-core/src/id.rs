//! Typed identifiers.
//!
//! Rows are keyed by ULIDs stored as TEXT. Each kind of row gets its own newtype so that an
//! organization id can never be passed where an incident id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(ulid::Ulid::new().to_string())
            }

            /// Wraps an id read back from storage or a URL. No validation beyond non-emptiness
            /// is needed: lookups by an unknown id simply find nothing.
            pub fn from_string(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

define_id!(
    /// An organization (tenant).
    OrgId
);
define_id!(
    /// A user account.
    UserId
);
define_id!(
    /// A service (what Sentry calls a project).
    ServiceId
);
define_id!(
    /// A DSN key of a service.
    ServiceKeyId
);
define_id!(
    /// An API key.
    ApiKeyId
);
define_id!(
    /// An incident (a group of events with one fingerprint).
    IncidentId
);
define_id!(
    /// A stored event row. Distinct from the SDK's `event_id`.
    EventRowId
);
define_id!(
    /// A job in the queue.
    JobId
);
define_id!(
    /// A dashboard session.
    SessionId
);
define_id!(
    /// A repository Sentinel watches (a GitHub repository, a local clone, or both).
    RepositoryId
);
define_id!(
    /// One entry of a repository's code-event feed (a commit, a pull request step, a deploy).
    CodeEventId
);
define_id!(
    /// A code mapping: a service's stack-frame prefix and where it lives in a repository.
    CodeMappingId
);
define_id!(
    /// A log source: a service's log files that the tailer reads.
    LogSourceId
);
define_id!(
    /// A notification channel.
    ChannelId
);
define_id!(
    /// An alert rule.
    AlertRuleId
);
define_id!(
    /// A recorded alert (one per rule and scope within the dedup window).
    AlertId
);
define_id!(
    /// An anomaly detection.
    DetectionId
);
define_id!(
    /// A check-in monitor.
    MonitorId
);
define_id!(
    /// One run of an incident's autopsy workflow.
    WorkflowId
);
define_id!(
    /// One step of a workflow.
    AgentRunId
);
define_id!(
    /// A stored output of a workflow (sample event, snapshot, test, patch…).
    ArtifactId
);

define_id!(
    /// One call to a language model (or its answer from the cache).
    LlmCallId
);
define_id!(
    /// An issue, pull request or branch publishing created on GitHub for an incident.
    GithubArtifactId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_sortable_text() {
        let a = OrgId::generate();
        let b = OrgId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 26);
    }
}
