//! API keys: long-lived bearer credentials of an organization with a role.
//!
//! Only the SHA-256 of the secret is stored; the visible prefix lets people tell keys apart.

use super::parse_role;
use crate::db::{read, write};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{ApiKeyId, OrgId, UserId};
use sentinel_core::role::Role;

/// `last_used_at` is refreshed at most this often per key, so a busy key does not turn
/// every request into a write.
pub const LAST_USED_RESOLUTION_MS: Millis = 60_000;

/// What it takes to create an API key. The secret itself is never given to the store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    /// The part shown to people, e.g. `snt_ab12cd34`.
    pub prefix: String,
    /// SHA-256 hex of the whole secret.
    pub secret_hash: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub expires_at: Option<Millis>,
    pub created_by: Option<UserId>,
}

/// A stored API key (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub created_by: Option<UserId>,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

impl ApiKeyRecord {
    /// Neither revoked nor expired at `now`.
    pub fn is_usable(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }

    /// Whether `last_used_at` is old enough to be worth refreshing.
    pub fn last_used_is_stale(&self, now: Millis) -> bool {
        self.last_used_at
            .is_none_or(|at| now - at >= LAST_USED_RESOLUTION_MS)
    }
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
    org_id: String,
    name: String,
    prefix: String,
    role: String,
    scopes: String,
    created_by: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = crate::StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, Self::Error> {
        Ok(Self {
            role: parse_role(&row.role)?,
            id: ApiKeyId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            name: row.name,
            prefix: row.prefix,
            scopes: split_scopes(&row.scopes),
            created_by: row.created_by.map(UserId::from_string),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

const API_KEY_COLUMNS: &str = "id, org_id, name, prefix, role, scopes, created_by, created_at, \
                               last_used_at, expires_at, revoked_at";

/// Scopes are stored space-separated, as in OAuth.
fn join_scopes(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

impl Store {
    /// Stores a new API key for the organization.
    pub async fn create_api_key(
        &self,
        org: &OrgId,
        new: &NewApiKey,
        now: Millis,
    ) -> StoreResult<ApiKeyRecord> {
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(),
            org_id: org.clone(),
            name: new.name.clone(),
            prefix: new.prefix.clone(),
            role: new.role,
            scopes: split_scopes(&join_scopes(&new.scopes)),
            created_by: new.created_by.clone(),
            created_at: now,
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
        };
        write!(self, |pool| {
            sqlx::query(
                "INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, role, scopes, \
                 created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(record.id.as_str())
            .bind(org.as_str())
            .bind(&record.name)
            .bind(&record.prefix)
            .bind(&new.secret_hash)
            .bind(record.role.as_str())
            .bind(join_scopes(&record.scopes))
            .bind(record.created_by.as_ref().map(UserId::as_str))
            .bind(now)
            .bind(record.expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(record)
    }

    /// The key whose secret hashes to `secret_hash`, revoked and expired ones included (the
    /// caller decides, so it can say why a key was refused). Not scoped: this lookup is how
    /// the organization of a request is found.
    pub async fn find_api_key_by_hash(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1");
        let row: Option<ApiKeyRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(secret_hash)
                .fetch_optional(pool)
                .await?
        });
        row.map(ApiKeyRecord::try_from).transpose()
    }

    /// Records that a key was used, at most once per [`LAST_USED_RESOLUTION_MS`]. Returns
    /// whether the row was written.
    pub async fn touch_api_key(
        &self,
        org: &OrgId,
        id: &ApiKeyId,
        now: Millis,
    ) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 \
                 WHERE id = $2 AND org_id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)",
            )
            .bind(now)
            .bind(id.as_str())
            .bind(org.as_str())
            .bind(now - LAST_USED_RESOLUTION_MS)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Revokes a key. Returns whether a live key of this organization was revoked.
    pub async fn revoke_api_key(
        &self,
        org: &OrgId,
        id: &ApiKeyId,
        now: Millis,
    ) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 \
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

    pub async fn get_api_key(
        &self,
        org: &OrgId,
        id: &ApiKeyId,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = $1 AND org_id = $2");
        let row: Option<ApiKeyRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(id.as_str())
                .bind(org.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(ApiKeyRecord::try_from).transpose()
    }

    /// The organization's keys, newest first (revoked ones included).
    pub async fn list_api_keys(&self, org: &OrgId) -> StoreResult<Vec<ApiKeyRecord>> {
        let sql = format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<ApiKeyRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(ApiKeyRecord::try_from).collect()
    }
}
