//! `/api/v1/incidents`: list and filter incidents, read one with its latest event and
//! rollups, page through its events, and change its status.
//!
//! List parameters (all optional): `status` (repeatable or comma-separated), `service_id`,
//! `environment` and `release` (incidents with any event of that environment or release),
//! `error_class`, `q` (text in title or message), `include_quiet`
//! (`true` also lists incidents outside their service's class filter), `sort` (`last_seen`,
//! `first_seen` or `count`; newest or largest first), `limit` (1 to 100, default 25) and
//! `cursor` (the previous page's `next_cursor`). Lists answer `{"data": [...],
//! "next_cursor": "..." | null}`.

use super::events::{event_detail_json, event_summary_json};
use super::ApiJson;
use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_core::jobs::IncidentJob;
use sentinel_core::role::Role;
use sentinel_store::incidents::{
    check_event_cursor, Incident, IncidentQuery, IncidentSort, SetStatusError, TagBreakdown,
    MAX_EVENT_PAGE, MAX_INCIDENT_PAGE,
};
use sentinel_store::jobs::NewJob;
use serde::Deserialize;
use serde_json::{json, Value};

/// How far back the incident page's hourly chart reaches.
const HOURLY_WINDOW_MS: Millis = 14 * 24 * 60 * 60 * 1000;
/// Values shown per tag key on the incident page.
const TOP_TAG_VALUES: u32 = 10;
/// Events per page when no `limit` is given.
const DEFAULT_EVENT_PAGE: u32 = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list))
        .route("/api/v1/incidents/{id}", get(show).patch(update))
        .route("/api/v1/incidents/{id}/events", get(events))
}

/// The incident as the API shows it, with the statuses it may move to next.
pub fn incident_json(incident: &Incident) -> Value {
    let mut body = serde_json::to_value(incident).unwrap_or(Value::Null);
    body["allowed_transitions"] = json!(incident
        .status
        .allowed_next()
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>());
    body
}

fn tags_json(breakdown: &[TagBreakdown]) -> Value {
    json!(breakdown
        .iter()
        .map(|tag| json!({
            "key": tag.key,
            "total": tag.total,
            "values": tag.values.iter()
                .map(|(value, count)| json!({"value": value, "count": count}))
                .collect::<Vec<_>>(),
        }))
        .collect::<Vec<_>>())
}

/// Query parameters as pairs, in order (so `status` may repeat).
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

fn parse_limit(value: &str, max: u32) -> Result<u32, ApiError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "limit must be a number from 1 to {max}"
        ))),
    }
}

fn parse_status(value: &str) -> Result<IncidentStatus, ApiError> {
    value.trim().parse().map_err(|_| {
        ApiError::bad_request(format!(
            "unknown status {value:?}; expected one of {}",
            IncidentStatus::ALL.map(|s| s.as_str()).join(", ")
        ))
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be true or false"
        ))),
    }
}

/// Builds the store query from the URL, refusing unknown or malformed parameters with 400.
fn incident_query(raw: Option<&str>) -> Result<IncidentQuery, ApiError> {
    let mut query = IncidentQuery::default();
    let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
    for (name, value) in query_pairs(raw) {
        match name.as_str() {
            "status" => {
                let statuses = query.status.get_or_insert_with(Vec::new);
                for part in value.split(',').filter(|p| !p.trim().is_empty()) {
                    statuses.push(parse_status(part)?);
                }
            }
            "service_id" => query.service_id = non_empty(value).map(ServiceId::from_string),
            "environment" => query.environment = non_empty(value),
            "release" => query.release = non_empty(value),
            "error_class" => {
                query.error_class = Some(value.parse::<ErrorClass>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "unknown error_class {value:?}; expected one of {}",
                        ErrorClass::ALL.map(|c| c.as_str()).join(", ")
                    ))
                })?)
            }
            "q" => query.text = non_empty(value),
            "include_quiet" => query.include_quiet = parse_bool("include_quiet", &value)?,
            "sort" => {
                query.sort = value
                    .parse::<IncidentSort>()
                    .map_err(|err| ApiError::bad_request(err.to_string()))?
            }
            "limit" => query.limit = parse_limit(&value, MAX_INCIDENT_PAGE)?,
            "cursor" => query.cursor = non_empty(value),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}"
                )))
            }
        }
    }
    query.check_cursor().map_err(|_| {
        ApiError::bad_request("invalid cursor (it must come from this list, with the same sort)")
    })?;
    Ok(query)
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let query = incident_query(raw.as_deref())?;
    let page = state
        .store
        .list_incidents(&principal.org_id, &query)
        .await?;
    Ok(Json(json!({
        "data": page.items.iter().map(incident_json).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })))
}

