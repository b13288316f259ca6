//! Where a commit's content comes from: the repository's local clone when it has one (the
//! git CLI, no network), else GitHub's REST API as the App's installation.

use crate::JobError;
use sentinel_core::clock::Millis;
use sentinel_core::code::Commit;
use sentinel_integrations::github::{CommitLookup, GithubClient, GithubError};
use sentinel_store::code::Repository;
use std::sync::Arc;
use std::time::Duration;

/// What reading a commit gave.
#[derive(Debug)]
pub enum ReadCommit {
    Found(Box<Commit>),
    /// Cannot be read now or later (force-pushed away, not in the clone, no way to reach
    /// GitHub): recorded as unavailable, with the reason.
    Unavailable(String),
}

/// Reads commits for the attribution job.
#[derive(Debug, Clone, Default)]
pub struct CommitReader {
    /// `None` when no GitHub App is configured: only local clones can be read.
    pub github: Option<Arc<GithubClient>>,
}

impl CommitReader {
    /// Reads `sha` of `repository`. Transient failures (GitHub's rate limit, a 5xx, a
    /// network error) are retryable job errors; `now` turns a rate limit's reset time into
    /// the wait.
    pub async fn read(
        &self,
        repository: &Repository,
        sha: &str,
        now: Millis,
    ) -> Result<ReadCommit, JobError> {
        if let Some(path) = repository.clone_path.clone() {
            let wanted = sha.to_owned();
            let read = tokio::task::spawn_blocking(move || {
                sentinel_git::Repo::open(&path).and_then(|repo| repo.commit(&wanted))
            })
            .await
            .map_err(|e| JobError::retry(format!("reading the clone: {e}")))?;
            return match read {
                Ok(commit) => Ok(ReadCommit::Found(Box::new(commit))),
                // Not fetched into the clone yet: GitHub may have it.
                Err(sentinel_git::GitError::UnknownRevision(_)) if self.github.is_some() => {
                    self.read_from_github(repository, sha, now).await
                }
                Err(sentinel_git::GitError::UnknownRevision(_)) => {
                    Ok(ReadCommit::Unavailable("not in the local clone".into()))
                }
                Err(err) => Err(JobError::retry(format!("reading the clone: {err}"))),
            };
        }
        self.read_from_github(repository, sha, now).await
    }

    async fn read_from_github(
        &self,
        repository: &Repository,
        sha: &str,
        now: Millis,
    ) -> Result<ReadCommit, JobError> {
        let (Some(github), Some(installation)) = (&self.github, repository.installation_id) else {
            return Ok(ReadCommit::Unavailable(
                "no local clone, and the repository is not reachable through the GitHub App".into(),
            ));
        };
        let installation = u64::try_from(installation)
            .map_err(|_| JobError::permanent("negative installation id"))?;
        match github
            .get_commit(installation, &repository.full_name, sha)
            .await
        {
            Ok(CommitLookup::Found(commit)) => Ok(ReadCommit::Found(Box::new(commit))),
            Ok(CommitLookup::Missing) => Ok(ReadCommit::Unavailable(
                "GitHub has no such commit (force-pushed away?)".into(),
            )),
            Err(err) => Err(github_job_error(err, now)),
        }
    }
}

/// A GitHub failure as a job error: rate limits wait until their reset, transient failures
/// retry, the rest is permanent.
pub(super) fn github_job_error(err: GithubError, now: Millis) -> JobError {
    match err {
        GithubError::RateLimited { retry_at } => {
            let wait = u64::try_from(retry_at.saturating_sub(now)).unwrap_or(0);
            JobError::retry_after("GitHub rate limit", Duration::from_millis(wait.max(1_000)))
        }
        err if err.is_retryable() => JobError::retry(err.to_string()),
        err => JobError::permanent(err.to_string()),
    }
}
