//! Publishing on GitHub, as the repository's publish mode says: nothing, an issue, or a
//! draft pull request from `sentinel/fix-<incident>` — a commit on the release with the
//! patch applied (through the clone) and the regression test added, made with the Git Data
//! API. The default branch is never written to. What was created is recorded in
//! `github_artifacts`, so a re-run updates the same issue or pull request; the incident
//! moves to `pr_created` once its pull request exists.
//!
//! GitHub's rate limits, 5xx answers, timeouts and unreadable answers are retryable job
//! errors: every write here may be repeated. A refusal (a 4xx) fails the step with GitHub's
//! reason.

use super::StepCx;
use sentinel_core::id::IncidentId;
use sentinel_core::publish::{fix_branch, PublishMode};
use sentinel_integrations::github::{
    DraftPullRequest, FileWrite, GithubClient, GithubError, Published,
};
use sentinel_jobs::JobError;
use sentinel_store::autopsy::AutopsyRecord;
use sentinel_store::code::Repository;
use sentinel_store::github_artifacts::{GithubArtifactKind, NewGithubArtifact};
use serde_json::{json, Value};
use std::time::Duration;

/// What publishing did, for the step's metadata; `Err` is a refusal that fails the step.
pub(super) type Outcome = Result<Value, String>;

fn skipped(reason: &str) -> Outcome {
    Ok(json!({ "mode": "skipped", "reason": reason }))
}

/// Transient GitHub failures become retryable job errors; a refusal is the step's failure.
fn classify(cx: &StepCx, err: GithubError) -> Result<String, JobError> {
    match err {
        GithubError::RateLimited { retry_at } => {
            let wait = u64::try_from(retry_at.saturating_sub(cx.now())).unwrap_or(0);
            Err(JobError::retry_after(
                err.to_string(),
                Duration::from_millis(wait),
            ))
        }
        // An unreadable answer may hide a write that happened: the re-run finds it.
        GithubError::Server(_) | GithubError::Transport(_) | GithubError::Decode(_) => {
            Err(JobError::retry(err.to_string()))
        }
        other => Ok(other.to_string()),
    }
}

macro_rules! github {
    ($cx:expr, $call:expr) => {
        match $call.await {
            Ok(value) => value,
            Err(err) => return Ok(Err(classify($cx, err)?)),
        }
    };
}

pub(super) async fn publish(
    cx: &StepCx,
    title: &str,
    pr_body: &str,
    autopsy: &AutopsyRecord,
) -> Result<Outcome, JobError> {
    let (repository, revision) = cx.traced_repository().await?;
    let Some(repository) = repository else {
        return Ok(skipped("no repository"));
    };
    if repository.publish_mode == PublishMode::Off {
        return Ok(skipped("publishing is off for the repository"));
    }
    let Some(github) = cx.deps.reader.github.clone() else {
        return Ok(skipped("no GitHub App is configured"));
    };
    let Some(installation) = repository
        .installation_id
        .and_then(|i| u64::try_from(i).ok())
    else {
        return Ok(skipped("the repository has no GitHub installation"));
    };
    let target = Target {
        cx,
        github: &github,
        installation,
        repository: &repository,
        title,
    };
    let issue_body = issue_body(pr_body, autopsy);
    if repository.publish_mode == PublishMode::Issue {
        return target.issue(&issue_body).await;
    }
    let revision = revision.as_deref();
    let files = match (repository.clone_path.clone(), revision, &autopsy.patch_diff) {
        (Some(clone), Some(revision), Some(patch)) => {
            patched_files(clone, revision.to_owned(), patch.clone()).await?
        }
        _ => Err("a draft pull request needs a patch, the release and the clone".to_owned()),
    };
    let (mut files, revision) = match (files, revision) {
        (Ok(files), Some(revision)) => (files, revision),
        (Err(why), _) => return issue_instead(&target, &issue_body, why).await,
        (Ok(_), None) => {
            return issue_instead(&target, &issue_body, "no release commit".into()).await
        }
    };
    if let (Some(path), Some(content)) = (&autopsy.test_path, &autopsy.test_case) {
        files.push(FileWrite {
            path: path.clone(),
            content: Some(content.clone().into_bytes()),
            executable: false,
        });
    }
    target.draft_pr(revision, &files, pr_body).await
}

/// Nothing to commit: the issue still carries the diagnosis, and its metadata says why it
/// is not a pull request.
async fn issue_instead(target: &Target<'_>, body: &str, why: String) -> Result<Outcome, JobError> {
    tracing::info!(incident = %target.cx.workflow.incident_id, reason = %why,
        "no draft pull request; opening an issue instead");
    let mut published = target.issue(body).await?;
    if let Ok(Value::Object(meta)) = &mut published {
        meta.insert("draft_pr_skipped".into(), Value::String(why));
    }
    Ok(published)
}

async fn patched_files(
    clone: String,
    revision: String,
    patch: String,
) -> Result<Result<Vec<FileWrite>, String>, JobError> {
    let read = tokio::task::spawn_blocking(move || {
        sentinel_git::Repo::open(&clone).and_then(|repo| repo.patched_files(&revision, &patch))
    })
    .await
    .map_err(|e| JobError::retry(format!("applying the patch: {e}")))?;
    Ok(match read {
        Ok(Ok(files)) => Ok(files
            .into_iter()
            .map(|f| FileWrite {
                path: f.path,
                content: f.content,
                executable: f.executable,
            })
            .collect()),
        Ok(Err(complaint)) => Err(format!("the patch does not apply: {complaint}")),
        Err(err) => Err(format!("the clone: {err}")),
    })
}

