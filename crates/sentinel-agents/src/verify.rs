//! Checking a diagnosis against the repository: does the patch apply at the release, does the
//! regression test fail before it and pass after. The real check (a throwaway worktree,
//! `git apply --check`, the test command under a timeout) plugs in behind [`Verifier`];
//! [`NotRun`] reports that nothing was checked.

use futures::future::BoxFuture;
use sentinel_core::autopsy::{Diagnosis, Verification};
use std::path::Path;

/// What a verifier is asked.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The repository's clone, when it has one.
    pub clone: Option<&'a Path>,
    /// The commit the autopsy read the repository at.
    pub revision: Option<&'a str>,
    pub diagnosis: &'a Diagnosis,
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
