//! Deliveries: one job per (alert, channel, action), recording its status on the alert.
//!
//! Exactly-once effects rest on three things. The job's dedup key keeps one unfinished job
//! per delivery, and its fenced lease lets one worker run it at a time. A delivery already
//! recorded as delivered (or failed) is not sent again. And when a worker dies between
//! sending and recording, the re-run sends the same identity: PagerDuty's `dedup_key` is the
//! alert's dedup key, the webhook's delivery id and the e-mail Message-ID derive from
//! `<alert>:<channel>:<action>`, so receivers that honour them see one notification.
//!
//! Retries follow the outcome: `Retry` honours the receiver's `Retry-After` (else the
//! runtime's backoff); `Permanent` (a 4xx other than 408/429, a rejected configuration)
//! discards the job at once.

use super::evaluate::service_name;
use super::{store_error, AlertDeps, ChannelTestPayload, IncidentPayload, DELIVER_KIND};
use crate::{JobContext, JobError};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::clock::Millis;
use sentinel_core::id::{ChannelId, OrgId, ServiceId};
use sentinel_integrations::{
    ChannelClient, DeliveryOutcome, Field, Notification, NotificationKind, Severity,
};
use sentinel_store::alerts::{add_delivery_in, Alert, DeliveryAction, DeliveryStatus};
use sentinel_store::jobs::{enqueue_in, NewJob};
use sentinel_store::{Store, StoreError, StoreResult};
use serde::{Deserialize, Serialize};

/// The payload of `alert.deliver`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverPayload {
    pub org_id: String,
    pub alert_id: String,
    pub channel_id: String,
    /// `trigger` or `resolve`.
    pub action: String,
}

impl DeliverPayload {
    pub fn trigger(org: &OrgId, alert_id: &str, channel_id: &str) -> Self {
        Self {
            org_id: org.as_str().to_string(),
            alert_id: alert_id.to_string(),
            channel_id: channel_id.to_string(),
            action: DeliveryAction::Trigger.as_str().to_string(),
        }
    }

    pub fn resolve(org: &OrgId, alert_id: &str, channel_id: &str) -> Self {
        Self {
            action: DeliveryAction::Resolve.as_str().to_string(),
            ..Self::trigger(org, alert_id, channel_id)
        }
    }

    /// `deliver:<alert>:<channel>` for triggers, with `:resolve` appended for resolves.
    pub fn dedup_key(&self) -> String {
        match self.action.as_str() {
            "trigger" => format!("deliver:{}:{}", self.alert_id, self.channel_id),
            other => format!("deliver:{}:{}:{other}", self.alert_id, self.channel_id),
        }
    }

    /// The id receivers see; the same on every attempt of this delivery.
    pub fn delivery_id(&self) -> String {
        format!("{}:{}:{}", self.alert_id, self.channel_id, self.action)
    }
}

fn severity(s: AlertSeverity) -> Severity {
    match s {
        AlertSeverity::Critical => Severity::Critical,
        AlertSeverity::Error => Severity::Error,
        AlertSeverity::Warning => Severity::Warning,
        AlertSeverity::Info => Severity::Info,
    }
}

async fn notification(
    deps: &AlertDeps,
    alert: &Alert,
    kind: NotificationKind,
    now: Millis,
) -> Notification {
    let service = match &alert.service_id {
        Some(id) => {
            service_name(
                &deps.store,
                &alert.org_id,
                &ServiceId::from_string(id.clone()),
            )
            .await
        }
        None => String::from("sentinel"),
    };
    let base = deps.public_url.trim_end_matches('/');
    let link = match &alert.incident_id {
        Some(incident) => format!("{base}/incidents/{incident}"),
        None => format!("{base}/alerts/{}", alert.id),
    };
    let mut fields = vec![
        Field::new("rule", alert.rule_kind.clone()),
        Field::new("occurrences", alert.occurrence_count.to_string()),
    ];
    if let Some(value) = alert.value {
        fields.push(Field::new("value", format!("{value}")));
    }
    if let Some(threshold) = alert.threshold {
        fields.push(Field::new("threshold", format!("{threshold}")));
    }
    Notification {
        kind,
        title: alert.title.clone(),
        summary: alert.summary.clone(),
        severity: severity(alert.severity),
        link: Some(link),
        service,
        environment: None,
        class: Some(alert.rule_kind.clone()),
        fields,
        dedup_key: alert.dedup_key.clone(),
        occurred_at: match kind {
            NotificationKind::Trigger => alert.triggered_at,
            NotificationKind::Resolve => now,
        },
    }
}

