//! [`GithubClient`]: GitHub's REST API as the App's installations, for the code facts
//! Sentinel needs: a commit with its files, and the pull request a pushed commit came from.
//!
//! Every call runs as an installation: the client exchanges an App JWT for the
//! installation's access token (cached, see `tokens`), sends the request, and when GitHub
//! answers 401 — a token revoked or expired early — fetches a new token and tries exactly once
//! more. Failures come back as [`GithubError`]; the client never sleeps or loops on its own.

use reqwest::Method;
use secrecy::SecretString;
use sentinel_core::code::Commit;
use url::Url;

use super::app::GithubApp;
use super::error::GithubError;
use super::exchange::{send, RestAnswer};
use super::tokens::{InstallationToken, InstallationTokens};
use super::wire::{parse_timestamp, AccessTokenWire, CommitWire, PullRequestWire};
use crate::http::HttpTransport;

/// What GitHub knows of a commit.
// Returned once per lookup and consumed at once, never kept in bulk: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitLookup {
    Found(Commit),
    /// GitHub has no such commit (404), or no longer (422, e.g. force-pushed away and
    /// collected). Recorded as unavailable; asking again will not change the answer.
    Missing,
}

/// The text of the pull request a commit belongs to, for the PR-text attribution signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestText {
    pub number: u64,
    pub title: String,
    /// Empty when the pull request has no description.
    pub body: String,
}

/// A GitHub REST client acting as one App. Share it (behind an `Arc`) so every caller uses
/// the same token cache.
pub struct GithubClient {
    app: GithubApp,
    transport: HttpTransport,
    tokens: InstallationTokens,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

impl GithubClient {
    pub fn new(app: GithubApp, transport: HttpTransport) -> Self {
        Self {
            app,
            transport,
            tokens: InstallationTokens::default(),
        }
    }

    pub fn app(&self) -> &GithubApp {
        &self.app
    }

    pub(super) fn now_ms(&self) -> sentinel_core::clock::Millis {
        self.transport.clock().now_ms()
    }

    /// `GET /repos/{owner}/{repo}/commits/{sha}`. Only the first 300 files are read (GitHub's
    /// limit for this endpoint); the paginated rest is not fetched.
    pub async fn get_commit(
        &self,
        installation_id: u64,
        full_name: &str,
        sha: &str,
    ) -> Result<CommitLookup, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        check_sha(sha)?;
        let url = self.endpoint(&["repos", owner, repo, "commits", sha])?;
        let answer = self.get_as_installation(installation_id, url).await?;
        match answer.status {
            404 | 422 => Ok(CommitLookup::Missing),
            _ if answer.is_success() => {
                let commit = answer.json::<CommitWire>()?.into_commit()?;
                Ok(CommitLookup::Found(commit))
            }
            _ => Err(answer.into_error(self.transport.clock().now_ms())),
        }
    }

