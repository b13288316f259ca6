//! The code store on both backends: installations and repositories.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{create_org, T0};
use sentinel_core::code::RiskTier;
use sentinel_store::code::{
    ClaimInstallationError, GithubRepository, InstallationUpsert, NewRepository, RepositoryPatch,
    RepositorySettings, RiskPattern,
};
use sentinel_store::{Store, StoreError};

fn installation(github_id: i64) -> InstallationUpsert {
    InstallationUpsert {
        github_id,
        account_login: "Codertocat".into(),
        account_type: "User".into(),
        suspended: false,
    }
}

async fn installations_are_claimed_once_and_removal_detaches(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let created = store
        .upsert_installation(&installation(957387), T0)
        .await
        .unwrap();
    assert_eq!(created.org_id, None);
    assert_eq!(store.list_unclaimed_installations().await.unwrap().len(), 1);

    let claimed = store
        .claim_installation(957387, &org, T0 + 1)
        .await
        .unwrap();
    assert_eq!(claimed.org_id.as_ref(), Some(&org));
    assert_eq!(claimed.claimed_at, Some(T0 + 1));
    // Claiming again keeps the first claim time; another organization is refused.
    let again = store
        .claim_installation(957387, &org, T0 + 2)
        .await
        .unwrap();
    assert_eq!(again.claimed_at, Some(T0 + 1));
    assert!(matches!(
        store.claim_installation(957387, &other, T0 + 3).await,
        Err(ClaimInstallationError::ClaimedByAnother)
    ));
    assert!(matches!(
        store.claim_installation(1, &org, T0).await,
        Err(ClaimInstallationError::NotFound)
    ));
    assert!(store
        .list_unclaimed_installations()
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_installations(&other).await.unwrap().is_empty());

    let repos = store
        .attach_installation_repositories(
            &org,
            957387,
            &[GithubRepository {
                github_id: 1296269,
                full_name: "Codertocat/Hello-World".into(),
                default_branch: "main".into(),
            }],
            T0 + 4,
        )
        .await
        .unwrap();
    assert_eq!(repos[0].installation_id, Some(957387));
    assert!(store.remove_installation(957387, T0 + 5).await.unwrap());
    let found = store.find_installation(957387).await.unwrap().unwrap();
    assert!(found.deleted);
    let repo = store
        .get_repository(&org, &repos[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(repo.installation_id, None);
    // A re-installation is live again and keeps its claim.
    let back = store
        .upsert_installation(&installation(957387), T0 + 6)
        .await
        .unwrap();
    assert!(!back.deleted);
    assert_eq!(back.org_id.as_ref(), Some(&org));
}

async fn repositories_are_org_scoped_paged_and_patched(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let mut ids = Vec::new();
    for name in ["acme/c", "acme/a", "acme/b"] {
        let repo = store
            .create_repository(
                &org,
                &NewRepository {
                    full_name: name.into(),
                    default_branch: "main".into(),
                    ..NewRepository::default()
                },
                T0,
            )
            .await
            .unwrap();
        ids.push(repo.id);
    }
    let duplicate = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/a".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));

    let first = store.list_repositories(&org, None, 2).await.unwrap();
    let names: Vec<_> = first.items.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, ["acme/a", "acme/b"]);
    let rest = store
        .list_repositories(&org, first.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].full_name, "acme/c");
    assert_eq!(rest.next_cursor, None);
    assert!(store.list_repositories(&org, Some("zz"), 2).await.is_err());

    // Another organization sees and changes nothing.
    assert!(store
        .list_repositories(&other, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .get_repository(&other, &ids[0])
        .await
        .unwrap()
        .is_none());
    assert!(store
        .update_repository(&other, &ids[0], &RepositoryPatch::default(), T0)
        .await
        .unwrap()
        .is_none());

    let settings = RepositorySettings {
        risk_patterns: vec![RiskPattern {
            pattern: "src/billing/**".into(),
            tier: RiskTier::T3,
        }],
    };
    let patched = store
        .update_repository(
            &org,
            &ids[0],
            &RepositoryPatch {
                clone_path: Some(Some("/srv/acme-c".into())),
                settings: Some(settings.clone()),
                ..RepositoryPatch::default()
            },
            T0 + 1,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(patched.clone_path.as_deref(), Some("/srv/acme-c"));
    assert_eq!(patched.settings, settings);
    assert_eq!(patched.default_branch, "main");
    let cleared = store
        .update_repository(
            &org,
            &ids[0],
            &RepositoryPatch {
                clone_path: Some(None),
                ..RepositoryPatch::default()
            },
            T0 + 2,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.clone_path, None);
    assert_eq!(cleared.settings, settings);

    // An installation adopts a hand-added repository by full name.
    let adopted = store
        .attach_installation_repositories(
            &org,
            7,
            &[GithubRepository {
                github_id: 42,
                full_name: "acme/b".into(),
                default_branch: "trunk".into(),
            }],
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(adopted[0].id, ids[2]);
    let by_github = store
        .get_repository_by_github_id(&org, 42)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_github.default_branch, "trunk");
    assert!(store
        .get_repository_by_github_id(&other, 42)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .detach_installation_repositories(7, &[42], T0 + 4)
            .await
            .unwrap(),
        1
    );
    let by_name = store
        .get_repository_by_full_name(&org, "acme/b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.installation_id, None);
}

sentinel_store::store_tests!(
    installations_are_claimed_once_and_removal_detaches,
    repositories_are_org_scoped_paged_and_patched,
);
