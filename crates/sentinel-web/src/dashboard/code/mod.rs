//! The code pages: the organization's repositories, a repository's overview with its AI
//! share over time, its event feed, a commit explained signal by signal (with a form for a
//! person's verdict), its high-risk files, and the GitHub App's setup URL.
//!
//! Like every dashboard page they are rendered on the server and need no script: filters
//! are query strings, the chart is inline SVG with native tooltips.

mod chart;
mod commit;
mod feed;
mod high_risk;
mod overview;
mod repositories;
mod setup;

use super::viewer::Viewer;
use super::PageError;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use sentinel_core::id::RepositoryId;
use sentinel_store::code::{ListError, Repository, AI_CONFIDENCE_THRESHOLD};

/// The code pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/repositories", get(repositories::list))
        .route("/repositories/{id}", get(overview::show))
        .route("/repositories/{id}/events", get(feed::list))
        .route("/repositories/{id}/high-risk", get(high_risk::list))
        .route("/repositories/{id}/commits/{sha}", get(commit::show))
        .route(
            "/repositories/{id}/commits/{sha}/override",
            post(commit::override_verdict),
        )
        .route("/github/setup", get(setup::setup))
}

/// The repository's name and tabs, above each of its pages.
pub struct RepoHeader {
    pub id: String,
    pub full_name: String,
    /// The highlighted tab: `overview`, `events`, `high-risk` (none on a commit page).
    pub tab: &'static str,
}

impl RepoHeader {
    pub fn new(repo: &Repository, tab: &'static str) -> Self {
        Self {
            id: repo.id.as_str().to_string(),
            full_name: repo.full_name.clone(),
            tab,
        }
    }
}

/// The viewer's organization's repository `id`, or 404 (also for another organization's).
pub async fn repository(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Repository, PageError> {
    state
        .store
        .get_repository(&viewer.org.id, &RepositoryId::from_string(id))
        .await?
        .ok_or_else(|| PageError::NotFound("no such repository".to_string()))
}

/// A list's failure as a page: a cursor from an old link is the reader's to restart.
pub fn list_failed(err: ListError) -> PageError {
    match err {
        ListError::InvalidCursor(_) => PageError::BadRequest(
            "this page link is out of date; start again from the first page".into(),
        ),
        ListError::Store(err) => err.into(),
    }
}

/// A share as a percentage: `42 %`, `4.2 %` below ten, `0 %`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0 %".to_string()
    } else if p < 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

/// A confidence with two decimals.
pub fn confidence(value: f64) -> String {
    format!("{value:.2}")
}

/// The CSS class of a confidence badge: AI from the threshold on, else human; `some` for a
/// weak signal below it.
pub fn confidence_class(value: f64) -> &'static str {
    if value >= AI_CONFIDENCE_THRESHOLD {
        "c-ai"
    } else if value > 0.0 {
        "c-some"
    } else {
        "c-human"
    }
}

/// The first ten characters of a sha.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(10).collect()
}

/// A UTC offset in minutes as `+02:00` / `-04:30`.
pub fn utc_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_offsets_read_well() {
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.042), "4.2 %");
        assert_eq!(percent(0.5), "50 %");
        assert_eq!(utc_offset(120), "+02:00");
        assert_eq!(utc_offset(-270), "-04:30");
        assert_eq!(utc_offset(0), "+00:00");
        assert_eq!(confidence_class(0.95), "c-ai");
        assert_eq!(confidence_class(0.3), "c-some");
        assert_eq!(confidence_class(0.0), "c-human");
        assert_eq!(short_sha("0123456789abcdef"), "0123456789");
    }
}
