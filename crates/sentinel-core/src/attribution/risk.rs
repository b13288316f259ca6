//! Risk tiers: how much damage a mistake in a file can do, by its path, adjusted by how sure
//! attribution is that an AI tool wrote it.
//!
//! A path's tier comes from the first pattern that matches it: the repository's own patterns
//! ([`RiskSettings::patterns`], in their order), then the defaults (`defaults`), else the
//! repository's default tier (T2 unless set). Then, with the file's AI confidence:
//! - below [`LOWER_TIER_BELOW`] the tier is lowered one step (T1 stays T1);
//! - at or above [`FLAG_CONFIDENCE`] in T3/T4 the file is flagged for a second look.
//!
//! The risk score is `base + (1 − base) · confidence / 2` with the adjusted tier's base
//! (T1 0.1, T2 0.3, T3 0.6, T4 0.85): it orders files by tier first and AI confidence within.

mod defaults;
mod glob;

#[cfg(test)]
mod tests;

pub use glob::GlobError;

use crate::code::RiskTier;
use defaults::DEFAULT_GROUPS;
use regex::RegexSet;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Confidence below this lowers a file's tier one step.
pub const LOWER_TIER_BELOW: f64 = 0.3;
/// Confidence from which a T3/T4 file is flagged.
pub const FLAG_CONFIDENCE: f64 = 0.7;

/// One repository pattern and the tier it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskPattern {
    pub pattern: String,
    pub tier: RiskTier,
}

/// A repository's risk settings as stored: patterns tried before the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSettings {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<RiskPattern>,
    /// The tier of a path no pattern matches; T2 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tier: Option<RiskTier>,
}

/// Why risk settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskRulesError {
    #[error("risk pattern {pattern:?}: {source}")]
    InvalidPattern {
        pattern: String,
        #[source]
        source: GlobError,
    },
    #[error("risk patterns cannot be compiled: {0}")]
    TooComplex(String),
}

/// Risk settings ready to classify paths. Deserializes from [`RiskSettings`] (and fails on a
/// bad pattern), serializes back to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RiskSettings", into = "RiskSettings")]
pub struct RiskRules {
    settings: RiskSettings,
    overrides: RegexSet,
}

impl PartialEq for RiskRules {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Default for RiskRules {
    fn default() -> Self {
        Self {
            settings: RiskSettings::default(),
            overrides: RegexSet::empty(),
        }
    }
}

impl TryFrom<RiskSettings> for RiskRules {
    type Error = RiskRulesError;

    fn try_from(settings: RiskSettings) -> Result<Self, Self::Error> {
        Self::new(settings)
    }
}

impl From<RiskRules> for RiskSettings {
    fn from(rules: RiskRules) -> Self {
        rules.settings
    }
}

/// Where the pattern that decided a path's tier came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternSource {
    Repository,
    Default,
    /// No pattern matched: the default tier.
    Fallback,
}

/// What decided a path's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathTier<'a> {
    pub tier: RiskTier,
    pub source: PatternSource,
    /// The pattern that matched (none for the fallback).
    pub pattern: Option<&'a str>,
    /// The kind of code a default pattern stands for ("cryptography").
    pub label: Option<&'static str>,
}

/// A file's risk.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskAssessment {
    /// The tier by path alone.
    pub path_tier: RiskTier,
    /// The tier after the confidence adjustment.
    pub tier: RiskTier,
    pub score: f64,
    pub flagged: bool,
    pub explanation: String,
}

/// The default patterns, compiled once, in order, with their group.
struct DefaultPatterns {
    set: RegexSet,
    entries: Vec<(&'static str, &'static defaults::DefaultGroup)>,
}

fn default_patterns() -> &'static DefaultPatterns {
    static COMPILED: OnceLock<DefaultPatterns> = OnceLock::new();
    COMPILED.get_or_init(|| {
        // A default that fails to translate is left out; a test keeps them all valid.
        let entries: Vec<(&'static str, &'static defaults::DefaultGroup, String)> = DEFAULT_GROUPS
            .iter()
            .flat_map(|group| group.patterns.iter().map(move |p| (*p, group)))
            .filter_map(|(p, group)| glob::to_regex(p).ok().map(|re| (p, group, re)))
            .collect();
        let set = RegexSet::new(entries.iter().map(|(_, _, re)| re.as_str()))
            .unwrap_or_else(|_| RegexSet::empty());
        DefaultPatterns {
            set,
            entries: entries.into_iter().map(|(p, g, _)| (p, g)).collect(),
        }
    })
}

