//! Named locks with an expiry: taken by whoever holds no expired rival, released or
//! extended only with the token that took them.

use crate::db::write;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;

impl Store {
    /// Takes lock `name` for `ttl_ms` under `token`. Succeeds when the lock is free, has
    /// expired, or is already held with this token (which then extends it).
    pub async fn try_lock(
        &self,
        name: &str,
        token: &str,
        ttl_ms: Millis,
        now: Millis,
    ) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query(
                "INSERT INTO locks (name, token, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET token = excluded.token, \
                   expires_at = excluded.expires_at \
                 WHERE locks.expires_at <= $4 OR locks.token = excluded.token",
            )
            .bind(name)
            .bind(token)
            .bind(now.saturating_add(ttl_ms))
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Releases lock `name` if `token` holds it.
    pub async fn unlock(&self, name: &str, token: &str) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query("DELETE FROM locks WHERE name = $1 AND token = $2")
                .bind(name)
                .bind(token)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Pushes the expiry of lock `name` to `now + ttl_ms` if `token` still holds it.
    pub async fn extend_lock(
        &self,
        name: &str,
        token: &str,
        ttl_ms: Millis,
        now: Millis,
    ) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query("UPDATE locks SET expires_at = $3 WHERE name = $1 AND token = $2")
                .bind(name)
                .bind(token)
                .bind(now.saturating_add(ttl_ms))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }
}
