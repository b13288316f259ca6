//! Agent runs: one row per (workflow, step), begun when its job starts and finished once per
//! attempt; a step whose job runs again after a crash begins again with `attempt` + 1.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{AgentRunId, OrgId, WorkflowId};
use sentinel_core::workflow::{RunStatus, WorkflowStep};

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRun {
    pub id: AgentRunId,
    pub workflow_id: WorkflowId,
    pub step: WorkflowStep,
    pub status: RunStatus,
    /// 1 on the first run; more when the step's job ran again.
    pub attempt: i64,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    /// What the step found, as JSON; later steps read earlier ones' metadata.
    pub metadata: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: String,
    workflow_id: String,
    step: String,
    status: String,
    attempt: i64,
    started_at: i64,
    finished_at: Option<i64>,
    duration_ms: Option<i64>,
    error: Option<String>,
    metadata: String,
}

impl TryFrom<RunRow> for AgentRun {
    type Error = StoreError;

    fn try_from(row: RunRow) -> StoreResult<Self> {
        Ok(AgentRun {
            step: WorkflowStep::parse(&row.step)
                .ok_or_else(|| StoreError::Corrupt(format!("agent run step {}", row.step)))?,
            status: RunStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("agent run status {}", row.status)))?,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| StoreError::Corrupt(format!("agent run metadata: {e}")))?,
            id: AgentRunId::from_string(row.id),
            workflow_id: WorkflowId::from_string(row.workflow_id),
            attempt: row.attempt,
            started_at: row.started_at,
            finished_at: row.finished_at,
            duration_ms: row.duration_ms,
            error: row.error,
        })
    }
}

const COLUMNS: &str =
    "id, workflow_id, step, status, attempt, started_at, finished_at, duration_ms, error, metadata";

impl Store {
    /// Marks `step` running: a new run, or the next attempt of one that did not succeed.
    /// A step that already succeeded is returned as it is.
    pub async fn begin_agent_run(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
        step: WorkflowStep,
        now: Millis,
    ) -> StoreResult<AgentRun> {
        let begun: Option<RunRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO agent_runs (id, org_id, workflow_id, step, status, attempt, started_at) \
                 VALUES ($1, $2, $3, $4, 'running', 1, $5) \
                 ON CONFLICT (workflow_id, step) DO UPDATE SET status = 'running', \
                 attempt = agent_runs.attempt + 1, started_at = excluded.started_at, \
                 finished_at = NULL, duration_ms = NULL, error = NULL \
                 WHERE agent_runs.status <> 'success' \
                 RETURNING {COLUMNS}"
            ))
            .bind(AgentRunId::generate().as_str())
            .bind(org.as_str())
            .bind(workflow.as_str())
            .bind(step.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        match begun {
            Some(row) => row.try_into(),
            None => self
                .get_agent_run(org, workflow, step)
                .await?
                .ok_or(StoreError::NotFound),
        }
    }

    /// Records how the run ended; `false` when it was not running.
    pub async fn finish_agent_run(
        &self,
        org: &OrgId,
        run: &AgentRun,
        status: RunStatus,
        error: Option<&str>,
        metadata: &serde_json::Value,
        now: Millis,
    ) -> StoreResult<bool> {
        let metadata = serde_json::to_string(metadata)
            .map_err(|e| StoreError::Corrupt(format!("agent run metadata: {e}")))?;
        let changed = write!(self, |pool| {
            sqlx::query(
                "UPDATE agent_runs SET status = $1, error = $2, metadata = $3, finished_at = $4, \
                 duration_ms = $4 - started_at \
                 WHERE org_id = $5 AND id = $6 AND status = 'running' AND attempt = $7",
            )
            .bind(status.as_str())
            .bind(error)
            .bind(&metadata)
            .bind(now)
            .bind(org.as_str())
            .bind(run.id.as_str())
            .bind(run.attempt)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    pub async fn get_agent_run(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
        step: WorkflowStep,
    ) -> StoreResult<Option<AgentRun>> {
        let row: Option<RunRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM agent_runs WHERE org_id = $1 AND workflow_id = $2 AND step = $3"
            ))
            .bind(org.as_str())
            .bind(workflow.as_str())
            .bind(step.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(AgentRun::try_from).transpose()
    }

    /// A workflow's runs in step order.
    pub async fn list_agent_runs(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
    ) -> StoreResult<Vec<AgentRun>> {
        let rows: Vec<RunRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM agent_runs WHERE org_id = $1 AND workflow_id = $2"
            ))
            .bind(org.as_str())
            .bind(workflow.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut runs = rows
            .into_iter()
            .map(AgentRun::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        runs.sort_by_key(|r| r.step);
        Ok(runs)
    }
}
