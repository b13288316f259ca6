//! `/api/v1/alerts`: the alerts rules raised, with per-channel delivery status; filters,
//! a summary, and acknowledgement (who and when).

use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::alerts::{Alert, AlertFilter};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/summary", get(summary))
        .route("/api/v1/alerts/{id}", get(show))
        .route("/api/v1/alerts/{id}/ack", post(acknowledge))
}

pub fn alert_json(alert: &Alert) -> Value {
    json!({
        "id": alert.id,
        "rule_id": alert.rule_id,
        "rule_kind": alert.rule_kind,
        "scope": alert.scope,
        "service_id": alert.service_id,
        "incident_id": alert.incident_id,
        "detection_id": alert.detection_id,
        "severity": alert.severity.as_str(),
        "title": alert.title,
        "summary": alert.summary,
        "value": alert.value,
        "threshold": alert.threshold,
        "dedup_key": alert.dedup_key,
        "occurrence_count": alert.occurrence_count,
        "triggered_at": alert.triggered_at,
        "last_triggered_at": alert.last_triggered_at,
        "sent_at": alert.sent_at,
        "acknowledged": alert.acknowledged_at.is_some(),
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "deliveries": alert.deliveries.iter().map(|d| json!({
            "channel_id": d.channel_id,
            "action": d.action.as_str(),
            "status": d.status.as_str(),
            "attempts": d.attempts,
            "last_error": d.last_error,
            "delivered_at": d.delivered_at,
        })).collect::<Vec<_>>(),
    })
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
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let filter = filter(query.as_deref())?;
    let alerts = state.store.list_alerts(&principal.org_id, &filter).await?;
    Ok(Json(
        json!({"data": alerts.iter().map(alert_json).collect::<Vec<_>>()}),
    ))
}

async fn summary(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let s = state.store.alert_summary(&principal.org_id).await?;
    Ok(Json(json!({
        "total": s.total,
        "unacknowledged": s.unacknowledged,
        "by_severity": s.by_severity.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "by_rule": s.by_rule.iter().map(|(id, kind, n)| json!({"rule_id": id, "rule_kind": kind, "count": n})).collect::<Vec<_>>(),
        "most_recent": s.most_recent.as_ref().map(alert_json),
    })))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let alert = state
        .store
        .get_alert(&principal.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such alert"))?;
    Ok(Json(alert_json(&alert)))
}

/// Acknowledges (members and up); the first acknowledgement's who and when stand.
async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Member)?;
    let by = match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(key)) => format!("api_key:{key}"),
        (None, None) => "unknown".to_string(),
    };
    let alert = acknowledge_as(&state, &principal.org_id, &id, &by).await?;
    Ok(Json(alert_json(&alert)))
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
