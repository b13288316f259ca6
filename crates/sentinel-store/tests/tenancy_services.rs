//! Services, DSN keys and API keys on both backends.
#![allow(clippy::unwrap_used)]

use sentinel_core::id::{ApiKeyId, OrgId, ServiceId, ServiceKeyId};
use sentinel_core::incident::{ErrorClass, ErrorClassFilter};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{NewApiKey, NewOrganization, NewService, ServicePatch};
use sentinel_store::{Store, StoreError};

const NOW: i64 = 1_700_000_000_000;

async fn org(store: &Store, slug: &str) -> OrgId {
    store
        .create_organization(
            &NewOrganization {
                slug: slug.to_string(),
                name: slug.to_uppercase(),
            },
            NOW,
        )
        .await
        .unwrap()
        .id
}

fn new_service(name: &str) -> NewService {
    NewService {
        name: name.to_string(),
        platform: "python".to_string(),
    }
}

fn new_key(hash: &str, role: Role) -> NewApiKey {
    NewApiKey {
        name: "ci".to_string(),
        prefix: "snt_abcd1234".to_string(),
        secret_hash: hash.to_string(),
        role,
        scopes: vec!["events:read".to_string(), "  ".to_string()],
        expires_at: None,
        created_by: None,
    }
}

async fn services_get_increasing_global_numbers_and_defaults(store: Store) {
    let a = org(&store, "a").await;
    let b = org(&store, "b").await;
    let first = store
        .create_service(&a, &new_service("api"), NOW)
        .await
        .unwrap();
    let second = store
        .create_service(&b, &new_service("api"), NOW)
        .await
        .unwrap();
    let third = store
        .create_service(&a, &new_service("web"), NOW)
        .await
        .unwrap();
    assert_eq!((first.number, second.number, third.number), (1, 2, 3));
    assert!(first.enabled);
    assert_eq!(first.min_occurrences, 1);
    assert_eq!(first.error_class_filter, ErrorClassFilter::default());

    assert_eq!(
        store.get_service(&a, &first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.get_service_by_number(2).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.get_service_by_number(99).await.unwrap(), None);
    assert_eq!(
        store.find_service_by_name(&a, "web").await.unwrap(),
        Some(third.clone())
    );
    let listed = store.list_services(&a).await.unwrap();
    assert_eq!(listed, vec![first, third]);
}

async fn a_service_name_is_unique_within_its_organization(store: Store) {
    let a = org(&store, "a").await;
    store
        .create_service(&a, &new_service("api"), NOW)
        .await
        .unwrap();
    let again = store.create_service(&a, &new_service("api"), NOW).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // The failed attempt did not use up a number.
    let next = store
        .create_service(&a, &new_service("jobs"), NOW)
        .await
        .unwrap();
    assert_eq!(next.number, 2);
}

async fn concurrent_service_creation_assigns_distinct_numbers(store: Store) {
    let a = org(&store, "a").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_service(&a, &new_service(&format!("svc-{i}")), NOW)
                .await
                .unwrap()
                .number
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<i64>>());
}

