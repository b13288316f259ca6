//! `GET /repositories`: the organization's repositories a page at a time, each with its last
//! 30 days at a glance, and the GitHub App installations it has claimed.

use super::{list_failed, percent};
use crate::api::code::overview::DEFAULT_RANGE_MS;
use crate::dashboard::format::{count, HtmlTime};
use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// Repositories per page.
const PAGE: u32 = 50;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
    /// Set by the GitHub setup URL after a claim: the installation just connected.
    #[serde(default)]
    installed: Option<String>,
}

pub struct RepoRow {
    id: String,
    full_name: String,
    default_branch: String,
    source: String,
    commits: String,
    ai_share_by_commit: String,
    ai_share_by_line: String,
    high_risk_files: String,
}

pub struct InstallationRow {
    github_id: i64,
    account: String,
    state: &'static str,
    claimed_at: Option<HtmlTime>,
}

#[derive(Template)]
#[template(path = "repositories.html")]
struct RepositoriesPage {
    layout: Layout,
    rows: Vec<RepoRow>,
    installations: Vec<InstallationRow>,
    installed: Option<InstallationRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// `GET /repositories`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let cursor = params.cursor.as_deref().filter(|c| !c.is_empty());
    let page = state
        .store
        .list_repositories(org, cursor, PAGE)
        .await
        .map_err(list_failed)?;
    let now = state.clock.now_ms();
    let (from, to) = (now - DEFAULT_RANGE_MS, now + 1);
    let mut rows = Vec::with_capacity(page.items.len());
    for repo in &page.items {
        let overview = state
            .store
            .repository_overview(org, &repo.id, from, to)
            .await?;
        let source = match (&repo.installation_id, &repo.clone_path) {
            (Some(installation), Some(path)) => {
                format!("GitHub App #{installation} · clone {path}")
            }
            (Some(installation), None) => format!("GitHub App #{installation}"),
            (None, Some(path)) => format!("clone {path}"),
            (None, None) => "not connected".to_string(),
        };
        rows.push(RepoRow {
            id: repo.id.as_str().to_string(),
            full_name: repo.full_name.clone(),
            default_branch: repo.default_branch.clone(),
            source,
            commits: count(overview.commits),
            ai_share_by_commit: percent(overview.ai_share_by_commit()),
            ai_share_by_line: percent(overview.ai_share_by_line()),
            high_risk_files: count(overview.high_risk_files),
        });
    }
    let installations: Vec<InstallationRow> = state
        .store
        .list_installations(org)
        .await?
        .into_iter()
        .map(|i| InstallationRow {
            github_id: i.github_id,
            account: format!("{} ({})", i.account_login, i.account_type),
            state: if i.deleted {
                "uninstalled"
            } else if i.suspended {
                "suspended"
            } else {
                "active"
            },
            claimed_at: i.claimed_at.map(HtmlTime),
        })
        .collect();
    let installed = params
        .installed
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| installations.iter().find(|i| i.github_id == id))
        .map(|i| InstallationRow {
            github_id: i.github_id,
            account: i.account.clone(),
            state: i.state,
            claimed_at: i.claimed_at,
        });
    let page_html = RepositoriesPage {
        layout: viewer.layout("Repositories", "code"),
        rows,
        installations,
        installed,
        next_href: page.next_cursor.as_deref().map(|c| {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("cursor", c)
                .finish();
            format!("/repositories?{query}")
        }),
        first_href: cursor.map(|_| "/repositories".to_string()),
    };
    render(&page_html)
}
