//! `sentinel repo add` and `sentinel github claim`: the repositories an organization watches
//! and the GitHub App installations it owns, set from the command line.
//!
//! Like the other one-shot commands, each returns what it prints; refusals are errors with a
//! message that says what to do instead.

use crate::cli::{GithubClaimArgs, RepoAddArgs};
use crate::commands::resolve_org;
use crate::server::open_store;
use anyhow::{bail, Context as _};
use sentinel_core::clock::SharedClock;
use sentinel_core::code::parse_full_name;
use sentinel_core::id::OrgId;
use sentinel_store::code::{ClaimInstallationError, NewRepository, Repository, RepositoryPatch};
use sentinel_store::{Store, StoreError};
use std::path::Path;

/// A local clone as a repository records it: its absolute path and the default branch.
#[derive(Debug, Clone)]
pub(crate) struct CloneFacts {
    pub path: String,
    pub default_branch: String,
}

/// Opens the clone at `path` and reads what a repository records of it.
pub(crate) async fn inspect_clone(path: &Path) -> anyhow::Result<CloneFacts> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let absolute = std::fs::canonicalize(&path)
            .with_context(|| format!("cannot open the clone {}", path.display()))?;
        let repo = sentinel_git::Repo::open(&absolute)?;
        let default_branch = repo.default_branch()?;
        let path = absolute
            .to_str()
            .with_context(|| format!("the clone's path {} is not UTF-8", absolute.display()))?
            .to_owned();
        Ok(CloneFacts {
            path,
            default_branch,
        })
    })
    .await
    .context("inspecting the clone")?
}

/// What [`watch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Watched {
    Created,
    CloneChanged,
    Unchanged,
}

/// The organization's repository `full_name`, created if it is not there yet, with its clone
/// path set to `clone` when one is given.
pub(crate) async fn watch(
    store: &Store,
    org: &OrgId,
    full_name: &str,
    clone: Option<&CloneFacts>,
    now: i64,
) -> anyhow::Result<(Repository, Watched)> {
    if let Some(existing) = store.get_repository_by_full_name(org, full_name).await? {
        let Some(clone) = clone else {
            return Ok((existing, Watched::Unchanged));
        };
        if existing.clone_path.as_deref() == Some(clone.path.as_str()) {
            return Ok((existing, Watched::Unchanged));
        }
        let patch = RepositoryPatch {
            clone_path: Some(Some(clone.path.clone())),
            ..RepositoryPatch::default()
        };
        let updated = store
            .update_repository(org, &existing.id, &patch, now)
            .await?
            .with_context(|| format!("{full_name} was removed while being changed"))?;
        return Ok((updated, Watched::CloneChanged));
    }
    let new = NewRepository {
        full_name: full_name.to_owned(),
        default_branch: clone
            .map(|c| c.default_branch.clone())
            .unwrap_or_else(|| "main".to_owned()),
        clone_path: clone.map(|c| c.path.clone()),
        ..NewRepository::default()
    };
    match store.create_repository(org, &new, now).await {
        Ok(repo) => {
            tracing::info!(repository = %repo.id, full_name = %repo.full_name, org = %org,
                "repository added");
            Ok((repo, Watched::Created))
        }
        // Added by someone else (a webhook, another command) in the meantime: use theirs.
        Err(StoreError::Conflict(_)) => store
            .get_repository_by_full_name(org, full_name)
            .await?
            .map(|repo| (repo, Watched::Unchanged))
            .with_context(|| format!("{full_name} could not be added")),
        Err(other) => Err(other.into()),
    }
}

/// `sentinel repo add OWNER/NAME [--clone PATH]`.
pub async fn add(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &RepoAddArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = add_in(&store, clock, args).await;
    store.close().await;
    result
}

/// [`add`] on an open store.
pub async fn add_in(
    store: &Store,
    clock: &SharedClock,
    args: &RepoAddArgs,
) -> anyhow::Result<String> {
    let full_name = parse_full_name(&args.full_name)?;
    let clone = match &args.clone {
        Some(path) => Some(inspect_clone(path).await?),
        None => None,
    };
    let org = resolve_org(store, args.org.as_deref()).await?;
    let (mut repo, watched) =
        watch(store, &org.id, &full_name, clone.as_ref(), clock.now_ms()).await?;
    let mut test_note = String::new();
    if let Some(command) = &args.test_command {
        let argv: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        let mut settings = repo.settings.clone();
        test_note = if argv.is_empty() {
            "The autopsy no longer runs regression tests in it.\n".to_string()
        } else {
            format!(
                "The autopsy runs its regression tests there with `{}`.\n",
                argv.join(" ")
            )
        };
        settings.test_command = argv;
        let patch = RepositoryPatch {
            settings: Some(settings),
            ..RepositoryPatch::default()
        };
        repo = store
            .update_repository(&org.id, &repo.id, &patch, clock.now_ms())
            .await?
            .with_context(|| format!("{full_name} was removed while being changed"))?;
    }
    let clone_note = match &repo.clone_path {
        Some(path) => format!(" with the local clone {path}"),
        None => String::new(),
    };
    let answer = match watched {
        Watched::Created => format!(
            "Added {} to {}{clone_note} (default branch {}).\n",
            repo.full_name, org.slug, repo.default_branch
        ),
        Watched::CloneChanged => format!(
            "{} in {} now reads its commits from {}.\n",
            repo.full_name,
            org.slug,
            repo.clone_path.as_deref().unwrap_or_default()
        ),
        Watched::Unchanged => {
            format!(
                "{} is already in {}{clone_note}.\n",
                repo.full_name, org.slug
            )
        }
    };
    Ok(answer + &test_note)
}

/// `sentinel github claim INSTALLATION_ID --org SLUG`.
pub async fn claim(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &GithubClaimArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = claim_in(&store, clock, args).await;
    store.close().await;
    result
}

/// [`claim`] on an open store.
pub async fn claim_in(
    store: &Store,
    clock: &SharedClock,
    args: &GithubClaimArgs,
) -> anyhow::Result<String> {
    let org = resolve_org(store, args.org.as_deref()).await?;
    let id = args.installation_id;
    match store.claim_installation(id, &org.id, clock.now_ms()).await {
        Ok(installation) => {
            tracing::info!(installation = id, org = %org.id, "installation claimed");
            let deleted = if installation.deleted {
                " (it has been uninstalled on GitHub: reinstall the App to receive its webhooks)"
            } else {
                ""
            };
            Ok(format!(
                "Installation {id} ({} {}) belongs to {}{deleted}.\n",
                installation.account_type, installation.account_login, org.slug
            ))
        }
        Err(ClaimInstallationError::NotFound) => bail!(
            "no installation {id} is known: install the GitHub App on the account first, so that \
             its installation webhook reaches this server"
        ),
        Err(ClaimInstallationError::ClaimedByAnother) => {
            bail!("installation {id} already belongs to another organization; it was not changed")
        }
        Err(ClaimInstallationError::Store(err)) => Err(err.into()),
    }
}
