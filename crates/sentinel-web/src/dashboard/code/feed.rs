//! `GET /repositories/{id}/events`: a repository's code-event feed, newest first, filtered
//! by type, author and AI/human through the query string (a plain GET form), a page at a
//! time. Each event about a commit shows that commit's attribution.

use super::{confidence, list_failed, repository, short_sha, RepoHeader};
use crate::api::code::events::parse_filter;
use crate::api::code::QueryParams;
use crate::dashboard::format::HtmlTime;
use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sentinel_core::code::{
    AttributionMethod, CodeEventDetails, CodeEventKind, PrAction, ReviewState,
};
use sentinel_core::id::OrgId;
use sentinel_store::code::{
    CommitStatus, CommitSummary, Repository, StoredCodeEvent, AI_CONFIDENCE_THRESHOLD,
};
use std::collections::HashMap;

/// Events per page.
const PAGE: u32 = 50;

/// A commit's attribution as a badge.
pub struct Verdict {
    pub(super) class: &'static str,
    pub(super) text: String,
}

impl Verdict {
    fn of(summary: &CommitSummary) -> Self {
        match (summary.status, summary.ai_confidence) {
            (CommitStatus::Attributed, Some(c)) => {
                let ai = c >= AI_CONFIDENCE_THRESHOLD;
                let mut text = format!("{} {}", if ai { "AI" } else { "human" }, confidence(c));
                if let Some(tool) = summary.tool.filter(|_| ai) {
                    text.push_str(&format!(" · {tool}"));
                }
                if summary.method == Some(AttributionMethod::ManualOverride) {
                    text.push_str(" · set by a person");
                }
                Verdict {
                    class: super::confidence_class(c),
                    text,
                }
            }
            (CommitStatus::Unavailable, _) => Verdict {
                class: "c-none",
                text: "unavailable".into(),
            },
            _ => Verdict {
                class: "c-none",
                text: "pending".into(),
            },
        }
    }
}

/// One row of the feed.
pub struct EventRow {
    occurred: HtmlTime,
    kind: &'static str,
    actor: String,
    summary: String,
    sha: Option<String>,
    commit_href: Option<String>,
    /// A link the event itself points to (its incident).
    link: Option<(String, String)>,
    verdict: Option<Verdict>,
}

/// One commit of the overview's "latest commits".
pub struct CommitRow {
    pub(super) sha: String,
    pub(super) href: String,
    pub(super) subject: String,
    pub(super) actor: String,
    pub(super) at: HtmlTime,
    pub(super) verdict: Option<Verdict>,
}

/// The attribution of the commits these events are about, by sha.
async fn verdicts(
    state: &AppState,
    org: &OrgId,
    repo: &Repository,
    events: &[StoredCodeEvent],
) -> Result<HashMap<String, CommitSummary>, PageError> {
    let mut shas: Vec<&str> = events.iter().filter_map(|e| e.event.sha()).collect();
    shas.sort_unstable();
    shas.dedup();
    let summaries = state.store.commit_summaries(org, &repo.id, &shas).await?;
    Ok(summaries.into_iter().map(|s| (s.sha.clone(), s)).collect())
}

fn commit_href(repo: &Repository, sha: &str) -> String {
    format!("/repositories/{}/commits/{sha}", repo.id.as_str())
}

/// The commit events as rows of the overview's list.
pub async fn commit_rows(
    state: &AppState,
    org: &OrgId,
    repo: &Repository,
    events: &[StoredCodeEvent],
) -> Result<Vec<CommitRow>, PageError> {
    let verdicts = verdicts(state, org, repo, events).await?;
    Ok(events
        .iter()
        .filter_map(|e| match &e.event.details {
            CodeEventDetails::Commit(c) => Some(CommitRow {
                sha: short_sha(&c.sha),
                href: commit_href(repo, &c.sha),
                subject: c.message.lines().next().unwrap_or("").to_string(),
                actor: e.event.actor.clone(),
                at: HtmlTime(e.event.occurred_at),
                verdict: verdicts.get(&c.sha).map(Verdict::of),
            }),
            _ => None,
        })
        .collect())
}

