//! Changing an incident's status by hand or from the workflow, by compare-and-set.

use super::rows::INCIDENT_COLUMNS;
use super::Incident;
use crate::db::write;
use crate::{Store, StoreError};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_core::incident::IncidentStatus;

/// Why a status change was refused.
#[derive(Debug, thiserror::Error)]
pub enum SetStatusError {
    #[error("incident not found")]
    NotFound,
    #[error("an incident cannot move from {0} to {1}")]
    InvalidTransition(IncidentStatus, IncidentStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How often to re-read when another writer changed the status between our read and write.
const CAS_ATTEMPTS: usize = 5;

impl Store {
    /// Moves an incident of `org` to `to` if the state machine allows it from its current
    /// status. The write only applies if the status is still the one that was checked, so a
    /// concurrent change (a regression, the workflow, another person) is never overwritten
    /// blindly: the check is repeated against the new status. Resolving stamps `resolved_at`;
    /// any other move clears it.
    pub async fn set_incident_status(
        &self,
        org: &OrgId,
        id: &IncidentId,
        to: IncidentStatus,
        now: Millis,
    ) -> Result<Incident, SetStatusError> {
        for _ in 0..CAS_ATTEMPTS {
            let current = match self.get_incident(org, id).await {
                Ok(incident) => incident,
                Err(StoreError::NotFound) => return Err(SetStatusError::NotFound),
                Err(err) => return Err(err.into()),
            };
            if !current.status.can_transition_to(to) {
                return Err(SetStatusError::InvalidTransition(current.status, to));
            }
            let resolved_at = (to == IncidentStatus::Resolved).then_some(now);
            let sql = format!(
                "UPDATE incidents SET status = $1, resolved_at = $2, updated_at = $3 \
                 WHERE org_id = $4 AND id = $5 AND status = $6 RETURNING {INCIDENT_COLUMNS}"
            );
            let row: Option<super::rows::IncidentRow> = write!(self, |pool| {
                sqlx::query_as(&sql)
                    .bind(to.as_str())
                    .bind(resolved_at)
                    .bind(now)
                    .bind(org.as_str())
                    .bind(id.as_str())
                    .bind(current.status.as_str())
                    .fetch_optional(pool)
                    .await
                    .map_err(StoreError::from)?
            });
            if let Some(row) = row {
                return Ok(row.try_into()?);
            }
            tracing::debug!(incident = %id, from = %current.status, %to, "status changed meanwhile; checking again");
        }
        Err(SetStatusError::Store(StoreError::Conflict(format!(
            "incident {id} kept changing status"
        ))))
    }
}
