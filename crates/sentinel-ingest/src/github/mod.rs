//! GitHub webhooks at the edge: signature checks, delivery headers, and payloads read into
//! core code events.
//!
//! The handler for `POST /webhooks/github` calls, in order: [`GithubHeaders::from_pairs`],
//! [`verify_signature`] over the raw body (refusing with 401 before anything is parsed),
//! then [`parse_delivery`]. Linking a deploy to the commits it ships, and deduplicating
//! commits by SHA, are the store's work: this module keeps what GitHub sent, entry for entry.

mod deploys;
mod headers;
mod pulls;
mod push;
mod signature;
mod time;
mod wire;

pub use headers::{
    GithubHeaders, HeaderError, DELIVERY_HEADER, EVENT_HEADER, HOOK_ID_HEADER,
    SIGNATURE_256_HEADER, SIGNATURE_SHA1_HEADER, TARGET_ID_HEADER, TARGET_TYPE_HEADER,
};
pub use signature::{sign, verify_signature, SignatureError};

use sentinel_core::clock::Millis;
use sentinel_core::code::{CodeEvent, Person};
use serde::de::DeserializeOwned;

/// Why a payload could not be read (400; the delivery is not stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("`{event}` payload: at `{path}`: {message}")]
    Invalid {
        event: String,
        path: String,
        message: String,
    },
    #[error("`{field}` is not a time: {value:?}")]
    BadTimestamp { field: String, value: String },
    #[error("`{field}` is missing")]
    MissingField { field: &'static str },
    #[error("`{field}` has an unknown value {value:?}")]
    UnknownValue { field: &'static str, value: String },
}

/// A repository as a webhook names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRef {
    pub github_id: i64,
    /// `owner/name`.
    pub full_name: String,
    /// Absent from installation payloads' repository lists.
    pub default_branch: Option<String>,
    pub private: bool,
}

/// A GitHub App installation: the account it was installed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationRef {
    pub id: i64,
    pub account_login: String,
    /// `User` or `Organization`; empty when GitHub leaves it out.
    pub account_type: String,
}

/// What one delivery says, by event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubDelivery {
    /// Sent once when a hook is created.
    Ping {
        hook_id: Option<i64>,
        zen: String,
        app_id: Option<i64>,
        /// Repository hooks name their repository; App and organisation hooks do not.
        repository: Option<RepositoryRef>,
        installation_id: Option<i64>,
    },
    /// An App installed, removed, suspended, …; `created` lists the repositories it covers.
    Installation {
        action: String,
        installation: InstallationRef,
        repositories: Vec<RepositoryRef>,
    },
    /// Repositories added to or removed from an installation.
    InstallationRepositories {
        action: String,
        installation: InstallationRef,
        added: Vec<RepositoryRef>,
        removed: Vec<RepositoryRef>,
    },
    /// One `commit` event per commit entry, in GitHub's order (a SHA may appear twice); a
    /// branch deletion gives one `branch_deleted` event and no commits.
    Push {
        repository: RepositoryRef,
        installation_id: Option<i64>,
        pusher: Person,
        /// The full ref: `refs/heads/main`, `refs/tags/v1`.
        git_ref: String,
        before: String,
        after: String,
        created: bool,
        deleted: bool,
        forced: bool,
        /// `repository.pushed_at`, when GitHub sent it.
        pushed_at: Option<Millis>,
        events: Vec<CodeEvent>,
    },
    PullRequest {
        repository: RepositoryRef,
        installation_id: Option<i64>,
        event: CodeEvent,
    },
    PullRequestReview {
        repository: RepositoryRef,
        installation_id: Option<i64>,
        event: CodeEvent,
    },
    /// `event` is a deploy only when `state` is `success`.
    DeploymentStatus {
        repository: RepositoryRef,
        installation_id: Option<i64>,
        state: String,
        event: Option<CodeEvent>,
    },
    /// A known event whose action Sentinel does not record (a pull request `labeled`, …).
    Ignored { event: String, action: String },
    /// An event Sentinel does not read; accepted and counted.
    Other { event: String },
}

impl GithubDelivery {
    /// The code events the delivery records, in order.
    pub fn code_events(&self) -> Vec<&CodeEvent> {
        match self {
            GithubDelivery::Push { events, .. } => events.iter().collect(),
            GithubDelivery::PullRequest { event, .. }
            | GithubDelivery::PullRequestReview { event, .. } => vec![event],
            GithubDelivery::DeploymentStatus { event, .. } => event.iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// Reads a delivery's body for its `X-GitHub-Event` name. Events Sentinel does not read are
/// `Other` whatever their body holds.
pub fn parse_delivery(event: &str, body: &[u8]) -> Result<GithubDelivery, PayloadError> {
    match event {
        "ping" => Ok(ping(decode(event, body)?)),
        "installation" => {
            let payload: wire::InstallationPayload = decode(event, body)?;
            Ok(GithubDelivery::Installation {
                action: payload.action,
                installation: installation(payload.installation),
                repositories: repositories(payload.repositories),
            })
        }
        "installation_repositories" => {
            let payload: wire::InstallationRepositoriesPayload = decode(event, body)?;
            Ok(GithubDelivery::InstallationRepositories {
                action: payload.action,
                installation: installation(payload.installation),
                added: repositories(payload.repositories_added),
                removed: repositories(payload.repositories_removed),
            })
        }
        "push" => push::delivery(decode(event, body)?),
        "pull_request" => pulls::pull_request_delivery(decode(event, body)?),
        "pull_request_review" => pulls::review_delivery(decode(event, body)?),
        "deployment_status" => deploys::status_delivery(decode(event, body)?),
        other => Ok(GithubDelivery::Other {
            event: other.to_string(),
        }),
    }
}

fn decode<T: DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, PayloadError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|err| PayloadError::Invalid {
        event: event.to_string(),
        path: err.path().to_string(),
        message: err.inner().to_string(),
    })
}

fn ping(payload: wire::PingPayload) -> GithubDelivery {
    GithubDelivery::Ping {
        hook_id: payload.hook_id,
        zen: payload.zen.unwrap_or_default(),
        app_id: payload.hook.and_then(|hook| hook.app_id),
        repository: payload.repository.map(repository),
        installation_id: payload.installation.map(|i| i.id),
    }
}

fn installation(wire: wire::WireInstallation) -> InstallationRef {
    InstallationRef {
        id: wire.id,
        account_login: wire.account.login,
        account_type: wire.account.account_type.unwrap_or_default(),
    }
}

fn repositories(list: Option<Vec<wire::WireRepository>>) -> Vec<RepositoryRef> {
    list.unwrap_or_default()
        .into_iter()
        .map(repository)
        .collect()
}

fn repository(wire: wire::WireRepository) -> RepositoryRef {
    RepositoryRef {
        github_id: wire.id,
        full_name: wire.full_name,
        default_branch: wire.default_branch,
        private: wire.private,
    }
}
