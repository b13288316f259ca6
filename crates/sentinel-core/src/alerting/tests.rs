use super::*;
use serde_json::json;

fn rule(id: &str, kind: &str, params: Value) -> Rule {
    Rule {
        id: id.into(),
        kind: kind.into(),
        params,
        severity: AlertSeverity::Error,
        enabled: true,
    }
}

fn signal(name: &str) -> Signal {
    let mut s = Signal::new(name, "incident:1", "TypeError");
    s.service_id = Some("svc".into());
    s
}

#[test]
fn each_kind_fires_only_on_its_signal() {
    let engine = RuleEngine::standard();
    let rules = vec![
        rule("a", "new_incident", json!({})),
        rule("b", "regression", json!({})),
        rule("c", "detection_opened", json!({})),
    ];
    let fired = engine.evaluate(&rules, &signal(signals::INCIDENT_NEW));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule_id, "a");
    assert_eq!(fired[0].dedup_key, "rule:a:incident:1");
    let fired = engine.evaluate(&rules, &signal(signals::INCIDENT_REGRESSION));
    assert_eq!(fired[0].rule_id, "b");
    let fired = engine.evaluate(&rules, &signal(signals::DETECTION_OPENED));
    assert_eq!(fired[0].rule_id, "c");
}

#[test]
fn frequency_compares_count_within_its_own_window() {
    let engine = RuleEngine::standard();
    let rules = vec![rule(
        "f",
        "incident_frequency",
        json!({"count": 10, "window_minutes": 5}),
    )];
    let mut s = signal(signals::INCIDENT_FREQUENCY);
    s.facts.insert("window_minutes".into(), 5.0);
    s.facts.insert("events_in_window".into(), 9.0);
    assert!(engine.evaluate(&rules, &s).is_empty());
    s.facts.insert("events_in_window".into(), 10.0);
    let fired = engine.evaluate(&rules, &s);
    assert_eq!(fired[0].value, Some(10.0));
    assert_eq!(fired[0].threshold, Some(10.0));
    s.facts.insert("window_minutes".into(), 60.0);
    assert!(engine.evaluate(&rules, &s).is_empty());
}

#[test]
fn disabled_and_other_service_rules_do_not_fire() {
    let engine = RuleEngine::standard();
    let mut off = rule("a", "new_incident", json!({}));
    off.enabled = false;
    let elsewhere = rule("b", "new_incident", json!({"service_ids": ["other"]}));
    let here = rule("c", "new_incident", json!({"service_ids": ["svc"]}));
    let fired = engine.evaluate(&[off, elsewhere, here], &signal(signals::INCIDENT_NEW));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule_id, "c");
}

#[test]
fn detection_kinds_filter() {
    let engine = RuleEngine::standard();
    let rules = vec![rule(
        "d",
        "detection_opened",
        json!({"detection_kinds": ["SERVICE_STALL"]}),
    )];
    let mut s = signal(signals::DETECTION_OPENED);
    s.labels
        .insert("detection_kind".into(), "HIGH_ERROR_COUNT".into());
    assert!(engine.evaluate(&rules, &s).is_empty());
    s.labels
        .insert("detection_kind".into(), "SERVICE_STALL".into());
    assert_eq!(engine.evaluate(&rules, &s).len(), 1);
}

#[test]
fn validation_refuses_unknown_kinds_and_bad_params() {
    let engine = RuleEngine::standard();
    assert!(matches!(
        engine.validate("ai_share", &json!({})),
        Err(RuleError::UnknownKind(_))
    ));
    assert!(engine
        .validate(
            "incident_frequency",
            &json!({"count": 0, "window_minutes": 5})
        )
        .is_err());
    assert!(engine
        .validate(
            "incident_frequency",
            &json!({"count": 3, "window_minutes": 5})
        )
        .is_ok());
    assert!(engine
        .validate("new_incident", &json!({"service_ids": "x"}))
        .is_err());
    assert!(engine.validate("new_incident", &json!([])).is_err());
}

/// A later kind joins by registering an evaluator; nothing else changes.
#[test]
fn new_kinds_join_without_changing_the_engine() {
    struct AiShare;
    impl RuleEvaluator for AiShare {
        fn kind(&self) -> &'static str {
            "ai_share"
        }
        fn validate(&self, _: &Value) -> Result<(), RuleError> {
            Ok(())
        }
        fn evaluate(&self, params: &Value, signal: &Signal) -> Option<Match> {
            let share = signal.fact("ai_share")?;
            let max = params.get("max").and_then(Value::as_f64)?;
            (signal.name == "metrics.daily" && share > max).then_some(Match {
                value: Some(share),
                threshold: Some(max),
            })
        }
    }
    let mut engine = RuleEngine::standard();
    engine.register(Box::new(AiShare));
    assert!(engine.validate("ai_share", &json!({"max": 0.5})).is_ok());
    let mut s = Signal::new("metrics.daily", "repo:1", "AI share high");
    s.facts.insert("ai_share".into(), 0.8);
    let fired = engine.evaluate(&[rule("x", "ai_share", json!({"max": 0.5}))], &s);
    assert_eq!(fired.len(), 1);
}

#[test]
fn every_standard_kind_has_a_default_rule() {
    let engine = RuleEngine::standard();
    let defaults = engine.default_rules();
    assert_eq!(defaults.len(), engine.kinds().len());
    for (kind, rule) in defaults {
        assert!(engine.validate(kind, &rule.params).is_ok(), "{kind}");
    }
}
