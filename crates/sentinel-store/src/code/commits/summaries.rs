//! The attribution of many commits at once, without their files: what the event feed shows
//! beside each commit it lists.

use super::reads::parse_named;
use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::code::{AiTool, AttributionMethod};
use sentinel_core::id::{OrgId, RepositoryId};

use super::CommitStatus;

/// A commit's attribution at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitSummary {
    pub sha: String,
    pub status: CommitStatus,
    pub ai_confidence: Option<f64>,
    pub method: Option<AttributionMethod>,
    pub tool: Option<AiTool>,
    pub lines_added: i64,
    pub lines_deleted: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    sha: String,
    status: String,
    ai_confidence: Option<f64>,
    method: Option<String>,
    tool: Option<String>,
    lines_added: i64,
    lines_deleted: i64,
}

/// The most shas one call reads (a feed page is at most 200 events).
const MAX_SHAS: usize = 200;

impl Store {
    /// The attribution of those of `shas` the repository knows, in no particular order.
    /// At most the first 200 shas are read.
    pub async fn commit_summaries(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        shas: &[&str],
    ) -> StoreResult<Vec<CommitSummary>> {
        let shas = &shas[..shas.len().min(MAX_SHAS)];
        if shas.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (0..shas.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT sha, status, ai_confidence, method, tool, lines_added, lines_deleted \
             FROM commits WHERE org_id = $1 AND repository_id = $2 AND sha IN ({placeholders})"
        );
        let rows: Vec<SummaryRow> = read!(self, |pool| {
            let mut query = sqlx::query_as(&sql)
                .bind(org.as_str())
                .bind(repository.as_str());
            for sha in shas {
                query = query.bind(*sha);
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(CommitSummary {
                    status: CommitStatus::parse(&row.status)?,
                    method: row.method.as_deref().map(parse_named).transpose()?,
                    tool: row.tool.as_deref().map(parse_named).transpose()?,
                    sha: row.sha,
                    ai_confidence: row.ai_confidence,
                    lines_added: row.lines_added,
                    lines_deleted: row.lines_deleted,
                })
            })
            .collect()
    }
}
