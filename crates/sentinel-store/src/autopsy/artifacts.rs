//! The artifacts' index (type, key, size, SHA-256; the bytes are in the artifact store) and
//! the file snapshots the tracing step took.

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{ArtifactId, IncidentId, OrgId, WorkflowId};
use sentinel_core::workflow::ArtifactKind;

/// An artifact about to be indexed; its bytes are already stored under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    pub id: ArtifactId,
    pub workflow_id: WorkflowId,
    pub incident_id: IncidentId,
    pub kind: ArtifactKind,
    pub key: String,
    pub size: i64,
    pub sha256: String,
}

/// An indexed artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub id: ArtifactId,
    pub workflow_id: WorkflowId,
    pub incident_id: IncidentId,
    pub kind: ArtifactKind,
    pub key: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: Millis,
}

#[derive(sqlx::FromRow)]
struct ArtifactRow {
    id: String,
    workflow_id: String,
    incident_id: String,
    artifact_type: String,
    key: String,
    size: i64,
    sha256: String,
    created_at: i64,
}

impl TryFrom<ArtifactRow> for Artifact {
    type Error = StoreError;

    fn try_from(row: ArtifactRow) -> StoreResult<Self> {
        Ok(Artifact {
            kind: ArtifactKind::parse(&row.artifact_type).ok_or_else(|| {
                StoreError::Corrupt(format!("artifact type {}", row.artifact_type))
            })?,
            id: ArtifactId::from_string(row.id),
            workflow_id: WorkflowId::from_string(row.workflow_id),
            incident_id: IncidentId::from_string(row.incident_id),
            key: row.key,
            size: row.size,
            sha256: row.sha256,
            created_at: row.created_at,
        })
    }
}

const COLUMNS: &str = "id, workflow_id, incident_id, artifact_type, key, size, sha256, created_at";

/// The lines around one frame, as the tracing step took them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFileSnapshot {
    pub workflow_id: WorkflowId,
    pub incident_id: IncidentId,
    pub path: String,
    pub first_line: i64,
    pub focus_line: i64,
    /// `sdk_context` or `repository`.
    pub source: String,
    pub content: String,
}

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FileSnapshotRow {
    pub path: String,
    pub first_line: i64,
    pub focus_line: i64,
    pub source: String,
    pub content: String,
    pub created_at: i64,
}

impl Store {
    /// Indexes an artifact. The same key twice (a step that ran again) is a
    /// [`StoreError::Conflict`].
    pub async fn add_artifact(
        &self,
        org: &OrgId,
        new: &NewArtifact,
        now: Millis,
    ) -> StoreResult<Artifact> {
        let row: ArtifactRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO artifacts (org_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING {COLUMNS}"
            ))
            .bind(org.as_str())
            .bind(new.id.as_str())
            .bind(new.workflow_id.as_str())
            .bind(new.incident_id.as_str())
            .bind(new.kind.as_str())
            .bind(&new.key)
            .bind(new.size)
            .bind(&new.sha256)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        row.try_into()
    }

    pub async fn get_artifact(
        &self,
        org: &OrgId,
        id: &ArtifactId,
    ) -> StoreResult<Option<Artifact>> {
        let row: Option<ArtifactRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM artifacts WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Artifact::try_from).transpose()
    }

    /// A workflow's artifacts, oldest first.
    pub async fn list_artifacts(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
    ) -> StoreResult<Vec<Artifact>> {
        let rows: Vec<ArtifactRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM artifacts WHERE org_id = $1 AND workflow_id = $2 \
                 ORDER BY created_at, id"
            ))
            .bind(org.as_str())
            .bind(workflow.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Artifact::try_from).collect()
    }

    /// Replaces a workflow's snapshots with `snapshots` (a tracing step that ran again
    /// leaves one set).
    pub async fn replace_file_snapshots(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
        snapshots: &[NewFileSnapshot],
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        crate::db::tx!(&mut tx, |conn| {
            sqlx::query("DELETE FROM file_snapshots WHERE org_id = $1 AND workflow_id = $2")
                .bind(org.as_str())
                .bind(workflow.as_str())
                .execute(conn)
                .await?;
        });
        for s in snapshots {
            crate::db::tx!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO file_snapshots (id, org_id, workflow_id, incident_id, path, \
                     first_line, focus_line, source, content, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(ulid::Ulid::new().to_string())
                .bind(org.as_str())
                .bind(s.workflow_id.as_str())
                .bind(s.incident_id.as_str())
                .bind(&s.path)
                .bind(s.first_line)
                .bind(s.focus_line)
                .bind(&s.source)
                .bind(&s.content)
                .bind(now)
                .execute(conn)
                .await?;
            });
        }
        tx.commit().await
    }

    pub async fn list_file_snapshots(
        &self,
        org: &OrgId,
        workflow: &WorkflowId,
    ) -> StoreResult<Vec<FileSnapshotRow>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT path, first_line, focus_line, source, content, created_at \
                 FROM file_snapshots WHERE org_id = $1 AND workflow_id = $2 ORDER BY created_at, id",
            )
            .bind(org.as_str())
            .bind(workflow.as_str())
            .fetch_all(pool)
            .await?
        }))
    }
}
