//! DSN keys: the public key (and optional legacy secret) an SDK sends with every event.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, ServiceId, ServiceKeyId};

/// A DSN key as its organization sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    pub id: ServiceKeyId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub public_key: String,
    pub secret_key: Option<String>,
    pub label: String,
    pub rate_limit_per_minute: Option<i64>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// What ingest needs to know about the key an event arrived with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKeyRecord {
    pub id: ServiceKeyId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    /// The project number of the key's service; a request to another project's URL with
    /// this key must be refused.
    pub service_number: i64,
    pub revoked: bool,
    pub rate_limit_per_minute: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ServiceKeyRow {
    id: String,
    org_id: String,
    service_id: String,
    public_key: String,
    secret_key: Option<String>,
    label: String,
    rate_limit_per_minute: Option<i64>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl From<ServiceKeyRow> for ServiceKey {
    fn from(row: ServiceKeyRow) -> Self {
        Self {
            id: ServiceKeyId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            public_key: row.public_key,
            secret_key: row.secret_key,
            label: row.label,
            rate_limit_per_minute: row.rate_limit_per_minute,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ServiceKeyRecordRow {
    id: String,
    org_id: String,
    service_id: String,
    number: i64,
    revoked_at: Option<i64>,
    rate_limit_per_minute: Option<i64>,
}

const KEY_COLUMNS: &str = "id, org_id, service_id, public_key, secret_key, label, \
                           rate_limit_per_minute, created_at, revoked_at";

/// Inserts a key for a service of `org` inside a transaction; [`StoreError::NotFound`] when
/// the service is not one of the organization's.
pub(super) async fn insert_service_key(
    tx: &mut Tx,
    org: &OrgId,
    service_id: &ServiceId,
    public_key: &str,
    secret: Option<&str>,
    now: Millis,
) -> StoreResult<ServiceKey> {
    let key = ServiceKey {
        id: ServiceKeyId::generate(),
        org_id: org.clone(),
        service_id: service_id.clone(),
        public_key: public_key.to_string(),
        secret_key: secret.map(str::to_string),
        label: "Default".to_string(),
        rate_limit_per_minute: None,
        created_at: now,
        revoked_at: None,
    };
    // Inserting from a SELECT of the service makes the organization check and the write
    // one statement: a service of another organization yields no row to insert.
    let done = tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO service_keys (id, org_id, service_id, public_key, secret_key, label, created_at) \
             SELECT $1, org_id, id, $2, $3, $4, $5 FROM services WHERE id = $6 AND org_id = $7",
        )
        .bind(key.id.as_str())
        .bind(&key.public_key)
        .bind(key.secret_key.as_deref())
        .bind(&key.label)
        .bind(now)
        .bind(service_id.as_str())
        .bind(org.as_str())
        .execute(conn)
        .await?
        .rows_affected()
    });
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(key)
}

impl Store {
    /// Adds a DSN key to a service of this organization. The public key must be unique
    /// ([`StoreError::Conflict`]); a service of another organization is
    /// [`StoreError::NotFound`].
    pub async fn create_service_key(
        &self,
        org: &OrgId,
        service_id: &ServiceId,
        public_key: &str,
        secret: Option<&str>,
        now: Millis,
    ) -> StoreResult<ServiceKey> {
        let mut tx = self.begin().await?;
        let key = insert_service_key(&mut tx, org, service_id, public_key, secret, now).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// The key an SDK presented, with its service's number. Not scoped: the DSN key is how
    /// ingest learns the organization.
    pub async fn find_service_key(
        &self,
        public_key: &str,
    ) -> StoreResult<Option<ServiceKeyRecord>> {
        let row: Option<ServiceKeyRecordRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT k.id, k.org_id, k.service_id, s.number, k.revoked_at, k.rate_limit_per_minute \
                 FROM service_keys k JOIN services s ON s.id = k.service_id \
                 WHERE k.public_key = $1",
            )
            .bind(public_key)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|row| ServiceKeyRecord {
            id: ServiceKeyId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            service_number: row.number,
            revoked: row.revoked_at.is_some(),
            rate_limit_per_minute: row.rate_limit_per_minute,
        }))
    }

    /// The keys of one service of this organization, oldest first (revoked ones included).
    pub async fn list_service_keys(
        &self,
        org: &OrgId,
        service_id: &ServiceId,
    ) -> StoreResult<Vec<ServiceKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM service_keys WHERE org_id = $1 AND service_id = $2 \
             ORDER BY created_at, id"
        );
        let rows: Vec<ServiceKeyRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .bind(service_id.as_str())
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(ServiceKey::from).collect())
    }

    /// Revokes a key. Returns whether a live key of this organization was revoked.
    pub async fn revoke_service_key(
        &self,
        org: &OrgId,
        id: &ServiceKeyId,
        now: Millis,
    ) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE service_keys SET revoked_at = $1 \
                 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.as_str())
            .bind(org.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Sets or clears a key's per-minute event limit. Returns whether the key exists in this
    /// organization.
    pub async fn set_service_key_rate_limit(
        &self,
        org: &OrgId,
        id: &ServiceKeyId,
        per_minute: Option<i64>,
    ) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE service_keys SET rate_limit_per_minute = $1 WHERE id = $2 AND org_id = $3",
            )
            .bind(per_minute)
            .bind(id.as_str())
            .bind(org.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }
}
