//! Alert rules per organization, and the default rules every organization starts with.

use super::{json_text, parse_json};
use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: String,
    pub org_id: OrgId,
    pub name: String,
    pub kind: String,
    pub params: serde_json::Value,
    pub severity: AlertSeverity,
    pub enabled: bool,
    /// The channels it notifies; empty means every enabled channel of the organization.
    pub channel_ids: Vec<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl AlertRule {
    /// The engine's view of this rule.
    pub fn as_rule(&self) -> sentinel_core::alerting::Rule {
        sentinel_core::alerting::Rule {
            id: self.id.clone(),
            kind: self.kind.clone(),
            params: self.params.clone(),
            severity: self.severity,
            enabled: self.enabled,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAlertRule {
    pub name: String,
    pub kind: String,
    pub params: serde_json::Value,
    pub severity: AlertSeverity,
    pub enabled: bool,
    pub channel_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertRulePatch {
    pub name: Option<String>,
    pub params: Option<serde_json::Value>,
    pub severity: Option<AlertSeverity>,
    pub enabled: Option<bool>,
    pub channel_ids: Option<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: String,
    org_id: String,
    name: String,
    kind: String,
    params: String,
    severity: String,
    enabled: bool,
    channel_ids: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<RuleRow> for AlertRule {
    type Error = StoreError;

    fn try_from(row: RuleRow) -> Result<Self, StoreError> {
        let severity = AlertSeverity::parse(&row.severity)
            .ok_or_else(|| StoreError::Corrupt(format!("rule {}: severity", row.id)))?;
        let channel_ids = serde_json::from_str(&row.channel_ids)
            .map_err(|e| StoreError::Corrupt(format!("rule {}: channel_ids: {e}", row.id)))?;
        Ok(Self {
            params: parse_json("rule", &row.id, &row.params)?,
            id: row.id,
            org_id: OrgId::from_string(row.org_id),
            name: row.name,
            kind: row.kind,
            severity,
            enabled: row.enabled,
            channel_ids,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str =
    "id, org_id, name, kind, params, severity, enabled, channel_ids, created_at, updated_at";
const INSERT: &str = "INSERT INTO alert_rules (id, org_id, name, kind, params, severity, enabled, \
     channel_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

fn ids_text(ids: &[String]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

impl Store {
    pub async fn create_alert_rule(
        &self,
        org: &OrgId,
        new: &NewAlertRule,
        now: Millis,
    ) -> StoreResult<AlertRule> {
        let id = ulid::Ulid::new().to_string();
        write!(self, |pool| {
            sqlx::query(INSERT)
                .bind(&id)
                .bind(org.as_str())
                .bind(&new.name)
                .bind(&new.kind)
                .bind(json_text(&new.params))
                .bind(new.severity.as_str())
                .bind(new.enabled)
                .bind(ids_text(&new.channel_ids))
                .bind(now)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(AlertRule {
            id,
            org_id: org.clone(),
            name: new.name.clone(),
            kind: new.kind.clone(),
            params: new.params.clone(),
            severity: new.severity,
            enabled: new.enabled,
            channel_ids: new.channel_ids.clone(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Creates `defaults` for `org` the first time it is asked, and never again (a default
    /// rule someone deleted stays deleted). Returns whether they were created now.
    pub async fn ensure_default_alert_rules(
        &self,
        org: &OrgId,
        defaults: &[NewAlertRule],
        now: Millis,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let created = tx!(&mut tx, |conn| {
            let marked = sqlx::query(
                "INSERT INTO alert_rule_defaults (org_id, created_at) VALUES ($1, $2) \
                 ON CONFLICT (org_id) DO NOTHING",
            )
            .bind(org.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if marked > 0 {
                for new in defaults {
                    sqlx::query(INSERT)
                        .bind(ulid::Ulid::new().to_string())
                        .bind(org.as_str())
                        .bind(&new.name)
                        .bind(&new.kind)
                        .bind(json_text(&new.params))
                        .bind(new.severity.as_str())
                        .bind(new.enabled)
                        .bind(ids_text(&new.channel_ids))
                        .bind(now)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            marked > 0
        });
        tx.commit().await?;
        Ok(created)
    }

    pub async fn list_alert_rules(&self, org: &OrgId) -> StoreResult<Vec<AlertRule>> {
        let rows: Vec<RuleRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alert_rules WHERE org_id = $1 ORDER BY created_at, id"
            ))
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(AlertRule::try_from).collect()
    }

    /// Enabled rules of `kind` across every organization (for sweeps such as frequency).
    pub async fn list_enabled_rules_of_kind(&self, kind: &str) -> StoreResult<Vec<AlertRule>> {
        let rows: Vec<RuleRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alert_rules WHERE kind = $1 AND enabled ORDER BY org_id, id"
            ))
            .bind(kind)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(AlertRule::try_from).collect()
    }

    pub async fn get_alert_rule(&self, org: &OrgId, id: &str) -> StoreResult<Option<AlertRule>> {
        let row: Option<RuleRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alert_rules WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(AlertRule::try_from).transpose()
    }

    pub async fn update_alert_rule(
        &self,
        org: &OrgId,
        id: &str,
        patch: &AlertRulePatch,
        now: Millis,
    ) -> StoreResult<Option<AlertRule>> {
        let Some(mut rule) = self.get_alert_rule(org, id).await? else {
            return Ok(None);
        };
        if let Some(name) = &patch.name {
            rule.name = name.clone();
        }
        if let Some(params) = &patch.params {
            rule.params = params.clone();
        }
        if let Some(severity) = patch.severity {
            rule.severity = severity;
        }
        if let Some(enabled) = patch.enabled {
            rule.enabled = enabled;
        }
        if let Some(ids) = &patch.channel_ids {
            rule.channel_ids = ids.clone();
        }
        rule.updated_at = now;
        write!(self, |pool| {
            sqlx::query(
                "UPDATE alert_rules SET name = $1, params = $2, severity = $3, enabled = $4, \
                 channel_ids = $5, updated_at = $6 WHERE org_id = $7 AND id = $8",
            )
            .bind(&rule.name)
            .bind(json_text(&rule.params))
            .bind(rule.severity.as_str())
            .bind(rule.enabled)
            .bind(ids_text(&rule.channel_ids))
            .bind(now)
            .bind(org.as_str())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(Some(rule))
    }

    pub async fn delete_alert_rule(&self, org: &OrgId, id: &str) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query("DELETE FROM alert_rules WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}
