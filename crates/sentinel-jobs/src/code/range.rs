//! Which commits a deploy shipped: `git rev-list` in the local clone when the repository has
//! one and the clone knows both ends, else GitHub's compare API as the App's installation,
//! else nothing (recorded as unknown, not retried).

use super::source::github_job_error;
use super::CommitReader;
use crate::JobError;
use sentinel_core::clock::Millis;
use sentinel_integrations::github::Comparison;
use sentinel_store::code::{DeployRangeSource, Repository};

/// The most commits linked to one deploy; a longer range is cut (newest kept) and says so.
pub const MAX_SHIPPED_COMMITS: usize = 1_000;

/// The commits a deploy shipped, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipped {
    pub source: DeployRangeSource,
    pub shas: Vec<String>,
    pub truncated: bool,
}

impl Shipped {
    fn unknown() -> Self {
        Self {
            source: DeployRangeSource::Unknown,
            shas: Vec::new(),
            truncated: false,
        }
    }
}

impl CommitReader {
    /// What `head` adds over `base` (`None`: the environment's first deploy, which ships
    /// everything up to `head`).
    pub async fn shipped(
        &self,
        repository: &Repository,
        base: Option<&str>,
        head: &str,
        now: Millis,
    ) -> Result<Shipped, JobError> {
        if let Some(path) = repository.clone_path.clone() {
            let (base_owned, head_owned) = (base.map(str::to_owned), head.to_owned());
            let read = tokio::task::spawn_blocking(move || {
                sentinel_git::Repo::open(&path).and_then(|repo| {
                    repo.commits_between(base_owned.as_deref(), &head_owned, MAX_SHIPPED_COMMITS)
                })
            })
            .await
            .map_err(|e| JobError::retry(format!("reading the clone: {e}")))?;
            match read {
                Ok(range) => {
                    return Ok(Shipped {
                        source: DeployRangeSource::Clone,
                        shas: range.shas,
                        truncated: range.truncated,
                    })
                }
                // Not fetched into the clone (yet): GitHub may know.
                Err(sentinel_git::GitError::UnknownRevision(_)) => {}
                Err(err) => return Err(JobError::retry(format!("reading the clone: {err}"))),
            }
        }
        let (Some(github), Some(installation)) = (&self.github, repository.installation_id) else {
            return Ok(Shipped::unknown());
        };
        let installation = u64::try_from(installation)
            .map_err(|_| JobError::permanent("negative installation id"))?;
        let Some(base) = base else {
            // GitHub compares two commits; a first deploy's whole history is not worth
            // paging through. The deployed commit itself is known to ship.
            return Ok(Shipped {
                source: DeployRangeSource::Github,
                shas: vec![head.to_owned()],
                truncated: true,
            });
        };
        match github
            .compare(
                installation,
                &repository.full_name,
                base,
                head,
                MAX_SHIPPED_COMMITS,
            )
            .await
        {
            Ok(Comparison::Commits { shas, truncated }) => Ok(Shipped {
                source: DeployRangeSource::Github,
                shas,
                truncated,
            }),
            Ok(Comparison::Missing) => Ok(Shipped::unknown()),
            Err(err) => Err(github_job_error(err, now)),
        }
    }
}
