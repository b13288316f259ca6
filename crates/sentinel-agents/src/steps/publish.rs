//! Publish: the pull request's body, stored as an artifact, then the issue or the draft pull
//! request on GitHub when the repository asks for one (see `github`).

use super::{StepCx, StepOutcome};
use sentinel_core::workflow::ArtifactKind;
use sentinel_jobs::JobError;
use serde_json::json;
use std::fmt::Write;

pub(super) async fn run(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let incident = cx
        .store
        .get_incident(&cx.org, &cx.workflow.incident_id)
        .await?;
    let Some(autopsy) = cx
        .store
        .get_autopsy(&cx.org, &cx.workflow.incident_id)
        .await?
    else {
        return Ok(StepOutcome::failed("no autopsy to publish"));
    };
    let suspect = cx
        .store
        .get_incident_suspect(&cx.org, &cx.workflow.incident_id)
        .await?;
    let mut body = format!("## Fix: {}\n\n", incident.title);
    let _ = writeln!(
        body,
        "**Root cause** ({}): {}\n",
        autopsy.category, autopsy.root_cause
    );
    if let (Some(path), Some(line)) = (&autopsy.culprit_path, autopsy.culprit_line) {
        let _ = writeln!(body, "**Culprit**: `{path}:{line}`\n");
    }
    if let Some(suspect) = &suspect {
        let _ = writeln!(
            body,
            "**Suspect commit**: {} ({})\n",
            suspect.sha, suspect.reason
        );
    }
    if let Some(test) = &autopsy.test_path {
        let _ = writeln!(body, "**Regression test**: `{test}`\n");
    }
    let checked = match autopsy.patch_applied {
        Some(true) => "the patch applies at the release",
        Some(false) => "the patch does not apply at the release",
        None => "the patch was not checked",
    };
    let _ = writeln!(body, "Verification: {checked}.");
    if !autopsy.manual_steps.is_empty() {
        body.push_str("\n### Manual steps\n\n");
        for step in &autopsy.manual_steps {
            let _ = writeln!(body, "- {step}");
        }
    }
    let artifact = cx
        .artifact(ArtifactKind::PrBody, "md", body.clone().into_bytes())
        .await?;
    let title = format!("Fix: {}", incident.title);
    match super::github::publish(cx, &title, &body, &autopsy).await? {
        Ok(github) => Ok(StepOutcome::Done(
            json!({ "pr_body": artifact.id.as_str(), "github": github }),
        )),
        Err(reason) => Ok(StepOutcome::Failed {
            reason: format!("GitHub refused: {reason}"),
            metadata: json!({ "pr_body": artifact.id.as_str() }),
        }),
    }
}
