//! What attribution concludes: per commit and per file, how sure Sentinel is that an AI tool
//! wrote it, which tool, by which method, every signal that fired, and the file's risk tier.
//! The rules that produce these live in `crate::attribution`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A stored name that matches no known value (a corrupt row or a newer writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

impl UnknownValue {
    pub fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.to_owned(),
        }
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownValue::new($what, s))
            }
        }
    };
}

named_enum!(
    /// An AI coding tool Sentinel can name.
    AiTool, "AI tool" {
        Claude => "claude",
        Copilot => "copilot",
        Cursor => "cursor",
        Aider => "aider",
        Codex => "codex",
        Devin => "devin",
        Jules => "jules",
        Gemini => "gemini",
        OpenHands => "openhands",
        OpenCode => "opencode",
        Continue => "continue",
        RooCode => "roo_code",
        Factory => "factory",
        AmazonQ => "amazon_q",
        Windsurf => "windsurf",
    }
);

named_enum!(
    /// How an attribution was reached.
    AttributionMethod, "attribution method" {
        /// A tool's own identity or trailer: confidence ≥ 0.95.
        Declared => "declared",
        /// Indirect signals only (PR text, velocity, hour, style).
        Heuristic => "heuristic",
        /// A person set it through the API.
        ManualOverride => "manual_override",
        /// Nothing fired: written by a person as far as Sentinel can tell.
        None => "none",
    }
);

named_enum!(
    /// How much damage a mistake in a file can do, by what the file is.
    RiskTier, "risk tier" {
        /// Boilerplate: configuration, tests, scripts, docs.
        T1 => "T1",
        /// Glue: routes, CRUD, utilities.
        T2 => "T2",
        /// Core: auth, payments, billing, sessions, business logic.
        T3 => "T3",
        /// Critical: cryptography, security-sensitive code, novel algorithms.
        T4 => "T4",
    }
);

impl RiskTier {
    /// One tier less risky (T1 stays T1).
    pub fn lowered(self) -> Self {
        match self {
            RiskTier::T1 | RiskTier::T2 => RiskTier::T1,
            RiskTier::T3 => RiskTier::T2,
            RiskTier::T4 => RiskTier::T3,
        }
    }

    /// T3 or T4: the tiers a dashboard calls high risk.
    pub fn is_high(self) -> bool {
        matches!(self, RiskTier::T3 | RiskTier::T4)
    }
}

/// One piece of evidence that fired, with the weight it carried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// A stable name, e.g. `trailer_co_authored_by`, `velocity`, `local_hour`, `code_style`.
    pub name: String,
    pub weight: f64,
    /// What was seen, for a person reading the explanation ("Co-Authored-By: Claude
    /// <noreply@anthropic.com>", "612 lines 3 min after the previous commit").
    pub evidence: String,
    /// The tool the signal names, if it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<AiTool>,
}

/// The attribution of one file of one commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileAttribution {
    pub path: String,
    pub ai_confidence: f64,
    pub method: AttributionMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<AiTool>,
    /// Every signal that bore on this file: the commit's own and the file's.
    pub signals: Vec<Signal>,
    pub lines_added: u32,
    pub lines_deleted: u32,
    pub risk_tier: RiskTier,
    /// 0–1: the tier's base risk moved by the AI confidence.
    pub risk_score: f64,
    pub explanation: String,
    /// High AI confidence in a T3/T4 file: worth a person's second look.
    pub flagged: bool,
}

/// The attribution of a whole commit and each of its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitAttribution {
    pub sha: String,
    /// The commit's confidence from commit-level signals only.
    pub ai_confidence: f64,
    pub method: AttributionMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<AiTool>,
    pub signals: Vec<Signal>,
    pub files: Vec<FileAttribution>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for tool in AiTool::ALL {
            assert_eq!(tool.as_str().parse::<AiTool>(), Ok(*tool));
            let json = serde_json::to_string(tool).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", tool.as_str()));
        }
        for tier in RiskTier::ALL {
            assert_eq!(tier.as_str().parse::<RiskTier>(), Ok(*tier));
        }
        assert!("T5".parse::<RiskTier>().is_err());
        assert_eq!(
            "manual_override".parse(),
            Ok(AttributionMethod::ManualOverride)
        );
    }

    #[test]
    fn lowering_a_tier_stops_at_t1() {
        assert_eq!(RiskTier::T4.lowered(), RiskTier::T3);
        assert_eq!(RiskTier::T1.lowered(), RiskTier::T1);
        assert!(RiskTier::T3.is_high() && !RiskTier::T2.is_high());
    }
}
