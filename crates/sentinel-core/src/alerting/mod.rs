//! Alert rules as data, and the engine that decides which of them fire for a signal.
//!
//! A rule is a row: a `kind`, JSON `params`, a severity, enabled or not, and the channels it
//! notifies. Something that happened (a new incident, a regression, a burst of events, an
//! opened detection; later a daily metric, a risky deploy) is described as a [`Signal`]. The
//! [`RuleEngine`] holds one [`RuleEvaluator`] per rule kind and asks each rule's evaluator
//! whether the signal makes that rule fire. New kinds (the code rules: AI share,
//! verification tax, review saturation, high-risk deploys, AI-attributed incidents) join by
//! registering another evaluator and emitting their signals; the engine does not change.
//!
//! A firing carries a dedup key of `rule id + scope`: the same rule on the same scope within
//! the dedup window is one alert whose occurrence count grows.

mod ai_attributed;
mod code_rules;
mod kinds;

pub use ai_attributed::IncidentAiAttributed;
pub use code_rules::{
    repository_threshold, AiCodeCritical, AiCodeHigh, HighRiskDeployed, ReviewSaturationHigh,
    VerificationTaxAbsolute, VerificationTaxSpike,
};
pub use kinds::{DetectionOpened, IncidentFrequency, NewIncident, Regression};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How long a fired rule on one scope stays one alert.
pub const DEDUP_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The signal names the built-in evaluators listen to.
pub mod signals {
    pub const INCIDENT_NEW: &str = "incident.new";
    pub const INCIDENT_REGRESSION: &str = "incident.regression";
    /// Facts: `events_in_window`, `window_minutes`.
    pub const INCIDENT_FREQUENCY: &str = "incident.frequency";
    pub const DETECTION_OPENED: &str = "detection.opened";
    /// Facts: `ai_confidence` of the suspect commit. Labels: `tool`, `sha`.
    pub const INCIDENT_AI_ATTRIBUTED: &str = "incident.ai_attributed";
    /// A repository's day of metrics was computed. Facts: `ai_share_by_line`,
    /// `ai_share_by_commit` (0..=1), `verification_tax_hours`,
    /// `verification_tax_hours_week_earlier`, `verification_tax_hours_7d`. Labels:
    /// `repository_id`, `date`.
    pub const METRICS_DAY: &str = "metrics.day";
    /// Facts: `saturation`, `waiting`, `capacity`. Labels: `repository_id`.
    pub const REVIEW_SATURATION: &str = "review.saturation";
    /// A deploy shipped T4 files. Facts: `max_t4_ai_confidence`. Labels: `repository_id`,
    /// `environment`, `sha`.
    pub const DEPLOY_HIGH_RISK: &str = "deploy.high_risk";
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Critical,
    Error,
    Warning,
    Info,
}

impl AlertSeverity {
    pub const ALL: [AlertSeverity; 4] = [
        AlertSeverity::Critical,
        AlertSeverity::Error,
        AlertSeverity::Warning,
        AlertSeverity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a rule definition is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown rule kind `{0}`")]
    UnknownKind(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
}

/// Something that happened and may make rules fire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signal {
    /// One of [`signals`] (or a later kind's own name).
    pub name: String,
    /// What the alert is about, e.g. `incident:<id>`; part of the dedup key.
    pub scope: String,
    pub service_id: Option<String>,
    pub service_name: String,
    pub incident_id: Option<String>,
    pub detection_id: Option<String>,
    pub title: String,
    pub summary: String,
    /// Numbers the evaluators compare against their params.
    pub facts: BTreeMap<String, f64>,
    /// Words the evaluators may filter on (detection kind, error class, ...).
    pub labels: BTreeMap<String, String>,
}

impl Signal {
    pub fn new(name: &str, scope: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            scope: scope.into(),
            title: title.into(),
            ..Self::default()
        }
    }

    pub fn fact(&self, name: &str) -> Option<f64> {
        self.facts.get(name).copied()
    }
}

/// A rule as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub kind: String,
    pub params: Value,
    pub severity: AlertSeverity,
    pub enabled: bool,
}

/// What a rule that fired asks to record and notify.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule_id: String,
    pub rule_kind: String,
    pub scope: String,
    pub severity: AlertSeverity,
    pub title: String,
    pub summary: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub dedup_key: String,
}

/// The value and threshold an evaluator reports when its rule fires.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Match {
    pub value: Option<f64>,
    pub threshold: Option<f64>,
}

/// A default rule created for an organization so alerts work out of the box.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultRule {
    pub name: &'static str,
    pub params: Value,
    pub severity: AlertSeverity,
}

