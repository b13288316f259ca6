//! One organization can neither read nor change another's rows: every org-scoped tenancy
//! method is tried with the other organization's ids, on both backends.
#![allow(clippy::unwrap_used)]

use sentinel_core::id::OrgId;
use sentinel_core::role::Role;
use sentinel_store::tenancy::{NewApiKey, NewOrganization, NewService, NewUser, ServicePatch};
use sentinel_store::{Store, StoreError};

const NOW: i64 = 1_700_000_000_000;

async fn org(store: &Store, slug: &str) -> OrgId {
    store
        .create_organization(
            &NewOrganization {
                slug: slug.to_string(),
                name: slug.to_string(),
            },
            NOW,
        )
        .await
        .unwrap()
        .id
}

async fn one_organization_cannot_touch_anothers_rows(store: Store) {
    let victim = org(&store, "victim").await;
    let intruder = org(&store, "intruder").await;

    // The victim's rows.
    let service = store
        .create_service(
            &victim,
            &NewService {
                name: "payments".to_string(),
                platform: "node".to_string(),
            },
            NOW,
        )
        .await
        .unwrap();
    let key = store
        .create_service_key(&victim, &service.id, "pk_victim", None, NOW)
        .await
        .unwrap();
    let api_key = store
        .create_api_key(
            &victim,
            &NewApiKey {
                name: "deploy".to_string(),
                prefix: "snt_victim00".to_string(),
                secret_hash: "victim-hash".to_string(),
                role: Role::Owner,
                scopes: vec![],
                expires_at: None,
                created_by: None,
            },
            NOW,
        )
        .await
        .unwrap();
    let member = store
        .create_user(
            &NewUser {
                email: "owner@victim.test".to_string(),
                name: String::new(),
                password_hash: "h".to_string(),
            },
            NOW,
        )
        .await
        .unwrap();
    store
        .add_member(&victim, &member.id, Role::Owner, NOW)
        .await
        .unwrap();

    // Reads through the intruder's organization find nothing.
    assert_eq!(
        store.get_service(&intruder, &service.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_service_by_name(&intruder, "payments")
            .await
            .unwrap(),
        None
    );
    assert!(store.list_services(&intruder).await.unwrap().is_empty());
    assert!(store
        .list_service_keys(&intruder, &service.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_api_keys(&intruder).await.unwrap().is_empty());
    assert_eq!(
        store.get_api_key(&intruder, &api_key.id).await.unwrap(),
        None
    );
    assert!(store.list_members(&intruder).await.unwrap().is_empty());
    assert_eq!(
        store.member_role(&intruder, &member.id).await.unwrap(),
        None
    );

    // Writes through the intruder's organization change nothing.
    let patched = store
        .update_service_settings(
            &intruder,
            &service.id,
            &ServicePatch {
                enabled: Some(false),
                min_occurrences: Some(100),
                error_class_filter: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(patched, None);
    let planted = store
        .create_service_key(&intruder, &service.id, "pk_planted", None, NOW)
        .await;
    assert!(matches!(planted, Err(StoreError::NotFound)), "{planted:?}");
    assert_eq!(store.find_service_key("pk_planted").await.unwrap(), None);
    assert!(!store
        .revoke_service_key(&intruder, &key.id, NOW)
        .await
        .unwrap());
    assert!(!store
        .set_service_key_rate_limit(&intruder, &key.id, Some(1))
        .await
        .unwrap());
    assert!(!store
        .revoke_api_key(&intruder, &api_key.id, NOW)
        .await
        .unwrap());
    assert!(!store
        .touch_api_key(&intruder, &api_key.id, NOW)
        .await
        .unwrap());
    assert!(!store
        .set_member_role(&intruder, &member.id, Role::Viewer)
        .await
        .unwrap());
    assert!(!store.remove_member(&intruder, &member.id).await.unwrap());

    // The victim's rows are exactly as they were.
    assert_eq!(
        store.get_service(&victim, &service.id).await.unwrap(),
        Some(service.clone())
    );
    let victim_key = store.find_service_key("pk_victim").await.unwrap().unwrap();
    assert!(!victim_key.revoked);
    assert_eq!(victim_key.rate_limit_per_minute, None);
    assert_eq!(
        store.get_api_key(&victim, &api_key.id).await.unwrap(),
        Some(api_key)
    );
    assert_eq!(
        store.member_role(&victim, &member.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(
        store.list_service_keys(&victim, &service.id).await.unwrap(),
        vec![key]
    );
}

sentinel_store::store_tests!(one_organization_cannot_touch_anothers_rows);
