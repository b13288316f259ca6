//! The incident page's code side: the suspect commit (linked to its commit page, with an
//! "AI-written" badge naming the tool), the autopsy (root cause, the patch as a diff, the
//! regression test, the prompt to copy, the manual steps), the workflow's steps with their
//! timings, what publishing created on GitHub (the issue, pull request and branch, linked),
//! and `POST /incidents/{id}/autopsy` to run it again.

use super::viewer::Viewer;
use super::PageError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_core::role::Role;
use sentinel_store::code::AI_CONFIDENCE_THRESHOLD;
use sentinel_store::github_artifacts::GithubArtifactKind;
use sentinel_store::{Store, StoreResult};
use serde::Deserialize;

pub struct SuspectView {
    pub sha: String,
    pub short: String,
    pub href: String,
    pub author: String,
    pub reason: String,
    /// The tool when the commit counts as AI-written.
    pub ai_tool: Option<String>,
    pub confidence: String,
}

pub struct DiffLine {
    /// `add`, `del`, `hunk` or `ctx`.
    pub class: &'static str,
    pub text: String,
}

pub struct StepView {
    pub step: &'static str,
    pub status: &'static str,
    pub duration: String,
    pub error: String,
}

pub struct AutopsyView {
    pub root_cause: String,
    pub category: String,
    pub confidence: String,
    pub model: String,
    pub culprit: String,
    pub diff: Vec<DiffLine>,
    pub test_path: String,
    pub test_case: String,
    pub prompt: String,
    pub manual_steps: Vec<String>,
    pub verification: String,
}

/// An issue, pull request or branch publishing created, as a link.
pub struct PublishedView {
    pub kind: &'static str,
    pub text: String,
    pub href: String,
}

#[derive(Default)]
pub struct AutopsyPanel {
    pub published: Vec<PublishedView>,
    pub suspect: Option<SuspectView>,
    pub autopsy: Option<AutopsyView>,
    pub workflow_status: String,
    pub workflow_reason: String,
    pub steps: Vec<StepView>,
    pub can_rerun: bool,
}

pub fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|line| DiffLine {
            class: if line.starts_with("+++") || line.starts_with("---") {
                "file"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                "ctx"
            },
            text: line.to_owned(),
        })
        .collect()
}

fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "running".into(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1_000.0),
    }
}

pub async fn panel(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
    viewer: &Viewer,
) -> StoreResult<AutopsyPanel> {
    let suspect = store.get_incident_suspect(org, incident).await?;
    let autopsy = store.get_autopsy(org, incident).await?;
    let workflow = store.latest_workflow(org, incident).await?;
    let steps = match &workflow {
        Some(w) => store.list_agent_runs(org, &w.id).await?,
        None => Vec::new(),
    };
    let published = store
        .list_github_artifacts(org, incident)
        .await?
        .into_iter()
        // Only web links: the URL came from GitHub's answer.
        .filter(|a| a.url.starts_with("https://") || a.url.starts_with("http://"))
        .map(|a| PublishedView {
            kind: match a.kind {
                GithubArtifactKind::Issue => "Issue",
                GithubArtifactKind::Pr => "Draft pull request",
                GithubArtifactKind::Branch => "Branch",
            },
            text: match (a.number, &a.name) {
                (Some(n), _) => format!("{}#{n}", a.repo),
                (None, Some(name)) => name.clone(),
                (None, None) => a.repo.clone(),
            },
            href: a.url,
        })
        .collect();
    Ok(AutopsyPanel {
        published,
        suspect: suspect.map(|s| SuspectView {
            short: s.sha.get(..7).unwrap_or(&s.sha).to_owned(),
            href: format!("/repositories/{}/commits/{}", s.repository_id, s.sha),
            author: s.author_name.clone().unwrap_or_default(),
            reason: s.reason.clone(),
            ai_tool: s
                .ai_confidence
                .filter(|c| *c >= AI_CONFIDENCE_THRESHOLD)
                .map(|_| s.tool.clone().unwrap_or_else(|| "unknown tool".into())),
            confidence: s
                .ai_confidence
                .map(|c| format!("{:.0}%", c * 100.0))
                .unwrap_or_default(),
            sha: s.sha,
        }),
        autopsy: autopsy.map(|a| AutopsyView {
            culprit: match (&a.culprit_path, a.culprit_line) {
                (Some(path), Some(line)) => format!("{path}:{line}"),
                (Some(path), None) => path.clone(),
                _ => String::new(),
            },
            diff: a.patch_diff.as_deref().map(diff_lines).unwrap_or_default(),
            test_path: a.test_path.unwrap_or_default(),
            test_case: a.test_case.unwrap_or_default(),
            verification: match (a.patch_applied, a.test_verified) {
                (None, None) => "not verified".into(),
                (applied, verified) => format!(
                    "patch {}, test {}",
                    match applied {
                        Some(true) => "applies",
                        Some(false) => "does not apply",
                        None => "not checked",
                    },
                    match verified {
                        Some(true) => "fails before and passes after",
                        Some(false) => "not proven",
                        None => "not run",
                    }
                ),
            },
            root_cause: a.root_cause,
            category: a.category,
            confidence: format!("{:.0}%", a.confidence * 100.0),
            model: a.model_used,
            prompt: a.ai_fix_prompt,
            manual_steps: a.manual_steps,
        }),
        workflow_status: workflow
            .as_ref()
            .map(|w| w.status.as_str().to_owned())
            .unwrap_or_default(),
        workflow_reason: workflow.and_then(|w| w.reason).unwrap_or_default(),
        steps: steps
            .iter()
            .map(|r| StepView {
                step: r.step.as_str(),
                status: r.status.as_str(),
                duration: duration(r.duration_ms),
                error: r.error.clone().unwrap_or_default(),
            })
            .collect(),
        can_rerun: viewer.role.includes(Role::Member),
    })
}

#[derive(Deserialize)]
pub struct RerunForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /incidents/{id}/autopsy`
pub async fn rerun(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RerunForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Member)?;
    let id = IncidentId::from_string(id);
    let started =
        sentinel_agents::start_workflow(&state.store, &viewer.org.id, &id, state.clock.now_ms())
            .await;
    match started {
        Ok(workflow) => {
            state.ingest.jobs_waker.notify_one();
            tracing::info!(incident = %id, workflow = %workflow.id, user = %viewer.user.id,
                "autopsy re-run from the dashboard");
            Ok(Redirect::to(&format!("/incidents/{}#autopsy", id.as_str())).into_response())
        }
        Err(sentinel_agents::StartError::AlreadyActive) => Err(PageError::Conflict(
            "the autopsy is already running; reload the page".into(),
        )),
        Err(sentinel_agents::StartError::NotFound) => {
            Err(PageError::NotFound("no such incident".into()))
        }
        Err(sentinel_agents::StartError::Store(err)) => Err(PageError::Store(err)),
    }
}
