//! Incidents: their error classes and the status state machine.
//!
//! An incident is every event with one fingerprint in one service. Its status moves through
//! the autopsy workflow (detected → analyzing → diagnosed → fix_proposed → pr_created) and
//! by people (resolve, ignore, reopen). Which moves are allowed is decided here, once; the
//! API answers 409 for the rest.

mod sort_keys;

pub use sort_keys::{count_scale, last_seen_minute};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of failure an incident is. Drives filtering and alerting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    #[serde(rename = "client_4xx")]
    Client4xx,
    #[serde(rename = "server_5xx")]
    Server5xx,
    UnhandledException,
    HandledException,
    Message,
    Latency,
    Crash,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::Client4xx,
        ErrorClass::Server5xx,
        ErrorClass::UnhandledException,
        ErrorClass::HandledException,
        ErrorClass::Message,
        ErrorClass::Latency,
        ErrorClass::Crash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Client4xx => "client_4xx",
            ErrorClass::Server5xx => "server_5xx",
            ErrorClass::UnhandledException => "unhandled_exception",
            ErrorClass::HandledException => "handled_exception",
            ErrorClass::Message => "message",
            ErrorClass::Latency => "latency",
            ErrorClass::Crash => "crash",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown error class {0:?}")]
pub struct UnknownErrorClass(pub String);

impl FromStr for ErrorClass {
    type Err = UnknownErrorClass;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorClass::ALL
            .into_iter()
            .find(|class| class.as_str() == s)
            .ok_or_else(|| UnknownErrorClass(s.to_string()))
    }
}

/// The classes of a service that alert and get autopsies. Events outside it are still stored
/// and grouped; their incidents stay quiet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorClassFilter(Vec<ErrorClass>);

impl Default for ErrorClassFilter {
    /// Every class but `client_4xx`.
    fn default() -> Self {
        Self(
            ErrorClass::ALL
                .into_iter()
                .filter(|c| *c != ErrorClass::Client4xx)
                .collect(),
        )
    }
}

impl ErrorClassFilter {
    pub fn new(classes: impl IntoIterator<Item = ErrorClass>) -> Self {
        let mut classes: Vec<ErrorClass> = classes.into_iter().collect();
        classes.sort();
        classes.dedup();
        Self(classes)
    }

    pub fn admits(&self, class: ErrorClass) -> bool {
        self.0.contains(&class)
    }

    pub fn classes(&self) -> &[ErrorClass] {
        &self.0
    }

    /// Comma-separated, for storage and forms.
    pub fn to_csv(&self) -> String {
        self.0
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_csv(csv: &str) -> Result<Self, UnknownErrorClass> {
        let classes = csv
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(classes))
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Seen fewer times than the service's `min_occurrences`.
    Pending,
    Detected,
    Analyzing,
    Diagnosed,
    FixProposed,
    PrCreated,
    Resolved,
    Ignored,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 8] = [
        IncidentStatus::Pending,
        IncidentStatus::Detected,
        IncidentStatus::Analyzing,
        IncidentStatus::Diagnosed,
        IncidentStatus::FixProposed,
        IncidentStatus::PrCreated,
        IncidentStatus::Resolved,
        IncidentStatus::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Pending => "pending",
            IncidentStatus::Detected => "detected",
            IncidentStatus::Analyzing => "analyzing",
            IncidentStatus::Diagnosed => "diagnosed",
            IncidentStatus::FixProposed => "fix_proposed",
            IncidentStatus::PrCreated => "pr_created",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Ignored => "ignored",
        }
    }

    /// Open incidents are the ones someone still has to deal with.
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Ignored)
    }

    /// Whether moving from `self` to `to` is allowed. Staying put is not a transition.
    pub fn can_transition_to(self, to: IncidentStatus) -> bool {
        use IncidentStatus::*;
        match (self, to) {
            (from, to) if from == to => false,
            // People can close anything that is not closed, and reopen what is.
            (_, Resolved) | (_, Ignored) => true,
            (Resolved | Ignored, Detected) => true,
            // Reaching the threshold.
            (Pending, Detected) => true,
            // The autopsy workflow moves forward, and back to detected if it gives up.
            (Detected, Analyzing) => true,
            (Analyzing, Diagnosed | Detected) => true,
            (Diagnosed, FixProposed | PrCreated) => true,
            (FixProposed, PrCreated) => true,
            _ => false,
        }
    }

    /// The statuses reachable from here, for UIs that offer only allowed actions.
    pub fn allowed_next(self) -> Vec<IncidentStatus> {
        Self::ALL
            .into_iter()
            .filter(|to| self.can_transition_to(*to))
            .collect()
    }

    /// The status an incident takes when a new event arrives: a resolved incident reopens
    /// (a regression), everything else stays as it is (an ignored incident stays ignored).
    pub fn on_new_event(self) -> (IncidentStatus, bool) {
        match self {
            IncidentStatus::Resolved => (IncidentStatus::Detected, true),
            other => (other, false),
        }
    }
}

/// What one new occurrence did to its incident, beyond counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventEffect {
    /// The incident just became `detected` because it reached the service's
    /// `min_occurrences` (or was created at or above it). This is what starts an autopsy.
    pub crossed_threshold: bool,
    /// A resolved incident came back.
    pub regression: bool,
}

