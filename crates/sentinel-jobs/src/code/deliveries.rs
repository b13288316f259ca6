//! `github.delivery`: applies a stored webhook delivery. Installations are recorded (and,
//! while the server has one organization, claimed by it); repositories attached or
//! detached; pushes, pull requests, reviews and deploys become code events, each new commit
//! a `code.attribute` job and each new deploy a `code.link_deploy` job. Every step is
//! idempotent, so a retried job changes nothing the first run already did.

use super::{
    AttributeCommitPayload, GithubDeliveryPayload, LinkDeployPayload, ATTRIBUTE_COMMIT_KIND,
    LINK_DEPLOY_KIND,
};
use crate::{JobContext, JobError};
use sentinel_core::code::CodeEventDetails;
use sentinel_core::id::{CodeEventId, OrgId};
use sentinel_ingest::github::{parse_delivery, GithubDelivery, InstallationRef, RepositoryRef};
use sentinel_store::code::{
    DeliveryStatus, GithubRepository, InstallationUpsert, NewCodeEvent, PendingCommit, Repository,
};
use sentinel_store::jobs::NewJob;
use sentinel_store::Store;

/// The most a stored payload may grow to when decompressed (GitHub caps bodies at 25 MB).
const MAX_PAYLOAD: usize = 32 * 1024 * 1024;

pub(super) async fn run_github_delivery(ctx: JobContext) -> Result<(), JobError> {
    let payload: GithubDeliveryPayload = ctx.payload()?;
    let store = &ctx.store;
    let Some(delivery) = store.get_webhook_delivery(&payload.delivery_id).await? else {
        return Err(JobError::permanent("delivery not found"));
    };
    let body = zstd::bulk::decompress(&delivery.payload, MAX_PAYLOAD)
        .map_err(|e| JobError::permanent(format!("stored payload: {e}")))?;
    let parsed = parse_delivery(&delivery.event, &body)
        .map_err(|e| JobError::permanent(format!("stored payload: {e}")))?;
    let now = ctx.now_ms();
    let outcome = apply(store, &parsed, &delivery.delivery_id, now).await?;
    let (status, org) = match outcome {
        Some(org) => (DeliveryStatus::Processed, Some(org)),
        None => (DeliveryStatus::Ignored, None),
    };
    store
        .mark_webhook_delivery(&delivery.delivery_id, status, None, org.as_ref(), now)
        .await?;
    Ok(())
}

/// Applies a delivery; the organization it concerned, or `None` when nobody watches it.
async fn apply(
    store: &Store,
    delivery: &GithubDelivery,
    delivery_id: &str,
    now: i64,
) -> Result<Option<OrgId>, JobError> {
    match delivery {
        GithubDelivery::Installation {
            action,
            installation,
            repositories,
        } => {
            if action == "deleted" {
                store.remove_installation(installation.id, now).await?;
                return Ok(None);
            }
            let org = record_installation(store, installation, action == "suspend", now).await?;
            if let Some(org) = &org {
                store
                    .attach_installation_repositories(
                        org,
                        installation.id,
                        &github_repositories(repositories),
                        now,
                    )
                    .await?;
            }
            Ok(org)
        }
        GithubDelivery::InstallationRepositories {
            installation,
            added,
            removed,
            ..
        } => {
            let org = record_installation(store, installation, false, now).await?;
            if let Some(org) = &org {
                store
                    .attach_installation_repositories(
                        org,
                        installation.id,
                        &github_repositories(added),
                        now,
                    )
                    .await?;
            }
            let removed: Vec<i64> = removed.iter().map(|r| r.github_id).collect();
            store
                .detach_installation_repositories(installation.id, &removed, now)
                .await?;
            Ok(org)
        }
        GithubDelivery::Push {
            repository,
            installation_id,
            events,
            ..
        } => {
            let Some((org, repo)) = watched(store, *installation_id, repository).await? else {
                return Ok(None);
            };
            record_events(store, &org, &repo, events.iter().cloned(), delivery_id, now).await?;
            let pending: Vec<PendingCommit> = events
                .iter()
                .filter_map(|event| match &event.details {
                    CodeEventDetails::Commit(commit) => Some(PendingCommit::from_push(commit)),
                    _ => None,
                })
                .collect();
            let new = store
                .upsert_pending_commits(&org, &repo.id, &pending)
                .await?;
            for sha in new {
                enqueue_attribution(store, &org, &repo, &sha, now).await?;
            }
            Ok(Some(org))
        }
        GithubDelivery::PullRequest {
            repository,
            installation_id,
            event,
        } => {
            let Some((org, repo)) = watched(store, *installation_id, repository).await? else {
                return Ok(None);
            };
            record_events(store, &org, &repo, [event.clone()], delivery_id, now).await?;
            // The pull request's words are a signal for its head commit: attribute it again.
            if let Some(sha) = event.sha() {
                enqueue_attribution(store, &org, &repo, sha, now).await?;
            }
            Ok(Some(org))
        }
        GithubDelivery::PullRequestReview {
            repository,
            installation_id,
            event,
        } => {
            let Some((org, repo)) = watched(store, *installation_id, repository).await? else {
                return Ok(None);
            };
            record_events(store, &org, &repo, [event.clone()], delivery_id, now).await?;
            Ok(Some(org))
        }
        GithubDelivery::DeploymentStatus {
            repository,
            installation_id,
            event: Some(event),
            ..
        } => {
            let Some((org, repo)) = watched(store, *installation_id, repository).await? else {
                return Ok(None);
            };
            let added =
                record_events(store, &org, &repo, [event.clone()], delivery_id, now).await?;
            for deploy_event in added {
                enqueue_deploy_link(store, &org, &deploy_event, now).await?;
            }
            Ok(Some(org))
        }
        GithubDelivery::DeploymentStatus { event: None, .. }
        | GithubDelivery::Ping { .. }
        | GithubDelivery::Ignored { .. }
        | GithubDelivery::Other { .. } => Ok(None),
    }
}

