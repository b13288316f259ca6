//! Rule evaluation: turn what happened into a [`Signal`], ask the engine which of the
//! organization's rules fire, and record each firing as an alert whose deliveries are
//! enqueued in the same transaction.

use super::{store_error, AlertDeps, DeliverPayload, IncidentPayload, DELIVER_KIND};
use crate::{JobContext, JobError};
use sentinel_core::alerting::{signals, IncidentFrequency, RuleEngine, Signal, DEDUP_WINDOW_MS};
use sentinel_core::clock::Millis;
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_store::alerts::{record_alert_in, NewAlert, NewAlertRule, RecordedAlert};
use sentinel_store::incidents::Incident;
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::{Store, StoreError, StoreResult};
use std::collections::BTreeMap;

/// Evaluates `signal` against the rules of `org` (creating the default rules on first use)
/// and records what fires. New alerts get one delivery job per channel.
pub async fn fire_signal(
    store: &Store,
    engine: &RuleEngine,
    org: &OrgId,
    signal: &Signal,
    now: Millis,
) -> StoreResult<Vec<RecordedAlert>> {
    let defaults: Vec<NewAlertRule> = engine
        .default_rules()
        .into_iter()
        .map(|(kind, rule)| NewAlertRule {
            name: rule.name.to_string(),
            kind: kind.to_string(),
            params: rule.params,
            severity: rule.severity,
            enabled: true,
            channel_ids: Vec::new(),
        })
        .collect();
    store
        .ensure_default_alert_rules(org, &defaults, now)
        .await?;
    let rules = store.list_alert_rules(org).await?;
    let engine_rules: Vec<_> = rules.iter().map(|r| r.as_rule()).collect();
    let firings = engine.evaluate(&engine_rules, signal);
    if firings.is_empty() {
        return Ok(Vec::new());
    }
    let enabled_channels: Vec<String> = store
        .list_channels(org)
        .await?
        .into_iter()
        .filter(|c| c.enabled)
        .map(|c| c.id.into_string())
        .collect();
    let mut tx = store.begin().await?;
    let mut recorded = Vec::with_capacity(firings.len());
    for firing in firings {
        let Some(rule) = rules.iter().find(|r| r.id == firing.rule_id) else {
            continue;
        };
        let channel_ids: Vec<String> = if rule.channel_ids.is_empty() {
            enabled_channels.clone()
        } else {
            rule.channel_ids
                .iter()
                .filter(|id| enabled_channels.contains(id))
                .cloned()
                .collect()
        };
        let new = NewAlert {
            rule_id: firing.rule_id,
            rule_kind: firing.rule_kind,
            scope: firing.scope,
            service_id: signal.service_id.clone(),
            incident_id: signal.incident_id.clone(),
            detection_id: signal.detection_id.clone(),
            severity: firing.severity,
            title: firing.title,
            summary: firing.summary,
            value: firing.value,
            threshold: firing.threshold,
            dedup_key: firing.dedup_key,
            channel_ids: channel_ids.clone(),
        };
        let result = record_alert_in(&mut tx, org, &new, DEDUP_WINDOW_MS, now).await?;
        if result.created {
            for channel_id in &channel_ids {
                let payload = DeliverPayload::trigger(org, &result.alert.id, channel_id);
                let job = NewJob::with_payload(DELIVER_KIND, &payload)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .org(org.clone())
                    .dedup_key(payload.dedup_key());
                enqueue_in(&mut tx, &job, now).await?;
            }
            tracing::info!(org = %org, alert = %result.alert.id, rule_kind = %result.alert.rule_kind, channels = channel_ids.len(), "alert raised");
        }
        recorded.push(result);
    }
    tx.commit().await?;
    Ok(recorded)
}

/// The signal an incident raises.
pub(crate) fn incident_signal(name: &str, incident: &Incident, service_name: &str) -> Signal {
    let mut signal = Signal::new(name, format!("incident:{}", incident.id), &incident.title);
    signal.service_id = Some(incident.service_id.as_str().to_string());
    signal.service_name = service_name.to_string();
    signal.incident_id = Some(incident.id.as_str().to_string());
    signal.summary = incident.culprit.clone();
    signal
        .facts
        .insert("occurrence_count".into(), incident.occurrence_count as f64);
    signal
        .facts
        .insert("regression_count".into(), incident.regression_count as f64);
    signal.labels.insert(
        "error_class".into(),
        incident.error_class.as_str().to_string(),
    );
    if let Some(env) = &incident.environment {
        signal.labels.insert("environment".into(), env.clone());
    }
    signal
}

pub(crate) async fn service_name(store: &Store, org: &OrgId, service: &ServiceId) -> String {
    match store.get_service(org, service).await {
        Ok(Some(s)) => s.name,
        _ => service.as_str().to_string(),
    }
}

