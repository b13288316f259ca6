//! Cron monitor check-ins, written by the ingest writer in the same transaction as events.

use super::write::value_rows;
use crate::db::tx;
use crate::{StoreResult, Tx};

pub use sentinel_core::ingest::NewCheckIn;

const INSERT_COLUMNS: &str = "id, org_id, service_id, check_in_id, monitor_slug, status, \
    duration_ms, environment, monitor_config, received_at";
/// Columns per check-in row.
const COLUMNS: usize = 10;
const ROWS_PER_STATEMENT: usize = 256;

/// Appends check-ins inside `tx`. Each is its own row: a monitor's history is the sequence.
pub async fn write_check_ins(tx: &mut Tx, items: &[NewCheckIn]) -> StoreResult<()> {
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<String> = chunk
            .iter()
            .map(|_| ulid::Ulid::new().to_string())
            .collect();
        let sql = format!(
            "INSERT INTO check_ins ({INSERT_COLUMNS}) VALUES {}",
            value_rows(tx.backend(), chunk.len(), COLUMNS)
        );
        tx!(tx, |conn| {
            let mut query = sqlx::query(&sql);
            for (item, id) in chunk.iter().zip(&ids) {
                query = query
                    .bind(id.as_str())
                    .bind(item.org_id.as_str())
                    .bind(item.service_id.as_str())
                    .bind(item.check_in_id.as_str())
                    .bind(item.monitor_slug.as_str())
                    .bind(item.status.as_str())
                    .bind(item.duration_ms)
                    .bind(item.environment.as_deref())
                    .bind(item.monitor_config.as_deref())
                    .bind(item.received_at);
            }
            query.execute(&mut *conn).await?;
        });
    }
    Ok(())
}

/// [`write_check_ins`] for the SQLite ingest connection, inside its open transaction.
pub(super) fn write_check_ins_on_sqlite(
    conn: &rusqlite::Connection,
    items: &[NewCheckIn],
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO check_ins ({INSERT_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    for item in items {
        statement.execute(rusqlite::params![
            ulid::Ulid::new().to_string(),
            item.org_id.as_str(),
            item.service_id.as_str(),
            item.check_in_id,
            item.monitor_slug,
            item.status,
            item.duration_ms,
            item.environment,
            item.monitor_config,
            item.received_at,
        ])?;
    }
    Ok(())
}
