//! Settings → notification channels: the list (secrets masked exactly as the API masks
//! them), a create form per kind, enable/disable, delete, and "Send a test", which queues
//! the same job as the API's `/test` and shows what became of it on the page it returns to.
//! Everyone may look; changes need the admin role.

use super::viewer::{Layout, Viewer};
use super::{render, PageError};
use crate::api::channels::{check, check_name, parse, queue_test};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use sentinel_core::id::{ChannelId, JobId};
use sentinel_core::role::Role;
use sentinel_jobs::kinds::{ChannelTestPayload, CHANNEL_TEST_KIND};
use sentinel_store::alerts::{ChannelPatch, NewChannel};
use sentinel_store::jobs::JobStatus;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A line above the list: what an action did, or why it was refused.
pub struct Notice {
    pub text: String,
    pub error: bool,
}

pub struct ChannelView {
    id: String,
    name: String,
    kind: String,
    enabled: bool,
    /// `field: value` lines of the masked configuration.
    target: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    layout: Layout,
    channels: Vec<ChannelView>,
    notice: Option<Notice>,
}

/// The masked configuration as `field: value` lines, nested objects as `a.b`.
fn target_lines(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                target_lines(&name, inner, out);
            }
        }
        Value::Array(items) => out.push((
            prefix.to_string(),
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
        )),
        Value::String(text) => out.push((prefix.to_string(), text.clone())),
        Value::Null => {}
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    /// The channel a test was just queued for, and its job.
    #[serde(default)]
    tested: Option<String>,
    #[serde(default)]
    job: Option<String>,
}

/// What became of a test: read from its job, which must be this organization's test of
/// that channel (a link cannot be made to show another organization's job).
async fn test_notice(
    state: &AppState,
    viewer: &Viewer,
    channel_name: &str,
    channel_id: &str,
    job: &str,
) -> Result<Option<Notice>, PageError> {
    let Some(record) = state
        .store
        .get_job(&JobId::from_string(job.to_string()))
        .await?
    else {
        return Ok(None);
    };
    let payload: Option<ChannelTestPayload> = serde_json::from_value(record.payload).ok();
    let ours = record.kind == CHANNEL_TEST_KIND
        && record.org_id.as_ref() == Some(&viewer.org.id)
        && payload.is_some_and(|p| p.channel_id == channel_id);
    if !ours {
        return Ok(None);
    }
    let error = record.last_error.unwrap_or_default();
    let (text, failed) = match record.status {
        JobStatus::Available | JobStatus::Running => (
            "queued; reload this page to see whether it arrived".to_string(),
            false,
        ),
        JobStatus::Completed => ("delivered".to_string(), false),
        JobStatus::Retryable => (format!("failed, will retry: {error}"), true),
        JobStatus::Discarded => (format!("failed: {error}"), true),
        JobStatus::Cancelled => ("cancelled".to_string(), true),
    };
    Ok(Some(Notice {
        text: format!("Test notification to {channel_name}: {text}"),
        error: failed,
    }))
}

