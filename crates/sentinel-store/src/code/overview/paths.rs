//! How many distinct T3/T4 paths changed in a range of time: the overview's "high-risk files".
//!
//! Two ways to count give the same answer at different costs. Walking the range's high-risk
//! rows and counting distinct paths costs one index entry per row in the range: cheap for a
//! month, 144,000 entries and a sort for three years of a busy repository. Walking the
//! repository's high-risk paths one by one (an index seek to the next path, then one to any
//! row of it in the range) costs two seeks per path, whatever the range. A probe of at most
//! [`RANGE_SCAN_LIMIT`] entries decides which one a call uses.

use crate::db::read;
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, RepositoryId};

/// Rows in range up to which counting distinct paths over the range is the cheaper way.
pub const RANGE_SCAN_LIMIT: i64 = 20_000;

/// How [`Store::count_high_risk_paths`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathCount {
    /// `COUNT(DISTINCT path)` over the range's rows.
    OverRange,
    /// Path by path, each checked for a row in the range.
    PathByPath,
}

impl Store {
    /// Distinct T3/T4 paths with a change authored in `[from, to)`. `how` forces one way of
    /// counting (the shared suite checks that both agree); `None` picks the cheaper.
    pub async fn count_high_risk_paths(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        from: Millis,
        to: Millis,
        how: Option<PathCount>,
    ) -> StoreResult<i64> {
        let in_range = "org_id = $1 AND repository_id = $2 AND authored_at >= $3 \
             AND authored_at < $4 AND risk_tier IN ('T3', 'T4')";
        let how = match how {
            Some(how) => how,
            None => {
                let probe = format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM code_attribution WHERE {in_range} \
                     LIMIT {RANGE_SCAN_LIMIT}) probe"
                );
                let rows: i64 = read!(self, |pool| {
                    sqlx::query_scalar(&probe)
                        .bind(org.as_str())
                        .bind(repository.as_str())
                        .bind(from)
                        .bind(to)
                        .fetch_one(pool)
                        .await?
                });
                if rows < RANGE_SCAN_LIMIT {
                    PathCount::OverRange
                } else {
                    PathCount::PathByPath
                }
            }
        };
        let sql = match how {
            PathCount::OverRange => {
                format!("SELECT COUNT(DISTINCT path) FROM code_attribution WHERE {in_range}")
            }
            // Each step seeks the next path in `code_attribution_high_risk`; the count keeps
            // those with a row in range (one more seek each).
            PathCount::PathByPath => "WITH RECURSIVE p(path) AS (\
                 SELECT MIN(path) FROM code_attribution WHERE org_id = $1 \
                 AND repository_id = $2 AND risk_tier IN ('T3', 'T4') \
                 UNION ALL SELECT (SELECT MIN(c.path) FROM code_attribution c \
                 WHERE c.org_id = $1 AND c.repository_id = $2 AND c.risk_tier IN ('T3', 'T4') \
                 AND c.path > p.path) FROM p WHERE p.path IS NOT NULL) \
                 SELECT COUNT(*) FROM p WHERE p.path IS NOT NULL AND EXISTS (SELECT 1 \
                 FROM code_attribution e WHERE e.org_id = $1 AND e.repository_id = $2 \
                 AND e.risk_tier IN ('T3', 'T4') AND e.path = p.path \
                 AND e.authored_at >= $3 AND e.authored_at < $4)"
                .to_string(),
        };
        let count: i64 = read!(self, |pool| {
            sqlx::query_scalar(&sql)
                .bind(org.as_str())
                .bind(repository.as_str())
                .bind(from)
                .bind(to)
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }
}
