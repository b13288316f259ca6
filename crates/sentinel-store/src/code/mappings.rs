//! Code mappings: which repository a service's stack frames live in, and how a frame's path
//! prefix turns into a repository path (migration 0018).

use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::mapping::PathMapping;
use sentinel_core::id::{CodeMappingId, OrgId, RepositoryId, ServiceId};

/// A mapping to create. Both roots empty: the service is only linked to the repository.
#[derive(Debug, Clone)]
pub struct NewCodeMapping {
    pub service_id: ServiceId,
    pub repository_id: RepositoryId,
    pub stack_root: String,
    pub source_root: String,
    /// The branch to read when the release names no commit; the repository's default
    /// branch when `None`.
    pub branch: Option<String>,
}

/// A stored mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMapping {
    pub id: CodeMappingId,
    pub service_id: ServiceId,
    pub repository_id: RepositoryId,
    pub stack_root: String,
    pub source_root: String,
    pub branch: Option<String>,
    pub created_at: Millis,
}

impl CodeMapping {
    pub fn path_mapping(&self) -> PathMapping {
        PathMapping {
            stack_root: self.stack_root.clone(),
            source_root: self.source_root.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct MappingRow {
    id: String,
    service_id: String,
    repository_id: String,
    stack_root: String,
    source_root: String,
    branch: Option<String>,
    created_at: i64,
}

impl From<MappingRow> for CodeMapping {
    fn from(row: MappingRow) -> Self {
        CodeMapping {
            id: CodeMappingId::from_string(row.id),
            service_id: ServiceId::from_string(row.service_id),
            repository_id: RepositoryId::from_string(row.repository_id),
            stack_root: row.stack_root,
            source_root: row.source_root,
            branch: row.branch,
            created_at: row.created_at,
        }
    }
}

const COLUMNS: &str = "id, service_id, repository_id, stack_root, source_root, branch, created_at";

impl Store {
    /// Adds a mapping. A service or repository outside the organization is
    /// [`StoreError::NotFound`]; the same (service, repository, stack root) twice is a
    /// [`StoreError::Conflict`].
    pub async fn create_code_mapping(
        &self,
        org: &OrgId,
        new: &NewCodeMapping,
        now: Millis,
    ) -> StoreResult<CodeMapping> {
        let owned: (i64,) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM services WHERE id = $1 AND org_id = $3) \
                 + (SELECT COUNT(*) FROM repositories WHERE id = $2 AND org_id = $3)",
            )
            .bind(new.service_id.as_str())
            .bind(new.repository_id.as_str())
            .bind(org.as_str())
            .fetch_one(pool)
            .await?
        });
        if owned.0 != 2 {
            return Err(StoreError::NotFound);
        }
        let row: MappingRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO code_mappings (id, org_id, service_id, repository_id, stack_root, \
                 source_root, branch, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING {COLUMNS}"
            ))
            .bind(CodeMappingId::generate().as_str())
            .bind(org.as_str())
            .bind(new.service_id.as_str())
            .bind(new.repository_id.as_str())
            .bind(&new.stack_root)
            .bind(&new.source_root)
            .bind(new.branch.as_deref())
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(row.into())
    }

    /// A service's mappings, oldest first.
    pub async fn list_code_mappings(
        &self,
        org: &OrgId,
        service: &ServiceId,
    ) -> StoreResult<Vec<CodeMapping>> {
        let rows: Vec<MappingRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM code_mappings WHERE org_id = $1 AND service_id = $2 \
                 ORDER BY created_at, id"
            ))
            .bind(org.as_str())
            .bind(service.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(CodeMapping::from).collect())
    }

    /// Removes a mapping; `false` when the organization has no such mapping.
    pub async fn delete_code_mapping(&self, org: &OrgId, id: &CodeMappingId) -> StoreResult<bool> {
        let deleted = write!(self, |pool| {
            sqlx::query("DELETE FROM code_mappings WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }
}
