//! `sentinel service map`, in-process on both backends: a service found by name or id is
//! linked or mapped to a repository the organization watches; unknown services, unwatched
//! repositories and `..` in a root are refused; mapping twice says so and adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel::cli::ServiceMapArgs;
use sentinel::code_mappings::map_in;
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_store::code::NewRepository;
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::Store;
use std::sync::Arc;

fn args(service: &str, repo: &str, stack: &str, source: &str) -> ServiceMapArgs {
    ServiceMapArgs {
        service: service.into(),
        repo: repo.into(),
        stack_root: stack.into(),
        source_root: source.into(),
        branch: None,
        org: None,
    }
}

async fn a_service_is_linked_and_mapped_to_a_watched_repository(store: Store) {
    let clock: SharedClock = Arc::new(ManualClock::new(5_000));
    let org = store
        .create_organization(
            &NewOrganization {
                slug: "acme".into(),
                name: "Acme".into(),
            },
            0,
        )
        .await
        .unwrap();
    let service = store
        .create_service(
            &org.id,
            &NewService {
                name: "shop".into(),
                platform: "python".into(),
            },
            0,
        )
        .await
        .unwrap();
    store
        .create_repository(
            &org.id,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            0,
        )
        .await
        .unwrap();

    let linked = map_in(&store, &clock, &args("shop", "acme/shop", "", ""))
        .await
        .unwrap();
    assert_eq!(linked, "shop is linked to acme/shop.\n");
    let mapped = map_in(
        &store,
        &clock,
        &args(service.id.as_str(), "acme/shop", "/srv/app/", "backend/"),
    )
    .await
    .unwrap();
    assert!(mapped.contains("\"/srv/app/\""), "{mapped}");
    let again = map_in(&store, &clock, &args("shop", "acme/shop", "", ""))
        .await
        .unwrap();
    assert!(again.contains("already maps"), "{again}");
    let mappings = store
        .list_code_mappings(&org.id, &service.id)
        .await
        .unwrap();
    assert_eq!(mappings.len(), 2);
    assert!(mappings
        .iter()
        .any(|m| m.stack_root == "/srv/app/" && m.source_root == "backend/"));

    let unknown = map_in(&store, &clock, &args("billing", "acme/shop", "", ""))
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no service named"),
        "{unknown}"
    );
    let unwatched = map_in(&store, &clock, &args("shop", "acme/other", "", ""))
        .await
        .unwrap_err();
    assert!(
        unwatched
            .to_string()
            .contains("sentinel repo add acme/other"),
        "{unwatched}"
    );
    let climbing = map_in(
        &store,
        &clock,
        &args("shop", "acme/shop", "/srv/../etc", ""),
    )
    .await
    .unwrap_err();
    assert!(climbing.to_string().contains(".."), "{climbing}");
    let bad_name = map_in(&store, &clock, &args("shop", "not a repo", "", ""))
        .await
        .unwrap_err();
    assert!(!bad_name.to_string().is_empty());
    assert_eq!(
        store
            .list_code_mappings(&org.id, &service.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

sentinel_store::store_tests!(a_service_is_linked_and_mapped_to_a_watched_repository,);
