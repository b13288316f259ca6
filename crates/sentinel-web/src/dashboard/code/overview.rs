//! `GET /repositories/{id}`: a repository's overview over 7 days to its whole history —
//! commits, AI share by commit and by line, T3/T4 files, tools seen — with the AI share over
//! time as a chart, the latest high-risk files and the latest commits.

use super::chart::{bucketize, share_chart, Step};
use super::feed::{commit_rows, CommitRow};
use super::high_risk::{high_risk_rows, HighRiskRow};
use super::{list_failed, percent, repository, RepoHeader};
use crate::dashboard::format::count;
use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sentinel_core::clock::Millis;
use sentinel_core::code::CodeEventKind;
use sentinel_store::code::CodeEventFilter;
use serde::Deserialize;

const DAY_MS: Millis = 86_400_000;

/// The ranges the page offers: query value, label, days (`None`: the whole history).
const RANGES: [(&str, &str, Option<i64>); 5] = [
    ("7d", "7 days", Some(7)),
    ("30d", "30 days", Some(30)),
    ("90d", "90 days", Some(90)),
    ("1y", "1 year", Some(365)),
    ("all", "All time", None),
];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OverviewParams {
    #[serde(default)]
    range: Option<String>,
}

pub struct RangeChip {
    label: &'static str,
    href: String,
    active: bool,
}

pub struct ToolRow {
    tool: &'static str,
    commits: String,
}

#[derive(Template)]
#[template(path = "repository.html")]
struct OverviewPage {
    layout: Layout,
    repo: RepoHeader,
    ranges: Vec<RangeChip>,
    range_label: &'static str,
    commits: String,
    ai_commits: String,
    ai_share_by_commit: String,
    lines_added: String,
    ai_lines_added: String,
    ai_share_by_line: String,
    high_risk_files: String,
    tools: Vec<ToolRow>,
    chart: Option<String>,
    step: &'static str,
    risky: Vec<HighRiskRow>,
    more_risky: bool,
    recent: Vec<CommitRow>,
}

/// `GET /repositories/{id}`
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<OverviewParams>,
) -> Result<Response, PageError> {
    let repo = repository(&state, &viewer, &id).await?;
    let org = &viewer.org.id;
    let chosen = params.range.as_deref().unwrap_or("30d");
    let (_, range_label, days) = RANGES
        .iter()
        .copied()
        .find(|(value, _, _)| *value == chosen)
        .ok_or_else(|| PageError::BadRequest(format!("unknown range {chosen:?}")))?;
    let now = state.clock.now_ms();
    let to = now + 1;
    let from = days.map_or(0, |d| to - d * DAY_MS);
    let overview = state
        .store
        .repository_overview(org, &repo.id, from, to)
        .await?;
    let span = match overview.days.first() {
        Some(first) => to - from.max(first.day_start),
        None => to - from,
    };
    let step = Step::for_span(span);
    let buckets = bucketize(&overview.days, from, to, step);
    let risky = state
        .store
        .list_high_risk_files(org, &repo.id, None, 10)
        .await
        .map_err(list_failed)?;
    let recent = state
        .store
        .list_code_events(
            org,
            &repo.id,
            &CodeEventFilter {
                kind: Some(CodeEventKind::Commit),
                ..CodeEventFilter::default()
            },
            None,
            10,
        )
        .await
        .map_err(list_failed)?;
    let page = OverviewPage {
        layout: viewer.layout(repo.full_name.clone(), "code"),
        ranges: RANGES
            .iter()
            .map(|(value, label, _)| RangeChip {
                label,
                href: format!("/repositories/{}?range={value}", repo.id.as_str()),
                active: *value == chosen,
            })
            .collect(),
        range_label,
        commits: count(overview.commits),
        ai_commits: count(overview.ai_commits),
        ai_share_by_commit: percent(overview.ai_share_by_commit()),
        lines_added: count(overview.lines_added),
        ai_lines_added: count(overview.ai_lines_added),
        ai_share_by_line: percent(overview.ai_share_by_line()),
        high_risk_files: count(overview.high_risk_files),
        tools: overview
            .tools
            .iter()
            .map(|t| ToolRow {
                tool: t.tool.as_str(),
                commits: match t.commits {
                    1 => "1 commit".to_string(),
                    n => format!("{} commits", count(n)),
                },
            })
            .collect(),
        chart: (!buckets.is_empty()).then(|| share_chart(&buckets, step)),
        step: step.noun(),
        more_risky: risky.next_cursor.is_some(),
        risky: high_risk_rows(&repo, &risky.items),
        recent: commit_rows(&state, org, &repo, &recent.items).await?,
        repo: RepoHeader::new(&repo, "overview"),
    };
    render(&page)
}
