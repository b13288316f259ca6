//! The code side's jobs: applying a stored GitHub webhook delivery, attributing a commit, and
//! linking a deploy to the commits it shipped.
//!
//! | kind | payload | enqueued by |
//! |---|---|---|
//! | `github.delivery` | [`GithubDeliveryPayload`] | `POST /webhooks/github`, with the delivery |
//! | `code.attribute` | [`AttributeCommitPayload`] | `github.delivery` for each new commit, and again when a commit's pull request arrives |
//! | `code.link_deploy` | [`LinkDeployPayload`] | `github.delivery` for each new successful deploy |
//!
//! Call [`register`] once per runtime.

mod attribute;
mod deliveries;
mod deploys;
mod range;
mod source;

pub use attribute::{attribute_and_record, attribute_in_context};
pub use range::{Shipped, MAX_SHIPPED_COMMITS};
pub use source::{CommitReader, ReadCommit};

use crate::{handler_fn, JobRuntime};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const GITHUB_DELIVERY_KIND: &str = "github.delivery";
pub const ATTRIBUTE_COMMIT_KIND: &str = "code.attribute";
pub const LINK_DEPLOY_KIND: &str = "code.link_deploy";

/// `{delivery_id}`: the stored delivery to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubDeliveryPayload {
    pub delivery_id: String,
}

/// `{org_id, repository_id, sha}`: the commit to attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeCommitPayload {
    pub org_id: String,
    pub repository_id: String,
    pub sha: String,
}

/// `{org_id, deploy_event_id}`: the deploy code event to link to its commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDeployPayload {
    pub org_id: String,
    pub deploy_event_id: String,
}

/// What the code handlers share.
#[derive(Clone)]
pub struct CodeDeps {
    pub reader: CommitReader,
}

/// Registers the code handlers on `runtime`.
pub fn register(runtime: &mut JobRuntime, deps: CodeDeps) {
    let deps = Arc::new(deps);
    runtime.register(handler_fn(GITHUB_DELIVERY_KIND, move |ctx| async move {
        deliveries::run_github_delivery(ctx).await
    }));
    let attribute_deps = deps.clone();
    runtime.register(handler_fn(ATTRIBUTE_COMMIT_KIND, move |ctx| {
        let deps = attribute_deps.clone();
        async move { attribute::run_attribute_commit(&deps, ctx).await }
    }));
    runtime.register(handler_fn(LINK_DEPLOY_KIND, move |ctx| {
        let deps = deps.clone();
        async move { deploys::run_link_deploy(&deps, ctx).await }
    }));
}
