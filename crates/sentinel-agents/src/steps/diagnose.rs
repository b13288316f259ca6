//! Root cause, test and fix: the organization's provider diagnoses the traced input once
//! (root cause); the test and the patch steps store what it answered as artifacts and on the
//! autopsy, and the fix step has the verifier check them against the clone.

use super::{ask, StepCx, StepOutcome};
use crate::input::input_from_event;
use crate::verify::VerifyRequest;
use sentinel_core::autopsy::{AutopsyInput, Diagnosis, Verification};
use sentinel_core::llm::RejectedPatch;
use sentinel_core::workflow::{ArtifactKind, WorkflowStep};
use sentinel_jobs::JobError;
use sentinel_store::autopsy::AutopsyRecord;
use serde_json::{json, Value};
use std::path::Path;

/// Tracing's input; the event alone when tracing recorded none.
async fn traced_input(cx: &StepCx) -> Result<Option<AutopsyInput>, JobError> {
    let traced = cx
        .metadata_of(WorkflowStep::Tracing)
        .await?
        .and_then(|m| m.get("input").cloned())
        .and_then(|i| serde_json::from_value(i).ok());
    if traced.is_some() {
        return Ok(traced);
    }
    let Some(stored) = cx
        .store
        .latest_event(&cx.org, &cx.workflow.incident_id)
        .await?
    else {
        return Ok(None);
    };
    Ok(stored.event().ok().map(|e| input_from_event(&e)))
}

async fn diagnosis(cx: &StepCx) -> Result<Option<Diagnosis>, JobError> {
    Ok(cx
        .metadata_of(WorkflowStep::RootCause)
        .await?
        .and_then(|m| m.get("diagnosis").cloned())
        .and_then(|d| serde_json::from_value(d).ok()))
}

pub(super) async fn root_cause(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let Some(input) = traced_input(cx).await? else {
        return Ok(StepOutcome::failed(
            "nothing to diagnose: no traced input and no event",
        ));
    };
    let answered = match ask::diagnose(cx, &input).await? {
        Ok(answered) => answered,
        Err(reason) => return Ok(StepOutcome::failed(reason)),
    };
    let diagnosis = &answered.diagnosis;
    let now = cx.now();
    let created_at = cx
        .store
        .get_autopsy(&cx.org, &cx.workflow.incident_id)
        .await?
        .map_or(now, |a| a.created_at);
    cx.store
        .upsert_autopsy(
            &cx.org,
            &AutopsyRecord {
                incident_id: cx.workflow.incident_id.clone(),
                workflow_id: Some(cx.workflow.id.clone()),
                root_cause: diagnosis.root_cause.clone(),
                category: diagnosis.category.as_str().into(),
                disposition: diagnosis.disposition.as_str().into(),
                confidence: diagnosis.confidence,
                model_used: answered.by.clone(),
                culprit_path: diagnosis.culprit.as_ref().map(|c| c.path.clone()),
                culprit_line: diagnosis.culprit.as_ref().map(|c| i64::from(c.line)),
                test_case: None,
                test_path: None,
                patch_diff: None,
                ai_fix_prompt: diagnosis.ai_fix_prompt.clone(),
                manual_steps: diagnosis.manual_steps.clone(),
                analysis_time_ms: None,
                patch_applied: None,
                test_verified: None,
                created_at,
                updated_at: now,
            },
        )
        .await?;
    Ok(StepOutcome::Done(json!({
        "provider": answered.by,
        "by_model": answered.by_model,
        "cache_hit": answered.cache_hit,
        "fallback": answered.fallback,
        "category": diagnosis.category.as_str(),
        "confidence": diagnosis.confidence,
        "diagnosis": diagnosis,
    })))
}

async fn autopsy(cx: &StepCx) -> Result<Option<AutopsyRecord>, JobError> {
    Ok(cx
        .store
        .get_autopsy(&cx.org, &cx.workflow.incident_id)
        .await?)
}

pub(super) async fn test_gen(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let (Some(diagnosis), Some(mut record)) = (diagnosis(cx).await?, autopsy(cx).await?) else {
        return Ok(StepOutcome::failed("no root cause to write a test for"));
    };
    let Some(test) = diagnosis.test_case else {
        return Ok(StepOutcome::failed("the provider wrote no regression test"));
    };
    let artifact = cx
        .artifact(
            ArtifactKind::TestCase,
            "txt",
            test.content.clone().into_bytes(),
        )
        .await?;
    record.test_case = Some(test.content);
    record.test_path = Some(test.path.clone());
    record.updated_at = cx.now();
    cx.store.upsert_autopsy(&cx.org, &record).await?;
    Ok(StepOutcome::Done(json!({
        "path": test.path,
        "artifact": artifact.id.as_str(),
    })))
}

