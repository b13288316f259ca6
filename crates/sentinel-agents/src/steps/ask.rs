//! Who answers an autopsy's questions, in order: a provider the runtime set for the
//! organization (tests, embedders), else the model the organization configured, else the
//! default provider (the heuristic). When the configured model fails — spent budget, an
//! error from its API, an answer that does not parse, settings that cannot be used — the
//! default answers instead and the reason is kept, so the autopsy says why it fell back.
//!
//! Only the call log failing is a [`JobError`]: an unrecorded call must not be made, so the
//! step is retried.

use super::StepCx;
use crate::model::{OrgModel, StoreLedger};
use sentinel_core::autopsy::{AutopsyInput, Diagnosis};
use sentinel_core::llm::RejectedPatch;
use sentinel_integrations::llm::autopsy::{AutopsyCallError, ProviderDiagnosis};
use sentinel_jobs::JobError;

/// The step name the calls are recorded under.
const STEP: &str = "root_cause";
const REPAIR_STEP: &str = "fix";

/// A diagnosis and who gave it.
pub(crate) struct Answered {
    pub diagnosis: Diagnosis,
    /// Stored as the autopsy's `model_used`.
    pub by: String,
    /// The organization's configured model answered (not a built-in provider).
    pub by_model: bool,
    pub cache_hit: bool,
    /// Why the configured model did not answer, when it was asked and the default answered.
    pub fallback: Option<String>,
}

fn answered_by_model(model: &str, answer: ProviderDiagnosis) -> Answered {
    Answered {
        by: answer.model_answered.unwrap_or_else(|| model.to_owned()),
        diagnosis: answer.diagnosis,
        by_model: true,
        cache_hit: answer.cache_hit,
        fallback: None,
    }
}

/// The call log is the one failure that retries the step.
fn model_failure(err: AutopsyCallError) -> Result<String, JobError> {
    match err {
        AutopsyCallError::Ledger(message) => Err(JobError::retry(format!(
            "the model call log is unavailable: {message}"
        ))),
        other => Ok(other.to_string()),
    }
}

/// Diagnoses `input`; the outer error is the database, the inner one means no provider at
/// all gave a diagnosis (the step fails with it).
pub(crate) async fn diagnose(
    cx: &StepCx,
    input: &AutopsyInput,
) -> Result<Result<Answered, String>, JobError> {
    if let Some(provider) = cx.deps.providers.configured_for(&cx.org) {
        return Ok(match provider.diagnose(input).await {
            Ok(diagnosis) => Ok(Answered {
                diagnosis,
                by: provider.name().to_owned(),
                by_model: false,
                cache_hit: false,
                fallback: None,
            }),
            Err(err) => Err(err.to_string()),
        });
    }
    let mut fallback = None;
    if let Some(setup) = &cx.deps.models {
        match setup.for_org(&cx.store, &cx.org).await? {
            OrgModel::None => {}
            OrgModel::Unusable(reason) => fallback = Some(reason),
            OrgModel::Ready(model) => {
                let ledger = StoreLedger {
                    store: &cx.store,
                    org: &cx.org,
                    incident: &cx.workflow.incident_id,
                };
                match setup.call(&model, STEP).diagnose(input, &ledger).await {
                    Ok(answer) => return Ok(Ok(answered_by_model(model.model(), answer))),
                    Err(err) => fallback = Some(model_failure(err)?),
                }
            }
        }
    }
    if let Some(reason) = &fallback {
        tracing::warn!(org = %cx.org, incident = %cx.workflow.incident_id, reason = %reason,
            "the configured model gave no diagnosis; the default provider answers");
    }
    let provider = cx.deps.providers.for_org(&cx.org);
    Ok(match provider.diagnose(input).await {
        Ok(diagnosis) => Ok(Answered {
            diagnosis,
            by: provider.name().to_owned(),
            by_model: false,
            cache_hit: false,
            fallback,
        }),
        Err(err) => Err(match fallback {
            Some(reason) => format!("{reason}; then {err}"),
            None => err.to_string(),
        }),
    })
}

/// Asks the organization's model once more after its patch did not apply. `Ok(Err)` says
/// why no new answer came (no model any more, or the model failed).
pub(crate) async fn repair_patch(
    cx: &StepCx,
    input: &AutopsyInput,
    rejected: &RejectedPatch,
) -> Result<Result<Answered, String>, JobError> {
    let Some(setup) = &cx.deps.models else {
        return Ok(Err("no model is configured".into()));
    };
    let model = match setup.for_org(&cx.store, &cx.org).await? {
        OrgModel::Ready(model) => model,
        OrgModel::None => return Ok(Err("no model is configured".into())),
        OrgModel::Unusable(reason) => return Ok(Err(reason)),
    };
    let ledger = StoreLedger {
        store: &cx.store,
        org: &cx.org,
        incident: &cx.workflow.incident_id,
    };
    match setup
        .call(&model, REPAIR_STEP)
        .repair_patch(input, rejected, &ledger)
        .await
    {
        Ok(answer) => Ok(Ok(answered_by_model(model.model(), answer))),
        Err(err) => Ok(Err(model_failure(err)?)),
    }
}
