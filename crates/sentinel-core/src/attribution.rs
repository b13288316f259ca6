//! Attribution: did an AI tool write this commit, which one, how sure are we, and how risky is
//! each file it touched (ARCHITECTURE §5).
//!
//! [`attribute`] reads a [`Commit`] plus what the commit itself cannot say
//! ([`AttributionContext`]: the author's previous commit, the pull request once it is known)
//! and returns a [`CommitAttribution`] with one [`FileAttribution`] per changed file. It is
//! pure: the same inputs always give the same answer, so a commit that arrived by push is
//! simply attributed again when its pull request becomes known.
//!
//! Evidence comes in two tiers:
//! - declared identities (`identities`): a tool's own e-mail, bot account, name suffix,
//!   trailer or footer, matched on whole lines and exact identities. Weight
//!   [`DECLARED_WEIGHT`], method `declared`.
//! - heuristics (`heuristics`, `style`): pull-request text naming a tool (0.7), velocity (0.6),
//!   the local hour (0.3), and the code style of each file's own added lines (≤ 0.4). Method
//!   `heuristic` when nothing was declared.
//!
//! Signals combine with diminishing returns ([`combine`]): sorted strongest first,
//! `1 − Π (1 − wᵢ · 0.5ⁱ)`. The commit's confidence uses the commit-level signals; each
//! file's confidence adds that file's own style signal, so files of one commit can differ.
//!
//! Two kinds of commit are not scored:
//! - a merge commit (more than one parent): its changes were scored on the commits it merged.
//!   It gets method `none`, confidence 0, one zero-weight `merge_commit` signal and no files,
//!   so the caller records the commit without adding its lines to any metric twice.
//! - a dependency bot's commit (dependabot, renovate): bots, never AI. It gets method `none`,
//!   confidence 0 and one zero-weight `dependency_bot` signal naming the bot; its files are
//!   tiered as usual. No heuristic runs on it (a bot's lockfile bump is fast and large by
//!   nature).
//!
//! A zero-weight signal is a note, not evidence: it never counts as "fired".

mod author_dates;
mod combine;
mod heuristics;
mod identities;
mod risk;
mod style;

#[cfg(test)]
mod tests;

pub use author_dates::AuthorDates;
pub use combine::{combine, contributions};
pub use heuristics::{
    LOCAL_HOUR_WEIGHT, NIGHT_END_MINUTE, NIGHT_START_MINUTE, PR_TEXT_WEIGHT, VELOCITY_MIN_LINES,
    VELOCITY_WEIGHT, VELOCITY_WINDOW_MS,
};
pub use identities::DECLARED_WEIGHT;
pub use risk::{
    PatternSource, RiskAssessment, RiskPattern, RiskRules, RiskRulesError, RiskSettings,
    FLAG_CONFIDENCE, LOWER_TIER_BELOW,
};
pub use style::STYLE_MAX_WEIGHT;

use crate::clock::Millis;
use crate::code::{
    AiTool, AttributionMethod, Commit, CommitAttribution, FileAttribution, FileChange, Signal,
};

/// The stable names of the signals attribution writes (`Signal::name`).
pub mod signal_names {
    /// The author's e-mail, login or name is a tool's.
    pub const AUTHOR_IDENTITY: &str = "author_identity";
    /// The committer's e-mail, login or name is a tool's.
    pub const COMMITTER_IDENTITY: &str = "committer_identity";
    /// Prefix of a trailer signal; the trailer key follows in snake case
    /// (`trailer_co_authored_by`, `trailer_made_with`).
    pub const TRAILER_PREFIX: &str = "trailer_";
    /// A footer line a tool writes itself ("Generated with [Claude Code](…)").
    pub const MESSAGE_FOOTER: &str = "message_footer";
    pub const PR_TEXT: &str = "pr_text";
    pub const VELOCITY: &str = "velocity";
    pub const LOCAL_HOUR: &str = "local_hour";
    pub const CODE_STYLE: &str = "code_style";
    /// Zero weight: the commit is a dependency bot's, not AI.
    pub const DEPENDENCY_BOT: &str = "dependency_bot";
    /// Zero weight: a merge commit, not scored.
    pub const MERGE_COMMIT: &str = "merge_commit";
}

/// A pull request's words, when the commit's pull request is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullRequestText<'a> {
    pub number: Option<u64>,
    pub title: &'a str,
    pub body: &'a str,
}

