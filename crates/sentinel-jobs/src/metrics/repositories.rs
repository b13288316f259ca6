//! Every repository of every organization, with the organization's metrics settings.

use sentinel_core::id::OrgId;
use sentinel_core::metrics::{MetricsSettings, Tz};
use sentinel_store::code::{ListError, Repository};
use sentinel_store::{Store, StoreError, StoreResult};

/// An organization's repositories and the settings they are measured with.
#[derive(Debug)]
pub(super) struct OrgRepositories {
    pub org: OrgId,
    pub settings: MetricsSettings,
    pub tz: Tz,
    pub repositories: Vec<Repository>,
}

pub(super) async fn all_repositories(store: &Store) -> StoreResult<Vec<OrgRepositories>> {
    let mut all = Vec::new();
    for org in store.list_organizations().await? {
        let settings = store.get_metrics_settings(&org.id).await?;
        let tz = settings.tz().unwrap_or_else(|err| {
            tracing::warn!(org = %org.id, error = %err, "metrics use UTC");
            Tz::UTC
        });
        let mut repositories = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_repositories(&org.id, cursor.as_deref(), 200)
                .await
                .map_err(|e| match e {
                    ListError::Store(err) => err,
                    other => StoreError::Corrupt(format!("repositories: {other}")),
                })?;
            repositories.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        all.push(OrgRepositories {
            org: org.id,
            settings,
            tz,
            repositories,
        });
    }
    Ok(all)
}
