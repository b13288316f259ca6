//! `GET /detections`: anomaly detections (HIGH_ERROR_COUNT, SERVICE_STALL,
//! LATENCY_DEGRADATION, ...) with an open / resolved filter, and
//! `POST /detections/{id}/resolve` to resolve one with a person's resolution (members and up).

use super::format::{count, HtmlTime};
use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use sentinel_core::detection::Resolution;
use sentinel_core::role::Role;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DetectionParams {
    #[serde(default)]
    status: Option<String>,
}

pub struct Chip {
    label: &'static str,
    href: &'static str,
    active: bool,
}

pub struct DetectionRow {
    id: String,
    kind: String,
    severity: String,
    service: String,
    title: String,
    open: bool,
    occurrences: String,
    opened: HtmlTime,
    last_seen: HtmlTime,
    resolution: String,
    resolved_by: String,
    resolved_at: Option<HtmlTime>,
}

#[derive(Template)]
#[template(path = "detections.html")]
struct DetectionsPage {
    layout: Layout,
    chips: Vec<Chip>,
    rows: Vec<DetectionRow>,
    /// The resolutions people may choose (`auto_resolved` is the detections job's).
    resolutions: Vec<&'static str>,
    back: &'static str,
}

/// `GET /detections`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<DetectionParams>,
) -> Result<Response, PageError> {
    let org = &viewer.org.id;
    let status = params
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("open");
    let (open, back) = match status {
        "open" => (Some(true), "/detections?status=open"),
        "resolved" => (Some(false), "/detections?status=resolved"),
        "all" => (None, "/detections?status=all"),
        other => {
            return Err(PageError::BadRequest(format!(
                "unknown status {other:?}: open, resolved or all"
            )))
        }
    };
    let detections = state.store.list_detections(org, open, None, 200).await?;
    let services: HashMap<String, String> = state
        .store
        .list_services(org)
        .await?
        .into_iter()
        .map(|s| (s.id.as_str().to_string(), s.name))
        .collect();
    let emails: HashMap<String, String> = state
        .store
        .list_members(org)
        .await?
        .into_iter()
        .map(|m| (format!("user:{}", m.user_id), m.email))
        .collect();
    let chips = [
        ("Open", "/detections?status=open", "open"),
        ("Resolved", "/detections?status=resolved", "resolved"),
        ("All", "/detections?status=all", "all"),
    ]
    .into_iter()
    .map(|(label, href, value)| Chip {
        label,
        href,
        active: status == value,
    })
    .collect();
    let rows = detections
        .into_iter()
        .map(|d| DetectionRow {
            service: d
                .service_id
                .as_ref()
                .and_then(|id| services.get(id))
                .cloned()
                .unwrap_or_default(),
            open: d.resolved_at.is_none(),
            occurrences: count(d.occurrence_count),
            opened: HtmlTime(d.first_seen),
            last_seen: HtmlTime(d.last_seen),
            resolution: d.resolution.unwrap_or_default().replace('_', " "),
            resolved_by: d
                .resolved_by
                .map(|by| emails.get(&by).cloned().unwrap_or(by))
                .unwrap_or_default(),
            resolved_at: d.resolved_at.map(HtmlTime),
            id: d.id,
            kind: d.kind,
            severity: d.severity,
            title: d.title,
        })
        .collect();
    render(&DetectionsPage {
        layout: viewer.layout("Detections", "detections"),
        chips,
        rows,
        resolutions: Resolution::ALL
            .into_iter()
            .filter(|r| *r != Resolution::AutoResolved)
            .map(Resolution::as_str)
            .collect(),
        back,
    })
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    back: String,
}

/// `POST /detections/{id}/resolve`
pub async fn resolve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Member)?;
    let by = format!("user:{}", viewer.user.id);
    let detection =
        crate::api::detections::resolve_as(&state, &viewer.org.id, &id, &form.resolution, &by)
            .await?;
    tracing::info!(detection = %detection.id, user = %viewer.user.id, resolution = %form.resolution, "detection resolved from the dashboard");
    Ok(super::viewer::redirect_back(&form.back, "/detections").into_response())
}
