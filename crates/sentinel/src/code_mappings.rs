//! `sentinel service map SERVICE --repo OWNER/NAME [--stack-root P --source-root P]`: which
//! repository a service's stack frames come from, so the autopsy can blame the right file.

use crate::cli::ServiceMapArgs;
use crate::commands::resolve_org;
use crate::server::open_store;
use anyhow::{bail, Context as _};
use sentinel_core::clock::SharedClock;
use sentinel_core::code::parse_full_name;
use sentinel_core::id::ServiceId;
use sentinel_store::code::NewCodeMapping;
use sentinel_store::{Store, StoreError};

/// `sentinel service map`.
pub async fn map(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &ServiceMapArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = map_in(&store, clock, args).await;
    store.close().await;
    result
}

/// [`map`] on an open store.
pub async fn map_in(
    store: &Store,
    clock: &SharedClock,
    args: &ServiceMapArgs,
) -> anyhow::Result<String> {
    let org = resolve_org(store, args.org.as_deref()).await?;
    let full_name = parse_full_name(&args.repo)?;
    let service = match store
        .find_service_by_name(&org.id, args.service.trim())
        .await?
    {
        Some(service) => service,
        None => store
            .get_service(&org.id, &ServiceId::from_string(args.service.trim()))
            .await?
            .with_context(|| format!("{} has no service named {:?}", org.slug, args.service))?,
    };
    let Some(repository) = store
        .get_repository_by_full_name(&org.id, &full_name)
        .await?
    else {
        bail!(
            "{} does not watch {full_name}; add it first with `sentinel repo add {full_name}`",
            org.slug
        );
    };
    for (name, root) in [
        ("--stack-root", &args.stack_root),
        ("--source-root", &args.source_root),
    ] {
        if root.split(['/', '\\']).any(|part| part == "..") {
            bail!("{name} may not contain ..");
        }
    }
    let new = NewCodeMapping {
        service_id: service.id.clone(),
        repository_id: repository.id.clone(),
        stack_root: args.stack_root.trim().to_owned(),
        source_root: args.source_root.trim().to_owned(),
        branch: args.branch.clone().filter(|b| !b.trim().is_empty()),
    };
    match store
        .create_code_mapping(&org.id, &new, clock.now_ms())
        .await
    {
        Ok(mapping) => {
            tracing::info!(mapping = %mapping.id, service = %service.id, repository = %repository.id,
                "code mapping added");
            Ok(if new.stack_root.is_empty() && new.source_root.is_empty() {
                format!("{} is linked to {full_name}.\n", service.name)
            } else {
                format!(
                    "{}: frames under {:?} are read from {full_name} at {:?}.\n",
                    service.name, new.stack_root, new.source_root
                )
            })
        }
        Err(StoreError::Conflict(_)) => Ok(format!(
            "{} already maps {:?} to {full_name}.\n",
            service.name, new.stack_root
        )),
        Err(other) => Err(other.into()),
    }
}
