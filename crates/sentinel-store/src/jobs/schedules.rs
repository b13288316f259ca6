//! Cron schedules: one row per schedule name whose `next_run_at` is advanced by
//! compare-and-swap, so among any number of processes exactly one wins each slot.

use crate::db::{read, tx, write};
use crate::{Store, StoreResult, Tx};
use sentinel_core::clock::Millis;

/// A schedule as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduleRecord {
    pub name: String,
    pub next_run_at: Millis,
    pub last_run_at: Option<Millis>,
    pub updated_at: Millis,
}

const CLAIM_SLOT: &str =
    "UPDATE schedules SET next_run_at = $3, last_run_at = $2, updated_at = $4 \
     WHERE name = $1 AND next_run_at = $2";

/// Advances schedule `name` from `expected_next_run_at` to `new_next_run_at` inside the
/// caller's transaction, so the run it stands for can be enqueued atomically with it.
/// `true` only for the one caller that saw the slot first.
pub async fn claim_schedule_slot_in(
    tx: &mut Tx,
    name: &str,
    expected_next_run_at: Millis,
    new_next_run_at: Millis,
    now: Millis,
) -> StoreResult<bool> {
    let changed = tx!(tx, |conn| {
        sqlx::query(CLAIM_SLOT)
            .bind(name)
            .bind(expected_next_run_at)
            .bind(new_next_run_at)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(changed > 0)
}

impl Store {
    /// Creates schedule `name` due at `first_run_at` unless it exists; returns the stored
    /// schedule either way (an existing one keeps its own `next_run_at`).
    pub async fn ensure_schedule(
        &self,
        name: &str,
        first_run_at: Millis,
        now: Millis,
    ) -> StoreResult<ScheduleRecord> {
        let _inserted = write!(self, |pool| {
            sqlx::query(
                "INSERT INTO schedules (name, next_run_at, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(first_run_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        self.get_schedule(name)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }

    pub async fn get_schedule(&self, name: &str) -> StoreResult<Option<ScheduleRecord>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT name, next_run_at, last_run_at, updated_at FROM schedules WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Compare-and-swap of a schedule's next run. See [`claim_schedule_slot_in`].
    pub async fn claim_schedule_slot(
        &self,
        name: &str,
        expected_next_run_at: Millis,
        new_next_run_at: Millis,
        now: Millis,
    ) -> StoreResult<bool> {
        let changed = write!(self, |pool| {
            sqlx::query(CLAIM_SLOT)
                .bind(name)
                .bind(expected_next_run_at)
                .bind(new_next_run_at)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }
}
