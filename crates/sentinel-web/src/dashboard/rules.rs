//! Settings → alert rules: the list (kind, enabled, thresholds, channels), an edit form per
//! rule and a create form for the kinds the rule engine has. Rules are checked by the
//! API's own validation; a refused form comes back with the reason and nothing saved.
//! Everyone may look; changes need the admin role.

use super::channels::Notice;
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::api::rules::{check_channels, check_name, severity, validate};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sentinel_core::alerting::{AlertSeverity, RuleEngine};
use sentinel_core::detection::kinds::{HIGH_ERROR_COUNT, LATENCY_DEGRADATION, SERVICE_STALL};
use sentinel_core::role::Role;
use sentinel_store::alerts::{AlertRulePatch, NewAlertRule};
use serde_json::{json, Value};

const FREQUENCY: &str = "incident_frequency";
const DETECTION_OPENED: &str = "detection_opened";
const DETECTION_KINDS: [&str; 3] = [HIGH_ERROR_COUNT, SERVICE_STALL, LATENCY_DEGRADATION];

pub struct Check {
    value: String,
    label: String,
    checked: bool,
}

pub struct RuleView {
    id: String,
    name: String,
    kind: String,
    severity: &'static str,
    enabled: bool,
    /// Present for `incident_frequency`: N events ...
    count: Option<String>,
    /// ... in M minutes.
    window_minutes: Option<String>,
    /// Present for `detection_opened`: which detection kinds it fires on (none: all).
    detection_kinds: Option<Vec<Check>>,
    channels: Vec<Check>,
    /// A readable summary of the thresholds and channels for those who cannot edit.
    thresholds: String,
    channel_names: String,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<RuleView>,
    kinds: Vec<&'static str>,
    severities: Vec<&'static str>,
    channels: Vec<Check>,
    notice: Option<Notice>,
}

