//! `/api/v1/alerts`: the alerts rules raised, with per-channel delivery status; filters,
//! a summary, and acknowledgement (who and when).

use super::DataList;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::alerts::{Alert, AlertFilter, Delivery};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/summary", get(summary))
        .route("/api/v1/alerts/{id}", get(show))
        .route("/api/v1/alerts/{id}/ack", post(acknowledge))
}

/// An alert as answered. Fields here and below are in the order the answer has always had
/// (alphabetical).
#[derive(Debug, Clone, Serialize)]
pub struct AlertAnswer {
    pub acknowledged: bool,
    pub acknowledged_at: Option<Millis>,
    pub acknowledged_by: Option<String>,
    pub dedup_key: String,
    pub deliveries: Vec<DeliveryAnswer>,
    pub detection_id: Option<String>,
    pub id: String,
    pub incident_id: Option<String>,
    pub last_triggered_at: Millis,
    pub occurrence_count: i64,
    pub rule_id: String,
    pub rule_kind: String,
    pub scope: String,
    pub sent_at: Option<Millis>,
    pub service_id: Option<String>,
    pub severity: AlertSeverity,
    pub summary: String,
    pub threshold: Option<f64>,
    pub title: String,
    pub triggered_at: Millis,
    pub value: Option<f64>,
}

/// One channel's delivery of an alert.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAnswer {
    pub action: &'static str,
    pub attempts: i64,
    pub channel_id: String,
    pub delivered_at: Option<Millis>,
    pub last_error: Option<String>,
    pub status: &'static str,
}

impl From<&Delivery> for DeliveryAnswer {
    fn from(d: &Delivery) -> Self {
        Self {
            action: d.action.as_str(),
            attempts: d.attempts,
            channel_id: d.channel_id.clone(),
            delivered_at: d.delivered_at,
            last_error: d.last_error.clone(),
            status: d.status.as_str(),
        }
    }
}

impl From<&Alert> for AlertAnswer {
    fn from(alert: &Alert) -> Self {
        Self {
            acknowledged: alert.acknowledged_at.is_some(),
            acknowledged_at: alert.acknowledged_at,
            acknowledged_by: alert.acknowledged_by.clone(),
            dedup_key: alert.dedup_key.clone(),
            deliveries: alert.deliveries.iter().map(DeliveryAnswer::from).collect(),
            detection_id: alert.detection_id.clone(),
            id: alert.id.clone(),
            incident_id: alert.incident_id.clone(),
            last_triggered_at: alert.last_triggered_at,
            occurrence_count: alert.occurrence_count,
            rule_id: alert.rule_id.clone(),
            rule_kind: alert.rule_kind.clone(),
            scope: alert.scope.clone(),
            sent_at: alert.sent_at,
            service_id: alert.service_id.clone(),
            severity: alert.severity,
            summary: alert.summary.clone(),
            threshold: alert.threshold,
            title: alert.title.clone(),
            triggered_at: alert.triggered_at,
            value: alert.value,
        }
    }
}

/// The alerts at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryAnswer {
    pub by_rule: Vec<RuleCount>,
    /// Counts by severity name.
    pub by_severity: BTreeMap<String, i64>,
    pub most_recent: Option<AlertAnswer>,
    pub total: i64,
    pub unacknowledged: i64,
}

/// How many alerts one rule raised.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    pub count: i64,
    pub rule_id: String,
    pub rule_kind: String,
}

/// Reads `status` (`open`|`acknowledged`), `acknowledged` (`true`|`false`), `severity`,
/// `rule_kind`, `service` and `limit` from the query string.
fn filter(query: Option<&str>) -> Result<AlertFilter, ApiError> {
    let mut filter = AlertFilter::default();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "status" => {
                filter.acknowledged = Some(match value.as_ref() {
                    "open" => false,
                    "acknowledged" => true,
                    _ => return Err(ApiError::bad_request("status must be open or acknowledged")),
                })
            }
            "acknowledged" => {
                filter.acknowledged = Some(
                    value
                        .parse()
                        .map_err(|_| ApiError::bad_request("acknowledged must be true or false"))?,
                )
            }
            "severity" => {
                filter.severity = Some(AlertSeverity::parse(&value).ok_or_else(|| {
                    ApiError::bad_request("severity must be critical, error, warning or info")
                })?)
            }
            "rule_kind" => filter.rule_kind = Some(value.into_owned()),
            "service" | "service_id" => filter.service_id = Some(value.into_owned()),
            "limit" => {
                filter.limit = Some(
                    value
                        .parse()
                        .map_err(|_| ApiError::bad_request("limit must be a number"))?,
                )
            }
            other => return Err(ApiError::bad_request(format!("unknown parameter {other}"))),
        }
    }
    Ok(filter)
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<DataList<AlertAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let filter = filter(query.as_deref())?;
    let alerts = state.store.list_alerts(&principal.org_id, &filter).await?;
    Ok(Json(DataList::new(
        alerts.iter().map(AlertAnswer::from).collect(),
    )))
}

async fn summary(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<SummaryAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let s = state.store.alert_summary(&principal.org_id).await?;
    Ok(Json(SummaryAnswer {
        by_rule: s
            .by_rule
            .iter()
            .map(|(id, kind, n)| RuleCount {
                count: *n,
                rule_id: id.clone(),
                rule_kind: kind.clone(),
            })
            .collect(),
        by_severity: s.by_severity.iter().cloned().collect(),
        most_recent: s.most_recent.as_ref().map(AlertAnswer::from),
        total: s.total,
        unacknowledged: s.unacknowledged,
    }))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<AlertAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let alert = state
        .store
        .get_alert(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert"))?;
    Ok(Json(AlertAnswer::from(&alert)))
}

/// Acknowledges (members and up); the first acknowledgement's who and when stand.
async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<AlertAnswer>, ApiError> {
    principal.require(Role::Member)?;
    let by = match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(key)) => format!("api_key:{key}"),
        (None, None) => "unknown".to_string(),
    };
    let alert = acknowledge_as(&state, &principal.org_id, &id, &by).await?;
    Ok(Json(AlertAnswer::from(&alert)))
}

/// Acknowledges alert `id` of `org` as `by` now; another organization's alert is not
/// found. The API and the dashboard both acknowledge here.
pub(crate) async fn acknowledge_as(
    state: &AppState,
    org: &OrgId,
    id: &str,
    by: &str,
) -> Result<Alert, ApiError> {
    state
        .store
        .acknowledge_alert(org, id, by, state.clock.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        let f = filter(Some(
            "status=open&severity=warning&rule_kind=regression&service=s1&limit=5",
        ))
        .unwrap();
        assert_eq!(f.acknowledged, Some(false));
        assert_eq!(f.severity, Some(AlertSeverity::Warning));
        assert_eq!(f.rule_kind.as_deref(), Some("regression"));
        assert_eq!(f.service_id.as_deref(), Some("s1"));
        assert_eq!(f.limit, Some(5));
        assert!(filter(Some("severity=loud")).is_err());
        assert!(filter(Some("colour=red")).is_err());
    }
}