/// The pull request's body with the test and the patch written out.
fn issue_body(pr_body: &str, autopsy: &AutopsyRecord) -> String {
    let mut body = pr_body.to_owned();
    if let (Some(path), Some(test)) = (&autopsy.test_path, &autopsy.test_case) {
        body.push_str(&format!(
            "\n### Regression test `{path}`\n\n```\n{test}\n```\n"
        ));
    }
    if let Some(patch) = &autopsy.patch_diff {
        body.push_str(&format!("\n### Patch\n\n```diff\n{patch}\n```\n"));
    }
    body
}

struct Target<'a> {
    cx: &'a StepCx,
    github: &'a GithubClient,
    installation: u64,
    repository: &'a Repository,
    title: &'a str,
}

impl Target<'_> {
    fn incident(&self) -> &IncidentId {
        &self.cx.workflow.incident_id
    }

    async fn existing(&self, kind: GithubArtifactKind) -> Result<Option<u64>, JobError> {
        Ok(self
            .cx
            .store
            .get_github_artifact(&self.cx.org, self.incident(), kind)
            .await?
            .and_then(|a| a.number)
            .and_then(|n| u64::try_from(n).ok()))
    }

    async fn record(
        &self,
        kind: GithubArtifactKind,
        number: Option<u64>,
        name: Option<String>,
        url: &str,
    ) -> Result<(), JobError> {
        let new = NewGithubArtifact {
            kind,
            repo: self.repository.full_name.clone(),
            number: number.and_then(|n| i64::try_from(n).ok()),
            name,
            url: url.to_owned(),
        };
        self.cx
            .store
            .upsert_github_artifact(&self.cx.org, self.incident(), &new, self.cx.now())
            .await?;
        Ok(())
    }

    async fn issue(&self, body: &str) -> Result<Outcome, JobError> {
        let (full_name, inst) = (&self.repository.full_name, self.installation);
        let updated = match self.existing(GithubArtifactKind::Issue).await? {
            Some(number) => github!(
                self.cx,
                self.github
                    .update_issue(inst, full_name, number, self.title, body)
            ),
            None => None,
        };
        let issue = match updated {
            Some(issue) => issue,
            None => github!(
                self.cx,
                self.github.create_issue(inst, full_name, self.title, body)
            ),
        };
        self.record(
            GithubArtifactKind::Issue,
            Some(issue.number),
            None,
            &issue.url,
        )
        .await?;
        Ok(Ok(
            json!({ "mode": "issue", "issue": issue.number, "url": issue.url }),
        ))
    }

    async fn draft_pr(
        &self,
        revision: &str,
        files: &[FileWrite],
        body: &str,
    ) -> Result<Outcome, JobError> {
        let (full_name, inst) = (&self.repository.full_name, self.installation);
        let branch = fix_branch(self.incident().as_str());
        let message = format!("{}\n\nProposed by Sentinel's autopsy.", self.title);
        let commit = github!(
            self.cx,
            self.github
                .commit_files(inst, full_name, revision, &message, files)
        );
        github!(
            self.cx,
            self.github.set_fix_branch(
                inst,
                full_name,
                &branch,
                &commit,
                &self.repository.default_branch
            )
        );
        let updated = match self.existing(GithubArtifactKind::Pr).await? {
            Some(number) => github!(
                self.cx,
                self.github
                    .update_pull_request(inst, full_name, number, self.title, body)
            ),
            None => None,
        };
        let pull: Published = match updated {
            Some(pull) => pull,
            None => {
                let draft = DraftPullRequest {
                    title: self.title,
                    body,
                    head: &branch,
                    base: &self.repository.default_branch,
                };
                github!(
                    self.cx,
                    self.github.open_draft_pull_request(inst, full_name, draft)
                )
            }
        };
        self.record(GithubArtifactKind::Pr, Some(pull.number), None, &pull.url)
            .await?;
        let branch_url = match pull.url.rsplit_once("/pull/") {
            Some((web, _)) => format!("{web}/tree/{branch}"),
            None => pull.url.clone(),
        };
        self.record(
            GithubArtifactKind::Branch,
            None,
            Some(branch.clone()),
            &branch_url,
        )
        .await?;
        self.to_pr_created().await?;
        Ok(Ok(json!({
            "mode": "draft_pr",
            "pr": pull.number,
            "url": pull.url,
            "branch": branch,
            "commit": commit,
        })))
    }

    /// Walks the incident to `pr_created` along the workflow's transitions; a status
    /// someone else set meanwhile is left alone.
    async fn to_pr_created(&self) -> Result<(), JobError> {
        let incident = self
            .cx
            .store
            .get_incident(&self.cx.org, self.incident())
            .await?;
        for to in incident.status.path_to_pr_created() {
            if let Err(err) = self
                .cx
                .store
                .set_incident_status(&self.cx.org, self.incident(), to, self.cx.now())
                .await
            {
                tracing::info!(incident = %self.incident(), to = %to, error = %err,
                    "incident status not moved");
                break;
            }
        }
        Ok(())
    }
}