/// Records the installation and finds its organization: the one that claimed it, else the
/// only organization there is (which then claims it).
async fn record_installation(
    store: &Store,
    installation: &InstallationRef,
    suspended: bool,
    now: i64,
) -> Result<Option<OrgId>, JobError> {
    let stored = store
        .upsert_installation(
            &InstallationUpsert {
                github_id: installation.id,
                account_login: installation.account_login.clone(),
                account_type: installation.account_type.clone(),
                suspended,
            },
            now,
        )
        .await?;
    if let Some(org) = stored.org_id {
        return Ok(Some(org));
    }
    claim_for_only_org(store, installation.id, now).await
}

async fn claim_for_only_org(
    store: &Store,
    installation_id: i64,
    now: i64,
) -> Result<Option<OrgId>, JobError> {
    let orgs = store.list_organizations().await?;
    let [only] = orgs.as_slice() else {
        return Ok(None);
    };
    match store
        .claim_installation(installation_id, &only.id, now)
        .await
    {
        Ok(claimed) => Ok(claimed.org_id),
        Err(sentinel_store::code::ClaimInstallationError::Store(err)) => Err(err.into()),
        Err(_) => Ok(None),
    }
}

/// The organization and repository a delivery is about, when someone watches it.
async fn watched(
    store: &Store,
    installation_id: Option<i64>,
    repository: &RepositoryRef,
) -> Result<Option<(OrgId, Repository)>, JobError> {
    let Some(installation_id) = installation_id else {
        return Ok(None);
    };
    let org = match store.find_installation(installation_id).await? {
        Some(found) => match found.org_id {
            Some(org) => Some(org),
            None => claim_for_only_org(store, installation_id, 0).await?,
        },
        None => None,
    };
    let Some(org) = org else {
        return Ok(None);
    };
    let repo = match store
        .get_repository_by_github_id(&org, repository.github_id)
        .await?
    {
        Some(repo) => Some(repo),
        None => {
            store
                .get_repository_by_full_name(&org, &repository.full_name)
                .await?
        }
    };
    Ok(repo.map(|repo| (org, repo)))
}

async fn record_events(
    store: &Store,
    org: &OrgId,
    repo: &Repository,
    events: impl IntoIterator<Item = sentinel_core::code::CodeEvent>,
    delivery_id: &str,
    now: i64,
) -> Result<Vec<CodeEventId>, JobError> {
    let events: Vec<NewCodeEvent> = events
        .into_iter()
        .map(|event| NewCodeEvent::new(event, Some(delivery_id.to_owned())))
        .collect();
    Ok(store
        .insert_code_events(org, &repo.id, &events, now)
        .await?)
}

async fn enqueue_deploy_link(
    store: &Store,
    org: &OrgId,
    deploy_event: &CodeEventId,
    now: i64,
) -> Result<(), JobError> {
    let payload = LinkDeployPayload {
        org_id: org.as_str().to_owned(),
        deploy_event_id: deploy_event.as_str().to_owned(),
    };
    let job = NewJob::with_payload(LINK_DEPLOY_KIND, &payload)
        .map_err(|e| JobError::permanent(e.to_string()))?
        .org(org.clone())
        .dedup_key(format!("link-deploy:{deploy_event}"));
    store.enqueue(&job, now).await?;
    Ok(())
}

async fn enqueue_attribution(
    store: &Store,
    org: &OrgId,
    repo: &Repository,
    sha: &str,
    now: i64,
) -> Result<(), JobError> {
    let payload = AttributeCommitPayload {
        org_id: org.as_str().to_owned(),
        repository_id: repo.id.as_str().to_owned(),
        sha: sha.to_owned(),
    };
    let job = NewJob::with_payload(ATTRIBUTE_COMMIT_KIND, &payload)
        .map_err(|e| JobError::permanent(e.to_string()))?
        .org(org.clone())
        .dedup_key(format!("attribute:{}:{sha}", repo.id));
    store.enqueue(&job, now).await?;
    Ok(())
}

fn github_repositories(list: &[RepositoryRef]) -> Vec<GithubRepository> {
    list.iter()
        .map(|r| GithubRepository {
            github_id: r.github_id,
            full_name: r.full_name.clone(),
            // Installation payloads leave the default branch out; a push corrects it later.
            default_branch: r.default_branch.clone().unwrap_or_else(|| "main".into()),
        })
        .collect()
}
