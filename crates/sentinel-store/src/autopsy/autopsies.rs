//! The autopsy: one per incident, upserted by each step that adds to it, and the figures
//! over an organization's autopsies.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId, WorkflowId};

/// An incident's autopsy as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AutopsyRecord {
    pub incident_id: IncidentId,
    pub workflow_id: Option<WorkflowId>,
    pub root_cause: String,
    /// A `sentinel_core::autopsy::Category` name.
    pub category: String,
    /// `identified`, `not_found` or `false_alarm`.
    pub disposition: String,
    pub confidence: f64,
    pub model_used: String,
    pub culprit_path: Option<String>,
    pub culprit_line: Option<i64>,
    pub test_case: Option<String>,
    pub test_path: Option<String>,
    pub patch_diff: Option<String>,
    pub ai_fix_prompt: String,
    pub manual_steps: Vec<String>,
    pub analysis_time_ms: Option<i64>,
    /// `None` where the check was not run.
    pub patch_applied: Option<bool>,
    pub test_verified: Option<bool>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
struct AutopsyRow {
    incident_id: String,
    workflow_id: Option<String>,
    root_cause: String,
    category: String,
    disposition: String,
    confidence: f64,
    model_used: String,
    culprit_path: Option<String>,
    culprit_line: Option<i64>,
    test_case: Option<String>,
    test_path: Option<String>,
    patch_diff: Option<String>,
    ai_fix_prompt: String,
    manual_steps: String,
    analysis_time_ms: Option<i64>,
    patch_applied: Option<bool>,
    test_verified: Option<bool>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<AutopsyRow> for AutopsyRecord {
    type Error = StoreError;

    fn try_from(row: AutopsyRow) -> StoreResult<Self> {
        Ok(AutopsyRecord {
            manual_steps: serde_json::from_str(&row.manual_steps)
                .map_err(|e| StoreError::Corrupt(format!("autopsy manual steps: {e}")))?,
            incident_id: IncidentId::from_string(row.incident_id),
            workflow_id: row.workflow_id.map(WorkflowId::from_string),
            root_cause: row.root_cause,
            category: row.category,
            disposition: row.disposition,
            confidence: row.confidence,
            model_used: row.model_used,
            culprit_path: row.culprit_path,
            culprit_line: row.culprit_line,
            test_case: row.test_case,
            test_path: row.test_path,
            patch_diff: row.patch_diff,
            ai_fix_prompt: row.ai_fix_prompt,
            analysis_time_ms: row.analysis_time_ms,
            patch_applied: row.patch_applied,
            test_verified: row.test_verified,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "incident_id, workflow_id, root_cause, category, disposition, confidence, \
    model_used, culprit_path, culprit_line, test_case, test_path, patch_diff, ai_fix_prompt, \
    manual_steps, analysis_time_ms, patch_applied, test_verified, created_at, updated_at";

/// What an organization's autopsies achieved over a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutopsyStats {
    /// Incidents first seen in the period.
    pub incidents: i64,
    /// Of those, the ones with an autopsy.
    pub analysed: i64,
    /// Autopsies that identified a root cause.
    pub identified: i64,
    /// Patches checked, and those that applied.
    pub patches_checked: i64,
    pub patches_applied: i64,
    /// Tests run, and those that failed before the patch and passed after.
    pub tests_checked: i64,
    pub tests_verified: i64,
    pub median_analysis_time_ms: Option<i64>,
    pub by_category: Vec<CategoryStats>,
}

/// One category's share.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryStats {
    pub category: String,
    pub analysed: i64,
    pub identified: i64,
}

#[derive(sqlx::FromRow)]
struct StatRow {
    category: String,
    disposition: String,
    analysis_time_ms: Option<i64>,
    patch_applied: Option<bool>,
    test_verified: Option<bool>,
}

impl Store {
    /// Writes the incident's autopsy, replacing the one an earlier run left (`created_at`
    /// stays the first run's).
    pub async fn upsert_autopsy(&self, org: &OrgId, autopsy: &AutopsyRecord) -> StoreResult<()> {
        let steps = serde_json::to_string(&autopsy.manual_steps)
            .map_err(|e| StoreError::Corrupt(format!("autopsy manual steps: {e}")))?;
        write!(self, |pool| {
            sqlx::query(&format!(
                "INSERT INTO autopsies (id, org_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
                 ON CONFLICT (incident_id) DO UPDATE SET workflow_id = excluded.workflow_id, \
                 root_cause = excluded.root_cause, category = excluded.category, \
                 disposition = excluded.disposition, confidence = excluded.confidence, \
                 model_used = excluded.model_used, culprit_path = excluded.culprit_path, \
                 culprit_line = excluded.culprit_line, test_case = excluded.test_case, \
                 test_path = excluded.test_path, patch_diff = excluded.patch_diff, \
                 ai_fix_prompt = excluded.ai_fix_prompt, manual_steps = excluded.manual_steps, \
                 analysis_time_ms = excluded.analysis_time_ms, \
                 patch_applied = excluded.patch_applied, test_verified = excluded.test_verified, \
                 updated_at = excluded.updated_at"
            ))
            .bind(ulid::Ulid::new().to_string())
            .bind(org.as_str())
            .bind(autopsy.incident_id.as_str())
            .bind(autopsy.workflow_id.as_ref().map(WorkflowId::as_str))
            .bind(&autopsy.root_cause)
            .bind(&autopsy.category)
            .bind(&autopsy.disposition)
            .bind(autopsy.confidence)
            .bind(&autopsy.model_used)
            .bind(autopsy.culprit_path.as_deref())
            .bind(autopsy.culprit_line)
            .bind(autopsy.test_case.as_deref())
            .bind(autopsy.test_path.as_deref())
            .bind(autopsy.patch_diff.as_deref())
            .bind(&autopsy.ai_fix_prompt)
            .bind(&steps)
            .bind(autopsy.analysis_time_ms)
            .bind(autopsy.patch_applied)
            .bind(autopsy.test_verified)
            .bind(autopsy.created_at)
            .bind(autopsy.updated_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn get_autopsy(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> StoreResult<Option<AutopsyRecord>> {
        let row: Option<AutopsyRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM autopsies WHERE org_id = $1 AND incident_id = $2"
            ))
            .bind(org.as_str())
            .bind(incident.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(AutopsyRecord::try_from).transpose()
    }

    /// The figures over the incidents first seen since `since`.
    pub async fn autopsy_stats(&self, org: &OrgId, since: Millis) -> StoreResult<AutopsyStats> {
        let (incidents,): (i64,) = read!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND first_seen >= $2")
                .bind(org.as_str())
                .bind(since)
                .fetch_one(pool)
                .await?
        });
        let rows: Vec<StatRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.category, a.disposition, a.analysis_time_ms, a.patch_applied, \
                 a.test_verified FROM autopsies a JOIN incidents i ON i.id = a.incident_id \
                 WHERE a.org_id = $1 AND i.org_id = $1 AND i.first_seen >= $2",
            )
            .bind(org.as_str())
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(summarise(incidents, &rows))
    }
}

fn summarise(incidents: i64, rows: &[StatRow]) -> AutopsyStats {
    let count = |f: &dyn Fn(&StatRow) -> bool| rows.iter().filter(|r| f(r)).count() as i64;
    let mut times: Vec<i64> = rows.iter().filter_map(|r| r.analysis_time_ms).collect();
    times.sort_unstable();
    let median = match times.len() {
        0 => None,
        n if n % 2 == 1 => times.get(n / 2).copied(),
        n => Some((times[n / 2 - 1] + times[n / 2]) / 2),
    };
    let mut by_category: Vec<CategoryStats> = Vec::new();
    for row in rows {
        let at = match by_category.iter().position(|c| c.category == row.category) {
            Some(at) => at,
            None => {
                by_category.push(CategoryStats {
                    category: row.category.clone(),
                    ..CategoryStats::default()
                });
                by_category.len() - 1
            }
        };
        by_category[at].analysed += 1;
        by_category[at].identified += i64::from(row.disposition == "identified");
    }
    by_category.sort_by(|a, b| {
        b.analysed
            .cmp(&a.analysed)
            .then(a.category.cmp(&b.category))
    });
    AutopsyStats {
        incidents,
        analysed: rows.len() as i64,
        identified: count(&|r| r.disposition == "identified"),
        patches_checked: count(&|r| r.patch_applied.is_some()),
        patches_applied: count(&|r| r.patch_applied == Some(true)),
        tests_checked: count(&|r| r.test_verified.is_some()),
        tests_verified: count(&|r| r.test_verified == Some(true)),
        median_analysis_time_ms: median,
        by_category,
    }
}
