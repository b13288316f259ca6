//! Writing to a repository as the App's installation, for publishing an autopsy: issues,
//! draft pull requests, and a commit on a branch of its own through the Git Data API (blobs,
//! a tree over the parent's, a commit, the branch's ref).
//!
//! A branch is only ever created or force-moved if it may receive a fix
//! ([`may_push_to`]): never the repository's default branch. Every create answers what it
//! made; the caller records it so a re-run updates instead of creating again. A pull
//! request GitHub already has for the branch (a create that succeeded but whose answer was
//! lost) is found and returned rather than refused.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use sentinel_core::publish::may_push_to;
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use super::client::{check_sha, split_full_name, GithubClient};
use super::error::GithubError;
use super::exchange::RestAnswer;
use super::wire::{
    GitCommitWire, IssueRequest, IssueWire, NewBlob, NewGitCommit, NewPullRequest, NewRef, NewTree,
    ObjectWire, RefUpdate, RefWire, TreeEntry,
};

/// An issue or pull request as GitHub numbers and shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub number: u64,
    /// The page people open (`html_url`).
    pub url: String,
}

/// One file of a commit: its new bytes, or `None` to delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    pub path: String,
    pub content: Option<Vec<u8>>,
    pub executable: bool,
}

/// What a draft pull request says and where it goes.
#[derive(Debug, Clone, Copy)]
pub struct DraftPullRequest<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// The branch with the fix, in the same repository.
    pub head: &'a str,
    /// The branch it would merge into (the default branch).
    pub base: &'a str,
}

fn encode<T: Serialize>(body: &T) -> Result<Vec<u8>, GithubError> {
    serde_json::to_vec(body).map_err(|e| GithubError::Decode(format!("request body: {e}")))
}

fn invalid(field: &'static str, value: &str) -> GithubError {
    GithubError::InvalidArgument {
        field,
        value: value.to_owned(),
    }
}

impl GithubClient {
    async fn call<T: DeserializeOwned>(
        &self,
        installation_id: u64,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<T, GithubError> {
        let answer = self.write(installation_id, method, url, body).await?;
        if !answer.is_success() {
            return Err(answer.into_error(self.now_ms()));
        }
        answer.json()
    }

    async fn write(
        &self,
        installation_id: u64,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<RestAnswer, GithubError> {
        self.request_as_installation(installation_id, method, url, body.as_deref())
            .await
    }

    /// `POST /repos/{owner}/{repo}/issues`.
    pub async fn create_issue(
        &self,
        installation_id: u64,
        full_name: &str,
        title: &str,
        body: &str,
    ) -> Result<Published, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        let url = self.endpoint(&["repos", owner, repo, "issues"])?;
        let request = encode(&IssueRequest { title, body })?;
        let issue: IssueWire = self
            .call(installation_id, Method::POST, url, Some(request))
            .await?;
        Ok(Published {
            number: issue.number,
            url: issue.html_url,
        })
    }

    /// `PATCH /repos/{owner}/{repo}/issues/{number}`; `None` when GitHub no longer has it
    /// (deleted or transferred: 404, 410).
    pub async fn update_issue(
        &self,
        installation_id: u64,
        full_name: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<Option<Published>, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        let number = number.to_string();
        let url = self.endpoint(&["repos", owner, repo, "issues", &number])?;
        self.patch_numbered(installation_id, url, title, body).await
    }

    /// `PATCH /repos/{owner}/{repo}/pulls/{number}`; `None` when GitHub no longer has it.
    pub async fn update_pull_request(
        &self,
        installation_id: u64,
        full_name: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<Option<Published>, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        let number = number.to_string();
        let url = self.endpoint(&["repos", owner, repo, "pulls", &number])?;
        self.patch_numbered(installation_id, url, title, body).await
    }

    async fn patch_numbered(
        &self,
        installation_id: u64,
        url: Url,
        title: &str,
        body: &str,
    ) -> Result<Option<Published>, GithubError> {
        let request = encode(&IssueRequest { title, body })?;
        let answer = self
            .write(installation_id, Method::PATCH, url, Some(request))
            .await?;
        if matches!(answer.status, 404 | 410) {
            return Ok(None);
        }
        if !answer.is_success() {
            return Err(answer.into_error(self.now_ms()));
        }
        let issue: IssueWire = answer.json()?;
        Ok(Some(Published {
            number: issue.number,
            url: issue.html_url,
        }))
    }

    /// `POST /repos/{owner}/{repo}/pulls` with `draft: true`. When GitHub already has an
    /// open pull request from the branch (422), that one is returned.
    pub async fn open_draft_pull_request(
        &self,
        installation_id: u64,
        full_name: &str,
        pull: DraftPullRequest<'_>,
    ) -> Result<Published, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        if !may_push_to(pull.head, pull.base) {
            return Err(invalid("pull request head", pull.head));
        }
        let url = self.endpoint(&["repos", owner, repo, "pulls"])?;
        let request = encode(&NewPullRequest {
            title: pull.title,
            head: pull.head,
            base: pull.base,
            body: pull.body,
            draft: true,
            maintainer_can_modify: true,
        })?;
        let answer = self
            .write(installation_id, Method::POST, url, Some(request))
            .await?;
        if answer.status == 422 {
            if let Some(existing) = self
                .open_pull_request_from(installation_id, owner, repo, pull.head)
                .await?
            {
                return Ok(existing);
            }
        }
        if !answer.is_success() {
            return Err(answer.into_error(self.now_ms()));
        }
        let created: IssueWire = answer.json()?;
        Ok(Published {
            number: created.number,
            url: created.html_url,
        })
    }

