//! The default risk tiers by path (ARCHITECTURE §5), tried in this order:
//!
//! 1. files that never run in production — documentation, tests, lockfiles — are T1
//!    whatever they are about (`docs/security.md`, `tests/auth_test.rs`);
//! 2. then from the most critical down: T4 (cryptography, secrets, security, permissions),
//!    T3 (authentication, sessions, payments and billing, business logic), T2 (routes and
//!    handlers, CRUD and models, utilities);
//! 3. then the rest of T1: configuration, scripts, CI.
//!
//! A path none of them matches is T2. Name patterns are chosen not to catch ordinary words:
//! `acl` is a whole name (`*acl*` would catch "oracle"), `sso` too ("lesson").

use crate::code::RiskTier;

/// A group of default patterns: their tier and what kind of code they mean.
pub(super) struct DefaultGroup {
    pub tier: RiskTier,
    pub label: &'static str,
    pub patterns: &'static [&'static str],
}

const fn group(
    tier: RiskTier,
    label: &'static str,
    patterns: &'static [&'static str],
) -> DefaultGroup {
    DefaultGroup {
        tier,
        label,
        patterns,
    }
}

pub(super) const DEFAULT_GROUPS: &[DefaultGroup] = &[
    group(
        RiskTier::T1,
        "documentation",
        &[
            "docs",
            "doc",
            "*.md",
            "*.markdown",
            "*.rst",
            "*.adoc",
            "*.txt",
            "LICENSE*",
            "CHANGELOG*",
            "NOTICE*",
        ],
    ),
    group(
        RiskTier::T1,
        "tests",
        &[
            "test",
            "tests",
            "__tests__",
            "spec",
            "specs",
            "testdata",
            "fixtures",
            "e2e",
            "benches",
            "*_test.*",
            "*_tests.*",
            "test_*.py",
            "*.test.*",
            "*.spec.*",
            "*Test.java",
            "*Tests.java",
            "*Test.kt",
            "*Tests.cs",
            "conftest.py",
        ],
    ),
    group(
        RiskTier::T1,
        "lockfile",
        super::super::heuristics::LOCKFILE_NAMES,
    ),
    group(
        RiskTier::T4,
        "cryptography",
        &[
            "*crypt*",
            "*cipher*",
            "*hmac*",
            "*signing*",
            "*signature*",
            "*keystore*",
            "*.pem",
            "*.key",
        ],
    ),
    group(
        RiskTier::T4,
        "secrets",
        &[
            "*secret*",
            "*credential*",
            "*password*",
            ".env",
            ".env.*",
            "*vault*",
        ],
    ),
    group(
        RiskTier::T4,
        "security",
        &["*security*", "*sanitiz*", "*csrf*", "*jwt*"],
    ),
    group(
        RiskTier::T4,
        "permissions",
        &[
            "*permission*",
            "*authoriz*",
            "authz",
            "authz.*",
            "*rbac*",
            "acl",
            "acls",
            "acl.*",
            "*_acl.*",
            "*privilege*",
        ],
    ),
    group(
        RiskTier::T3,
        "authentication",
        &[
            "auth",
            "auth.*",
            "auth_*",
            "*_auth",
            "*_auth.*",
            "*authn*",
            "*authenticat*",
            "*oauth*",
            "*login*",
            "sso",
            "sso.*",
            "saml*",
            "*totp*",
        ],
    ),
    group(RiskTier::T3, "sessions", &["*session*"]),
    group(
        RiskTier::T3,
        "payments and billing",
        &[
            "*payment*",
            "*billing*",
            "*invoice*",
            "*checkout*",
            "*subscription*",
            "*pricing*",
            "*refund*",
            "*ledger*",
            "*stripe*",
            "*wallet*",
        ],
    ),
    group(
        RiskTier::T3,
        "business logic",
        &["domain", "business", "core"],
    ),
    group(
        RiskTier::T2,
        "routes and handlers",
        &[
            "*route*",
            "*handler*",
            "*controller*",
            "*endpoint*",
            "*middleware*",
            "api",
            "views",
        ],
    ),
    group(
        RiskTier::T2,
        "CRUD and models",
        &["*crud*", "*repositor*", "models", "*_model.*", "*dao.*"],
    ),
    group(
        RiskTier::T2,
        "utilities",
        &["*util*", "*helper*", "common", "shared"],
    ),
    group(
        RiskTier::T1,
        "configuration",
        &[
            "config",
            "configs",
            "*.toml",
            "*.yaml",
            "*.yml",
            "*.json",
            "*.ini",
            "*.cfg",
            "*.conf",
            "*.properties",
            "*.config.js",
            "*.config.ts",
            "Dockerfile*",
            "docker-compose*",
            "Makefile",
            "*.mk",
            "Justfile",
            ".gitignore",
            ".gitattributes",
            ".editorconfig",
            ".dockerignore",
        ],
    ),
    group(
        RiskTier::T1,
        "scripts",
        &["scripts", "script", "*.sh", "*.bash", "*.ps1"],
    ),
    group(
        RiskTier::T1,
        "CI",
        &[
            ".github",
            ".gitlab",
            ".gitlab-ci.yml",
            ".circleci",
            ".ci",
            ".buildkite",
            "Jenkinsfile",
            "azure-pipelines.yml",
            ".travis.yml",
        ],
    ),
];