/// Where and how the fix is checked: the clone, the revision the autopsy read, the test
/// command.
struct CheckAt {
    clone: Option<String>,
    revision: Option<String>,
    test_command: Vec<String>,
}

impl CheckAt {
    async fn read(cx: &StepCx) -> Result<Self, JobError> {
        let (repository, revision) = cx.traced_repository().await?;
        Ok(Self {
            clone: repository.as_ref().and_then(|r| r.clone_path.clone()),
            revision,
            test_command: repository
                .map(|r| r.settings.test_command)
                .unwrap_or_default(),
        })
    }

    async fn verify(&self, cx: &StepCx, diagnosis: &Diagnosis) -> Verification {
        cx.deps
            .verifier
            .verify(VerifyRequest {
                clone: self.clone.as_deref().map(Path::new),
                revision: self.revision.as_deref(),
                diagnosis,
                test_command: &self.test_command,
            })
            .await
    }
}

/// `applied` when `git apply --check` took the patch, `patch_failed` when it refused it,
/// `not_checked` when there was nothing to check it against.
fn patch_status(verification: &Verification) -> &'static str {
    match verification.patch_applies {
        Some(true) => "applied",
        Some(false) => "patch_failed",
        None => "not_checked",
    }
}

/// The fix: the patch is checked against the clone; a model's patch that git refuses is
/// sent back to the model once with git's complaint, and the second patch is checked the
/// same way. Still refused, it is recorded as `patch_failed`.
pub(super) async fn fix(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let (Some(mut diagnosis), Some(mut record)) = (diagnosis(cx).await?, autopsy(cx).await?) else {
        return Ok(StepOutcome::failed("no root cause to patch"));
    };
    let Some(patch) = diagnosis.patch_diff.clone() else {
        return Ok(StepOutcome::failed("the provider wrote no patch"));
    };
    let mut patch_artifact = cx
        .artifact(ArtifactKind::Patch, "diff", patch.clone().into_bytes())
        .await?;
    let at = CheckAt::read(cx).await?;
    let mut verification = at.verify(cx, &diagnosis).await;
    let first_error = verification.apply_error.clone();
    let by_model = cx
        .metadata_of(WorkflowStep::RootCause)
        .await?
        .is_some_and(|m| m["by_model"].as_bool() == Some(true));
    let mut retry = Value::Null;
    if verification.patch_applies == Some(false) && by_model {
        let rejected = RejectedPatch {
            patch,
            apply_error: first_error.clone().unwrap_or_default(),
        };
        let input = traced_input(cx).await?;
        let repaired = match &input {
            Some(input) => ask::repair_patch(cx, input, &rejected).await?,
            None => Err("no traced input to ask about".to_owned()),
        };
        match repaired.map(|a| a.diagnosis.patch_diff) {
            Ok(Some(second)) => {
                diagnosis.patch_diff = Some(second.clone());
                patch_artifact = cx
                    .artifact(ArtifactKind::Patch, "diff", second.into_bytes())
                    .await?;
                verification = at.verify(cx, &diagnosis).await;
                retry = json!({
                    "asked": true,
                    "first_apply_error": first_error,
                    "patch_applies": verification.patch_applies,
                });
            }
            Ok(None) => {
                retry = json!({ "asked": true, "first_apply_error": first_error,
                    "error": "the answer had no patch" });
            }
            Err(reason) => {
                retry = json!({ "asked": true, "first_apply_error": first_error, "error": reason });
            }
        }
    }
    let result = serde_json::to_vec(&verification)
        .map_err(|e| JobError::permanent(format!("verification: {e}")))?;
    let result_artifact = cx
        .artifact(ArtifactKind::TestResult, "json", result)
        .await?;
    record.patch_diff = diagnosis.patch_diff.clone();
    record.patch_applied = verification.patch_applies;
    record.test_verified = verification
        .test_failed_before
        .map(|_| verification.test_verified());
    record.updated_at = cx.now();
    cx.store.upsert_autopsy(&cx.org, &record).await?;
    Ok(StepOutcome::Done(json!({
        "patch": patch_artifact.id.as_str(),
        "test_result": result_artifact.id.as_str(),
        "patch_applies": verification.patch_applies,
        "patch_status": patch_status(&verification),
        "apply_error": verification.apply_error,
        "retry": retry,
        "test_verified": record.test_verified,
        "timed_out": verification.timed_out,
    })))
}