async fn run_incident_signal(
    deps: &AlertDeps,
    ctx: JobContext,
    name: &str,
) -> Result<(), JobError> {
    let payload: IncidentPayload = ctx.payload()?;
    let org = payload.org();
    let incident = match deps
        .store
        .get_incident(&org, &IncidentId::from_string(payload.incident_id.clone()))
        .await
    {
        Ok(incident) => incident,
        Err(StoreError::NotFound) => return Err(JobError::permanent("incident not found")),
        Err(err) => return Err(store_error(err)),
    };
    if incident.quiet {
        return Ok(());
    }
    let service = service_name(&deps.store, &org, &incident.service_id).await;
    let signal = incident_signal(name, &incident, &service);
    fire_signal(&deps.store, &deps.engine, &org, &signal, ctx.now_ms())
        .await
        .map_err(store_error)?;
    Ok(())
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_new_incident(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    run_incident_signal(deps, ctx, signals::INCIDENT_NEW).await
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_regression(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    run_incident_signal(deps, ctx, signals::INCIDENT_REGRESSION).await
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_ai_attributed(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    let payload: IncidentPayload = ctx.payload()?;
    let org = payload.org();
    let id = IncidentId::from_string(payload.incident_id.clone());
    let incident = match deps.store.get_incident(&org, &id).await {
        Ok(incident) => incident,
        Err(StoreError::NotFound) => return Err(JobError::permanent("incident not found")),
        Err(err) => return Err(store_error(err)),
    };
    let Some(suspect) = deps
        .store
        .get_incident_suspect(&org, &id)
        .await
        .map_err(store_error)?
    else {
        return Ok(());
    };
    let (Some(confidence), false) = (suspect.ai_confidence, incident.quiet) else {
        return Ok(());
    };
    let service = service_name(&deps.store, &org, &incident.service_id).await;
    let mut signal = incident_signal(signals::INCIDENT_AI_ATTRIBUTED, &incident, &service);
    signal.facts.insert("ai_confidence".into(), confidence);
    signal.labels.insert("sha".into(), suspect.sha.clone());
    if let Some(tool) = &suspect.tool {
        signal.labels.insert("tool".into(), tool.clone());
    }
    signal.summary = format!(
        "suspect commit {} ({}, {:.0}% sure it was AI-written{})",
        suspect.sha.get(..7).unwrap_or(&suspect.sha),
        suspect.reason,
        confidence * 100.0,
        suspect
            .tool
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default()
    );
    fire_signal(&deps.store, &deps.engine, &org, &signal, ctx.now_ms())
        .await
        .map_err(store_error)?;
    Ok(())
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_frequency(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    sweep_frequency_rules(&deps.store, &deps.engine, ctx.now_ms())
        .await
        .map_err(store_error)?;
    Ok(())
}

/// For every enabled `incident_frequency` rule, counts each incident's events in the rule's
/// window and signals the incidents at or over its count. Returns the alerts recorded.
pub async fn sweep_frequency_rules(
    store: &Store,
    engine: &RuleEngine,
    now: Millis,
) -> StoreResult<Vec<RecordedAlert>> {
    // (org, window minutes) -> the smallest count any rule of that window asks for.
    let mut windows: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for rule in store
        .list_enabled_rules_of_kind("incident_frequency")
        .await?
    {
        if let Ok((count, window)) = IncidentFrequency::params(&rule.params) {
            let entry = windows
                .entry((rule.org_id.as_str().to_string(), window))
                .or_insert(count);
            *entry = (*entry).min(count);
        }
    }
    let mut recorded = Vec::new();
    for ((org, window), min_count) in windows {
        let org = OrgId::from_string(org);
        let since = now - (window as i64) * 60_000;
        let counts = store
            .incident_counts_since(&org, since, now + 1, min_count as i64)
            .await?;
        for counted in counts {
            let incident = match store
                .get_incident(&org, &IncidentId::from_string(counted.incident_id.clone()))
                .await
            {
                Ok(incident) if !incident.quiet => incident,
                Ok(_) | Err(StoreError::NotFound) => continue,
                Err(err) => return Err(err),
            };
            let service = service_name(store, &org, &incident.service_id).await;
            let mut signal = incident_signal(signals::INCIDENT_FREQUENCY, &incident, &service);
            signal
                .facts
                .insert("events_in_window".into(), counted.count as f64);
            signal.facts.insert("window_minutes".into(), window as f64);
            signal.summary = format!("{} events in {window} minutes", counted.count);
            recorded.extend(fire_signal(store, engine, &org, &signal, now).await?);
        }
    }
    Ok(recorded)
}