/// One incident with what its page needs: the latest event in full, the tag breakdown and
/// events per hour over the last 14 days (hours without events left out).
async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let org = &principal.org_id;
    let id = IncidentId::from_string(id);
    let incident = state.store.get_incident(org, &id).await?;
    let latest = state.store.latest_event(org, &id).await?;
    let tags = state
        .store
        .incident_tag_breakdown(org, &id, TOP_TAG_VALUES)
        .await?;
    let since = state.clock.now_ms() - HOURLY_WINDOW_MS;
    let hourly = state.store.incident_hourly_counts(org, &id, since).await?;
    let suspect = super::code_mappings::suspect_commit(&state.store, org, &id).await?;
    Ok(Json(json!({
        "incident": incident_json(&incident),
        "suspect_commit": suspect,
        "latest_event": latest.as_ref().map(event_detail_json).transpose()?,
        "tags": tags_json(&tags),
        "hourly": {
            "since": since,
            "counts": hourly
                .iter()
                .map(|(hour, count)| json!({"hour": hour, "count": count}))
                .collect::<Vec<_>>(),
        },
    })))
}

async fn events(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let mut cursor = None;
    let mut limit = DEFAULT_EVENT_PAGE;
    for (name, value) in query_pairs(raw.as_deref()) {
        match name.as_str() {
            "cursor" if !value.is_empty() => {
                check_event_cursor(&value).map_err(|_| ApiError::bad_request("invalid cursor"))?;
                cursor = Some(value);
            }
            "cursor" => {}
            "limit" => limit = parse_limit(&value, MAX_EVENT_PAGE)?,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}"
                )))
            }
        }
    }
    let org = &principal.org_id;
    let id = IncidentId::from_string(id);
    // An unknown incident is a 404, not an empty list.
    state.store.get_incident(org, &id).await?;
    let page = state
        .store
        .list_incident_events(org, &id, cursor.as_deref(), limit)
        .await?;
    let data = page
        .items
        .iter()
        .map(event_summary_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({"data": data, "next_cursor": page.next_cursor})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateIncident {
    status: String,
}

/// Changes the status (members and up). A move the state machine does not allow is a 409.
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateIncident>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Member)?;
    let to = parse_status(&request.status)?;
    let id = IncidentId::from_string(id);
    let now = state.clock.now_ms();
    match state
        .store
        .set_incident_status(&principal.org_id, &id, to, now)
        .await
    {
        Ok(incident) => {
            tracing::info!(incident = %incident.id, org = %principal.org_id, status = %to, "incident status changed");
            if to == IncidentStatus::Resolved {
                // Closes the incident's alerts at receivers that track them (PagerDuty).
                let kind = sentinel_core::jobs::INCIDENT_RESOLVED;
                let payload = IncidentJob::new(&incident.id, &principal.org_id);
                let queued = match NewJob::with_payload(kind, &payload) {
                    Ok(job) => {
                        let job = job
                            .org(principal.org_id.clone())
                            .dedup_key(payload.dedup_key(kind));
                        state
                            .store
                            .enqueue(&job, now)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    Err(err) => Err(err.to_string()),
                };
                if let Err(err) = queued {
                    tracing::warn!(incident = %incident.id, error = %err, "resolve notification not queued");
                }
            }
            Ok(Json(incident_json(&incident)))
        }
        Err(SetStatusError::NotFound) => Err(ApiError::not_found("no such incident")),
        Err(SetStatusError::InvalidTransition(from, to)) => Err(ApiError::conflict(format!(
            "an incident cannot move from {from} to {to}; allowed from {from}: {}",
            from.allowed_next()
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(SetStatusError::Store(err)) => Err(err.into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_parse_into_a_query() {
        let query = incident_query(Some(
            "status=detected,resolved&status=ignored&error_class=server_5xx&q=disk%20full\
             &include_quiet=true&sort=count&limit=10&environment=prod",
        ))
        .unwrap();
        assert_eq!(
            query.status,
            Some(vec![
                IncidentStatus::Detected,
                IncidentStatus::Resolved,
                IncidentStatus::Ignored
            ])
        );
        assert_eq!(query.error_class, Some(ErrorClass::Server5xx));
        assert_eq!(query.text.as_deref(), Some("disk full"));
        assert!(query.include_quiet);
        assert_eq!(query.sort, IncidentSort::Count);
        assert_eq!(query.limit, 10);
        assert_eq!(query.environment.as_deref(), Some("prod"));
        assert_eq!(incident_query(None).unwrap(), IncidentQuery::default());
    }

    #[test]
    fn malformed_list_parameters_are_refused() {
        for bad in [
            "status=bogus",
            "limit=0",
            "limit=101",
            "limit=ten",
            "sort=newest",
            "error_class=oops",
            "include_quiet=maybe",
            "cursor=zz",
            "colour=red",
        ] {
            let err = incident_query(Some(bad)).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::BadRequest, "{bad}");
        }
    }
}