impl IncidentStatus {
    /// The status after an occurrence that brings the incident's count to `new_count`.
    ///
    /// A brand-new incident is treated as `Pending` with no occurrences yet, so creating one at
    /// or above the threshold and reaching the threshold later are the same move:
    /// `pending → detected` with `crossed_threshold`. A resolved incident reopens as
    /// `detected` (a regression, not a threshold crossing: it was already detected once). An
    /// ignored incident stays ignored; every other status is left to people and the workflow.
    /// A `min_occurrences` below 1 counts as 1.
    pub fn after_event(
        self,
        new_count: i64,
        min_occurrences: i64,
    ) -> (IncidentStatus, EventEffect) {
        match self {
            IncidentStatus::Pending if new_count >= min_occurrences.max(1) => (
                IncidentStatus::Detected,
                EventEffect {
                    crossed_threshold: true,
                    regression: false,
                },
            ),
            IncidentStatus::Resolved => (
                IncidentStatus::Detected,
                EventEffect {
                    crossed_threshold: false,
                    regression: true,
                },
            ),
            other => (other, EventEffect::default()),
        }
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown incident status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for IncidentStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an incident cannot move from {from} to {to}")]
pub struct InvalidTransition {
    pub from: IncidentStatus,
    pub to: IncidentStatus,
}

/// Checks a transition, for callers that want an error value.
pub fn transition(
    from: IncidentStatus,
    to: IncidentStatus,
) -> Result<IncidentStatus, InvalidTransition> {
    if from.can_transition_to(to) {
        Ok(to)
    } else {
        Err(InvalidTransition { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    #[test]
    fn people_can_resolve_and_reopen() {
        assert!(Detected.can_transition_to(Resolved));
        assert!(Resolved.can_transition_to(Detected));
        assert!(Ignored.can_transition_to(Detected));
        assert!(PrCreated.can_transition_to(Ignored));
    }

    #[test]
    fn workflow_cannot_skip_or_go_back_arbitrarily() {
        assert!(!Detected.can_transition_to(PrCreated));
        assert!(!Resolved.can_transition_to(Analyzing));
        assert!(!Pending.can_transition_to(Analyzing));
        assert!(!Detected.can_transition_to(Detected));
        assert!(transition(Diagnosed, Pending).is_err());
    }

    #[test]
    fn a_new_event_reopens_only_resolved_incidents() {
        assert_eq!(Resolved.on_new_event(), (Detected, true));
        assert_eq!(Ignored.on_new_event(), (Ignored, false));
        assert_eq!(Analyzing.on_new_event(), (Analyzing, false));
    }

    #[test]
    fn a_new_incident_is_pending_below_the_threshold() {
        let (status, effect) = Pending.after_event(1, 3);
        assert_eq!(status, Pending);
        assert_eq!(effect, EventEffect::default());
        let (status, effect) = Pending.after_event(2, 3);
        assert_eq!((status, effect.crossed_threshold), (Pending, false));
    }

    #[test]
    fn a_new_incident_at_the_threshold_is_detected_at_once() {
        let (status, effect) = Pending.after_event(1, 1);
        assert_eq!(status, Detected);
        assert!(effect.crossed_threshold);
        assert!(!effect.regression);
        // A batch can bring a new incident past the threshold in one step.
        assert_eq!(Pending.after_event(5, 3).0, Detected);
        // Nonsense thresholds behave as 1.
        assert_eq!(Pending.after_event(1, 0).0, Detected);
        assert_eq!(Pending.after_event(1, -4).0, Detected);
    }

    #[test]
    fn pending_crosses_exactly_once() {
        let mut status = Pending;
        let mut crossings = 0;
        for count in 1..=10 {
            let (next, effect) = status.after_event(count, 4);
            if effect.crossed_threshold {
                crossings += 1;
                assert_eq!(count, 4, "crosses when the count reaches the threshold");
            }
            status = next;
        }
        assert_eq!((status, crossings), (Detected, 1));
    }

    #[test]
    fn a_resolved_incident_regresses_to_detected() {
        let (status, effect) = Resolved.after_event(42, 1);
        assert_eq!(status, Detected);
        assert!(effect.regression);
        assert!(!effect.crossed_threshold);
    }

    #[test]
    fn ignored_and_workflow_statuses_are_left_alone() {
        for from in [
            Ignored,
            Detected,
            Analyzing,
            Diagnosed,
            FixProposed,
            PrCreated,
        ] {
            assert_eq!(
                from.after_event(100, 1),
                (from, EventEffect::default()),
                "{from}"
            );
        }
    }

    #[test]
    fn default_filter_excludes_client_errors_only() {
        let filter = ErrorClassFilter::default();
        assert!(!filter.admits(ErrorClass::Client4xx));
        assert!(filter.admits(ErrorClass::Server5xx));
        let round = ErrorClassFilter::from_csv(&filter.to_csv()).expect("valid csv");
        assert_eq!(round, filter);
        assert!(ErrorClassFilter::from_csv("server_5xx,bogus").is_err());
    }

    #[test]
    fn classes_serialise_as_their_names() {
        for class in ErrorClass::ALL {
            let json = serde_json::to_string(&class).expect("serialise");
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }

    #[test]
    fn statuses_round_trip() {
        for status in IncidentStatus::ALL {
            assert_eq!(status.as_str().parse::<IncidentStatus>(), Ok(status));
        }
    }
}