/// What an event says, in one line.
fn summary_of(details: &CodeEventDetails) -> String {
    match details {
        CodeEventDetails::Commit(c) => {
            let mut text = c.message.lines().next().unwrap_or("").to_string();
            if let Some(branch) = &c.branch {
                text.push_str(&format!(" — on {branch}"));
            }
            if c.forced {
                text.push_str(" (forced push)");
            }
            if !c.distinct {
                text.push_str(" (already on another branch)");
            }
            text
        }
        CodeEventDetails::BranchDeleted { branch, before_sha } => {
            format!("deleted branch {branch} (was {})", short_sha(before_sha))
        }
        CodeEventDetails::PullRequest(pr) => {
            let action = match pr.action {
                PrAction::Opened => "opened",
                PrAction::Reopened => "reopened",
                PrAction::Synchronized => "new commits",
                PrAction::Edited => "edited",
                PrAction::Merged => "merged",
                PrAction::Closed => "closed unmerged",
            };
            format!(
                "#{} {} — {action}, {} → {}",
                pr.number, pr.title, pr.head_branch, pr.base_branch
            )
        }
        CodeEventDetails::Review(r) => {
            let verdict = match r.state {
                ReviewState::Approved => "approved",
                ReviewState::ChangesRequested => "changes requested",
                ReviewState::Commented => "commented",
                ReviewState::Dismissed => "dismissed",
            };
            format!(
                "#{} reviewed by {}: {verdict}",
                r.pr_number, r.reviewer_login
            )
        }
        CodeEventDetails::Deploy(d) => {
            format!("deployed {} to {}", short_sha(&d.sha), d.environment)
        }
        CodeEventDetails::Incident { sha, .. } => {
            format!("an incident's suspect commit is {}", short_sha(sha))
        }
    }
}

pub struct KindChoice {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "code_events.html")]
struct FeedPage {
    layout: Layout,
    repo: RepoHeader,
    kinds: Vec<KindChoice>,
    author: String,
    ai: &'static str,
    rows: Vec<EventRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// `GET /repositories/{id}/events`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let repo = repository(&state, &viewer, &id).await?;
    let org = &viewer.org.id;
    let mut params = QueryParams::parse(raw.as_deref());
    let filter = parse_filter(&mut params)?;
    let cursor = params.take("cursor");
    params.finish()?;
    let page = state
        .store
        .list_code_events(org, &repo.id, &filter, cursor.as_deref(), PAGE)
        .await
        .map_err(list_failed)?;
    let verdicts = verdicts(&state, org, &repo, &page.items).await?;
    let rows = page
        .items
        .iter()
        .map(|e| {
            let sha = e.event.sha().map(str::to_string);
            EventRow {
                occurred: HtmlTime(e.event.occurred_at),
                kind: e.kind.as_str(),
                actor: e.event.actor.clone(),
                summary: summary_of(&e.event.details),
                commit_href: sha
                    .as_deref()
                    .filter(|s| verdicts.contains_key(*s))
                    .map(|s| commit_href(&repo, s)),
                verdict: sha
                    .as_deref()
                    .and_then(|s| verdicts.get(s))
                    .map(Verdict::of),
                sha: sha.as_deref().map(short_sha),
                link: match &e.event.details {
                    CodeEventDetails::Incident { incident_id, .. } => {
                        Some(("incident".to_string(), format!("/incidents/{incident_id}")))
                    }
                    _ => None,
                },
            }
        })
        .collect();
    let ai = match filter.ai {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    };
    // Links keep the filters; the cursor is added for the next page only.
    let mut base = url::form_urlencoded::Serializer::new(String::new());
    if let Some(kind) = filter.kind {
        base.append_pair("type", kind.as_str());
    }
    if let Some(author) = &filter.author {
        base.append_pair("author", author);
    }
    if !ai.is_empty() {
        base.append_pair("ai", ai);
    }
    let base_query = base.finish();
    let path = format!("/repositories/{}/events", repo.id.as_str());
    let first_href = cursor.as_ref().map(|_| format!("{path}?{base_query}"));
    let next_href = page.next_cursor.as_deref().map(|c| {
        let mut query = url::form_urlencoded::Serializer::new(base_query.clone());
        query.append_pair("cursor", c);
        format!("{path}?{}", query.finish())
    });
    let feed = FeedPage {
        layout: viewer.layout(format!("Events · {}", repo.full_name), "code"),
        kinds: CodeEventKind::ALL
            .iter()
            .map(|k| KindChoice {
                value: k.as_str(),
                selected: filter.kind == Some(*k),
            })
            .collect(),
        author: filter.author.clone().unwrap_or_default(),
        ai,
        rows,
        next_href,
        first_href,
        repo: RepoHeader::new(&repo, "events"),
    };
    render(&feed)
}
