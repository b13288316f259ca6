//! What deploys shipped, on both backends: a link is written once however often its job
//! runs, read back in order, and answers "which deploys shipped this commit".
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{create_org, T0};
use sentinel_core::code::{CodeEvent, CodeEventDetails, DeployDetails};
use sentinel_core::id::{CodeEventId, OrgId, RepositoryId};
use sentinel_store::code::{DeployRange, DeployRangeSource, NewCodeEvent, NewRepository};
use sentinel_store::Store;

async fn repo(store: &Store, org: &OrgId) -> RepositoryId {
    store
        .create_repository(
            org,
            &NewRepository {
                full_name: "acme/app".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await
        .unwrap()
        .id
}

async fn deploy(
    store: &Store,
    org: &OrgId,
    repo: &RepositoryId,
    id: i64,
    sha: &str,
    at: i64,
) -> CodeEventId {
    let event = NewCodeEvent::new(
        CodeEvent {
            occurred_at: at,
            actor: "ada".into(),
            details: CodeEventDetails::Deploy(DeployDetails {
                deployment_id: id,
                sha: sha.into(),
                environment: "production".into(),
                creator_login: None,
            }),
        },
        Some(format!("delivery-{id}")),
    );
    let ids = store
        .insert_code_events(org, repo, &[event], T0)
        .await
        .unwrap();
    ids.into_iter().next().unwrap()
}

fn sha(n: u32) -> String {
    format!("{n:040}")
}

async fn deploys_are_linked_once_and_found_by_the_commits_they_shipped(store: Store) {
    let org = create_org(&store).await;
    let repo = repo(&store, &org).await;
    let first = deploy(&store, &org, &repo, 1, &sha(2), T0 + 1_000).await;
    let second = deploy(&store, &org, &repo, 2, &sha(5), T0 + 2_000).await;

    let first_range = DeployRange {
        deploy_event_id: first.clone(),
        repository_id: repo.clone(),
        environment: "production".into(),
        head_sha: sha(2),
        deployed_at: T0 + 1_000,
        previous_deploy_id: None,
        base_sha: None,
        source: DeployRangeSource::Clone,
        shas: vec![sha(2), sha(1)],
        truncated: false,
    };
    let second_range = DeployRange {
        deploy_event_id: second.clone(),
        head_sha: sha(5),
        deployed_at: T0 + 2_000,
        previous_deploy_id: Some(first.clone()),
        base_sha: Some(sha(2)),
        source: DeployRangeSource::Github,
        shas: vec![sha(5), sha(4), sha(3)],
        truncated: true,
        ..first_range.clone()
    };
    store.link_deploy(&org, &first_range, T0).await.unwrap();
    store.link_deploy(&org, &second_range, T0).await.unwrap();
    // The job running again writes the same rows, not a second set.
    store
        .link_deploy(&org, &second_range, T0 + 5)
        .await
        .unwrap();

    let read = store
        .get_deploy_range(&org, &second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, second_range);
    let other = create_org(&store).await;
    assert!(store
        .get_deploy_range(&other, &second)
        .await
        .unwrap()
        .is_none());

    let shipping = store.deploys_shipping(&org, &repo, &sha(4)).await.unwrap();
    assert_eq!(shipping.len(), 1);
    assert_eq!(shipping[0].deploy_event_id, second);
    assert_eq!(shipping[0].deployed_at, T0 + 2_000);
    let oldest = store.deploys_shipping(&org, &repo, &sha(1)).await.unwrap();
    assert_eq!(oldest.len(), 1);
    assert_eq!(oldest[0].head_sha, sha(2));
    assert!(store
        .deploys_shipping(&org, &repo, &sha(9))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .deploys_shipping(&other, &repo, &sha(4))
        .await
        .unwrap()
        .is_empty());

    // A relink with fewer commits replaces the list.
    let shorter = DeployRange {
        shas: vec![sha(5)],
        truncated: false,
        ..second_range
    };
    store.link_deploy(&org, &shorter, T0 + 6).await.unwrap();
    assert!(store
        .deploys_shipping(&org, &repo, &sha(4))
        .await
        .unwrap()
        .is_empty());
}

sentinel_store::store_tests!(deploys_are_linked_once_and_found_by_the_commits_they_shipped,);
