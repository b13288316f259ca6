//! Organizations, users, members, sessions and the first-start bootstrap on both backends.
#![allow(clippy::unwrap_used)]

use sentinel_core::id::{OrgId, UserId};
use sentinel_core::role::Role;
use sentinel_store::tenancy::{
    NewBootstrap, NewOrganization, NewService, NewSession, NewUser, Organization, User,
};
use sentinel_store::{Store, StoreError};

const NOW: i64 = 1_700_000_000_000;

async fn org(store: &Store, slug: &str) -> Organization {
    store
        .create_organization(
            &NewOrganization {
                slug: slug.to_string(),
                name: format!("Org {slug}"),
            },
            NOW,
        )
        .await
        .unwrap()
}

async fn user(store: &Store, email: &str) -> User {
    store
        .create_user(
            &NewUser {
                email: email.to_string(),
                name: "Ada".to_string(),
                password_hash: "$argon2id$stub".to_string(),
            },
            NOW,
        )
        .await
        .unwrap()
}

async fn organizations_are_found_by_id_and_slug(store: Store) {
    assert_eq!(store.count_organizations().await.unwrap(), 0);
    let acme = org(&store, "acme").await;
    assert_eq!(acme.plan, "free");
    assert_eq!(
        store.get_organization(&acme.id).await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(
        store.get_organization_by_slug("acme").await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(store.get_organization_by_slug("nope").await.unwrap(), None);
    let taken = store
        .create_organization(
            &NewOrganization {
                slug: "acme".to_string(),
                name: "Other".to_string(),
            },
            NOW,
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(store.count_organizations().await.unwrap(), 1);
    let zeta = org(&store, "zeta").await;
    assert_eq!(store.list_organizations().await.unwrap(), vec![acme, zeta]);
}

async fn user_emails_are_stored_lower_case_and_unique(store: Store) {
    let ada = user(&store, "  Ada@Example.COM ").await;
    assert_eq!(ada.email, "ada@example.com");
    let found = store.find_user_by_email("ADA@example.com").await.unwrap();
    assert_eq!(found, Some(ada.clone()));
    assert_eq!(store.get_user(&ada.id).await.unwrap(), Some(ada.clone()));
    let again = store
        .create_user(
            &NewUser {
                email: "ada@EXAMPLE.com".to_string(),
                name: String::new(),
                password_hash: "x".to_string(),
            },
            NOW,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert!(store.set_user_password(&ada.id, "new-hash").await.unwrap());
    let changed = store.get_user(&ada.id).await.unwrap().unwrap();
    assert_eq!(changed.password_hash, "new-hash");
}

async fn members_have_one_role_per_organization(store: Store) {
    let acme = org(&store, "acme").await;
    let globex = org(&store, "globex").await;
    let ada = user(&store, "ada@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    store
        .add_member(&acme.id, &ada.id, Role::Owner, NOW)
        .await
        .unwrap();
    store
        .add_member(&globex.id, &ada.id, Role::Viewer, NOW + 1)
        .await
        .unwrap();
    store
        .add_member(&acme.id, &bob.id, Role::Member, NOW + 2)
        .await
        .unwrap();
    let twice = store.add_member(&acme.id, &bob.id, Role::Admin, NOW).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let unknown = store
        .add_member(&OrgId::generate(), &bob.id, Role::Admin, NOW)
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");

    assert_eq!(
        store.member_role(&acme.id, &ada.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(
        store.member_role(&globex.id, &ada.id).await.unwrap(),
        Some(Role::Viewer)
    );
    assert_eq!(store.member_role(&globex.id, &bob.id).await.unwrap(), None);

    let memberships = store.list_organizations_for_user(&ada.id).await.unwrap();
    let slugs: Vec<(&str, Role)> = memberships
        .iter()
        .map(|m| (m.organization.slug.as_str(), m.role))
        .collect();
    assert_eq!(slugs, vec![("acme", Role::Owner), ("globex", Role::Viewer)]);

    let members = store.list_members(&acme.id).await.unwrap();
    let emails: Vec<&str> = members.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, vec!["ada@example.com", "bob@example.com"]);

    assert!(store
        .set_member_role(&acme.id, &bob.id, Role::Admin)
        .await
        .unwrap());
    assert_eq!(
        store.member_role(&acme.id, &bob.id).await.unwrap(),
        Some(Role::Admin)
    );
    assert!(store.remove_member(&acme.id, &bob.id).await.unwrap());
    assert!(!store.remove_member(&acme.id, &bob.id).await.unwrap());
    assert_eq!(store.member_role(&acme.id, &bob.id).await.unwrap(), None);
}

async fn sessions_expire_and_end(store: Store) {
    let acme = org(&store, "acme").await;
    let ada = user(&store, "ada@example.com").await;
    store
        .add_member(&acme.id, &ada.id, Role::Owner, NOW)
        .await
        .unwrap();
    let session = store
        .create_session(
            &NewSession {
                id_hash: "h1".to_string(),
                user_id: ada.id.clone(),
                org_id: acme.id.clone(),
                csrf_token: "csrf".to_string(),
                expires_at: NOW + 1_000,
            },
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_valid_session("h1", NOW + 999).await.unwrap(),
        Some(session)
    );
    assert_eq!(
        store.get_valid_session("h1", NOW + 1_000).await.unwrap(),
        None
    );
    assert_eq!(store.get_valid_session("h2", NOW).await.unwrap(), None);
    assert!(store.delete_session("h1").await.unwrap());
    assert!(!store.delete_session("h1").await.unwrap());
    assert_eq!(store.get_valid_session("h1", NOW).await.unwrap(), None);

    // Removing a member ends their sessions in that organization.
    store
        .create_session(
            &NewSession {
                id_hash: "h3".to_string(),
                user_id: ada.id.clone(),
                org_id: acme.id.clone(),
                csrf_token: "csrf".to_string(),
                expires_at: NOW + 1_000,
            },
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(store.delete_expired_sessions(NOW).await.unwrap(), 0);
    store.remove_member(&acme.id, &ada.id).await.unwrap();
    assert_eq!(store.get_valid_session("h3", NOW).await.unwrap(), None);
}

fn bootstrap_spec() -> NewBootstrap {
    NewBootstrap {
        organization: NewOrganization {
            slug: "default".to_string(),
            name: "Default".to_string(),
        },
        admin: NewUser {
            email: "Admin@Localhost".to_string(),
            name: "Administrator".to_string(),
            password_hash: "hash".to_string(),
        },
        service: NewService {
            name: "default".to_string(),
            platform: String::new(),
        },
        public_key: "pk_boot".to_string(),
    }
}

async fn bootstrap_runs_once(store: Store) {
    let first = store
        .bootstrap_if_empty(&bootstrap_spec(), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.organization.slug, "default");
    assert_eq!(first.admin.email, "admin@localhost");
    assert_eq!(first.service.number, 1);
    assert_eq!(
        store
            .member_role(&first.organization.id, &first.admin.id)
            .await
            .unwrap(),
        Some(Role::Owner)
    );
    let key = store.find_service_key("pk_boot").await.unwrap().unwrap();
    assert_eq!(key.service_id, first.service.id);
    assert!(store
        .bootstrap_if_empty(&bootstrap_spec(), NOW)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.count_organizations().await.unwrap(), 1);
}

async fn concurrent_bootstraps_create_one_organization(store: Store) {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .bootstrap_if_empty(&bootstrap_spec(), NOW)
                .await
                .unwrap()
        }));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.count_organizations().await.unwrap(), 1);
}

async fn unknown_users_have_no_memberships(store: Store) {
    let none = store
        .list_organizations_for_user(&UserId::generate())
        .await
        .unwrap();
    assert!(none.is_empty());
}

sentinel_store::store_tests!(
    organizations_are_found_by_id_and_slug,
    user_emails_are_stored_lower_case_and_unique,
    members_have_one_role_per_organization,
    sessions_expire_and_end,
    bootstrap_runs_once,
    concurrent_bootstraps_create_one_organization,
    unknown_users_have_no_memberships,
);