fn number_text(params: &Value, field: &str) -> String {
    params.get(field).map_or_else(String::new, |v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

async fn rules_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Notice>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let rules = state.store.list_alert_rules(org).await?;
    let channels = state.store.list_channels(org).await?;
    let channel_checks = |chosen: &[String]| -> Vec<Check> {
        channels
            .iter()
            .map(|c| Check {
                value: c.id.as_str().to_string(),
                label: format!("{} ({})", c.name, c.kind()),
                checked: chosen.iter().any(|id| id == c.id.as_str()),
            })
            .collect()
    };
    let views = rules
        .into_iter()
        .map(|rule| {
            let frequency = rule.kind == FREQUENCY;
            let chosen_kinds: Vec<String> = rule
                .params
                .get("detection_kinds")
                .and_then(Value::as_array)
                .map(|kinds| {
                    kinds
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let thresholds = if frequency {
                format!(
                    "{} events in {} minutes",
                    number_text(&rule.params, "count"),
                    number_text(&rule.params, "window_minutes")
                )
            } else if rule.kind == DETECTION_OPENED && !chosen_kinds.is_empty() {
                chosen_kinds.join(", ")
            } else {
                String::new()
            };
            let channel_names = if rule.channel_ids.is_empty() {
                "every enabled channel".to_string()
            } else {
                channels
                    .iter()
                    .filter(|c| rule.channel_ids.iter().any(|id| id == c.id.as_str()))
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            RuleView {
                count: frequency.then(|| number_text(&rule.params, "count")),
                window_minutes: frequency.then(|| number_text(&rule.params, "window_minutes")),
                detection_kinds: (rule.kind == DETECTION_OPENED).then(|| {
                    DETECTION_KINDS
                        .iter()
                        .map(|k| Check {
                            value: k.to_string(),
                            label: k.to_string(),
                            checked: chosen_kinds.iter().any(|c| c == k),
                        })
                        .collect()
                }),
                channels: channel_checks(&rule.channel_ids),
                thresholds,
                channel_names,
                id: rule.id,
                name: rule.name,
                kind: rule.kind,
                severity: rule.severity.as_str(),
                enabled: rule.enabled,
            }
        })
        .collect();
    let status = if notice.as_ref().is_some_and(|n| n.error) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = render(&RulesPage {
        layout: viewer.layout("Alert rules", "rules"),
        rules: views,
        kinds: RuleEngine::standard().kinds(),
        severities: AlertSeverity::ALL.into_iter().map(|s| s.as_str()).collect(),
        channels: channel_checks(&[]),
        notice,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /settings/rules`
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    rules_page(&state, &viewer, None).await
}

/// A rule form's fields; `channel` and `detection_kind` repeat once per ticked box, so the
/// body is read as pairs.
struct RuleForm(Vec<(String, String)>);

impl RuleForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `params` with this form's thresholds for `kind` written in. A threshold that is not
    /// a whole number is kept as text, so the rule kind's own validation names it.
    fn params(&self, kind: &str, mut params: Value) -> Value {
        if !params.is_object() {
            params = json!({});
        }
        if kind == FREQUENCY {
            for field in ["count", "window_minutes"] {
                let text = self.field(field).unwrap_or_default().trim();
                params[field] = text
                    .parse::<u64>()
                    .map_or_else(|_| json!(text), |n| json!(n));
            }
        }
        if kind == DETECTION_OPENED {
            let kinds = self.all("detection_kind");
            match params.as_object_mut() {
                Some(map) if kinds.is_empty() => {
                    map.remove("detection_kinds");
                }
                _ => params["detection_kinds"] = json!(kinds),
            }
        }
        params
    }
}

/// Runs the API's checks on a form; the reason of a refusal goes back on the page.
async fn checked(
    state: &AppState,
    viewer: &Viewer,
    form: &RuleForm,
    kind: &str,
    params: &Value,
) -> Result<(String, AlertSeverity, Vec<String>), String> {
    let name = check_name(form.field("name").unwrap_or_default()).map_err(|e| e.message)?;
    let severity = severity(form.field("severity").unwrap_or_default()).map_err(|e| e.message)?;
    validate(kind, params).map_err(|e| e.message)?;
    let channel_ids = form.all("channel");
    check_channels(state, &viewer.org.id, &channel_ids)
        .await
        .map_err(|e| e.message)?;
    Ok((name, severity, channel_ids))
}

/// `POST /settings/rules/{id}`: saves the edit form of one rule.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = RuleForm(pairs);
    viewer.check_csrf(form.field("csrf").unwrap_or_default())?;
    viewer.require(Role::Admin)?;
    let stored = state
        .store
        .get_alert_rule(&viewer.org.id, &id)
        .await?
        .ok_or_else(|| PageError::NotFound("no such alert rule".into()))?;
    let params = form.params(&stored.kind, stored.params.clone());
    let (name, severity, channel_ids) =
        match checked(&state, &viewer, &form, &stored.kind, &params).await {
            Ok(ok) => ok,
            Err(reason) => {
                let text = format!("The rule {} was not saved: {reason}", stored.name);
                return rules_page(&state, &viewer, Some(Notice { text, error: true })).await;
            }
        };
    let patch = AlertRulePatch {
        name: Some(name),
        params: Some(params),
        severity: Some(severity),
        enabled: Some(form.field("enabled").is_some()),
        channel_ids: Some(channel_ids),
    };
    state
        .store
        .update_alert_rule(&viewer.org.id, &id, &patch, state.clock.now_ms())
        .await?
        .ok_or_else(|| PageError::NotFound("no such alert rule".into()))?;
    tracing::info!(rule = %id, user = %viewer.user.id, "alert rule changed from the dashboard");
    Ok(Redirect::to("/settings/rules").into_response())
}

/// `POST /settings/rules`: creates a rule of one of the engine's kinds.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = RuleForm(pairs);
    viewer.check_csrf(form.field("csrf").unwrap_or_default())?;
    viewer.require(Role::Admin)?;
    let kind = form.field("kind").unwrap_or_default().to_string();
    let params = form.params(&kind, json!({}));
    let (name, severity, channel_ids) = match checked(&state, &viewer, &form, &kind, &params).await
    {
        Ok(ok) => ok,
        Err(reason) => {
            let text = format!("The rule was not created: {reason}");
            return rules_page(&state, &viewer, Some(Notice { text, error: true })).await;
        }
    };
    let rule = state
        .store
        .create_alert_rule(
            &viewer.org.id,
            &NewAlertRule {
                name,
                kind,
                params,
                severity,
                enabled: form.field("enabled").is_some(),
                channel_ids,
            },
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(rule = %rule.id, kind = %rule.kind, user = %viewer.user.id, "alert rule created from the dashboard");
    Ok(Redirect::to("/settings/rules").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RuleForm {
        RuleForm(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn thresholds_are_written_into_the_params() {
        let f = form(&[("count", "20"), ("window_minutes", "5")]);
        let params = f.params(FREQUENCY, json!({"service_ids": ["s1"]}));
        assert_eq!(
            params,
            json!({"count": 20, "window_minutes": 5, "service_ids": ["s1"]})
        );
        let bad = form(&[("count", "lots"), ("window_minutes", "5")]).params(FREQUENCY, json!({}));
        assert!(validate(FREQUENCY, &bad).is_err());
        let kinds = form(&[("detection_kind", SERVICE_STALL)]).params(DETECTION_OPENED, json!({}));
        assert_eq!(kinds, json!({"detection_kinds": [SERVICE_STALL]}));
        let none = form(&[]).params(DETECTION_OPENED, kinds);
        assert_eq!(none, json!({}));
    }
}