async fn service_settings_change_partially(store: Store) {
    let a = org(&store, "a").await;
    let service = store
        .create_service(&a, &new_service("api"), NOW)
        .await
        .unwrap();
    let only_5xx = ErrorClassFilter::new([ErrorClass::Server5xx]);
    let updated = store
        .update_service_settings(
            &a,
            &service.id,
            &ServicePatch {
                min_occurrences: Some(5),
                error_class_filter: Some(only_5xx.clone()),
                ..ServicePatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.min_occurrences, 5);
    assert_eq!(updated.error_class_filter, only_5xx);
    assert!(updated.enabled);
    let disabled = store
        .update_service_settings(
            &a,
            &service.id,
            &ServicePatch {
                enabled: Some(false),
                ..ServicePatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.min_occurrences, 5);
    // The next read sees the change: nothing is cached.
    let read_back = store
        .get_service_by_number(service.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read_back, disabled);
    let missing = store
        .update_service_settings(&a, &ServiceId::generate(), &ServicePatch::default())
        .await
        .unwrap();
    assert_eq!(missing, None);
}

async fn dsn_keys_find_their_service_and_organization(store: Store) {
    let a = org(&store, "a").await;
    let service = store
        .create_service(&a, &new_service("api"), NOW)
        .await
        .unwrap();
    let key = store
        .create_service_key(&a, &service.id, "pk_one", None, NOW)
        .await
        .unwrap();
    let found = store.find_service_key("pk_one").await.unwrap().unwrap();
    assert_eq!(found.org_id, a);
    assert_eq!(found.service_id, service.id);
    assert_eq!(found.service_number, service.number);
    assert!(!found.revoked);
    assert_eq!(found.rate_limit_per_minute, None);
    assert_eq!(store.find_service_key("pk_other").await.unwrap(), None);

    assert!(store
        .set_service_key_rate_limit(&a, &key.id, Some(600))
        .await
        .unwrap());
    let limited = store.find_service_key("pk_one").await.unwrap().unwrap();
    assert_eq!(limited.rate_limit_per_minute, Some(600));

    let duplicate = store
        .create_service_key(&a, &service.id, "pk_one", None, NOW)
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));

    assert!(store
        .revoke_service_key(&a, &key.id, NOW + 1)
        .await
        .unwrap());
    assert!(!store
        .revoke_service_key(&a, &key.id, NOW + 2)
        .await
        .unwrap());
    assert!(
        store
            .find_service_key("pk_one")
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    let keys = store.list_service_keys(&a, &service.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].revoked_at, Some(NOW + 1));
    assert_eq!(keys[0].rate_limit_per_minute, Some(600));
}

async fn api_keys_are_found_by_hash_and_refused_when_revoked(store: Store) {
    let a = org(&store, "a").await;
    let created = store
        .create_api_key(&a, &new_key("hash-1", Role::Admin), NOW)
        .await
        .unwrap();
    assert_eq!(created.scopes, vec!["events:read".to_string()]);
    let found = store.find_api_key_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!(found, created);
    assert_eq!(found.role, Role::Admin);
    assert!(found.is_usable(NOW));
    assert_eq!(store.find_api_key_by_hash("hash-2").await.unwrap(), None);

    assert!(store
        .revoke_api_key(&a, &created.id, NOW + 5)
        .await
        .unwrap());
    let revoked = store.find_api_key_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 5));
    assert!(!revoked.is_usable(NOW + 6));

    let expiring = store
        .create_api_key(
            &a,
            &NewApiKey {
                expires_at: Some(NOW + 1_000),
                ..new_key("hash-3", Role::Viewer)
            },
            NOW,
        )
        .await
        .unwrap();
    assert!(expiring.is_usable(NOW + 999));
    assert!(!expiring.is_usable(NOW + 1_000));

    let listed = store.list_api_keys(&a).await.unwrap();
    assert_eq!(listed.len(), 2);
    let duplicate = store
        .create_api_key(&a, &new_key("hash-1", Role::Admin), NOW)
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
}

async fn last_used_is_written_at_most_once_a_minute(store: Store) {
    let a = org(&store, "a").await;
    let key = store
        .create_api_key(&a, &new_key("hash-1", Role::Member), NOW)
        .await
        .unwrap();
    assert!(key.last_used_is_stale(NOW));
    assert!(store.touch_api_key(&a, &key.id, NOW).await.unwrap());
    assert!(!store
        .touch_api_key(&a, &key.id, NOW + 59_999)
        .await
        .unwrap());
    let read = store.get_api_key(&a, &key.id).await.unwrap().unwrap();
    assert_eq!(read.last_used_at, Some(NOW));
    assert!(!read.last_used_is_stale(NOW + 59_999));
    assert!(store
        .touch_api_key(&a, &key.id, NOW + 60_000)
        .await
        .unwrap());
    let read = store.get_api_key(&a, &key.id).await.unwrap().unwrap();
    assert_eq!(read.last_used_at, Some(NOW + 60_000));
    let missing = ApiKeyId::generate();
    assert!(!store.touch_api_key(&a, &missing, NOW).await.unwrap());
    let missing_key = ServiceKeyId::generate();
    assert!(!store
        .revoke_service_key(&a, &missing_key, NOW)
        .await
        .unwrap());
}

sentinel_store::store_tests!(
    services_get_increasing_global_numbers_and_defaults,
    a_service_name_is_unique_within_its_organization,
    concurrent_service_creation_assigns_distinct_numbers,
    service_settings_change_partially,
    dsn_keys_find_their_service_and_organization,
    api_keys_are_found_by_hash_and_refused_when_revoked,
    last_used_is_written_at_most_once_a_minute,
);
