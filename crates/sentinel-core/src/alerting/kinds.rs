//! The built-in rule kinds, one evaluator each.

use super::{signals, AlertSeverity, DefaultRule, Match, RuleError, RuleEvaluator, Signal};
use serde_json::{json, Value};

/// Fires on every new incident (that is not quiet).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewIncident;

impl RuleEvaluator for NewIncident {
    fn kind(&self) -> &'static str {
        "new_incident"
    }

    fn validate(&self, _params: &Value) -> Result<(), RuleError> {
        Ok(())
    }

    fn evaluate(&self, _params: &Value, signal: &Signal) -> Option<Match> {
        (signal.name == signals::INCIDENT_NEW).then(Match::default)
    }

    fn default_rule(&self) -> Option<DefaultRule> {
        Some(DefaultRule {
            name: "New incident",
            params: json!({}),
            severity: AlertSeverity::Error,
        })
    }
}

/// Fires when a resolved incident happens again.
#[derive(Debug, Clone, Copy, Default)]
pub struct Regression;

impl RuleEvaluator for Regression {
    fn kind(&self) -> &'static str {
        "regression"
    }

    fn validate(&self, _params: &Value) -> Result<(), RuleError> {
        Ok(())
    }

    fn evaluate(&self, _params: &Value, signal: &Signal) -> Option<Match> {
        (signal.name == signals::INCIDENT_REGRESSION).then(|| Match {
            value: signal.fact("regression_count"),
            threshold: None,
        })
    }

    fn default_rule(&self) -> Option<DefaultRule> {
        Some(DefaultRule {
            name: "Regression",
            params: json!({}),
            severity: AlertSeverity::Error,
        })
    }
}

/// Fires when an incident receives at least `count` events within `window_minutes`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IncidentFrequency;

impl IncidentFrequency {
    /// The `(count, window_minutes)` of valid params.
    pub fn params(params: &Value) -> Result<(u64, u64), RuleError> {
        let field = |name: &str| {
            params
                .get(name)
                .and_then(Value::as_u64)
                .filter(|v| *v >= 1)
                .ok_or_else(|| {
                    RuleError::InvalidParams(format!("{name} must be a whole number >= 1"))
                })
        };
        let count = field("count")?;
        let window = field("window_minutes")?;
        if window > 24 * 60 {
            return Err(RuleError::InvalidParams(
                "window_minutes must be at most 1440".into(),
            ));
        }
        Ok((count, window))
    }
}

impl RuleEvaluator for IncidentFrequency {
    fn kind(&self) -> &'static str {
        "incident_frequency"
    }

    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        Self::params(params).map(|_| ())
    }

    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::INCIDENT_FREQUENCY {
            return None;
        }
        let (count, window) = Self::params(params).ok()?;
        // A count over another window says nothing about this rule's window.
        if signal.fact("window_minutes")? != window as f64 {
            return None;
        }
        let seen = signal.fact("events_in_window")?;
        (seen >= count as f64).then_some(Match {
            value: Some(seen),
            threshold: Some(count as f64),
        })
    }

    fn default_rule(&self) -> Option<DefaultRule> {
        Some(DefaultRule {
            name: "Incident frequency",
            params: json!({"count": 100, "window_minutes": 60}),
            severity: AlertSeverity::Warning,
        })
    }
}

/// Fires when an anomaly detection opens; `params.detection_kinds` may restrict the kinds.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetectionOpened;

impl RuleEvaluator for DetectionOpened {
    fn kind(&self) -> &'static str {
        "detection_opened"
    }

    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        match params.get("detection_kinds") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Array(kinds)) if kinds.iter().all(Value::is_string) => Ok(()),
            Some(_) => Err(RuleError::InvalidParams(
                "detection_kinds must be a list of detection kinds".into(),
            )),
        }
    }

    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::DETECTION_OPENED {
            return None;
        }
        if let Some(Value::Array(kinds)) = params.get("detection_kinds") {
            let kind = signal.labels.get("detection_kind")?;
            if !kinds.iter().any(|k| k.as_str() == Some(kind.as_str())) {
                return None;
            }
        }
        Some(Match {
            value: signal.fact("value"),
            threshold: signal.fact("threshold"),
        })
    }

    fn default_rule(&self) -> Option<DefaultRule> {
        Some(DefaultRule {
            name: "Anomaly detected",
            params: json!({}),
            severity: AlertSeverity::Warning,
        })
    }
}
