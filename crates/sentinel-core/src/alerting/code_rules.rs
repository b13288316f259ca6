//! The code rules: AI share of a day's changes (`ai_code_high`, `ai_code_critical`), the
//! verification tax (`verification_tax_spike`, `verification_tax_absolute`), review
//! saturation (`review_saturation_high`) and AI-written T4 code shipped
//! (`high_risk_deployed`).
//!
//! Every threshold is set per organization in the rule's params and may be overridden per
//! repository: `{"threshold": 90, "repositories": {"<repository id>": {"threshold": 95}}}`.
//! Signals carry the repository in the `repository_id` label and use `repository:<id>` as
//! their scope, so one rule on one repository is one alert per dedup window.

use super::{signals, AlertSeverity, DefaultRule, Match, RuleError, RuleEvaluator, Signal};
use serde_json::{json, Value};

/// The number `key` of a rule for the signal's repository: the repository's own value when
/// the params give one, else the organization's, else `default`.
pub fn repository_threshold(params: &Value, signal: &Signal, key: &str, default: f64) -> f64 {
    let own = signal
        .labels
        .get("repository_id")
        .and_then(|id| params.get("repositories")?.get(id)?.get(key)?.as_f64());
    own.or_else(|| params.get(key)?.as_f64()).unwrap_or(default)
}

/// Checks that `keys` are numbers at or above zero, at the top and in every repository's
/// overrides.
fn validate_numbers(params: &Value, keys: &[&str]) -> Result<(), RuleError> {
    let check = |object: &Value, place: &str| -> Result<(), RuleError> {
        for key in keys {
            match object.get(*key) {
                None | Some(Value::Null) => {}
                Some(v) if v.as_f64().is_some_and(|n| n >= 0.0) => {}
                Some(_) => {
                    return Err(RuleError::InvalidParams(format!(
                        "{place}{key} must be a number >= 0"
                    )))
                }
            }
        }
        Ok(())
    };
    check(params, "")?;
    match params.get("repositories") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(repos)) => repos
            .iter()
            .try_for_each(|(id, own)| check(own, &format!("repositories.{id}."))),
        Some(_) => Err(RuleError::InvalidParams(
            "repositories must map repository ids to thresholds".into(),
        )),
    }
}

/// The AI share the share rules read (0..=1): by line unless the params say
/// `"share": "commit"`. Thresholds are percentages; the share is compared with them divided
/// by 100 (0.9 × 100 is not 90 in floating point, 90 / 100 is 0.9).
fn ai_share(params: &Value, signal: &Signal) -> Option<f64> {
    let fact = match params.get("share").and_then(Value::as_str) {
        Some("commit") => "ai_share_by_commit",
        _ => "ai_share_by_line",
    };
    signal.fact(fact)
}

macro_rules! code_rule {
    ($name:ident, $kind:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;
    };
}

code_rule!(
    AiCodeHigh,
    "ai_code_high",
    "AI share above `min` (70 %) up to `max` (90 %)."
);
code_rule!(
    AiCodeCritical,
    "ai_code_critical",
    "AI share above `threshold` (90 %)."
);
code_rule!(
    VerificationTaxSpike,
    "verification_tax_spike",
    "A day's verification tax above `factor` (1.5) × the same day a week earlier, and at least `min_hours` (1)."
);
code_rule!(
    VerificationTaxAbsolute,
    "verification_tax_absolute",
    "Verification tax of the last seven days above `hours` (80)."
);
code_rule!(
    ReviewSaturationHigh,
    "review_saturation_high",
    "Review saturation above `threshold` (0.8)."
);
code_rule!(
    HighRiskDeployed,
    "high_risk_deployed",
    "A deploy shipping T4 files written by AI with confidence at least `min_confidence` (0.8)."
);

fn default_rule(name: &'static str, params: Value, severity: AlertSeverity) -> Option<DefaultRule> {
    Some(DefaultRule {
        name,
        params,
        severity,
    })
}

