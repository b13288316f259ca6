//! `GET /repositories/{id}/high-risk`: every T3/T4 path of a repository by path, each with
//! its latest attribution (who wrote the last high-risk change, how sure Sentinel is, and
//! why the file is in its tier), a page at a time.

use super::{confidence, confidence_class, list_failed, repository, short_sha, RepoHeader};
use crate::dashboard::format::{count, HtmlTime};
use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sentinel_store::code::{HighRiskFile, Repository};
use serde::Deserialize;

/// Files per page.
const PAGE: u32 = 50;

pub struct HighRiskRow {
    pub(super) path: String,
    pub(super) tier: &'static str,
    pub(super) score: String,
    pub(super) confidence: String,
    pub(super) confidence_class: &'static str,
    pub(super) method: &'static str,
    pub(super) tool: Option<&'static str>,
    pub(super) flagged: bool,
    pub(super) changes: String,
    pub(super) sha: String,
    pub(super) commit_href: String,
    pub(super) at: HtmlTime,
    pub(super) explanation: String,
}

/// The files as rows.
pub fn high_risk_rows(repo: &Repository, files: &[HighRiskFile]) -> Vec<HighRiskRow> {
    files
        .iter()
        .map(|file| {
            let latest = &file.latest;
            HighRiskRow {
                path: latest.path.clone(),
                tier: latest.risk_tier.as_str(),
                score: format!("{:.2}", latest.risk_score),
                confidence: confidence(latest.ai_confidence),
                confidence_class: confidence_class(latest.ai_confidence),
                method: latest.method.as_str(),
                tool: latest.tool.map(|t| t.as_str()),
                flagged: latest.flagged,
                changes: count(file.changes),
                sha: short_sha(&latest.sha),
                commit_href: format!("/repositories/{}/commits/{}", repo.id.as_str(), latest.sha),
                at: HtmlTime(latest.authored_at),
                explanation: latest.explanation.clone(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HighRiskParams {
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "high_risk.html")]
struct HighRiskPage {
    layout: Layout,
    repo: RepoHeader,
    risky: Vec<HighRiskRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// `GET /repositories/{id}/high-risk`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<HighRiskParams>,
) -> Result<Response, PageError> {
    let repo = repository(&state, &viewer, &id).await?;
    let cursor = params.cursor.as_deref().filter(|c| !c.is_empty());
    let page = state
        .store
        .list_high_risk_files(&viewer.org.id, &repo.id, cursor, PAGE)
        .await
        .map_err(list_failed)?;
    let path = format!("/repositories/{}/high-risk", repo.id.as_str());
    let html = HighRiskPage {
        layout: viewer.layout(format!("High-risk files · {}", repo.full_name), "code"),
        risky: high_risk_rows(&repo, &page.items),
        next_href: page.next_cursor.as_deref().map(|c| {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("cursor", c)
                .finish();
            format!("{path}?{query}")
        }),
        first_href: cursor.map(|_| path.clone()),
        repo: RepoHeader::new(&repo, "high-risk"),
    };
    render(&html)
}
