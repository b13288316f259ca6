//! GitHub's payload shapes, as far as Sentinel reads them. Private to the module: everything
//! past it sees core values. Fields GitHub leaves out or sends as `null` on some events are
//! optional here; fields without which the event means nothing are required, so a payload
//! missing them is refused with the field's path.

use serde::Deserialize;

/// A GitHub time: ISO-8601 text with an offset almost everywhere, Unix seconds in a push's
/// `repository.pushed_at` / `created_at`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum WireTime {
    UnixSeconds(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
pub(super) struct WireUser {
    pub login: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireRepository {
    pub id: i64,
    pub full_name: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub pushed_at: Option<WireTime>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireInstallationId {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireAccount {
    pub login: String,
    #[serde(rename = "type", default)]
    pub account_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireInstallation {
    pub id: i64,
    pub account: WireAccount,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireHook {
    #[serde(default)]
    pub app_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PingPayload {
    #[serde(default)]
    pub zen: Option<String>,
    #[serde(default)]
    pub hook_id: Option<i64>,
    #[serde(default)]
    pub hook: Option<WireHook>,
    #[serde(default)]
    pub repository: Option<WireRepository>,
    #[serde(default)]
    pub installation: Option<WireInstallationId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct InstallationPayload {
    pub action: String,
    pub installation: WireInstallation,
    #[serde(default)]
    pub repositories: Option<Vec<WireRepository>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct InstallationRepositoriesPayload {
    pub action: String,
    pub installation: WireInstallation,
    #[serde(default)]
    pub repositories_added: Option<Vec<WireRepository>>,
    #[serde(default)]
    pub repositories_removed: Option<Vec<WireRepository>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireGitPerson {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The GitHub login, when GitHub could match the e-mail to an account.
    #[serde(default)]
    pub username: Option<String>,
}

fn distinct_by_default() -> bool {
    true
}

#[derive(Debug, Deserialize)]
pub(super) struct WireCommit {
    pub id: String,
    #[serde(default = "distinct_by_default")]
    pub distinct: bool,
    #[serde(default)]
    pub message: Option<String>,
    pub timestamp: WireTime,
    #[serde(default)]
    pub url: Option<String>,
    pub author: WireGitPerson,
    pub committer: WireGitPerson,
}

#[derive(Debug, Deserialize)]
pub(super) struct WirePusher {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PushPayload {
    #[serde(rename = "ref")]
    pub git_ref: String,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub created: bool,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub forced: bool,
    #[serde(default)]
    pub commits: Option<Vec<WireCommit>>,
    pub repository: WireRepository,
    pub pusher: WirePusher,
    #[serde(default)]
    pub sender: Option<WireUser>,
    #[serde(default)]
    pub installation: Option<WireInstallationId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireBranch {
    #[serde(rename = "ref")]
    pub branch: String,
    pub sha: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct WirePullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    pub user: WireUser,
    pub head: WireBranch,
    pub base: WireBranch,
    pub created_at: WireTime,
    #[serde(default)]
    pub updated_at: Option<WireTime>,
    #[serde(default)]
    pub closed_at: Option<WireTime>,
    #[serde(default)]
    pub merged_at: Option<WireTime>,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub additions: Option<u64>,
    #[serde(default)]
    pub deletions: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PullRequestPayload {
    pub action: String,
    pub pull_request: WirePullRequest,
    pub repository: WireRepository,
    #[serde(default)]
    pub sender: Option<WireUser>,
    #[serde(default)]
    pub installation: Option<WireInstallationId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireReview {
    pub user: WireUser,
    pub state: String,
    #[serde(default)]
    pub submitted_at: Option<WireTime>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PullRequestReviewPayload {
    pub action: String,
    pub review: WireReview,
    pub pull_request: WirePullRequest,
    pub repository: WireRepository,
    #[serde(default)]
    pub installation: Option<WireInstallationId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireDeploymentStatus {
    pub state: String,
    #[serde(default)]
    pub environment: Option<String>,
    pub created_at: WireTime,
    #[serde(default)]
    pub creator: Option<WireUser>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireDeployment {
    pub id: i64,
    pub sha: String,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub creator: Option<WireUser>,
}

#[derive(Debug, Deserialize)]
pub(super) struct DeploymentStatusPayload {
    pub deployment_status: WireDeploymentStatus,
    pub deployment: WireDeployment,
    pub repository: WireRepository,
    #[serde(default)]
    pub sender: Option<WireUser>,
    #[serde(default)]
    pub installation: Option<WireInstallationId>,
}
