//! Code mappings and incidents' suspect commits on both backends: mappings are org-scoped,
//! unique per root and deleted with their service; a suspect is replaced, not duplicated.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{error_event, org_with_service, write, T0};
use sentinel_core::id::{CodeMappingId, OrgId, RepositoryId};
use sentinel_store::code::{IncidentSuspect, NewCodeMapping, NewRepository};
use sentinel_store::{Store, StoreError};

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

async fn code_mappings_are_org_scoped_and_unique_per_root(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let repository = repo(&store, &org).await;
    let (other_org, other_service) = org_with_service(&store).await;
    let new = NewCodeMapping {
        service_id: service.clone(),
        repository_id: repository.clone(),
        stack_root: "/srv/app/".into(),
        source_root: "backend/".into(),
        branch: None,
    };
    let created = store.create_code_mapping(&org, &new, T0).await.unwrap();
    assert_eq!(created.path_mapping().source_root, "backend/");
    let link = NewCodeMapping {
        stack_root: String::new(),
        source_root: String::new(),
        branch: Some("release".into()),
        ..new.clone()
    };
    store
        .create_code_mapping(&org, &link, T0 + 1)
        .await
        .unwrap();
    assert!(matches!(
        store.create_code_mapping(&org, &new, T0 + 2).await,
        Err(StoreError::Conflict(_))
    ));
    // Another organization's service or repository is not found.
    let foreign = NewCodeMapping {
        service_id: other_service.clone(),
        ..new.clone()
    };
    assert!(matches!(
        store.create_code_mapping(&org, &foreign, T0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.create_code_mapping(&other_org, &new, T0).await,
        Err(StoreError::NotFound)
    ));

    let listed = store.list_code_mappings(&org, &service).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], created);
    assert_eq!(listed[1].branch.as_deref(), Some("release"));
    assert!(store
        .list_code_mappings(&other_org, &service)
        .await
        .unwrap()
        .is_empty());
    assert!(!store
        .delete_code_mapping(&other_org, &created.id)
        .await
        .unwrap());
    assert!(store.delete_code_mapping(&org, &created.id).await.unwrap());
    assert!(!store
        .delete_code_mapping(&org, &CodeMappingId::generate())
        .await
        .unwrap());
    assert_eq!(
        store
            .list_code_mappings(&org, &service)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn an_incidents_suspect_is_replaced_not_duplicated(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let repository = repo(&store, &org).await;
    let outcomes = write(&store, &[error_event(&org, &service, "e1", "fp", T0)], T0).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    assert!(store
        .get_incident_suspect(&org, &incident)
        .await
        .unwrap()
        .is_none());
    let suspect = IncidentSuspect {
        incident_id: incident.clone(),
        repository_id: repository.clone(),
        sha: "a".repeat(40),
        path: "app/users.py".into(),
        line: Some(13),
        revision: "b".repeat(40),
        reason: "blame of app/users.py:13 at bbbbbbb".into(),
        author_name: Some("Ada".into()),
        author_email: Some("ada@example.com".into()),
        authored_at: Some(T0 - 1_000),
        ai_confidence: Some(0.97),
        method: Some("declared".into()),
        tool: Some("claude_code".into()),
        found_at: T0,
    };
    store.set_incident_suspect(&org, &suspect).await.unwrap();
    assert_eq!(
        store.get_incident_suspect(&org, &incident).await.unwrap(),
        Some(suspect.clone())
    );
    let (other_org, _) = org_with_service(&store).await;
    assert!(store
        .get_incident_suspect(&other_org, &incident)
        .await
        .unwrap()
        .is_none());
    let later = IncidentSuspect {
        sha: "c".repeat(40),
        line: None,
        reason: "last change to app/users.py before first seen".into(),
        ai_confidence: None,
        method: None,
        tool: None,
        found_at: T0 + 5,
        ..suspect
    };
    store.set_incident_suspect(&org, &later).await.unwrap();
    assert_eq!(
        store.get_incident_suspect(&org, &incident).await.unwrap(),
        Some(later)
    );
}

sentinel_store::store_tests!(
    code_mappings_are_org_scoped_and_unique_per_root,
    an_incidents_suspect_is_replaced_not_duplicated,
);
