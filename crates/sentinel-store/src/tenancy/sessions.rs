//! Dashboard sessions. The cookie carries a random secret; only its SHA-256 is stored, so a
//! leaked database does not hand out logins.

use crate::db::{read, write};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, UserId};

/// What it takes to create a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 hex of the cookie's secret.
    pub id_hash: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    /// Must accompany every state-changing request made with this session's cookie.
    pub csrf_token: String,
    pub expires_at: Millis,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub csrf_token: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    user_id: String,
    org_id: String,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl Store {
    pub async fn create_session(
        &self,
        new: &NewSession,
        now: Millis,
    ) -> StoreResult<SessionRecord> {
        write!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (id, user_id, org_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&new.id_hash)
            .bind(new.user_id.as_str())
            .bind(new.org_id.as_str())
            .bind(&new.csrf_token)
            .bind(now)
            .bind(new.expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(SessionRecord {
            id_hash: new.id_hash.clone(),
            user_id: new.user_id.clone(),
            org_id: new.org_id.clone(),
            csrf_token: new.csrf_token.clone(),
            created_at: now,
            expires_at: new.expires_at,
        })
    }

    /// The session with this hash if it has not expired at `now`. Not scoped: the cookie is
    /// how the organization of a dashboard request is found.
    pub async fn get_valid_session(
        &self,
        id_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, org_id, csrf_token, created_at, expires_at FROM sessions \
                 WHERE id = $1 AND expires_at > $2",
            )
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|row| SessionRecord {
            id_hash: row.id,
            user_id: UserId::from_string(row.user_id),
            org_id: OrgId::from_string(row.org_id),
            csrf_token: row.csrf_token,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }))
    }

    /// Ends a session. Returns whether it existed.
    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Removes sessions that expired before `now`; for the retention job. Returns how many.
    pub async fn delete_expired_sessions(&self, now: Millis) -> StoreResult<u64> {
        let done = write!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }
}
