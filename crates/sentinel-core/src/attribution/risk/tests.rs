//! Tiers by path, repository overrides, and the confidence adjustment.
use super::*;

fn tier(path: &str) -> RiskTier {
    RiskRules::default().path_tier(path).tier
}

#[test]
fn every_default_pattern_translates() {
    let total: usize = DEFAULT_GROUPS.iter().map(|g| g.patterns.len()).sum();
    assert_eq!(default_patterns().entries.len(), total);
    assert_eq!(default_patterns().set.len(), total);
}

#[test]
fn default_tiers_by_path() {
    let cases = [
        ("README.md", RiskTier::T1),
        ("docs/guide/intro.rst", RiskTier::T1),
        ("crates/store/tests/suite.rs", RiskTier::T1),
        ("pkg/api/handler_test.go", RiskTier::T1),
        ("web/src/app.spec.ts", RiskTier::T1),
        ("Cargo.lock", RiskTier::T1),
        ("web/package-lock.json", RiskTier::T1),
        ("config/app.yaml", RiskTier::T1),
        ("Cargo.toml", RiskTier::T1),
        (".github/workflows/ci.yml", RiskTier::T1),
        ("scripts/release.sh", RiskTier::T1),
        ("Dockerfile", RiskTier::T1),
        ("src/routes/users.rs", RiskTier::T2),
        ("app/handlers.py", RiskTier::T2),
        ("src/utils/strings.ts", RiskTier::T2),
        ("app/controllers/posts_controller.rb", RiskTier::T2),
        ("src/main.rs", RiskTier::T2),
        ("src/auth/login.rs", RiskTier::T3),
        ("app/oauth_callback.py", RiskTier::T3),
        ("src/session.rs", RiskTier::T3),
        ("services/billing/invoice.py", RiskTier::T3),
        ("src/payments.ts", RiskTier::T3),
        ("src/domain/order.rs", RiskTier::T3),
        ("src/crypto/aes.rs", RiskTier::T4),
        ("lib/encryption.py", RiskTier::T4),
        ("src/secrets.rs", RiskTier::T4),
        ("app/permissions.py", RiskTier::T4),
        ("src/acl.rs", RiskTier::T4),
        ("src/webhook/signature.rs", RiskTier::T4),
        (".env", RiskTier::T4),
    ];
    for (path, expected) in cases {
        assert_eq!(tier(path), expected, "{path}");
    }
}

#[test]
fn the_most_critical_match_wins_in_code() {
    // Auth (T3) and crypto (T4): T4 is tried first.
    assert_eq!(tier("src/auth/crypto.rs"), RiskTier::T4);
    // A route (T2) under billing (T3).
    assert_eq!(tier("src/billing/routes.rs"), RiskTier::T3);
    // Configuration of secrets is about secrets.
    assert_eq!(tier("config/secrets.yml"), RiskTier::T4);
}

#[test]
fn docs_and_tests_are_boilerplate_whatever_they_are_about() {
    assert_eq!(tier("docs/security.md"), RiskTier::T1);
    assert_eq!(tier("tests/auth_test.rs"), RiskTier::T1);
    assert_eq!(tier("src/crypto/aes_test.go"), RiskTier::T1);
}

#[test]
fn words_that_only_contain_a_keyword_are_not_it() {
    assert_eq!(tier("src/authors.rs"), RiskTier::T2);
    assert_eq!(tier("src/oracle.rs"), RiskTier::T2);
    assert_eq!(tier("src/lesson.rs"), RiskTier::T2);
    assert_eq!(tier("src/script_runner.rs"), RiskTier::T2);
}

#[test]
fn the_match_is_named() {
    let rules = RiskRules::default();
    let found = rules.path_tier("src/crypto/aes.rs");
    assert_eq!(found.source, PatternSource::Default);
    assert_eq!(found.pattern, Some("*crypt*"));
    assert_eq!(found.label, Some("cryptography"));
    let fallback = rules.path_tier("src/main.rs");
    assert_eq!(fallback.source, PatternSource::Fallback);
    assert_eq!(fallback.pattern, None);
}

fn rules(json: &str) -> RiskRules {
    match serde_json::from_str(json) {
        Ok(rules) => rules,
        Err(e) => panic!("{json}: {e}"),
    }
}

