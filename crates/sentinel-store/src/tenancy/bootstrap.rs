//! First start: an empty installation gets an organization, an owner and a service with a
//! DSN key, all in one transaction so a crash half-way leaves nothing behind.

use super::organizations::{insert_member, insert_organization, insert_user};
use super::service_keys::insert_service_key;
use super::services::insert_service;
use super::{NewOrganization, NewService, NewUser, Organization, Service, ServiceKey, User};
use crate::db::tx;
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::role::Role;

/// What the first start creates.
#[derive(Debug, Clone)]
pub struct NewBootstrap {
    pub organization: NewOrganization,
    pub admin: NewUser,
    pub service: NewService,
    /// The DSN public key of the first service.
    pub public_key: String,
}

/// What the first start created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub organization: Organization,
    pub admin: User,
    pub service: Service,
    pub key: ServiceKey,
}

impl Store {
    /// Sets up an empty installation. Returns `None` when any organization already exists
    /// (including one created a moment ago by another process starting at the same time).
    pub async fn bootstrap_if_empty(
        &self,
        new: &NewBootstrap,
        now: Millis,
    ) -> StoreResult<Option<Bootstrapped>> {
        let mut tx = self.begin().await?;
        let existing: i64 = tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
                .fetch_one(conn)
                .await?
        });
        if existing > 0 {
            return Ok(None);
        }
        let created = async {
            let organization = insert_organization(&mut tx, &new.organization, now).await?;
            let admin = insert_user(&mut tx, &new.admin, now).await?;
            insert_member(&mut tx, &organization.id, &admin.id, Role::Owner, now).await?;
            let service = insert_service(&mut tx, &organization.id, &new.service, now).await?;
            let key = insert_service_key(
                &mut tx,
                &organization.id,
                &service.id,
                &new.public_key,
                None,
                now,
            )
            .await?;
            Ok::<_, StoreError>(Bootstrapped {
                organization,
                admin,
                service,
                key,
            })
        }
        .await;
        match created {
            Ok(created) => {
                tx.commit().await?;
                Ok(Some(created))
            }
            // A concurrent first start on PostgreSQL won the race for the slug.
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}
