//! `GET /api/v1/repositories/{id}/overview?from=&to=`: commits, AI share by commit and by
//! line, T3/T4 files and tools seen over a range of author dates (default: the 30 days up to
//! now), with the same figures per UTC day; and `GET /api/v1/repositories/{id}/high-risk-files`:
//! each T3/T4 path with its latest attribution.

use super::{Page, QueryParams, SignalAnswer};
use crate::api::repositories::{find, list_error};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use sentinel_core::clock::Millis;
use sentinel_core::id::RepositoryId;
use sentinel_core::role::Role;
use sentinel_store::code::{HighRiskFile, OverviewDay, RepositoryOverview};
use serde::Serialize;

/// The range an overview covers when `from` is not given.
pub const DEFAULT_RANGE_MS: Millis = 30 * 86_400_000;

/// A repository's overview, as answered.
#[derive(Debug, Serialize)]
pub struct OverviewAnswer {
    pub repository_id: RepositoryId,
    pub from: Millis,
    pub to: Millis,
    /// Attributed commits, merges left out.
    pub commits: i64,
    pub ai_commits: i64,
    /// `ai_commits / commits`, 0–1.
    pub ai_share_by_commit: f64,
    pub lines_added: i64,
    /// Lines added in files attributed as AI (confidence ≥ 0.5).
    pub ai_lines_added: i64,
    /// `ai_lines_added / lines_added`, 0–1.
    pub ai_share_by_line: f64,
    /// Distinct T3/T4 paths changed in the range.
    pub high_risk_files: i64,
    pub tools: Vec<ToolAnswer>,
    pub days: Vec<DayAnswer>,
}

#[derive(Debug, Serialize)]
pub struct ToolAnswer {
    pub tool: &'static str,
    pub commits: i64,
}

#[derive(Debug, Serialize)]
pub struct DayAnswer {
    pub day_start: Millis,
    pub commits: i64,
    pub ai_commits: i64,
    pub lines_added: i64,
    pub ai_lines_added: i64,
}

impl From<&OverviewDay> for DayAnswer {
    fn from(day: &OverviewDay) -> Self {
        Self {
            day_start: day.day_start,
            commits: day.commits,
            ai_commits: day.ai_commits,
            lines_added: day.lines_added,
            ai_lines_added: day.ai_lines_added,
        }
    }
}

impl OverviewAnswer {
    pub fn new(
        repository_id: RepositoryId,
        from: Millis,
        to: Millis,
        o: &RepositoryOverview,
    ) -> Self {
        Self {
            repository_id,
            from,
            to,
            commits: o.commits,
            ai_commits: o.ai_commits,
            ai_share_by_commit: o.ai_share_by_commit(),
            lines_added: o.lines_added,
            ai_lines_added: o.ai_lines_added,
            ai_share_by_line: o.ai_share_by_line(),
            high_risk_files: o.high_risk_files,
            tools: o
                .tools
                .iter()
                .map(|t| ToolAnswer {
                    tool: t.tool.as_str(),
                    commits: t.commits,
                })
                .collect(),
            days: o.days.iter().map(DayAnswer::from).collect(),
        }
    }
}

/// `[from, to)` from the query, defaulting to the 30 days up to `now`.
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    now: Millis,
) -> Result<(Millis, Millis), ApiError> {
    let to = match to {
        Some(text) => super::parse_time("to", text)?,
        // Up to and including this millisecond.
        None => now.saturating_add(1),
    };
    let from = match from {
        Some(text) => super::parse_time("from", text)?,
        None => to.saturating_sub(DEFAULT_RANGE_MS),
    };
    if from >= to {
        return Err(ApiError::bad_request("from must be before to"));
    }
    Ok((from, to))
}

pub async fn overview(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<OverviewAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let mut params = QueryParams::parse(raw.as_deref());
    let from = params.take("from");
    let to = params.take("to");
    params.finish()?;
    let (from, to) = range(from.as_deref(), to.as_deref(), state.clock.now_ms())?;
    let repo = find(&state, &principal, &id).await?;
    let overview = state
        .store
        .repository_overview(&principal.org_id, &repo.id, from, to)
        .await?;
    Ok(Json(OverviewAnswer::new(repo.id, from, to, &overview)))
}

/// A high-risk file, as answered: its latest T3/T4 attribution.
#[derive(Debug, Serialize)]
pub struct HighRiskFileAnswer {
    pub path: String,
    /// How many commits changed it while it was T3/T4.
    pub changes: i64,
    pub sha: String,
    pub authored_at: Millis,
    pub ai_confidence: f64,
    pub method: &'static str,
    pub tool: Option<&'static str>,
    pub risk_tier: &'static str,
    pub risk_score: f64,
    pub flagged: bool,
    pub explanation: String,
    pub signals: Vec<SignalAnswer>,
}

impl From<&HighRiskFile> for HighRiskFileAnswer {
    fn from(file: &HighRiskFile) -> Self {
        let latest = &file.latest;
        Self {
            path: latest.path.clone(),
            changes: file.changes,
            sha: latest.sha.clone(),
            authored_at: latest.authored_at,
            ai_confidence: latest.ai_confidence,
            method: latest.method.as_str(),
            tool: latest.tool.map(|t| t.as_str()),
            risk_tier: latest.risk_tier.as_str(),
            risk_score: latest.risk_score,
            flagged: latest.flagged,
            explanation: latest.explanation.clone(),
            signals: latest.signals.iter().map(SignalAnswer::from).collect(),
        }
    }
}

pub async fn high_risk_files(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<HighRiskFileAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let mut params = QueryParams::parse(raw.as_deref());
    let cursor = params.take("cursor");
    let limit = params.limit()?;
    params.finish()?;
    let repo = find(&state, &principal, &id).await?;
    let page = state
        .store
        .list_high_risk_files(&principal.org_id, &repo.id, cursor.as_deref(), limit)
        .await
        .map_err(list_error)?;
    Ok(Json(Page {
        data: page.items.iter().map(HighRiskFileAnswer::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