    /// `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`: the open pull request
    /// from `branch`, if there is one.
    async fn open_pull_request_from(
        &self,
        installation_id: u64,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<Published>, GithubError> {
        let mut url = self.endpoint(&["repos", owner, repo, "pulls"])?;
        url.query_pairs_mut()
            .append_pair("head", &format!("{owner}:{branch}"))
            .append_pair("state", "open");
        let pulls: Vec<IssueWire> = self.call(installation_id, Method::GET, url, None).await?;
        Ok(pulls.into_iter().next().map(|p| Published {
            number: p.number,
            url: p.html_url,
        }))
    }

    /// Commits `files` on top of `parent` (blobs, a tree over the parent's tree, a commit
    /// whose only parent is `parent`) and returns the new commit's sha. No ref moves.
    pub async fn commit_files(
        &self,
        installation_id: u64,
        full_name: &str,
        parent: &str,
        message: &str,
        files: &[FileWrite],
    ) -> Result<String, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        check_sha(parent)?;
        if files.is_empty() {
            return Err(invalid("files", "none"));
        }
        let url = self.endpoint(&["repos", owner, repo, "git", "commits", parent])?;
        let base: GitCommitWire = self.call(installation_id, Method::GET, url, None).await?;
        let mut tree = Vec::with_capacity(files.len());
        for file in files {
            let sha = match &file.content {
                Some(bytes) => {
                    let url = self.endpoint(&["repos", owner, repo, "git", "blobs"])?;
                    let request = encode(&NewBlob {
                        content: STANDARD.encode(bytes),
                        encoding: "base64",
                    })?;
                    let blob: ObjectWire = self
                        .call(installation_id, Method::POST, url, Some(request))
                        .await?;
                    Some(blob.sha)
                }
                None => None,
            };
            tree.push(TreeEntry {
                path: file.path.clone(),
                mode: if file.executable { "100755" } else { "100644" },
                kind: "blob",
                sha,
            });
        }
        let url = self.endpoint(&["repos", owner, repo, "git", "trees"])?;
        let request = encode(&NewTree {
            base_tree: &base.tree.sha,
            tree,
        })?;
        let new_tree: ObjectWire = self
            .call(installation_id, Method::POST, url, Some(request))
            .await?;
        let url = self.endpoint(&["repos", owner, repo, "git", "commits"])?;
        let request = encode(&NewGitCommit {
            message,
            tree: &new_tree.sha,
            parents: [parent],
        })?;
        let commit: ObjectWire = self
            .call(installation_id, Method::POST, url, Some(request))
            .await?;
        Ok(commit.sha)
    }

    /// Points `branch` at `sha`: creates it (`POST …/git/refs`), or moves it there with
    /// force when it exists (`PATCH …/git/refs/heads/<branch>`). Refuses the default branch
    /// and any branch outside `sentinel/` without sending anything.
    pub async fn set_fix_branch(
        &self,
        installation_id: u64,
        full_name: &str,
        branch: &str,
        sha: &str,
        default_branch: &str,
    ) -> Result<(), GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        check_sha(sha)?;
        if !may_push_to(branch, default_branch) {
            return Err(invalid("branch", branch));
        }
        let mut segments = vec!["repos", owner, repo, "git", "ref", "heads"];
        segments.extend(branch.split('/'));
        let url = self.endpoint(&segments)?;
        let answer = self.write(installation_id, Method::GET, url, None).await?;
        let current = match answer.status {
            404 => None,
            _ if answer.is_success() => Some(answer.json::<RefWire>()?.object.sha),
            _ => return Err(answer.into_error(self.now_ms())),
        };
        match current {
            Some(at) if at == sha => Ok(()),
            Some(_) => {
                segments[4] = "refs";
                let url = self.endpoint(&segments)?;
                let request = encode(&RefUpdate { sha, force: true })?;
                let _: RefWire = self
                    .call(installation_id, Method::PATCH, url, Some(request))
                    .await?;
                Ok(())
            }
            None => {
                let url = self.endpoint(&["repos", owner, repo, "git", "refs"])?;
                let name = format!("refs/heads/{branch}");
                let request = encode(&NewRef { name: &name, sha })?;
                let _: RefWire = self
                    .call(installation_id, Method::POST, url, Some(request))
                    .await?;
                Ok(())
            }
        }
    }
}
