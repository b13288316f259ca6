//! Triage: how bad, whether it is a fault in the code worth fixing, and the sample event.
//! Client errors (4xx) and latency are not faults of a line of code: a false alarm.

use super::{StepCx, StepOutcome};
use sentinel_core::autopsy::Disposition;
use sentinel_core::incident::ErrorClass;
use sentinel_core::workflow::ArtifactKind;
use sentinel_jobs::JobError;
use sentinel_store::autopsy::AutopsyRecord;
use sentinel_store::StoreError;
use serde_json::json;

pub(super) async fn run(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let incident_id = &cx.workflow.incident_id;
    let incident = match cx.store.get_incident(&cx.org, incident_id).await {
        Ok(incident) => incident,
        Err(StoreError::NotFound) => return Ok(StepOutcome::failed("the incident is gone")),
        Err(err) => return Err(err.into()),
    };
    let actionable = !matches!(
        incident.error_class,
        ErrorClass::Client4xx | ErrorClass::Latency
    );
    let event = cx.store.latest_event(&cx.org, incident_id).await?;
    let sample = match &event {
        Some(event) => Some(
            cx.artifact(ArtifactKind::SampleEvent, "json", event.payload.clone())
                .await?
                .id,
        ),
        None => None,
    };
    let disposition = if !actionable {
        Disposition::FalseAlarm
    } else if event.is_none() {
        Disposition::NotFound
    } else {
        Disposition::Identified
    };
    if !actionable {
        let now = cx.now();
        cx.store
            .upsert_autopsy(
                &cx.org,
                &AutopsyRecord {
                    incident_id: incident_id.clone(),
                    workflow_id: Some(cx.workflow.id.clone()),
                    root_cause: format!(
                        "{} is a {} incident, not a fault in the code",
                        incident.title,
                        incident.error_class.as_str()
                    ),
                    category: "unknown".into(),
                    disposition: disposition.as_str().into(),
                    confidence: 0.0,
                    model_used: "triage".into(),
                    culprit_path: None,
                    culprit_line: None,
                    test_case: None,
                    test_path: None,
                    patch_diff: None,
                    ai_fix_prompt: String::new(),
                    manual_steps: Vec::new(),
                    analysis_time_ms: None,
                    patch_applied: None,
                    test_verified: None,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
    }
    let metadata = json!({
        "severity": incident.severity,
        "error_class": incident.error_class.as_str(),
        "actionable": actionable,
        "disposition": disposition.as_str(),
        "sample_event": sample.map(|id| id.into_string()),
    });
    if event.is_none() {
        return Ok(StepOutcome::Failed {
            reason: "the incident has no stored event".into(),
            metadata,
        });
    }
    Ok(StepOutcome::Done(metadata))
}
