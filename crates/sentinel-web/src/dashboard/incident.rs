//! `GET /incidents/{id}`: one incident with its rollups and one of its events, and
//! `POST /incidents/{id}/status` for the status actions.

use super::event_view::{event_view, EventView};
use super::format::{ago, count, occurrence_chart, HtmlTime};
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sentinel_core::id::{EventRowId, IncidentId};
use sentinel_core::incident::IncidentStatus;
use sentinel_core::role::Role;
use sentinel_store::incidents::SetStatusError;
use serde::Deserialize;

const DAY_MS: i64 = 24 * 3_600_000;

pub struct Action {
    to: &'static str,
    label: String,
}

pub struct TagView {
    key: String,
    values: Vec<TagValue>,
}

pub struct TagValue {
    value: String,
    count: String,
    percent: i64,
}

pub struct NavLink {
    label: &'static str,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    layout: Layout,
    id: String,
    title: String,
    culprit: String,
    status: &'static str,
    class: &'static str,
    service: String,
    events: String,
    first_seen: HtmlTime,
    last_seen: HtmlTime,
    first_seen_ago: String,
    last_seen_ago: String,
    releases: Vec<String>,
    environments: Vec<String>,
    regressions: i64,
    trigger_route: String,
    trace_id: String,
    quiet: bool,
    actions: Vec<Action>,
    chart: String,
    tags: Vec<TagView>,
    event: Option<EventView>,
    nav: Vec<NavLink>,
    autopsy: super::incident_autopsy::AutopsyPanel,
}

#[derive(Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    event: Option<String>,
}

/// `GET /incidents/{id}`
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<ShowParams>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let id = IncidentId::from_string(id);
    let now = state.clock.now_ms();
    let incident = state.store.get_incident(org, &id).await?;
    let hourly = state
        .store
        .incident_hourly_counts(org, &id, now - 14 * DAY_MS)
        .await?;
    let tags = state.store.incident_tag_breakdown(org, &id, 5).await?;
    let service = state
        .store
        .get_service(org, &incident.service_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let stored = match params.event.as_deref().filter(|e| !e.is_empty()) {
        Some(event_id) => {
            let event = state.store.get_event(org, event_id).await?;
            if event.incident_id.as_ref() != Some(&id) {
                return Err(PageError::NotFound(
                    "that event is not part of this incident".into(),
                ));
            }
            Some(event)
        }
        None => state.store.latest_event(org, &id).await?,
    };
    let nav = match &stored {
        Some(event) => {
            let around = state.store.event_neighbours(org, &id, &event.id).await?;
            let href = |target: &Option<EventRowId>| {
                target
                    .as_ref()
                    .map(|e| format!("/incidents/{}?event={}", id.as_str(), e.as_str()))
            };
            vec![
                NavLink {
                    label: "« Newest",
                    href: href(&around.newest),
                },
                NavLink {
                    label: "‹ Newer",
                    href: href(&around.newer),
                },
                NavLink {
                    label: "Older ›",
                    href: href(&around.older),
                },
                NavLink {
                    label: "Oldest »",
                    href: href(&around.oldest),
                },
            ]
        }
        None => Vec::new(),
    };
    let values_of = |key: &str, fallback: &Option<String>| -> Vec<String> {
        let mut values: Vec<String> = tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.values.iter().map(|(v, _)| v.clone()).collect())
            .unwrap_or_default();
        if values.is_empty() {
            values.extend(fallback.clone());
        }
        values
    };
    let autopsy = super::incident_autopsy::panel(&state.store, org, &id, &viewer).await?;
    let page = IncidentPage {
        autopsy,
        layout: viewer.layout(incident.title.clone(), "incidents"),
        id: id.as_str().to_string(),
        releases: values_of("release", &incident.release),
        environments: values_of("environment", &incident.environment),
        actions: if viewer.role.includes(Role::Member) {
            incident
                .status
                .allowed_next()
                .into_iter()
                .map(|to| Action {
                    to: to.as_str(),
                    label: action_label(to),
                })
                .collect()
        } else {
            Vec::new()
        },
        chart: occurrence_chart(&hourly, now),
        tags: tags
            .iter()
            .map(|t| TagView {
                key: t.key.clone(),
                values: t
                    .values
                    .iter()
                    .map(|(value, n)| TagValue {
                        value: value.clone(),
                        count: count(*n),
                        percent: if t.total > 0 { n * 100 / t.total } else { 0 },
                    })
                    .collect(),
            })
            .collect(),
        event: stored.as_ref().map(event_view),
        nav,
        title: incident.title,
        culprit: incident.culprit,
        status: incident.status.as_str(),
        class: incident.error_class.as_str(),
        service,
        events: count(incident.occurrence_count),
        first_seen: HtmlTime(incident.first_seen),
        last_seen: HtmlTime(incident.last_seen),
        first_seen_ago: ago(now, incident.first_seen),
        last_seen_ago: ago(now, incident.last_seen),
        regressions: incident.regression_count,
        trigger_route: incident.trigger_route.unwrap_or_default(),
        trace_id: incident.trace_id.unwrap_or_default(),
        quiet: incident.quiet,
    };
    render(&page)
}

fn action_label(to: IncidentStatus) -> String {
    match to {
        IncidentStatus::Resolved => "Resolve".into(),
        IncidentStatus::Ignored => "Ignore".into(),
        IncidentStatus::Detected => "Reopen".into(),
        other => format!("Mark {}", other.as_str().replace('_', " ")),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

/// `POST /incidents/{id}/status`
pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Member)?;
    let to = IncidentStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == form.to)
        .ok_or_else(|| PageError::BadRequest(format!("unknown status {:?}", form.to)))?;
    let id = IncidentId::from_string(id);
    match state
        .store
        .set_incident_status(&viewer.org.id, &id, to, state.clock.now_ms())
        .await
    {
        Ok(incident) => {
            tracing::info!(incident = %id, user = %viewer.user.id, status = %incident.status, "incident status changed from the dashboard");
            Ok(Redirect::to(&format!("/incidents/{}", id.as_str())).into_response())
        }
        Err(SetStatusError::NotFound) => Err(PageError::NotFound("no such incident".into())),
        Err(SetStatusError::InvalidTransition(from, to)) => Err(PageError::Conflict(format!(
            "this incident is {from} now and cannot become {to}; reload the page"
        ))),
        Err(SetStatusError::Store(err)) => Err(PageError::Store(err)),
    }
}