    /// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the pull request a commit arrived
    /// with, preferring a merged one; `None` when there is none or GitHub has no such commit.
    pub async fn get_pull_request_for_commit(
        &self,
        installation_id: u64,
        full_name: &str,
        sha: &str,
    ) -> Result<Option<PullRequestText>, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        check_sha(sha)?;
        let url = self.endpoint(&["repos", owner, repo, "commits", sha, "pulls"])?;
        let answer = self.get_as_installation(installation_id, url).await?;
        match answer.status {
            404 | 422 => Ok(None),
            _ if answer.is_success() => {
                let mut pulls = answer.json::<Vec<PullRequestWire>>()?;
                let chosen = match pulls.iter().position(|p| p.merged_at.is_some()) {
                    Some(merged) => Some(pulls.swap_remove(merged)),
                    None => pulls.into_iter().next(),
                };
                Ok(chosen.map(|p| PullRequestText {
                    number: p.number,
                    title: p.title,
                    body: p.body.unwrap_or_default(),
                }))
            }
            _ => Err(answer.into_error(self.transport.clock().now_ms())),
        }
    }

    /// A GET with the installation's token, retried once with a new token after a 401.
    pub(super) async fn get_as_installation(
        &self,
        installation_id: u64,
        url: Url,
    ) -> Result<RestAnswer, GithubError> {
        self.request_as_installation(installation_id, Method::GET, url, None)
            .await
    }

    /// A request with the installation's token and an optional JSON body, retried once
    /// with a new token after a 401.
    pub(super) async fn request_as_installation(
        &self,
        installation_id: u64,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
    ) -> Result<RestAnswer, GithubError> {
        let mut refreshed = false;
        loop {
            let token = self
                .tokens
                .get(installation_id, self.transport.clock(), || {
                    self.fetch_installation_token(installation_id)
                })
                .await?;
            let answer = send(
                self.transport.client(),
                method.clone(),
                url.clone(),
                &token,
                body,
            )
            .await?;
            if answer.status != 401 || refreshed {
                return Ok(answer);
            }
            tracing::info!(
                installation_id,
                "GitHub refused the installation token; fetching a new one"
            );
            self.tokens.forget(installation_id, &token).await;
            refreshed = true;
        }
    }

    /// `POST /app/installations/{id}/access_tokens`, authenticated with a fresh App JWT.
    async fn fetch_installation_token(
        &self,
        installation_id: u64,
    ) -> Result<InstallationToken, GithubError> {
        let id = installation_id.to_string();
        let url = self.endpoint(&["app", "installations", &id, "access_tokens"])?;
        let now_ms = self.transport.clock().now_ms();
        let jwt = self.app.jwt(now_ms)?;
        let answer = send(self.transport.client(), Method::POST, url, &jwt, None).await?;
        if !answer.is_success() {
            return Err(answer.into_error(self.transport.clock().now_ms()));
        }
        let wire: AccessTokenWire = answer.json()?;
        let (expires_at_ms, _) = parse_timestamp("expires_at", &wire.expires_at)?;
        Ok(InstallationToken {
            secret: SecretString::from(wire.token),
            expires_at_ms,
        })
    }

    /// The API base with `segments` appended, each percent-encoded as a path segment.
    pub(super) fn endpoint(&self, segments: &[&str]) -> Result<Url, GithubError> {
        let mut url = self.app.api_base().clone();
        url.path_segments_mut()
            .map_err(|()| GithubError::InvalidArgument {
                field: "api_base",
                value: self.app.api_base().to_string(),
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

/// `owner/name`, each part made of the characters GitHub allows in logins and repo names.
pub(super) fn split_full_name(full_name: &str) -> Result<(&str, &str), GithubError> {
    let invalid = || GithubError::InvalidArgument {
        field: "repository full name",
        value: full_name.to_owned(),
    };
    let (owner, repo) = full_name.split_once('/').ok_or_else(invalid)?;
    let is_name = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if is_name(owner) && is_name(repo) {
        Ok((owner, repo))
    } else {
        Err(invalid())
    }
}

/// A hex object id: abbreviated or full, SHA-1 or SHA-256.
pub(super) fn check_sha(sha: &str) -> Result<(), GithubError> {
    if (4..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(GithubError::InvalidArgument {
            field: "commit sha",
            value: sha.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_are_owner_slash_repo() {
        assert!(matches!(
            split_full_name("octo-org/octo.repo_2"),
            Ok(("octo-org", "octo.repo_2"))
        ));
        for bad in ["octo", "/repo", "octo/", "a/b/c", "a/..", "a/b?x", "a/b c"] {
            assert!(split_full_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shas_are_hex() {
        assert!(check_sha("6dcb09b5b57875f334f61aebed695e2e4193db5e").is_ok());
        assert!(check_sha("6dcb09b").is_ok());
        assert!(check_sha("main").is_err());
        assert!(check_sha("abc").is_err());
        assert!(check_sha("../../x").is_err());
    }
}
