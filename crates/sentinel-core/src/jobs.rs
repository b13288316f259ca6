//! The job kinds one part of Sentinel enqueues for another, and their payloads.
//!
//! The kinds are the names the job queue stores; the runners register handlers under the
//! same constants, so a kind is spelled once.

use crate::id::{IncidentId, OrgId};
use serde::{Deserialize, Serialize};

/// A new incident (not quiet) was created: evaluate the new-incident alert rules.
pub const ALERT_NEW_INCIDENT: &str = "alert.new_incident";
/// A resolved incident saw a new event: evaluate the regression alert rules.
pub const ALERT_REGRESSION: &str = "alert.regression";
/// An incident crossed its service's threshold: start its autopsy.
pub const AUTOPSY_START: &str = "autopsy.start";
/// Someone resolved an incident: close its alerts at receivers that track them.
pub const INCIDENT_RESOLVED: &str = "incident.resolved";

/// `{incident_id, org_id}`: the payload of every incident-triggered kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentJob {
    pub incident_id: String,
    pub org_id: String,
}

impl IncidentJob {
    pub fn new(incident_id: &IncidentId, org_id: &OrgId) -> Self {
        Self {
            incident_id: incident_id.as_str().to_string(),
            org_id: org_id.as_str().to_string(),
        }
    }

    /// The dedup key of `kind` for this incident: a repeated cause enqueues nothing new.
    pub fn dedup_key(&self, kind: &str) -> String {
        format!("{kind}:{}", self.incident_id)
    }
}
