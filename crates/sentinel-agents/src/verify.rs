//! Checking a diagnosis against the repository: does the patch apply at the release, does the
//! regression test fail before it and pass after. [`GitVerifier`] is the real check
//! (`git apply --check` at the revision, then the repository's test command in a throwaway
//! worktree under a timeout, before and after the patch); [`NotRun`] checks nothing.

use futures::future::BoxFuture;
use sentinel_core::autopsy::{Diagnosis, Verification};
use sentinel_git::{Repo, TestCommand};
use std::path::Path;
use std::time::Duration;

/// What a verifier is asked.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The repository's clone, when it has one.
    pub clone: Option<&'a Path>,
    /// The commit the autopsy read the repository at.
    pub revision: Option<&'a str>,
    pub diagnosis: &'a Diagnosis,
    /// The repository's test command (argv, `{test}` standing for the regression test's
    /// path); empty when none is configured, and then the test is not run.
    pub test_command: &'a [String],
}

pub trait Verifier: Send + Sync + 'static {
    fn verify<'a>(&'a self, request: VerifyRequest<'a>) -> BoxFuture<'a, Verification>;
}

/// Checks nothing: every outcome is "not run".
#[derive(Debug, Clone, Copy, Default)]
pub struct NotRun;

impl Verifier for NotRun {
    fn verify<'a>(&'a self, _request: VerifyRequest<'a>) -> BoxFuture<'a, Verification> {
        Box::pin(async { Verification::default() })
    }
}

/// The check against the clone: the patch with `git apply --check` at the revision, and, when
/// the repository has a test command, the regression test run before and after the patch in
/// a throwaway worktree (killed at `test_timeout`).
#[derive(Debug, Clone, Copy)]
pub struct GitVerifier {
    pub test_timeout: Duration,
}

impl Default for GitVerifier {
    fn default() -> Self {
        Self {
            test_timeout: Duration::from_secs(60),
        }
    }
}

impl Verifier for GitVerifier {
    fn verify<'a>(&'a self, request: VerifyRequest<'a>) -> BoxFuture<'a, Verification> {
        let (Some(clone), Some(revision)) = (request.clone, request.revision) else {
            return Box::pin(async { Verification::default() });
        };
        let clone = clone.to_path_buf();
        let revision = revision.to_owned();
        let patch = request.diagnosis.patch_diff.clone();
        let test = request.diagnosis.test_case.clone();
        let command = (!request.test_command.is_empty()).then(|| {
            let mut command = TestCommand::new(request.test_command.iter().cloned());
            command.timeout = self.test_timeout;
            command
        });
        Box::pin(async move {
            let checked = tokio::task::spawn_blocking(move || {
                Repo::open(&clone).and_then(|repo| {
                    repo.verify_diagnosis(
                        &revision,
                        patch.as_deref(),
                        test.as_ref(),
                        command.as_ref(),
                    )
                })
            })
            .await;
            match checked {
                Ok(Ok(verification)) => verification,
                // The check itself could not run: recorded as not run, with the reason.
                Ok(Err(err)) => Verification {
                    output_before: format!("verification could not run: {err}"),
                    ..Verification::default()
                },
                Err(err) => Verification {
                    output_before: format!("verification stopped: {err}"),
                    ..Verification::default()
                },
            }
        })
    }
}
