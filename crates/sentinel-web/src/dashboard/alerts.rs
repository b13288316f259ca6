//! `GET /alerts`: the organization's alerts as a dense table with counts by severity, open /
//! acknowledged and severity filters as plain links, and `POST /alerts/{id}/ack` to
//! acknowledge one (members and up), recording who and when.

use super::format::{count, HtmlTime};
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::role::Role;
use sentinel_store::alerts::AlertFilter;
use serde::Deserialize;
use std::collections::HashMap;

/// The list's query string; empty values mean "no filter".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AlertParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl AlertParams {
    /// `all` unless asked otherwise, so an alert just acknowledged stays in view with who
    /// acknowledged it.
    fn status(&self) -> &str {
        given(&self.status).unwrap_or("all")
    }

    /// The link to this list with `key` set to `value` (empty drops it).
    fn with(&self, key: &str, value: &str) -> String {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (name, current) in [
            ("status", Some(self.status())),
            ("severity", given(&self.severity)),
        ] {
            let chosen = if name == key { Some(value) } else { current };
            if let Some(v) = chosen.filter(|v| !v.is_empty()) {
                serializer.append_pair(name, v);
            }
        }
        format!("/alerts?{}", serializer.finish())
    }
}

pub struct Chip {
    label: String,
    count: String,
    href: String,
    active: bool,
}

pub struct DeliveryView {
    channel: String,
    status: &'static str,
    error: String,
}

pub struct AlertRow {
    id: String,
    severity: &'static str,
    rule_kind: String,
    title: String,
    summary: String,
    service: String,
    incident_id: Option<String>,
    detection_id: Option<String>,
    occurrences: String,
    first: HtmlTime,
    last: HtmlTime,
    deliveries: Vec<DeliveryView>,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<HtmlTime>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    layout: Layout,
    total: String,
    unacknowledged: String,
    severity_chips: Vec<Chip>,
    status_chips: Vec<Chip>,
    rows: Vec<AlertRow>,
    /// This list with its filters, where an acknowledgement returns to.
    back: String,
}

/// Who acknowledged, for people: the member's e-mail for `user:<id>`, else as recorded.
fn who(by: &str, emails: &HashMap<String, String>) -> String {
    by.strip_prefix("user:")
        .and_then(|id| emails.get(id))
        .cloned()
        .unwrap_or_else(|| by.to_string())
}

/// `GET /alerts`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AlertParams>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let acknowledged = match params.status() {
        "open" => Some(false),
        "acknowledged" => Some(true),
        "all" => None,
        other => {
            return Err(PageError::BadRequest(format!(
                "unknown status {other:?}: open, acknowledged or all"
            )))
        }
    };
    let severity = given(&params.severity)
        .map(|text| {
            AlertSeverity::parse(text).ok_or_else(|| {
                PageError::BadRequest("severity must be critical, error, warning or info".into())
            })
        })
        .transpose()?;
    let filter = AlertFilter {
        acknowledged,
        severity,
        limit: Some(200),
        ..AlertFilter::default()
    };
    let alerts = state.store.list_alerts(org, &filter).await?;
    let summary = state.store.alert_summary(org).await?;
    let services: HashMap<String, String> = state
        .store
        .list_services(org)
        .await?
        .into_iter()
        .map(|s| (s.id.as_str().to_string(), s.name))
        .collect();
    let channels: HashMap<String, String> = state
        .store
        .list_channels(org)
        .await?
        .into_iter()
        .map(|c| (c.id.into_string(), c.name))
        .collect();
    let emails: HashMap<String, String> = state
        .store
        .list_members(org)
        .await?
        .into_iter()
        .map(|m| (m.user_id.as_str().to_string(), m.email))
        .collect();

    let current_severity = given(&params.severity).unwrap_or_default();
    let by_severity = |s: AlertSeverity| {
        summary
            .by_severity
            .iter()
            .find(|(name, _)| name == s.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let mut severity_chips = vec![Chip {
        label: "All severities".into(),
        count: count(summary.total),
        href: params.with("severity", ""),
        active: current_severity.is_empty(),
    }];
    severity_chips.extend(AlertSeverity::ALL.into_iter().map(|s| Chip {
        label: s.as_str().into(),
        count: count(by_severity(s)),
        href: params.with("severity", s.as_str()),
        active: current_severity == s.as_str(),
    }));
    let status_chips = [
        ("all", "All", summary.total),
        ("open", "Open", summary.unacknowledged),
        (
            "acknowledged",
            "Acknowledged",
            summary.total - summary.unacknowledged,
        ),
    ]
    .into_iter()
    .map(|(value, label, n)| Chip {
        label: label.into(),
        count: count(n),
        href: params.with("status", value),
        active: params.status() == value,
    })
    .collect();

    let rows = alerts
        .into_iter()
        .map(|alert| AlertRow {
            service: alert
                .service_id
                .as_ref()
                .and_then(|id| services.get(id))
                .cloned()
                .unwrap_or_default(),
            deliveries: alert
                .deliveries
                .iter()
                .map(|d| DeliveryView {
                    channel: channels
                        .get(&d.channel_id)
                        .cloned()
                        .unwrap_or_else(|| "deleted channel".into()),
                    status: d.status.as_str(),
                    error: d.last_error.clone().unwrap_or_default(),
                })
                .collect(),
            acknowledged_by: alert.acknowledged_by.as_deref().map(|by| who(by, &emails)),
            acknowledged_at: alert.acknowledged_at.map(HtmlTime),
            id: alert.id,
            severity: alert.severity.as_str(),
            rule_kind: alert.rule_kind.replace('_', " "),
            title: alert.title,
            summary: alert.summary,
            incident_id: alert.incident_id,
            detection_id: alert.detection_id,
            occurrences: count(alert.occurrence_count),
            first: HtmlTime(alert.triggered_at),
            last: HtmlTime(alert.last_triggered_at),
        })
        .collect();
    render(&AlertsPage {
        layout: viewer.layout("Alerts", "alerts"),
        total: count(summary.total),
        unacknowledged: count(summary.unacknowledged),
        severity_chips,
        status_chips,
        rows,
        back: params.with("status", params.status()),
    })
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    csrf: String,
    /// Where to go back to: the list with the filters the person was looking at.
    #[serde(default)]
    back: String,
}

/// `POST /alerts/{id}/ack`: the first acknowledgement's who and when stand.
pub async fn acknowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<AckForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Member)?;
    let by = format!("user:{}", viewer.user.id);
    let alert = crate::api::alerts::acknowledge_as(&state, &viewer.org.id, &id, &by).await?;
    tracing::info!(alert = %alert.id, user = %viewer.user.id, "alert acknowledged from the dashboard");
    Ok(super::viewer::redirect_back(&form.back, "/alerts").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_links_keep_the_other_filter() {
        let params = AlertParams {
            status: Some("acknowledged".into()),
            severity: Some("error".into()),
        };
        assert_eq!(
            params.with("severity", "info"),
            "/alerts?status=acknowledged&severity=info"
        );
        assert_eq!(params.with("severity", ""), "/alerts?status=acknowledged");
        assert_eq!(
            AlertParams::default().with("status", "all"),
            "/alerts?status=all"
        );
    }

    #[test]
    fn acknowledgers_are_named_by_their_email() {
        let emails = HashMap::from([("u1".to_string(), "a@example.com".to_string())]);
        assert_eq!(who("user:u1", &emails), "a@example.com");
        assert_eq!(who("api_key:k1", &emails), "api_key:k1");
    }
}
