//! Which jobs an accepted event causes: a new incident alerts, one over its threshold gets an
//! autopsy, a regression alerts. Quiet incidents and duplicates cause nothing.

use super::{EventOutcome, NewEvent};
use crate::id::OrgId;
use crate::jobs::{IncidentJob, ALERT_NEW_INCIDENT, ALERT_REGRESSION, AUTOPSY_START};

/// One job to enqueue in the same transaction as the events that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consequence {
    pub kind: &'static str,
    pub org_id: OrgId,
    pub payload: IncidentJob,
    /// `kind:incident`: a repeated cause is a no-op.
    pub dedup_key: String,
}

/// The jobs `outcomes` (one per event of `events`, in order) cause.
pub fn consequences(events: &[NewEvent], outcomes: &[EventOutcome]) -> Vec<Consequence> {
    let mut jobs = Vec::new();
    for (event, outcome) in events.iter().zip(outcomes) {
        let Some(incident_id) = &outcome.incident_id else {
            continue;
        };
        if outcome.quiet || outcome.duplicate {
            continue;
        }
        let payload = IncidentJob::new(incident_id, &event.org_id);
        let flagged = [
            (outcome.incident_created, ALERT_NEW_INCIDENT),
            (outcome.crossed_threshold, AUTOPSY_START),
            (outcome.regression, ALERT_REGRESSION),
        ];
        for (flag, kind) in flagged {
            if flag {
                jobs.push(Consequence {
                    kind,
                    org_id: event.org_id.clone(),
                    dedup_key: payload.dedup_key(kind),
                    payload: payload.clone(),
                });
            }
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Level};
    use crate::id::{IncidentId, ServiceId};
    use crate::ingest::CompressedPayload;

    fn event() -> NewEvent {
        NewEvent {
            org_id: OrgId::from_string("org".to_string()),
            service_id: ServiceId::from_string("svc".to_string()),
            event_id: "e".into(),
            kind: EventKind::Error,
            received_at: 0,
            timestamp: 0,
            level: Level::Error,
            trace_id: None,
            release: None,
            environment: None,
            transaction_name: None,
            duration_ms: None,
            tags: Vec::new(),
            payload: CompressedPayload::compress(b"{}").expect("compresses"),
            incident: None,
        }
    }

    #[test]
    fn each_flag_causes_its_job_once_and_quiet_or_duplicate_cause_none() {
        let incident = Some(IncidentId::from_string("inc".to_string()));
        let all = EventOutcome {
            incident_id: incident.clone(),
            incident_created: true,
            crossed_threshold: true,
            regression: true,
            ..EventOutcome::default()
        };
        let quiet = EventOutcome {
            quiet: true,
            ..all.clone()
        };
        let duplicate = EventOutcome {
            duplicate: true,
            ..all.clone()
        };
        let events = vec![event(), event(), event()];
        let jobs = consequences(&events, &[all, quiet, duplicate]);
        let kinds: Vec<_> = jobs.iter().map(|j| j.kind).collect();
        assert_eq!(kinds, [ALERT_NEW_INCIDENT, AUTOPSY_START, ALERT_REGRESSION]);
        assert_eq!(jobs[1].dedup_key, "autopsy.start:inc");
        assert_eq!(jobs[0].payload.org_id, "org");
    }
}
