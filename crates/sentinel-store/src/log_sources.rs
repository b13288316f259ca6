//! Log sources and how far the tailer has read each of their files (migration 0022).
//!
//! A file's row is keyed by its identity (device and inode), not its path: a rotated file
//! that was renamed keeps its offset, and the new file at the old path starts at 0.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{LogSourceId, OrgId, ServiceId};
use sentinel_core::log_source::{FieldMapping, LogFormat, LogSourceConfig};

/// A stored source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub id: LogSourceId,
    pub org_id: OrgId,
    pub service_id: ServiceId,
    pub config: LogSourceConfig,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// How far one file of a source has been read, and what its lines were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileState {
    pub source_id: LogSourceId,
    /// `device:inode`.
    pub file_key: String,
    /// Where the file was last seen.
    pub path: String,
    /// Hex of the file's first bytes when it was first read.
    pub head: String,
    /// Bytes read: the next read starts here.
    pub offset: i64,
    pub lines: i64,
    pub errors: i64,
    pub malformed: i64,
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    org_id: String,
    service_id: String,
    path: String,
    format: String,
    fields: String,
    poll_interval_ms: i64,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<SourceRow> for LogSource {
    type Error = StoreError;

    fn try_from(row: SourceRow) -> StoreResult<Self> {
        let format = LogFormat::parse(&row.format)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown log format {:?}", row.format)))?;
        let fields: FieldMapping = serde_json::from_str(&row.fields)
            .map_err(|err| StoreError::Corrupt(format!("log source fields: {err}")))?;
        Ok(LogSource {
            id: LogSourceId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            service_id: ServiceId::from_string(row.service_id),
            config: LogSourceConfig {
                path: row.path,
                format,
                fields,
                poll_interval_ms: row.poll_interval_ms,
                enabled: row.enabled,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct FileRow {
    source_id: String,
    file_key: String,
    path: String,
    head: String,
    read_offset: i64,
    lines: i64,
    errors: i64,
    malformed: i64,
}

impl From<FileRow> for LogFileState {
    fn from(row: FileRow) -> Self {
        LogFileState {
            source_id: LogSourceId::from_string(row.source_id),
            file_key: row.file_key,
            path: row.path,
            head: row.head,
            offset: row.read_offset,
            lines: row.lines,
            errors: row.errors,
            malformed: row.malformed,
        }
    }
}

const COLUMNS: &str = "id, org_id, service_id, path, format, fields, poll_interval_ms, enabled, \
                       created_at, updated_at";
const FILE_COLUMNS: &str = "source_id, file_key, path, head, read_offset, lines, errors, malformed";

fn fields_json(fields: &FieldMapping) -> StoreResult<String> {
    serde_json::to_string(fields)
        .map_err(|err| StoreError::Corrupt(format!("log source fields: {err}")))
}

fn sources(rows: Vec<SourceRow>) -> StoreResult<Vec<LogSource>> {
    rows.into_iter().map(LogSource::try_from).collect()
}

impl Store {
    /// Adds a source to a service. A service outside the organization is
    /// [`StoreError::NotFound`]; the same path twice for one service a
    /// [`StoreError::Conflict`].
    pub async fn create_log_source(
        &self,
        org: &OrgId,
        service: &ServiceId,
        config: &LogSourceConfig,
        now: Millis,
    ) -> StoreResult<LogSource> {
        if self.get_service(org, service).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let fields = fields_json(&config.fields)?;
        let row: SourceRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO log_sources (id, org_id, service_id, path, format, fields, \
                 poll_interval_ms, enabled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
            ))
            .bind(LogSourceId::generate().as_str())
            .bind(org.as_str())
            .bind(service.as_str())
            .bind(&config.path)
            .bind(config.format.as_str())
            .bind(&fields)
            .bind(config.poll_interval_ms)
            .bind(config.enabled)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        row.try_into()
    }

    /// A service's sources, oldest first.
    pub async fn list_log_sources(
        &self,
        org: &OrgId,
        service: &ServiceId,
    ) -> StoreResult<Vec<LogSource>> {
        let rows: Vec<SourceRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM log_sources WHERE org_id = $1 AND service_id = $2 \
                 ORDER BY created_at, id"
            ))
            .bind(org.as_str())
            .bind(service.as_str())
            .fetch_all(pool)
            .await?
        });
        sources(rows)
    }

    /// One source of the organization.
    pub async fn get_log_source(
        &self,
        org: &OrgId,
        id: &LogSourceId,
    ) -> StoreResult<Option<LogSource>> {
        let row: Option<SourceRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM log_sources WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(LogSource::try_from).transpose()
    }

    /// Every enabled source of every organization: what the tailer reads.
    pub async fn log_sources_to_tail(&self) -> StoreResult<Vec<LogSource>> {
        let rows: Vec<SourceRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM log_sources WHERE enabled ORDER BY created_at, id"
            ))
            .fetch_all(pool)
            .await?
        });
        sources(rows)
    }

    /// Replaces a source's configuration; `None` when the organization has no such source.
    /// The tailer picks the change up at its next look at the sources.
    pub async fn update_log_source(
        &self,
        org: &OrgId,
        id: &LogSourceId,
        config: &LogSourceConfig,
        now: Millis,
    ) -> StoreResult<Option<LogSource>> {
        let fields = fields_json(&config.fields)?;
        let row: Option<SourceRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE log_sources SET path = $3, format = $4, fields = $5, \
                 poll_interval_ms = $6, enabled = $7, updated_at = $8 \
                 WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .bind(&config.path)
            .bind(config.format.as_str())
            .bind(&fields)
            .bind(config.poll_interval_ms)
            .bind(config.enabled)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        row.map(LogSource::try_from).transpose()
    }

    /// Removes a source and its offsets; `false` when the organization has no such source.
    pub async fn delete_log_source(&self, org: &OrgId, id: &LogSourceId) -> StoreResult<bool> {
        let deleted = write!(self, |pool| {
            sqlx::query("DELETE FROM log_sources WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// The files a source has read, by path.
    pub async fn log_source_files(
        &self,
        org: &OrgId,
        source: &LogSourceId,
    ) -> StoreResult<Vec<LogFileState>> {
        let rows: Vec<FileRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {FILE_COLUMNS} FROM log_source_files WHERE org_id = $1 \
                 AND source_id = $2 ORDER BY path, file_key"
            ))
            .bind(org.as_str())
            .bind(source.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(LogFileState::from).collect())
    }

    /// Stores how far a file has been read (after its events were committed).
    pub async fn save_log_file_state(
        &self,
        org: &OrgId,
        state: &LogFileState,
        now: Millis,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            sqlx::query(
                "INSERT INTO log_source_files (source_id, org_id, file_key, path, head, \
                 read_offset, lines, errors, malformed, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (source_id, file_key) DO UPDATE SET path = excluded.path, \
                 head = excluded.head, read_offset = excluded.read_offset, \
                 lines = excluded.lines, errors = excluded.errors, \
                 malformed = excluded.malformed, updated_at = excluded.updated_at",
            )
            .bind(state.source_id.as_str())
            .bind(org.as_str())
            .bind(&state.file_key)
            .bind(&state.path)
            .bind(&state.head)
            .bind(state.offset)
            .bind(state.lines)
            .bind(state.errors)
            .bind(state.malformed)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Forgets a file the source no longer sees (deleted after rotation, fully read).
    pub async fn forget_log_file(
        &self,
        org: &OrgId,
        source: &LogSourceId,
        file_key: &str,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            sqlx::query(
                "DELETE FROM log_source_files WHERE org_id = $1 AND source_id = $2 \
                 AND file_key = $3",
            )
            .bind(org.as_str())
            .bind(source.as_str())
            .bind(file_key)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