#[test]
fn repository_patterns_come_before_the_defaults() {
    let rules = rules(
        r#"{"patterns": [
            {"pattern": "src/engine/**", "tier": "T4"},
            {"pattern": "docs/security.md", "tier": "T3"},
            {"pattern": "*crypt*", "tier": "T2"}
        ], "default_tier": "T1"}"#,
    );
    let engine = rules.path_tier("src/engine/scheduler.rs");
    assert_eq!(engine.tier, RiskTier::T4);
    assert_eq!(engine.source, PatternSource::Repository);
    assert_eq!(engine.pattern, Some("src/engine/**"));
    assert_eq!(rules.path_tier("docs/security.md").tier, RiskTier::T3);
    assert_eq!(rules.path_tier("src/crypto/aes.rs").tier, RiskTier::T2);
    // The defaults still apply to the rest, and the repository's own default tier.
    assert_eq!(rules.path_tier("src/auth/login.rs").tier, RiskTier::T3);
    assert_eq!(rules.path_tier("src/main.rs").tier, RiskTier::T1);
}

#[test]
fn settings_round_trip_and_bad_patterns_are_refused() {
    let stored = r#"{"patterns":[{"pattern":"src/core/**","tier":"T3"}]}"#;
    let parsed = rules(stored);
    assert_eq!(serde_json::to_string(&parsed).ok().as_deref(), Some(stored));
    assert_eq!(rules("{}"), RiskRules::default());

    let bad = serde_json::from_str::<RiskRules>(r#"{"patterns":[{"pattern":"{a,b","tier":"T3"}]}"#);
    assert!(bad.is_err_and(|e| e.to_string().contains("never closed")));
    let bad_tier =
        serde_json::from_str::<RiskRules>(r#"{"patterns":[{"pattern":"a","tier":"T9"}]}"#);
    assert!(bad_tier.is_err());
    assert_eq!(
        RiskRules::new(RiskSettings {
            patterns: vec![RiskPattern {
                pattern: String::new(),
                tier: RiskTier::T1
            }],
            default_tier: None,
        }),
        Err(RiskRulesError::InvalidPattern {
            pattern: String::new(),
            source: GlobError::Empty
        })
    );
}

#[test]
fn low_confidence_lowers_one_tier() {
    let rules = RiskRules::default();
    let crypto = rules.assess("src/crypto/aes.rs", 0.29);
    assert_eq!(
        (crypto.path_tier, crypto.tier),
        (RiskTier::T4, RiskTier::T3)
    );
    assert!(!crypto.flagged);
    assert!(
        crypto
            .explanation
            .contains("below 0.3, so lowered to T3 (core)"),
        "{}",
        crypto.explanation
    );
    // 0.3 itself is not below 0.3.
    assert_eq!(rules.assess("src/crypto/aes.rs", 0.3).tier, RiskTier::T4);
    // T1 stays T1.
    let readme = rules.assess("README.md", 0.0);
    assert_eq!(readme.tier, RiskTier::T1);
    assert!(
        readme.explanation.contains("T1 is the lowest tier"),
        "{}",
        readme.explanation
    );
}

#[test]
fn high_confidence_in_core_and_critical_files_is_flagged() {
    let rules = RiskRules::default();
    for path in ["src/auth/login.rs", "src/crypto/aes.rs"] {
        assert!(rules.assess(path, 0.7).flagged, "{path}");
        assert!(!rules.assess(path, 0.69).flagged, "{path}");
    }
    assert!(!rules.assess("src/routes/users.rs", 0.99).flagged);
    assert!(!rules.assess("README.md", 0.99).flagged);
    let flagged = rules.assess("src/crypto/aes.rs", 0.95);
    assert_eq!(
        flagged.explanation,
        "T4 (critical) because src/crypto/aes.rs matches the default pattern `*crypt*` \
         (cryptography); AI confidence 0.95 in a critical file: flagged for review. \
         Risk score 0.92."
    );
}

#[test]
fn the_score_orders_by_tier_then_confidence() {
    let rules = RiskRules::default();
    let score = |path: &str, c: f64| rules.assess(path, c).score;
    assert!(score("src/crypto/aes.rs", 0.5) > score("src/auth/login.rs", 1.0));
    assert!(score("src/auth/login.rs", 0.9) > score("src/auth/login.rs", 0.5));
    assert!(score("src/auth/login.rs", 0.5) > score("src/main.rs", 1.0));
    for c in [0.0, 0.3, 0.5, 1.0] {
        let s = score("src/crypto/aes.rs", c);
        assert!((0.0..=1.0).contains(&s));
    }
    assert!((score("README.md", 0.0) - 0.1).abs() < 1e-9);
}

#[test]
fn paths_are_normalised() {
    assert_eq!(tier("./src/crypto/aes.rs"), RiskTier::T4);
    assert_eq!(tier("src\\auth\\login.rs"), RiskTier::T3);
}