async fn channels_page(
    state: &AppState,
    viewer: &Viewer,
    params: &PageParams,
    mut notice: Option<Notice>,
) -> Result<Response, PageError> {
    let channels = state.store.list_channels(&viewer.org.id).await?;
    if let (Some(tested), Some(job)) = (&params.tested, &params.job) {
        if let Some(channel) = channels.iter().find(|c| c.id.as_str() == tested) {
            notice = test_notice(state, viewer, &channel.name, channel.id.as_str(), job)
                .await?
                .or(notice);
        }
    }
    let status = match &notice {
        Some(Notice { error: true, .. }) if params.tested.is_none() => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let views = channels
        .into_iter()
        .map(|c| {
            let mut target = Vec::new();
            target_lines("", &c.config.masked(), &mut target);
            ChannelView {
                kind: c.kind().to_string(),
                id: c.id.into_string(),
                name: c.name,
                enabled: c.enabled,
                target,
            }
        })
        .collect();
    let mut response = render(&ChannelsPage {
        layout: viewer.layout("Notification channels", "channels"),
        channels: views,
        notice,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /settings/channels`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    channels_page(&state, &viewer, &params, None).await
}

/// The create form: one form per kind, each posting the fields of its kind.
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    routing_key: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    tls: String,
    #[serde(default)]
    from: String,
    /// Recipients separated by commas or new lines.
    #[serde(default)]
    to: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The configuration JSON the API would receive for this form's kind.
fn config_of(form: &CreateForm) -> Result<Value, String> {
    let text = |s: &str| s.trim().to_string();
    Ok(match form.kind.as_str() {
        "slack" => json!({"webhook_url": text(&form.webhook_url)}),
        "pagerduty" => json!({"routing_key": text(&form.routing_key)}),
        "webhook" => json!({"url": text(&form.url), "secret": text(&form.secret)}),
        "email" => {
            let mut config = Map::new();
            config.insert("host".into(), json!(text(&form.host)));
            if !form.port.trim().is_empty() {
                let port: u16 = form
                    .port
                    .trim()
                    .parse()
                    .map_err(|_| "port must be a number from 1 to 65535".to_string())?;
                config.insert("port".into(), json!(port));
            }
            if !form.tls.trim().is_empty() {
                config.insert("tls".into(), json!(text(&form.tls)));
            }
            config.insert("from".into(), json!(text(&form.from)));
            let to: Vec<String> = form
                .to
                .split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            config.insert("to".into(), json!(to));
            if !form.username.trim().is_empty() {
                config.insert(
                    "credentials".into(),
                    json!({"username": text(&form.username), "password": form.password}),
                );
            }
            Value::Object(config)
        }
        other => return Err(format!("unknown channel kind {other:?}")),
    })
}

/// `POST /settings/channels`: checked as the API checks, then stored.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Admin)?;
    let checked = config_of(&form).and_then(|config| {
        let name = check_name(&form.name).map_err(|e| e.message)?;
        let config = parse(&form.kind, config).map_err(|e| e.message)?;
        check(&state, &config).map_err(|e| e.message)?;
        Ok((name, config))
    });
    let (name, config) = match checked {
        Ok(ok) => ok,
        Err(reason) => {
            let notice = Notice {
                text: format!("The {} channel was not created: {reason}", form.kind),
                error: true,
            };
            return channels_page(&state, &viewer, &PageParams::default(), Some(notice)).await;
        }
    };
    let channel = state
        .store
        .create_channel(
            &viewer.org.id,
            &NewChannel {
                name,
                config,
                enabled: true,
            },
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(channel = %channel.id, kind = channel.kind(), user = %viewer.user.id, "channel created from the dashboard");
    Ok(Redirect::to("/settings/channels").into_response())
}

#[derive(Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    csrf: String,
    /// `1` to enable, anything else to disable.
    #[serde(default)]
    enabled: String,
}

/// `POST /settings/channels/{id}/enabled`
pub async fn set_enabled(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChannelId>,
    Form(form): Form<EnableForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Role::Admin)?;
    let patch = ChannelPatch {
        enabled: Some(form.enabled == "1"),
        ..ChannelPatch::default()
    };
    state
        .store
        .update_channel(&viewer.org.id, &id, &patch, state.clock.now_ms())
        .await?
        .ok_or_else(|| PageError::NotFound("no such channel".into()))?;
    tracing::info!(channel = %id, user = %viewer.user.id, enabled = form.enabled == "1", "channel switched from the dashboard");
    Ok(Redirect::to("/settings/channels").into_response())
}

/// `POST /settings/channels/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChannelId>,
    Form(form): Form<super::login::CsrfOnly>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.token())?;
    viewer.require(Role::Admin)?;
    if !state.store.delete_channel(&viewer.org.id, &id).await? {
        return Err(PageError::NotFound("no such channel".into()));
    }
    tracing::info!(channel = %id, user = %viewer.user.id, "channel deleted from the dashboard");
    Ok(Redirect::to("/settings/channels").into_response())
}

/// `POST /settings/channels/{id}/test`: queues the API's test and returns to the list,
/// which shows the test's outcome.
pub async fn send_test(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChannelId>,
    Form(form): Form<super::login::CsrfOnly>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.token())?;
    viewer.require(Role::Admin)?;
    let channel = state
        .store
        .get_channel(&viewer.org.id, &id)
        .await?
        .ok_or_else(|| PageError::NotFound("no such channel".into()))?;
    let job = queue_test(&state, &viewer.org.id, &channel).await?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("tested", channel.id.as_str());
    if let Some(job) = &job {
        query.append_pair("job", job.as_str());
    }
    Ok(Redirect::to(&format!("/settings/channels?{}", query.finish())).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn email_forms_become_the_email_config() {
        let form = CreateForm {
            kind: "email".into(),
            host: " smtp.example.com ".into(),
            port: "2525".into(),
            from: "Sentinel <s@example.com>".into(),
            to: "a@example.com, b@example.com\n".into(),
            ..CreateForm::default()
        };
        let config = config_of(&form).unwrap();
        assert_eq!(config["host"], "smtp.example.com");
        assert_eq!(config["port"], 2525);
        assert_eq!(config["to"], json!(["a@example.com", "b@example.com"]));
        assert!(config.get("credentials").is_none());
        let bad_port = CreateForm {
            port: "ninety".into(),
            ..form
        };
        assert!(config_of(&bad_port).is_err());
    }

    #[test]
    fn targets_are_listed_field_by_field() {
        let mut lines = Vec::new();
        target_lines(
            "",
            &json!({"to": ["a@x.test", "b@x.test"], "credentials": {"username": "u"}, "port": 25}),
            &mut lines,
        );
        assert!(lines.contains(&("to".into(), "a@x.test, b@x.test".into())));
        assert!(lines.contains(&("credentials.username".into(), "u".into())));
        assert!(lines.contains(&("port".into(), "25".into())));
    }
}