/// Runs one `alert.deliver` job.
#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_deliver(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    let payload: DeliverPayload = ctx.payload()?;
    let action = DeliveryAction::parse(&payload.action)
        .ok_or_else(|| JobError::permanent(format!("unknown action {}", payload.action)))?;
    let org = OrgId::from_string(payload.org_id.clone());
    let store = &deps.store;
    let now = ctx.now_ms();
    let record = |status: DeliveryStatus, error: Option<String>| {
        let payload = payload.clone();
        async move {
            store
                .record_delivery_attempt(
                    &payload.alert_id,
                    &payload.channel_id,
                    action,
                    status,
                    error.as_deref(),
                    now,
                )
                .await
                .map_err(store_error)
        }
    };
    if let Some(done) = store
        .get_delivery(&payload.alert_id, &payload.channel_id, action)
        .await
        .map_err(store_error)?
    {
        if done.status.is_final() {
            tracing::debug!(alert = %payload.alert_id, channel = %payload.channel_id, "delivery already settled");
            return Ok(());
        }
    }
    let Some(alert) = store
        .get_alert(&org, &payload.alert_id)
        .await
        .map_err(store_error)?
    else {
        return Err(JobError::permanent("alert not found"));
    };
    let channel = match store
        .get_channel(&org, &ChannelId::from_string(payload.channel_id.clone()))
        .await
        .map_err(store_error)?
    {
        Some(channel) if channel.enabled => channel,
        Some(_) => {
            record(DeliveryStatus::Failed, Some("channel disabled".into())).await?;
            return Ok(());
        }
        None => {
            record(DeliveryStatus::Failed, Some("channel deleted".into())).await?;
            return Ok(());
        }
    };
    let client = ChannelClient::build(&channel.config, &deps.clients).map_err(|e| e.to_string());
    let client = match client {
        Ok(client) => client,
        Err(reason) => {
            record(DeliveryStatus::Failed, Some(reason.clone())).await?;
            return Err(JobError::permanent(reason));
        }
    };
    let kind = match action {
        DeliveryAction::Trigger => NotificationKind::Trigger,
        DeliveryAction::Resolve => NotificationKind::Resolve,
    };
    let note = notification(deps, &alert, kind, now).await;
    match client.deliver(&note, &payload.delivery_id()).await {
        DeliveryOutcome::Delivered { status } => {
            record(DeliveryStatus::Delivered, None).await?;
            tracing::info!(alert = %alert.id, channel = %channel.id, kind = channel.kind(), status, "alert delivered");
            Ok(())
        }
        DeliveryOutcome::Retry { after, reason } => {
            let status = if ctx.job.is_last_attempt() {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Retrying
            };
            record(status, Some(reason.clone())).await?;
            Err(match after {
                Some(after) => JobError::retry_after(reason, after),
                None => JobError::retry(reason),
            })
        }
        DeliveryOutcome::Permanent { reason } => {
            record(DeliveryStatus::Failed, Some(reason.clone())).await?;
            tracing::warn!(alert = %alert.id, channel = %channel.id, kind = channel.kind(), %reason, "alert delivery failed permanently");
            Err(JobError::permanent(reason))
        }
    }
}

/// Runs one `channel.test` job: a test notification, retried like any delivery.
#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_channel_test(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    let payload: ChannelTestPayload = ctx.payload()?;
    let org = OrgId::from_string(payload.org_id.clone());
    let Some(channel) = deps
        .store
        .get_channel(&org, &ChannelId::from_string(payload.channel_id.clone()))
        .await
        .map_err(store_error)?
    else {
        return Err(JobError::permanent("channel not found"));
    };
    let client = ChannelClient::build(&channel.config, &deps.clients)
        .map_err(|e| JobError::permanent(e.to_string()))?;
    let note = Notification {
        kind: NotificationKind::Trigger,
        title: format!("Test notification for channel {}", channel.name),
        summary: "Sentinel can reach this channel.".into(),
        severity: Severity::Info,
        link: Some(deps.public_url.clone()),
        service: "sentinel".into(),
        environment: None,
        class: Some("test".into()),
        fields: Vec::new(),
        dedup_key: format!("test:{}", ctx.id()),
        occurred_at: ctx.now_ms(),
    };
    match client.deliver(&note, ctx.id().as_str()).await {
        DeliveryOutcome::Delivered { .. } => Ok(()),
        DeliveryOutcome::Retry {
            after: Some(after),
            reason,
        } => Err(JobError::retry_after(reason, after)),
        DeliveryOutcome::Retry {
            after: None,
            reason,
        } => Err(JobError::retry(reason)),
        DeliveryOutcome::Permanent { reason } => Err(JobError::permanent(reason)),
    }
}

/// Runs one `incident.resolved` job.
#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_incident_resolved(
    deps: &AlertDeps,
    ctx: JobContext,
) -> Result<(), JobError> {
    let payload: IncidentPayload = ctx.payload()?;
    resolve_incident_alerts(
        &deps.store,
        &payload.org(),
        &payload.incident_id,
        ctx.now_ms(),
    )
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Enqueues a resolve delivery for every channel that can close an alert (PagerDuty) and
/// received the trigger of an alert about `incident_id`. Returns how many were enqueued.
pub async fn resolve_incident_alerts(
    store: &Store,
    org: &OrgId,
    incident_id: &str,
    now: Millis,
) -> StoreResult<usize> {
    let alerts = store.alerts_for_incident(org, incident_id).await?;
    let channels = store.list_channels(org).await?;
    let mut tx = store.begin().await?;
    let mut enqueued = 0;
    for alert in &alerts {
        for delivery in &alert.deliveries {
            let resolvable = delivery.action == DeliveryAction::Trigger
                && delivery.status == DeliveryStatus::Delivered
                && channels
                    .iter()
                    .any(|c| c.id.as_str() == delivery.channel_id && c.kind() == "pagerduty");
            if !resolvable {
                continue;
            }
            if !add_delivery_in(
                &mut tx,
                &alert.id,
                &delivery.channel_id,
                DeliveryAction::Resolve,
                now,
            )
            .await?
            {
                continue;
            }
            let payload = DeliverPayload::resolve(org, &alert.id, &delivery.channel_id);
            let job = NewJob::with_payload(DELIVER_KIND, &payload)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .org(org.clone())
                .dedup_key(payload.dedup_key());
            enqueued += usize::from(enqueue_in(&mut tx, &job, now).await?.is_some());
        }
    }
    tx.commit().await?;
    Ok(enqueued)
}
