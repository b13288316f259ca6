//! The server-rendered dashboard: log in, incidents, one incident, alerts, detections, the
//! code pages (repositories, commits and their attribution), and settings (services,
//! notification channels, alert rules, API keys, members, the model provider and its usage).
//!
//! Pages are askama templates rendered on the server; everything essential works without
//! JavaScript (plain links and POST forms). Every form carries the session's CSRF token and
//! every POST handler checks it before anything else, and then the viewer's role. The only
//! script converts `<time>` elements to the reader's time zone.

mod alerts;
mod channels;
mod code;
mod detections;
mod event_view;
mod format;
mod incident;
mod incident_autopsy;
mod incidents;
mod llm;
mod llm_usage;
mod login;
mod rules;
mod settings;
mod snippets;
mod trace_view;
mod viewer;

pub use viewer::{PageError, Viewer};

use crate::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(code::routes())
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/switch-org", post(login::switch_org))
        .route("/incidents", get(incidents::list))
        .route("/incidents/{id}", get(incident::show))
        .route("/incidents/{id}/status", post(incident::set_status))
        .route("/incidents/{id}/autopsy", post(incident_autopsy::rerun))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/detections", get(detections::list))
        .route("/detections/{id}/resolve", post(detections::resolve))
        .route("/settings", get(settings_home))
        .route("/settings/services", get(settings::services))
        .route("/settings/services/{id}", post(settings::update_service))
        .route(
            "/settings/api-keys",
            get(settings::api_keys).post(settings::create_api_key),
        )
        .route(
            "/settings/api-keys/{id}/revoke",
            post(settings::revoke_api_key),
        )
        .route(
            "/settings/channels",
            get(channels::list).post(channels::create),
        )
        .route(
            "/settings/channels/{id}/enabled",
            post(channels::set_enabled),
        )
        .route("/settings/channels/{id}/delete", post(channels::delete))
        .route("/settings/channels/{id}/test", post(channels::send_test))
        .route("/settings/rules", get(rules::list).post(rules::create))
        .route("/settings/rules/{id}", post(rules::update))
        .route("/settings/llm", get(llm::show).post(llm::save))
        .route("/settings/llm/usage", get(llm_usage::show))
        .route("/settings/members", get(settings::members))
        .route(
            "/settings/members/{user_id}/role",
            post(settings::set_member_role),
        )
}

async fn home() -> Redirect {
    Redirect::to("/incidents")
}

async fn settings_home() -> Redirect {
    Redirect::to("/settings/services")
}

/// Renders a page, answering 500 when the template fails (a bug, never the reader's fault).
fn render(page: &impl Template) -> Result<Response, PageError> {
    let html = page.render()?;
    Ok(Html(html).into_response())
}
