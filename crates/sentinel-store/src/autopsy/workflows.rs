//! Workflows: started with their first step's job in one transaction, finished once.

use crate::db::{read, tx, write};
use crate::jobs::{enqueue_in, NewJob};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId, WorkflowId};
use sentinel_core::workflow::WorkflowStatus;

/// One run of an incident's autopsy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub id: WorkflowId,
    pub org_id: OrgId,
    pub incident_id: IncidentId,
    pub status: WorkflowStatus,
    /// Why it failed or was aborted.
    pub reason: Option<String>,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct WorkflowRow {
    id: String,
    org_id: String,
    incident_id: String,
    status: String,
    reason: Option<String>,
    started_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<WorkflowRow> for Workflow {
    type Error = StoreError;

    fn try_from(row: WorkflowRow) -> StoreResult<Self> {
        Ok(Workflow {
            status: WorkflowStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("workflow status {}", row.status)))?,
            id: WorkflowId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            incident_id: IncidentId::from_string(row.incident_id),
            reason: row.reason,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

const COLUMNS: &str = "id, org_id, incident_id, status, reason, started_at, finished_at";

impl Store {
    /// Starts a workflow for `incident` and enqueues `first_step` in the same transaction,
    /// so a workflow never exists without the job that drives it. An incident outside the
    /// organization is [`StoreError::NotFound`]; one with an active workflow already is
    /// [`StoreError::Conflict`].
    pub async fn start_workflow(
        &self,
        org: &OrgId,
        id: &WorkflowId,
        incident: &IncidentId,
        first_step: &NewJob,
        now: Millis,
    ) -> StoreResult<Workflow> {
        let mut tx = self.begin().await?;
        let owned: Option<(String,)> = tx!(&mut tx, |conn| {
            sqlx::query_as("SELECT id FROM incidents WHERE id = $1 AND org_id = $2")
                .bind(incident.as_str())
                .bind(org.as_str())
                .fetch_optional(conn)
                .await?
        });
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let row: WorkflowRow = tx!(&mut tx, |conn| {
            sqlx::query_as(&format!(
                "INSERT INTO workflows (id, org_id, incident_id, status, started_at) \
                 VALUES ($1, $2, $3, 'active', $4) RETURNING {COLUMNS}"
            ))
            .bind(id.as_str())
            .bind(org.as_str())
            .bind(incident.as_str())
            .bind(now)
            .fetch_one(conn)
            .await?
        });
        enqueue_in(&mut tx, first_step, now).await?;
        tx.commit().await?;
        row.try_into()
    }

    pub async fn get_workflow(
        &self,
        org: &OrgId,
        id: &WorkflowId,
    ) -> StoreResult<Option<Workflow>> {
        let row: Option<WorkflowRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM workflows WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Workflow::try_from).transpose()
    }

    /// The incident's most recent workflow.
    pub async fn latest_workflow(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> StoreResult<Option<Workflow>> {
        let row: Option<WorkflowRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM workflows WHERE org_id = $1 AND incident_id = $2 \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ))
            .bind(org.as_str())
            .bind(incident.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Workflow::try_from).transpose()
    }

    /// Moves an active workflow to `status`. `false` when it was not active (terminal states
    /// are final) or `status` is not terminal.
    pub async fn finish_workflow(
        &self,
        org: &OrgId,
        id: &WorkflowId,
        status: WorkflowStatus,
        reason: Option<&str>,
        now: Millis,
    ) -> StoreResult<bool> {
        if !status.is_terminal() {
            return Ok(false);
        }
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE workflows SET status = $1, reason = $2, finished_at = $3 \
                 WHERE org_id = $4 AND id = $5 AND status = 'active'",
            )
            .bind(status.as_str())
            .bind(reason)
            .bind(now)
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Aborts the incident's active workflow; `None` when none is active.
    pub async fn abort_active_workflow(
        &self,
        org: &OrgId,
        incident: &IncidentId,
        now: Millis,
    ) -> StoreResult<Option<Workflow>> {
        let row: Option<WorkflowRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE workflows SET status = 'aborted', reason = 'aborted through the API', \
                 finished_at = $1 WHERE org_id = $2 AND incident_id = $3 AND status = 'active' \
                 RETURNING {COLUMNS}"
            ))
            .bind(now)
            .bind(org.as_str())
            .bind(incident.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Workflow::try_from).transpose()
    }
}
