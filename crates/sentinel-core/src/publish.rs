//! Publishing an autopsy's result on GitHub: what a repository allows (nothing, an issue, or
//! a draft pull request), the branch a fix goes on, and the incident statuses the workflow
//! walks through to `pr_created`.

use crate::incident::IncidentStatus;
use serde::{Deserialize, Serialize};

/// What publishing may create for a repository's incidents. Off unless someone says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    #[default]
    Off,
    /// An issue with the root cause, the suspect commit, the test and the patch.
    Issue,
    /// A draft pull request from a new branch with the patch and the test committed.
    DraftPr,
}

impl PublishMode {
    pub const ALL: [PublishMode; 3] = [Self::Off, Self::Issue, Self::DraftPr];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Issue => "issue",
            Self::DraftPr => "draft_pr",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// The branch an incident's fix is committed to: `sentinel/fix-<incident id>`, lower case.
pub fn fix_branch(incident_id: &str) -> String {
    format!("sentinel/fix-{}", incident_id.to_ascii_lowercase())
}

/// Whether `branch` may receive a fix: it must not be the repository's default branch, nor
/// anything outside `sentinel/`.
pub fn may_push_to(branch: &str, default_branch: &str) -> bool {
    branch != default_branch
        && branch.starts_with("sentinel/")
        && !branch
            .split('/')
            .any(|part| part.is_empty() || part == ".." || part == ".")
}

impl IncidentStatus {
    /// The moves that take an incident from here to `pr_created` along the workflow's own
    /// transitions; empty when it is there already, or when people closed it (resolved,
    /// ignored) or it never reached its threshold (pending): publishing does not reopen.
    pub fn path_to_pr_created(self) -> Vec<IncidentStatus> {
        use IncidentStatus::*;
        let path: &[IncidentStatus] = match self {
            Detected => &[Analyzing, Diagnosed, PrCreated],
            Analyzing => &[Diagnosed, PrCreated],
            Diagnosed | FixProposed => &[PrCreated],
            Pending | PrCreated | Resolved | Ignored => &[],
        };
        path.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_default_to_off() {
        for mode in PublishMode::ALL {
            assert_eq!(PublishMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(PublishMode::default(), PublishMode::Off);
        assert_eq!(PublishMode::parse("pr"), None);
    }

    #[test]
    fn fixes_never_go_to_the_default_branch() {
        let branch = fix_branch("01HX0ABC");
        assert_eq!(branch, "sentinel/fix-01hx0abc");
        assert!(may_push_to(&branch, "main"));
        assert!(!may_push_to("main", "main"));
        assert!(!may_push_to("sentinel/fix-1", "sentinel/fix-1"));
        assert!(!may_push_to("release", "main"));
        assert!(!may_push_to("sentinel/../main", "main"));
    }

    #[test]
    fn every_path_to_pr_created_is_made_of_allowed_moves() {
        for from in IncidentStatus::ALL {
            let mut at = from;
            for to in from.path_to_pr_created() {
                assert!(at.can_transition_to(to), "{at:?} -> {to:?}");
                at = to;
            }
            let reaches = at == IncidentStatus::PrCreated;
            let closed = matches!(
                from,
                IncidentStatus::Pending | IncidentStatus::Resolved | IncidentStatus::Ignored
            );
            assert!(reaches != closed, "{from:?}");
        }
    }
}