impl RuleEvaluator for AiCodeHigh {
    fn kind(&self) -> &'static str {
        "ai_code_high"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["min", "max"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::METRICS_DAY {
            return None;
        }
        let share = ai_share(params, signal)?;
        let min = repository_threshold(params, signal, "min", 70.0);
        let max = repository_threshold(params, signal, "max", 90.0);
        (share > min / 100.0 && share <= max / 100.0).then_some(Match {
            value: Some(share * 100.0),
            threshold: Some(min),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "AI share high",
            json!({"min": 70, "max": 90}),
            AlertSeverity::Warning,
        )
    }
}

impl RuleEvaluator for AiCodeCritical {
    fn kind(&self) -> &'static str {
        "ai_code_critical"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["threshold"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::METRICS_DAY {
            return None;
        }
        let share = ai_share(params, signal)?;
        let threshold = repository_threshold(params, signal, "threshold", 90.0);
        (share > threshold / 100.0).then_some(Match {
            value: Some(share * 100.0),
            threshold: Some(threshold),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "AI share critical",
            json!({"threshold": 90}),
            AlertSeverity::Error,
        )
    }
}

impl RuleEvaluator for VerificationTaxSpike {
    fn kind(&self) -> &'static str {
        "verification_tax_spike"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["factor", "min_hours"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::METRICS_DAY {
            return None;
        }
        let now = signal.fact("verification_tax_hours")?;
        let before = signal.fact("verification_tax_hours_week_earlier")?;
        let factor = repository_threshold(params, signal, "factor", 1.5);
        let min_hours = repository_threshold(params, signal, "min_hours", 1.0);
        (now > factor * before && now >= min_hours).then_some(Match {
            value: Some(now),
            threshold: Some(factor * before),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "Verification tax spike",
            json!({"factor": 1.5, "min_hours": 1}),
            AlertSeverity::Warning,
        )
    }
}

impl RuleEvaluator for VerificationTaxAbsolute {
    fn kind(&self) -> &'static str {
        "verification_tax_absolute"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["hours"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::METRICS_DAY {
            return None;
        }
        let week = signal.fact("verification_tax_hours_7d")?;
        let hours = repository_threshold(params, signal, "hours", 80.0);
        (week > hours).then_some(Match {
            value: Some(week),
            threshold: Some(hours),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "Verification tax over 80 h a week",
            json!({"hours": 80}),
            AlertSeverity::Warning,
        )
    }
}

impl RuleEvaluator for ReviewSaturationHigh {
    fn kind(&self) -> &'static str {
        "review_saturation_high"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["threshold"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::REVIEW_SATURATION {
            return None;
        }
        let saturation = signal.fact("saturation")?;
        let threshold = repository_threshold(params, signal, "threshold", 0.8);
        (saturation > threshold).then_some(Match {
            value: Some(saturation),
            threshold: Some(threshold),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "Review saturated",
            json!({"threshold": 0.8}),
            AlertSeverity::Warning,
        )
    }
}

impl RuleEvaluator for HighRiskDeployed {
    fn kind(&self) -> &'static str {
        "high_risk_deployed"
    }
    fn validate(&self, params: &Value) -> Result<(), RuleError> {
        validate_numbers(params, &["min_confidence"])
    }
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
        if signal.name != signals::DEPLOY_HIGH_RISK {
            return None;
        }
        let confidence = signal.fact("max_t4_ai_confidence")?;
        let threshold = repository_threshold(params, signal, "min_confidence", 0.8);
        (confidence >= threshold).then_some(Match {
            value: Some(confidence),
            threshold: Some(threshold),
        })
    }
    fn default_rule(&self) -> Option<DefaultRule> {
        default_rule(
            "AI-written critical code deployed",
            json!({"min_confidence": 0.8}),
            AlertSeverity::Error,
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(share: f64, tax: f64, before: f64, week: f64) -> Signal {
        let mut s = Signal::new(signals::METRICS_DAY, "repository:r1", "acme/app");
        s.labels.insert("repository_id".into(), "r1".into());
        s.facts.insert("ai_share_by_line".into(), share);
        s.facts.insert("ai_share_by_commit".into(), 0.1);
        s.facts.insert("verification_tax_hours".into(), tax);
        s.facts
            .insert("verification_tax_hours_week_earlier".into(), before);
        s.facts.insert("verification_tax_hours_7d".into(), week);
        s
    }

    #[test]
    fn share_rules_split_at_70_and_90() {
        let p = json!({});
        for (share, high, critical) in [
            (0.70, false, false),
            (0.71, true, false),
            (0.90, true, false),
            (0.91, false, true),
        ] {
            let s = day(share, 0.0, 0.0, 0.0);
            assert_eq!(AiCodeHigh.evaluate(&p, &s).is_some(), high, "{share}");
            assert_eq!(
                AiCodeCritical.evaluate(&p, &s).is_some(),
                critical,
                "{share}"
            );
        }
        // By commit, the share is 10 %.
        assert!(AiCodeHigh
            .evaluate(&json!({"share": "commit"}), &day(0.8, 0.0, 0.0, 0.0))
            .is_none());
    }

    #[test]
    fn repository_thresholds_override_the_organizations() {
        let p = json!({"threshold": 90, "repositories": {"r1": {"threshold": 95}}});
        assert!(AiCodeCritical
            .evaluate(&p, &day(0.93, 0.0, 0.0, 0.0))
            .is_none());
        assert!(AiCodeCritical
            .evaluate(&p, &day(0.96, 0.0, 0.0, 0.0))
            .is_some());
        let mut elsewhere = day(0.93, 0.0, 0.0, 0.0);
        elsewhere.labels.insert("repository_id".into(), "r2".into());
        assert!(AiCodeCritical.evaluate(&p, &elsewhere).is_some());
        assert!(AiCodeCritical
            .validate(&json!({"repositories": {"r1": {"threshold": "x"}}}))
            .is_err());
        assert!(AiCodeCritical.validate(&json!({"threshold": -1})).is_err());
        assert!(AiCodeCritical.validate(&p).is_ok());
    }

    #[test]
    fn tax_rules_compare_a_week_earlier_and_the_last_seven_days() {
        let p = json!({});
        assert!(VerificationTaxSpike
            .evaluate(&p, &day(0.0, 15.1, 10.0, 0.0))
            .is_some());
        assert!(VerificationTaxSpike
            .evaluate(&p, &day(0.0, 15.0, 10.0, 0.0))
            .is_none());
        assert!(VerificationTaxSpike
            .evaluate(&p, &day(0.0, 0.5, 0.0, 0.0))
            .is_none());
        assert!(VerificationTaxAbsolute
            .evaluate(&p, &day(0.0, 0.0, 0.0, 80.5))
            .is_some());
        assert!(VerificationTaxAbsolute
            .evaluate(&p, &day(0.0, 0.0, 0.0, 80.0))
            .is_none());
    }

    #[test]
    fn saturation_and_deploy_rules_fire_over_their_thresholds() {
        let mut s = Signal::new(signals::REVIEW_SATURATION, "repository:r1", "acme/app");
        s.facts.insert("saturation".into(), 0.8);
        assert!(ReviewSaturationHigh.evaluate(&json!({}), &s).is_none());
        s.facts.insert("saturation".into(), 0.81);
        assert!(ReviewSaturationHigh.evaluate(&json!({}), &s).is_some());
        let mut d = Signal::new(signals::DEPLOY_HIGH_RISK, "repository:r1", "acme/app");
        d.facts.insert("max_t4_ai_confidence".into(), 0.79);
        assert!(HighRiskDeployed.evaluate(&json!({}), &d).is_none());
        d.facts.insert("max_t4_ai_confidence".into(), 0.8);
        assert!(HighRiskDeployed.evaluate(&json!({}), &d).is_some());
    }
}
