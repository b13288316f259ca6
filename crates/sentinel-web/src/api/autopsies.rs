//! The autopsy API: an incident's autopsy with its workflow's steps and artifacts, re-running
//! and aborting it, streaming one artifact, and the figures over an organization's
//! autopsies (`/api/v1/autopsies/stats?days=30`).

use crate::auth::Principal;
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use sentinel_agents::StartError;
use sentinel_core::clock::Millis;
use sentinel_core::id::{ArtifactId, IncidentId, OrgId};
use sentinel_core::role::Role;
use sentinel_store::autopsy::{AgentRun, Artifact, AutopsyRecord, AutopsyStats, Workflow};
use sentinel_store::Store;
use serde::Deserialize;
use serde_json::{json, Value};

const DAY_MS: Millis = 24 * 60 * 60 * 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/autopsy", get(show).post(rerun))
        .route("/api/v1/incidents/{id}/autopsy/abort", post(abort))
        .route("/api/v1/artifacts/{id}", get(artifact))
        .route("/api/v1/autopsies/stats", get(stats))
}

pub fn workflow_json(workflow: &Workflow) -> Value {
    json!({
        "id": workflow.id.as_str(),
        "status": workflow.status.as_str(),
        "reason": workflow.reason,
        "started_at": workflow.started_at,
        "finished_at": workflow.finished_at,
    })
}

pub fn run_json(run: &AgentRun) -> Value {
    json!({
        "step": run.step.as_str(),
        "status": run.status.as_str(),
        "attempt": run.attempt,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "error": run.error,
        "metadata": run.metadata,
    })
}

pub fn artifact_json(artifact: &Artifact) -> Value {
    json!({
        "id": artifact.id.as_str(),
        "type": artifact.kind.as_str(),
        "key": artifact.key,
        "size": artifact.size,
        "sha256": artifact.sha256,
        "created_at": artifact.created_at,
        "url": format!("/api/v1/artifacts/{}", artifact.id),
    })
}

pub fn autopsy_json(autopsy: &AutopsyRecord) -> Value {
    json!({
        "root_cause": autopsy.root_cause,
        "category": autopsy.category,
        "disposition": autopsy.disposition,
        "confidence": autopsy.confidence,
        "model_used": autopsy.model_used,
        "culprit": autopsy.culprit_path.as_ref().map(|path| json!({
            "path": path, "line": autopsy.culprit_line,
        })),
        "test_case": autopsy.test_case,
        "test_path": autopsy.test_path,
        "patch_diff": autopsy.patch_diff,
        "ai_fix_prompt": autopsy.ai_fix_prompt,
        "manual_steps": autopsy.manual_steps,
        "analysis_time_ms": autopsy.analysis_time_ms,
        "patch_applied": autopsy.patch_applied,
        "test_verified": autopsy.test_verified,
        "created_at": autopsy.created_at,
        "updated_at": autopsy.updated_at,
    })
}

/// Everything the incident's autopsy has: the autopsy row, the latest workflow with its
/// steps and artifacts. `None` parts are `null`.
pub async fn autopsy_view(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
) -> Result<Value, ApiError> {
    let autopsy = store.get_autopsy(org, incident).await?;
    let workflow = store.latest_workflow(org, incident).await?;
    let (steps, artifacts) = match &workflow {
        Some(w) => (
            store.list_agent_runs(org, &w.id).await?,
            store.list_artifacts(org, &w.id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(json!({
        "autopsy": autopsy.as_ref().map(autopsy_json),
        "workflow": workflow.as_ref().map(workflow_json),
        "steps": steps.iter().map(run_json).collect::<Vec<_>>(),
        "artifacts": artifacts.iter().map(artifact_json).collect::<Vec<_>>(),
    }))
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let org = &principal.org_id;
    let id = IncidentId::from_string(id);
    // 404 for an incident of another organization.
    state.store.get_incident(org, &id).await?;
    Ok(Json(autopsy_view(&state.store, org, &id).await?))
}

/// Starts a new workflow for the incident (202); 409 while one is active.
pub async fn start_rerun(
    state: &AppState,
    org: &OrgId,
    incident: &IncidentId,
) -> Result<Workflow, ApiError> {
    let started =
        sentinel_agents::start_workflow(&state.store, org, incident, state.clock.now_ms()).await;
    let workflow = match started {
        Ok(workflow) => workflow,
        Err(StartError::AlreadyActive) => {
            return Err(ApiError::conflict(
                "the incident's autopsy is already running",
            ))
        }
        Err(StartError::NotFound) => return Err(ApiError::not_found("incident not found")),
        Err(StartError::Store(err)) => return Err(err.into()),
    };
    state.ingest.jobs_waker.notify_one();
    Ok(workflow)
}

async fn rerun(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    principal.require(Role::Member)?;
    let id = IncidentId::from_string(id);
    let workflow = start_rerun(&state, &principal.org_id, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "workflow": workflow_json(&workflow) })),
    ))
}

async fn abort(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Member)?;
    let org = &principal.org_id;
    let id = IncidentId::from_string(id);
    state.store.get_incident(org, &id).await?;
    match state
        .store
        .abort_active_workflow(org, &id, state.clock.now_ms())
        .await?
    {
        Some(workflow) => Ok(Json(json!({ "workflow": workflow_json(&workflow) }))),
        None => Err(ApiError::conflict("the incident has no running autopsy")),
    }
}

async fn artifact(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Role::Viewer)?;
    let id = ArtifactId::from_string(id);
    let Some(artifact) = state.store.get_artifact(&principal.org_id, &id).await? else {
        return Err(ApiError::not_found("artifact not found"));
    };
    let Some(artifacts) = &state.settings.artifacts else {
        return Err(ApiError::not_found("no artifact store is configured"));
    };
    let stream = artifacts
        .stream(&artifact.key)
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let body = Body::from_stream(stream.map(|chunk| chunk.map_err(std::io::Error::other)));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                artifact.kind.content_type().to_owned(),
            ),
            (header::CONTENT_LENGTH, artifact.size.to_string()),
            (header::ETAG, format!("\"{}\"", artifact.sha256)),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct StatsQuery {
    days: Option<u32>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

pub fn stats_json(days: u32, stats: &AutopsyStats) -> Value {
    json!({
        "days": days,
        "incidents": stats.incidents,
        "analysed": stats.analysed,
        "success_rate": rate(stats.identified, stats.analysed),
        "patch_success_rate": rate(stats.patches_applied, stats.patches_checked),
        "test_success_rate": rate(stats.tests_verified, stats.tests_checked),
        "median_analysis_time_ms": stats.median_analysis_time_ms,
        "by_category": stats.by_category.iter().map(|c| json!({
            "category": c.category,
            "analysed": c.analysed,
            "success_rate": rate(c.identified, c.analysed),
        })).collect::<Vec<_>>(),
    })
}

async fn stats(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Role::Viewer)?;
    let days = query.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::bad_request("days is 1 to 365"));
    }
    let since = state.clock.now_ms() - i64::from(days) * DAY_MS;
    let stats = state.store.autopsy_stats(&principal.org_id, since).await?;
    Ok(Json(stats_json(days, &stats)))
}