impl<'a> From<&'a crate::code::PullRequestDetails> for PullRequestText<'a> {
    fn from(pr: &'a crate::code::PullRequestDetails) -> Self {
        Self {
            number: Some(pr.number),
            title: &pr.title,
            body: &pr.body,
        }
    }
}

/// What attribution needs that the commit does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttributionContext<'a> {
    /// The author date of the same author's previous commit in the repository, if any
    /// (velocity compares author dates: they survive rebases, committer dates do not).
    pub previous_commit_at: Option<Millis>,
    /// The pull request the commit belongs to, once known.
    pub pull_request: Option<PullRequestText<'a>>,
}

/// Attributes a commit and each file it changed. See the module documentation for the rules.
pub fn attribute(
    commit: &Commit,
    context: &AttributionContext<'_>,
    risk: &RiskRules,
) -> CommitAttribution {
    if commit.is_merge() {
        return unscored(
            commit,
            Signal {
                name: signal_names::MERGE_COMMIT.to_owned(),
                weight: 0.0,
                evidence: format!(
                    "merge of {} parents: its changes are scored on the merged commits",
                    commit.parents.len()
                ),
                tool: None,
            },
            false,
            risk,
        );
    }

    let declared = identities::declared_signals(commit);
    if let Some(bot) = declared.dependency_bot {
        return unscored(commit, bot, true, risk);
    }

    let declared_any = !declared.signals.is_empty();
    let mut signals = declared.signals;
    signals.extend(heuristics::pr_text_signal(context.pull_request.as_ref()));
    signals.extend(heuristics::velocity_signal(
        commit,
        context.previous_commit_at,
    ));
    signals.extend(heuristics::local_hour_signal(&commit.author));

    let files = commit
        .files
        .iter()
        .map(|file| {
            let mut file_signals = signals.clone();
            file_signals.extend(style::style_signal(file));
            let confidence = confidence_of(&file_signals);
            let method = method_of(declared_any, &file_signals);
            let tool = tool_of(&file_signals);
            file_attribution(file, confidence, method, tool, file_signals, risk)
        })
        .collect();

    CommitAttribution {
        sha: commit.sha.clone(),
        ai_confidence: confidence_of(&signals),
        method: method_of(declared_any, &signals),
        tool: tool_of(&signals),
        signals,
        files,
    }
}

/// One file's row: its own confidence, method, tool and signals, tiered by its path.
fn file_attribution(
    file: &FileChange,
    confidence: f64,
    method: AttributionMethod,
    tool: Option<AiTool>,
    signals: Vec<Signal>,
    risk: &RiskRules,
) -> FileAttribution {
    let assessment = risk.assess(&file.path, confidence);
    FileAttribution {
        path: file.path.clone(),
        ai_confidence: confidence,
        method,
        tool,
        signals,
        lines_added: file.lines_added,
        lines_deleted: file.lines_deleted,
        risk_tier: assessment.tier,
        risk_score: assessment.score,
        explanation: assessment.explanation,
        flagged: assessment.flagged,
    }
}

/// A commit recorded with a note and no evidence: confidence 0, method `none`. With
/// `tier_files` its files still get their risk tier (a bot's commit); without, none are
/// listed (a merge).
fn unscored(
    commit: &Commit,
    note: Signal,
    tier_files: bool,
    risk: &RiskRules,
) -> CommitAttribution {
    let signals = vec![note];
    let files = if tier_files {
        commit
            .files
            .iter()
            .map(|file| {
                file_attribution(
                    file,
                    0.0,
                    AttributionMethod::None,
                    None,
                    signals.clone(),
                    risk,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    CommitAttribution {
        sha: commit.sha.clone(),
        ai_confidence: 0.0,
        method: AttributionMethod::None,
        tool: None,
        signals,
        files,
    }
}

fn confidence_of(signals: &[Signal]) -> f64 {
    combine(signals.iter().map(|s| s.weight))
}

fn method_of(declared_any: bool, signals: &[Signal]) -> AttributionMethod {
    if declared_any {
        AttributionMethod::Declared
    } else if signals.iter().any(|s| s.weight > 0.0) {
        AttributionMethod::Heuristic
    } else {
        AttributionMethod::None
    }
}

/// Signals are kept in order of strength of evidence — declared identities (author,
/// committer, then message lines in order) before heuristics — so the first tool named is the
/// declared one when there is one.
fn tool_of(signals: &[Signal]) -> Option<AiTool> {
    signals
        .iter()
        .filter(|s| s.weight > 0.0)
        .find_map(|s| s.tool)
}