/// The code of one rule kind.
pub trait RuleEvaluator: Send + Sync {
    /// The `kind` column this evaluator owns.
    fn kind(&self) -> &'static str;
    /// Checks params when a rule is saved, so a rule that can never work is refused.
    fn validate(&self, params: &Value) -> Result<(), RuleError>;
    /// Whether `signal` makes a rule of this kind with `params` fire.
    fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match>;
    /// The rule every organization starts with, if any.
    fn default_rule(&self) -> Option<DefaultRule> {
        None
    }
}

/// The evaluators by kind.
pub struct RuleEngine {
    evaluators: BTreeMap<&'static str, Box<dyn RuleEvaluator>>,
}

impl Default for RuleEngine {
    fn default() -> Self {
        Self::standard()
    }
}

impl std::fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngine")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl RuleEngine {
    /// No evaluators at all.
    pub fn empty() -> Self {
        Self {
            evaluators: BTreeMap::new(),
        }
    }

    /// The built-in kinds: new_incident, regression, incident_frequency, detection_opened,
    /// incident_ai_attributed, and the code rules (see `code_rules`).
    pub fn standard() -> Self {
        let mut engine = Self::empty();
        engine.register(Box::new(NewIncident));
        engine.register(Box::new(Regression));
        engine.register(Box::new(IncidentFrequency));
        engine.register(Box::new(DetectionOpened));
        engine.register(Box::new(IncidentAiAttributed));
        engine.register(Box::new(AiCodeHigh));
        engine.register(Box::new(AiCodeCritical));
        engine.register(Box::new(VerificationTaxSpike));
        engine.register(Box::new(VerificationTaxAbsolute));
        engine.register(Box::new(ReviewSaturationHigh));
        engine.register(Box::new(HighRiskDeployed));
        engine
    }

    /// Adds (or replaces) the evaluator of its kind.
    pub fn register(&mut self, evaluator: Box<dyn RuleEvaluator>) -> &mut Self {
        self.evaluators.insert(evaluator.kind(), evaluator);
        self
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.evaluators.keys().copied().collect()
    }

    /// Checks a rule definition: its kind must have an evaluator and its params must suit it.
    pub fn validate(&self, kind: &str, params: &Value) -> Result<(), RuleError> {
        let evaluator = self
            .evaluators
            .get(kind)
            .ok_or_else(|| RuleError::UnknownKind(kind.to_string()))?;
        validate_common(params)?;
        evaluator.validate(params)
    }

    /// The default rules of every registered kind, as (kind, rule).
    pub fn default_rules(&self) -> Vec<(&'static str, DefaultRule)> {
        self.evaluators
            .values()
            .filter_map(|e| e.default_rule().map(|r| (e.kind(), r)))
            .collect()
    }

    /// The rules `signal` makes fire. Disabled rules, unknown kinds and rules restricted to
    /// other services never fire.
    pub fn evaluate(&self, rules: &[Rule], signal: &Signal) -> Vec<Firing> {
        rules
            .iter()
            .filter(|rule| rule.enabled && applies_to_service(&rule.params, signal))
            .filter_map(|rule| {
                let evaluator = self.evaluators.get(rule.kind.as_str())?;
                let found = evaluator.evaluate(&rule.params, signal)?;
                Some(Firing {
                    rule_id: rule.id.clone(),
                    rule_kind: rule.kind.clone(),
                    scope: signal.scope.clone(),
                    severity: rule.severity,
                    title: signal.title.clone(),
                    summary: signal.summary.clone(),
                    value: found.value,
                    threshold: found.threshold,
                    dedup_key: dedup_key(&rule.id, &signal.scope),
                })
            })
            .collect()
    }
}

/// The key that makes repeated firings of one rule on one scope a single alert.
pub fn dedup_key(rule_id: &str, scope: &str) -> String {
    format!("rule:{rule_id}:{scope}")
}

/// Every rule may carry `service_ids`: a list of services it is restricted to.
fn validate_common(params: &Value) -> Result<(), RuleError> {
    if !(params.is_object() || params.is_null()) {
        return Err(RuleError::InvalidParams("params must be an object".into()));
    }
    match params.get("service_ids") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(ids)) if ids.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(RuleError::InvalidParams(
            "service_ids must be a list of service ids".into(),
        )),
    }
}

fn applies_to_service(params: &Value, signal: &Signal) -> bool {
    let Some(Value::Array(ids)) = params.get("service_ids") else {
        return true;
    };
    let Some(service) = &signal.service_id else {
        return false;
    };
    ids.iter().any(|id| id.as_str() == Some(service.as_str()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