impl RiskRules {
    /// Compiles a repository's settings.
    pub fn new(settings: RiskSettings) -> Result<Self, RiskRulesError> {
        let sources = settings
            .patterns
            .iter()
            .map(|p| {
                glob::to_regex(&p.pattern).map_err(|source| RiskRulesError::InvalidPattern {
                    pattern: p.pattern.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let overrides =
            RegexSet::new(sources).map_err(|e| RiskRulesError::TooComplex(e.to_string()))?;
        Ok(Self {
            settings,
            overrides,
        })
    }

    pub fn settings(&self) -> &RiskSettings {
        &self.settings
    }

    /// The tier of a path, and what decided it.
    pub fn path_tier<'a>(&'a self, path: &str) -> PathTier<'a> {
        let path = normalize(path);
        if let Some(index) = self.overrides.matches(&path).iter().next() {
            if let Some(p) = self.settings.patterns.get(index) {
                return PathTier {
                    tier: p.tier,
                    source: PatternSource::Repository,
                    pattern: Some(&p.pattern),
                    label: None,
                };
            }
        }
        let defaults = default_patterns();
        if let Some(index) = defaults.set.matches(&path).iter().next() {
            if let Some((pattern, group)) = defaults.entries.get(index) {
                return PathTier {
                    tier: group.tier,
                    source: PatternSource::Default,
                    pattern: Some(pattern),
                    label: Some(group.label),
                };
            }
        }
        PathTier {
            tier: self.settings.default_tier.unwrap_or(RiskTier::T2),
            source: PatternSource::Fallback,
            pattern: None,
            label: None,
        }
    }

    /// A file's tier, score, flag and explanation given its AI confidence.
    pub fn assess(&self, path: &str, confidence: f64) -> RiskAssessment {
        let by_path = self.path_tier(path);
        let lowered = confidence < LOWER_TIER_BELOW;
        let tier = if lowered {
            by_path.tier.lowered()
        } else {
            by_path.tier
        };
        let flagged = tier.is_high() && confidence >= FLAG_CONFIDENCE;
        let base = tier_base(tier);
        let score = base + (1.0 - base) * confidence.clamp(0.0, 1.0) / 2.0;

        let reason = match (by_path.source, by_path.pattern) {
            (PatternSource::Repository, Some(pattern)) => {
                format!("{path} matches the repository pattern `{pattern}`")
            }
            (PatternSource::Default, Some(pattern)) => format!(
                "{path} matches the default pattern `{pattern}` ({})",
                by_path.label.unwrap_or("default")
            ),
            _ => format!("no pattern matches {path}, so the default tier applies"),
        };
        let adjustment = if lowered && tier != by_path.tier {
            format!(
                "AI confidence {confidence:.2} is below {LOWER_TIER_BELOW}, so lowered to {}",
                tier_title(tier)
            )
        } else if lowered {
            format!(
                "AI confidence {confidence:.2} is below {LOWER_TIER_BELOW}; T1 is the lowest tier"
            )
        } else if flagged {
            format!(
                "AI confidence {confidence:.2} in a {} file: flagged for review",
                tier_name(tier)
            )
        } else {
            format!("AI confidence {confidence:.2} leaves the tier as it is")
        };
        RiskAssessment {
            path_tier: by_path.tier,
            tier,
            score,
            flagged,
            explanation: format!(
                "{} because {reason}; {adjustment}. Risk score {score:.2}.",
                tier_title(by_path.tier)
            ),
        }
    }
}

fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.trim_start_matches("./")
        .trim_start_matches('/')
        .to_owned()
}

fn tier_base(tier: RiskTier) -> f64 {
    match tier {
        RiskTier::T1 => 0.1,
        RiskTier::T2 => 0.3,
        RiskTier::T3 => 0.6,
        RiskTier::T4 => 0.85,
    }
}

fn tier_name(tier: RiskTier) -> &'static str {
    match tier {
        RiskTier::T1 => "boilerplate",
        RiskTier::T2 => "glue",
        RiskTier::T3 => "core",
        RiskTier::T4 => "critical",
    }
}

/// "T3 (core)".
fn tier_title(tier: RiskTier) -> String {
    format!("{tier} ({})", tier_name(tier))
}
