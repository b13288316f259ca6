//! `incident_ai_attributed`: fires when an incident's suspect commit was written with an AI
//! tool, as sure as the rule's `min_confidence` (default 0.5, the threshold at which Sentinel
//! counts a commit as AI-written).

use super::{signals, AlertSeverity, DefaultRule, Match, RuleError, RuleEvaluator, Signal};
use serde_json::{json, Value};

/// The confidence from which a suspect counts as AI-written when the rule does not say.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;

#[derive(Debug, Clone, Copy, Default)]
pub struct IncidentAiAttributed;

impl IncidentAiAttributed {
    fn min_confidence(params: &Value) -> Result<f64, RuleError> {
        match params.get("min_confidence") {
            None | Some(Value::Null) => Ok(DEFAULT_MIN_CONFIDENCE),
            Some(value) => match value.as_f64() {
                Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
                _ => Err(RuleError::InvalidParams(
                    "min_confidence must be a number from 0 to 1".into(),
                )),
            },
        }
    }
}

impl RuleEvaluator for IncidentAiAttributed {
    fn kind(&self) -> &'static str {
        "incident_ai_attributed"
    }

    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        Self::min_confidence(params).map(|_| ())
    }

    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::INCIDENT_AI_ATTRIBUTED {
            return None;
        }
        let threshold = Self::min_confidence(params).ok()?;
        let confidence = signal.fact("ai_confidence")?;
        (confidence >= threshold).then_some(Match {
            value: Some(confidence),
            threshold: Some(threshold),
        })
    }

    fn default_rule(&self) -> Option<DefaultRule> {
        Some(DefaultRule {
            name: "Incident caused by AI-written code",
            params: json!({"min_confidence": DEFAULT_MIN_CONFIDENCE}),
            severity: AlertSeverity::Warning,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(confidence: Option<f64>) -> Signal {
        let mut s = Signal::new(signals::INCIDENT_AI_ATTRIBUTED, "incident:1", "KeyError");
        if let Some(c) = confidence {
            s.facts.insert("ai_confidence".into(), c);
        }
        s
    }

    #[test]
    fn fires_from_the_threshold_up() {
        let rule = IncidentAiAttributed;
        let params = json!({});
        assert!(rule.evaluate(&params, &signal(Some(0.5))).is_some());
        assert!(rule.evaluate(&params, &signal(Some(0.49))).is_none());
        assert!(rule.evaluate(&params, &signal(None)).is_none());
        let strict = json!({"min_confidence": 0.9});
        assert!(rule.evaluate(&strict, &signal(Some(0.89))).is_none());
        assert!(rule.evaluate(&strict, &signal(Some(0.95))).is_some());
        let mut other = signal(Some(1.0));
        other.name = signals::INCIDENT_NEW.into();
        assert!(rule.evaluate(&params, &other).is_none());
    }

    #[test]
    fn params_are_checked() {
        let rule = IncidentAiAttributed;
        assert!(rule.validate(&json!({})).is_ok());
        assert!(rule.validate(&json!({"min_confidence": 1.5})).is_err());
        assert!(rule.validate(&json!({"min_confidence": "high"})).is_err());
    }
}
