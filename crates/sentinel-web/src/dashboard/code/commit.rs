//! `GET /repositories/{id}/commits/{sha}`: one commit explained. The commit's own signals
//! and then, file by file, every signal with its weight, what it counted for after the
//! diminishing-returns discount (`wᵢ · 0.5ⁱ`, strongest first), its evidence, the combined
//! confidence, and the file's tier, risk score and explanation. Members see a form for their
//! verdict, `POST /repositories/{id}/commits/{sha}/override`.

use super::{confidence, confidence_class, repository, short_sha, utc_offset, RepoHeader};
use crate::api::code::commits::{apply_override, decider_name, find_commit, OverrideRequest};
use crate::dashboard::format::HtmlTime;
use crate::dashboard::viewer::{Layout, Viewer};
use crate::dashboard::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::DateTime;
use sentinel_core::attribution::{combine, contributions};
use sentinel_core::code::{AiTool, AttributionMethod, Signal};
use sentinel_core::role::Role;
use serde::Deserialize;

/// One signal, explained.
pub struct SignalRow {
    name: String,
    weight: String,
    /// What it counted for after the discount of its rank.
    counted: String,
    evidence: String,
    tool: Option<&'static str>,
}

/// How signals became a confidence.
pub struct Explained {
    rows: Vec<SignalRow>,
    /// `1 − (1 − 0.95)(1 − 0.15) = 0.96`.
    formula: String,
}

fn explain(signals: &[Signal]) -> Explained {
    let weights: Vec<f64> = signals.iter().map(|s| s.weight).collect();
    let counted = contributions(&weights);
    let rows = signals
        .iter()
        .zip(&counted)
        .map(|(s, c)| SignalRow {
            name: s.name.clone(),
            weight: format!("{:.2}", s.weight),
            counted: if *c > 0.0 {
                format!("{c:.3}")
            } else {
                "—".to_string()
            },
            evidence: s.evidence.clone(),
            tool: s.tool.map(|t| t.as_str()),
        })
        .collect();
    let mut factors: Vec<f64> = counted.iter().copied().filter(|c| *c > 0.0).collect();
    factors.sort_by(|a, b| b.total_cmp(a));
    let formula = if factors.is_empty() {
        "no signal carried weight: confidence 0.00".to_string()
    } else {
        let product: String = factors.iter().map(|c| format!("(1 − {c:.3})")).collect();
        format!("1 − {product} = {:.2}", combine(weights))
    };
    Explained { rows, formula }
}

pub struct FileView {
    path: String,
    confidence: String,
    confidence_class: &'static str,
    method: &'static str,
    tool: Option<&'static str>,
    tier: &'static str,
    score: String,
    flagged: bool,
    explanation: String,
    added: i64,
    deleted: i64,
    explained: Explained,
    /// A person's verdict replaced the confidence the signals gave.
    overridden: bool,
}

pub struct OverrideView {
    by: String,
    at: Option<HtmlTime>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "commit.html")]
struct CommitPage {
    layout: Layout,
    repo: RepoHeader,
    sha: String,
    subject: String,
    status: &'static str,
    unavailable_reason: Option<String>,
    author: String,
    committer: String,
    authored: Option<HtmlTime>,
    /// The author's own clock: what the local-hour signal reads.
    author_local: Option<String>,
    committed: Option<HtmlTime>,
    parents: Vec<String>,
    is_merge: bool,
    added: i64,
    deleted: i64,
    ai_lines: i64,
    confidence: Option<String>,
    confidence_class: &'static str,
    method: Option<&'static str>,
    tool: Option<&'static str>,
    verdict: Option<OverrideView>,
    explained: Explained,
    files: Vec<FileView>,
    can_override: bool,
    tools: Vec<&'static str>,
    action: String,
}

fn person(name: &Option<String>, email: &Option<String>) -> String {
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.clone(),
        (None, Some(e)) => format!("<{e}>"),
        (None, None) => "unknown".to_string(),
    }
}

