//! `GET /api/v1/repositories/{id}/events?type=&author=&ai=&cursor=&limit=`: a repository's
//! code-event feed, newest first; and `GET /api/v1/code-events/{id}`: one event.
//!
//! `type` is an event kind (`commit`, `pr_opened`, …), `author` the actor exactly as stored
//! (a GitHub login or a git e-mail), `ai=true` keeps events about commits attributed as AI
//! and `ai=false` those about commits attributed as human.

use super::{Page, QueryParams};
use crate::api::repositories::{find, list_error};
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use sentinel_core::clock::Millis;
use sentinel_core::code::{CodeEventDetails, CodeEventKind};
use sentinel_core::id::{CodeEventId, RepositoryId};
use sentinel_core::role::Role;
use sentinel_store::code::{CodeEventFilter, StoredCodeEvent};
use serde::Serialize;

/// A code event, as answered.
#[derive(Debug, Serialize)]
pub struct CodeEventAnswer {
    pub id: CodeEventId,
    pub repository_id: RepositoryId,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When it happened, by the source's clock.
    pub occurred_at: Millis,
    /// A GitHub login, else a git e-mail.
    pub actor: String,
    pub sha: Option<String>,
    pub pr_number: Option<u64>,
    pub delivery_id: Option<String>,
    pub received_at: Millis,
    /// Everything the event says, tagged by its own `type` (`commit`, `pull_request`, …).
    pub details: CodeEventDetails,
}

impl From<&StoredCodeEvent> for CodeEventAnswer {
    fn from(stored: &StoredCodeEvent) -> Self {
        Self {
            id: stored.id.clone(),
            repository_id: stored.repository_id.clone(),
            kind: stored.kind.as_str(),
            occurred_at: stored.event.occurred_at,
            actor: stored.event.actor.clone(),
            sha: stored.event.sha().map(str::to_string),
            pr_number: stored.event.pr_number(),
            delivery_id: stored.delivery_id.clone(),
            received_at: stored.received_at,
            details: stored.event.details.clone(),
        }
    }
}

/// The feed's filters from a query string's `type`, `author` and `ai`.
pub fn parse_filter(params: &mut QueryParams) -> Result<CodeEventFilter, ApiError> {
    let kind = params
        .take("type")
        .map(|text| {
            text.parse::<CodeEventKind>().map_err(|_| {
                ApiError::bad_request(format!(
                    "unknown type {text:?}; expected one of {}",
                    CodeEventKind::ALL.map(CodeEventKind::as_str).join(", ")
                ))
            })
        })
        .transpose()?;
    let ai = params
        .take("ai")
        .map(|text| super::parse_bool("ai", &text))
        .transpose()?;
    Ok(CodeEventFilter {
        kind,
        author: params.take("author"),
        ai,
    })
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<CodeEventAnswer>>, ApiError> {
    principal.require(Role::Viewer)?;
    let mut params = QueryParams::parse(raw.as_deref());
    let filter = parse_filter(&mut params)?;
    let cursor = params.take("cursor");
    let limit = params.limit()?;
    params.finish()?;
    let repo = find(&state, &principal, &id).await?;
    let page = state
        .store
        .list_code_events(
            &principal.org_id,
            &repo.id,
            &filter,
            cursor.as_deref(),
            limit,
        )
        .await
        .map_err(list_error)?;
    Ok(Json(Page {
        data: page.items.iter().map(CodeEventAnswer::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<CodeEventAnswer>, ApiError> {
    principal.require(Role::Viewer)?;
    let event = state
        .store
        .get_code_event(&principal.org_id, &CodeEventId::from_string(id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such code event"))?;
    Ok(Json(CodeEventAnswer::from(&event)))
}
