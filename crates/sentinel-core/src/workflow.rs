//! The autopsy workflow's states: a workflow is active until it completes, fails or is
//! aborted, and those three are final; each of its steps runs and then succeeds, fails or
//! times out. The steps run in a fixed order; what each does is `sentinel-agents`' business.

use serde::{Deserialize, Serialize};

/// Where a workflow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowStatus {
    Active,
    Completed,
    Failed,
    Aborted,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Active, Self::Completed, Self::Failed, Self::Aborted]
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    /// Completed, failed and aborted workflows never change again.
    pub fn is_terminal(self) -> bool {
        self != Self::Active
    }
}

/// One step of the workflow, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowStep {
    Triage,
    Tracing,
    RootCause,
    TestGen,
    Fix,
    Publish,
}

impl WorkflowStep {
    pub const ALL: [WorkflowStep; 6] = [
        Self::Triage,
        Self::Tracing,
        Self::RootCause,
        Self::TestGen,
        Self::Fix,
        Self::Publish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triage => "triage",
            Self::Tracing => "tracing",
            Self::RootCause => "root_cause",
            Self::TestGen => "test_gen",
            Self::Fix => "fix",
            Self::Publish => "publish",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The step that runs after this one; `None` after publish.
    pub fn next(self) -> Option<Self> {
        let at = Self::ALL.iter().position(|s| *s == self)?;
        Self::ALL.get(at + 1).copied()
    }

    /// Without triage's verdict or a root cause the later steps have nothing to work on, so
    /// their failure fails the workflow; the others' failure leaves what is there.
    pub fn is_essential(self) -> bool {
        matches!(self, Self::Triage | Self::RootCause)
    }
}

/// How a step's run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Success,
    Failure,
    Timeout,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Timeout => "timeout",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Running, Self::Success, Self::Failure, Self::Timeout]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    SampleEvent,
    FileSnapshot,
    TestCase,
    TestResult,
    Patch,
    PrBody,
}

impl ArtifactKind {
    pub const ALL: [ArtifactKind; 6] = [
        Self::SampleEvent,
        Self::FileSnapshot,
        Self::TestCase,
        Self::TestResult,
        Self::Patch,
        Self::PrBody,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SampleEvent => "sample_event",
            Self::FileSnapshot => "file_snapshot",
            Self::TestCase => "test_case",
            Self::TestResult => "test_result",
            Self::Patch => "patch",
            Self::PrBody => "pr_body",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The media type it is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::SampleEvent | Self::TestResult => "application/json",
            Self::Patch => "text/x-diff; charset=utf-8",
            Self::PrBody => "text/markdown; charset=utf-8",
            Self::FileSnapshot | Self::TestCase => "text/plain; charset=utf-8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_in_order_and_end_after_publish() {
        let mut order = vec![WorkflowStep::Triage];
        while let Some(next) = order.last().and_then(|s| s.next()) {
            order.push(next);
        }
        assert_eq!(order, WorkflowStep::ALL);
        assert_eq!(
            WorkflowStep::parse("root_cause"),
            Some(WorkflowStep::RootCause)
        );
    }

    #[test]
    fn only_active_is_not_terminal() {
        assert!(!WorkflowStatus::Active.is_terminal());
        for s in ["completed", "failed", "aborted"] {
            assert!(WorkflowStatus::parse(s).is_some_and(WorkflowStatus::is_terminal));
        }
    }
}