/// `GET /repositories/{id}/commits/{sha}`
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let repo = repository(&state, &viewer, &id).await?;
    let commit = find_commit(&state, &viewer.org.id, &repo, &sha).await?;
    let verdict = match &commit.overridden_by {
        Some(by) => Some(OverrideView {
            by: decider_name(&state, &viewer.org.id, by)
                .await?
                .unwrap_or_else(|| by.clone()),
            at: commit.overridden_at.map(HtmlTime),
            note: commit.override_note.clone(),
        }),
        None => None,
    };
    let author_local = match (commit.authored_at, commit.author_offset_minutes) {
        (Some(at), Some(offset)) => {
            DateTime::from_timestamp_millis(at + i64::from(offset) * 60_000).map(|t| {
                format!(
                    "{} local time ({})",
                    t.format("%Y-%m-%d %H:%M"),
                    utc_offset(offset)
                )
            })
        }
        _ => None,
    };
    let files = commit
        .files
        .iter()
        .map(|f| FileView {
            path: f.path.clone(),
            confidence: confidence(f.ai_confidence),
            confidence_class: confidence_class(f.ai_confidence),
            method: f.method.as_str(),
            tool: f.tool.map(|t| t.as_str()),
            tier: f.risk_tier.as_str(),
            score: format!("{:.2}", f.risk_score),
            flagged: f.flagged,
            explanation: f.explanation.clone(),
            added: f.lines_added,
            deleted: f.lines_deleted,
            explained: explain(&f.signals),
            overridden: f.method == AttributionMethod::ManualOverride,
        })
        .collect();
    let page = CommitPage {
        layout: viewer.layout(
            format!("{} · {}", short_sha(&commit.sha), repo.full_name),
            "code",
        ),
        sha: commit.sha.clone(),
        subject: commit.subject.clone().unwrap_or_default(),
        status: commit.status.as_str(),
        unavailable_reason: commit.unavailable_reason.clone(),
        author: person(&commit.author_name, &commit.author_email),
        committer: person(&commit.committer_name, &commit.committer_email),
        authored: commit.authored_at.map(HtmlTime),
        author_local,
        committed: commit.committed_at.map(HtmlTime),
        parents: commit.parents.iter().map(|p| short_sha(p)).collect(),
        is_merge: commit.is_merge,
        added: commit.lines_added,
        deleted: commit.lines_deleted,
        ai_lines: commit.ai_lines_added,
        confidence: commit.ai_confidence.map(confidence),
        confidence_class: commit.ai_confidence.map_or("c-none", confidence_class),
        method: commit.method.map(|m| m.as_str()),
        tool: commit.tool.map(|t| t.as_str()),
        verdict,
        explained: explain(&commit.signals),
        files,
        can_override: viewer.role.includes(Role::Member)
            && commit.status == sentinel_store::code::CommitStatus::Attributed,
        tools: AiTool::ALL.iter().map(|t| t.as_str()).collect(),
        action: format!(
            "/repositories/{}/commits/{}/override",
            repo.id.as_str(),
            commit.sha
        ),
        repo: RepoHeader::new(&repo, ""),
    };
    render(&page)
}

#[derive(Debug, Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ai: String,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    note: String,
}

/// `POST /repositories/{id}/commits/{sha}/override`
pub async fn override_verdict(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, sha)): Path<(String, String)>,
    Form(form): Form<OverrideForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Member)?;
    let repo = repository(&state, &viewer, &id).await?;
    let ai = match form.ai.as_str() {
        "" => None,
        text => Some(crate::api::code::parse_bool("ai", text)?),
    };
    let verdict = OverrideRequest {
        ai,
        tool: Some(form.tool),
        note: Some(form.note),
    }
    .verdict()?;
    let updated = apply_override(
        &state,
        &viewer.org.id,
        &repo,
        &sha,
        &verdict,
        format!("user:{}", viewer.user.id),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/repositories/{}/commits/{}",
        repo.id.as_str(),
        updated.sha
    ))
    .into_response())
}
