//! GitHub REST as a GitHub App: the App's JWT (RS256 with the App's private key), the
//! installation access tokens it is exchanged for, and the reads Sentinel's code side needs —
//! a commit with its files, and the pull request a pushed commit belongs to — and the writes
//! publishing an autopsy needs: issues, draft pull requests, a commit on a fix branch.
//!
//! Requests carry GitHub's documented headers (`Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, a `User-Agent`); raw JSON never leaves this module. Rate limits and
//! server errors come back as errors that say when or whether to retry; the job runner
//! decides, so nothing here sleeps.

mod app;
mod app_jwt;
mod client;
mod compare;
mod error;
mod exchange;
mod publish;
mod tokens;
mod wire;

pub use app::{AppConfigError, GithubApp, DEFAULT_API_BASE};
pub use app_jwt::{AppJwtSigner, JwtError};
pub use client::{CommitLookup, GithubClient, PullRequestText};
pub use compare::Comparison;
pub use error::GithubError;
pub use exchange::API_VERSION;
pub use publish::{DraftPullRequest, FileWrite, Published};
pub use tokens::REFRESH_MARGIN_MS;
