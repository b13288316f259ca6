//! The organization's metrics settings, kept under `metrics` in its `settings` JSON.

use crate::code::rows::{parse_json, to_json};
use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::id::OrgId;
use sentinel_core::metrics::MetricsSettings;

impl Store {
    /// The organization's metrics settings (the defaults where it set none).
    pub async fn get_metrics_settings(&self, org: &OrgId) -> StoreResult<MetricsSettings> {
        let text = self.org_settings_text(org).await?;
        let settings: serde_json::Value = parse_json("organization settings", &text)?;
        match settings.get("metrics") {
            None | Some(serde_json::Value::Null) => Ok(MetricsSettings::default()),
            Some(metrics) => serde_json::from_value(metrics.clone())
                .map_err(|e| StoreError::Corrupt(format!("organization metrics settings: {e}"))),
        }
    }

    /// Replaces the organization's metrics settings, keeping its other settings.
    pub async fn set_metrics_settings(
        &self,
        org: &OrgId,
        metrics: &MetricsSettings,
    ) -> StoreResult<()> {
        let text = self.org_settings_text(org).await?;
        let mut settings: serde_json::Value = parse_json("organization settings", &text)?;
        let value = serde_json::to_value(metrics)
            .map_err(|e| StoreError::Corrupt(format!("metrics settings: {e}")))?;
        match settings.as_object_mut() {
            Some(object) => {
                object.insert("metrics".into(), value);
            }
            None => settings = serde_json::json!({ "metrics": value }),
        }
        let text = to_json("organization settings", &settings)?;
        write!(self, |pool| {
            sqlx::query("UPDATE organizations SET settings = $1 WHERE id = $2")
                .bind(&text)
                .bind(org.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    async fn org_settings_text(&self, org: &OrgId) -> StoreResult<String> {
        let text: Option<String> = read!(self, |pool| {
            sqlx::query_scalar("SELECT settings FROM organizations WHERE id = $1")
                .bind(org.as_str())
                .fetch_optional(pool)
                .await?
        });
        text.ok_or(StoreError::NotFound)
    }
}
