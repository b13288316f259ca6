//! The every-minute detections run: sync cron monitors from check-ins, judge error counts,
//! latencies and monitors (see `sentinel_core::detection` for the statistics), raise or
//! repeat detections, fire `detection_opened` rules for new ones, and auto-resolve those
//! whose condition has not held for `clear_after_ms`.

use super::evaluate::fire_signal;
use super::{store_error, AlertDeps};
use crate::{JobContext, JobError};
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::checkin::MonitorConfig;
use sentinel_core::clock::{Millis, HOUR_MS, MINUTE_MS};
use sentinel_core::detection::monitor::ScheduleError;
use sentinel_core::detection::{self, kinds, monitor, DetectionSettings, Finding};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_store::detections::{raise_detection_in, NewDetection};
use sentinel_store::{Store, StoreResult};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectionReport {
    /// Dedup keys of detections opened by this run.
    pub opened: Vec<String>,
    /// Dedup keys of open detections whose condition still holds.
    pub repeated: Vec<String>,
    /// Ids of detections resolved because their condition cleared.
    pub auto_resolved: Vec<String>,
}

#[tracing::instrument(
    skip_all,
    fields(job_id = %ctx.id(), kind = %ctx.job.kind, attempt = ctx.attempt())
)]
pub(crate) async fn run_detections_job(deps: &AlertDeps, ctx: JobContext) -> Result<(), JobError> {
    let report = run_detections(&deps.store, &deps.engine, &deps.detection, ctx.now_ms())
        .await
        .map_err(store_error)?;
    tracing::debug!(
        opened = report.opened.len(),
        repeated = report.repeated.len(),
        auto_resolved = report.auto_resolved.len(),
        "detections run"
    );
    Ok(())
}

/// One detections run at `now`.
pub async fn run_detections(
    store: &Store,
    engine: &RuleEngine,
    settings: &DetectionSettings,
    now: Millis,
) -> StoreResult<DetectionReport> {
    sync_monitors(store, now - settings.baseline_ms).await?;
    let mut findings = error_findings(store, settings, now).await?;
    findings.extend(latency_findings(store, settings, now).await?);
    findings.extend(stall_findings(store, now).await?);
    let mut report = DetectionReport::default();
    for new in findings {
        let mut tx = store.begin().await?;
        let raised = raise_detection_in(&mut tx, &new, now).await?;
        tx.commit().await?;
        let d = raised.detection;
        if !raised.opened {
            report.repeated.push(d.dedup_key);
            continue;
        }
        tracing::info!(org = %d.org_id, kind = %d.kind, detection = %d.id, "detection opened");
        let mut signal = Signal::new(
            signals::DETECTION_OPENED,
            format!("detection:{}", d.dedup_key),
            &d.title,
        );
        signal.service_id = d.service_id.clone();
        signal.detection_id = Some(d.id.clone());
        signal.summary = d
            .details
            .get("summary")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        signal
            .labels
            .insert("detection_kind".into(), d.kind.clone());
        for key in ["value", "threshold", "baseline"] {
            if let Some(v) = d.details.get(key).and_then(|v| v.as_f64()) {
                signal.facts.insert(key.into(), v);
            }
        }
        fire_signal(store, engine, &d.org_id, &signal, now).await?;
        report.opened.push(d.dedup_key);
    }
    for resolved in store
        .auto_resolve_detections(now - settings.clear_after_ms, now)
        .await?
    {
        report.auto_resolved.push(resolved.id);
    }
    Ok(report)
}

/// Creates or updates monitors from the newest `monitor_config` check-ins declared.
async fn sync_monitors(store: &Store, since: Millis) -> StoreResult<()> {
    let mut seen = BTreeSet::new();
    for declared in store.declared_monitors_since(since).await? {
        if !seen.insert((declared.service_id.clone(), declared.monitor_slug.clone())) {
            continue;
        }
        let Ok(config) = serde_json::from_str::<MonitorConfig>(&declared.monitor_config) else {
            continue;
        };
        match monitor::validate(&config) {
            // A zone name the edge did not check (a check-in stored before it did) keeps
            // its monitor: the judgement reads such a schedule in UTC.
            Ok(()) | Err(ScheduleError::TimeZone(_)) => {}
            Err(_) => continue,
        }
        store
            .upsert_monitor(
                &OrgId::from_string(declared.org_id),
                &ServiceId::from_string(declared.service_id),
                &declared.monitor_slug,
                &config,
                declared.received_at,
            )
            .await?;
    }
    Ok(())
}

fn finding_details(f: &Finding, summary: String, extra: serde_json::Value) -> serde_json::Value {
    let mut details = json!({
        "value": f.value, "threshold": f.threshold, "baseline": f.baseline, "summary": summary,
    });
    if let (Some(map), Some(more)) = (details.as_object_mut(), extra.as_object()) {
        map.extend(more.clone());
    }
    details
}

async fn error_findings(
    store: &Store,
    s: &DetectionSettings,
    now: Millis,
) -> StoreResult<Vec<NewDetection>> {
    let bucket = s.error_bucket_ms;
    // The store counts errors per minute of receipt, so the window is the last
    // `error_bucket_ms` of whole minutes; the minute under way is judged by the next run.
    let until = now - now.rem_euclid(MINUTE_MS);
    let window_start = until - bucket;
    let current = store
        .error_counts_by_bucket(window_start, until, bucket)
        .await?;
    if current.is_empty() {
        return Ok(Vec::new());
    }
    let base_from = window_start - s.baseline_ms;
    let buckets = usize::try_from(s.baseline_ms / bucket).unwrap_or(0);
    let mut history: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in store
        .error_counts_by_bucket(base_from, window_start, bucket)
        .await?
    {
        let series = history
            .entry(row.service_id)
            .or_insert_with(|| vec![0; buckets]);
        if let Some(slot) = usize::try_from(row.bucket)
            .ok()
            .and_then(|i| series.get_mut(i))
        {
            *slot = row.count;
        }
    }
    let mut found = Vec::new();
    for row in current {
        let baseline = history
            .remove(&row.service_id)
            .unwrap_or_else(|| vec![0; buckets]);
        if let Some(f) = detection::error_spike(&baseline, row.count, s) {
            found.push(NewDetection {
                org_id: OrgId::from_string(row.org_id),
                service_id: Some(row.service_id.clone()),
                kind: kinds::HIGH_ERROR_COUNT.into(),
                severity: "error".into(),
                title: format!("{} errors in 5 minutes (usually {})", row.count, f.baseline),
                details: finding_details(&f, format!("threshold {:.1}", f.threshold), json!({})),
                dedup_key: format!("{}:{}", kinds::HIGH_ERROR_COUNT, row.service_id),
            });
        }
    }
    Ok(found)
}

/// The recent window's durations are read as they are; the baseline is the histogram of
/// the whole hours (a day, as for errors) before the hour that window starts in.
async fn latency_findings(
    store: &Store,
    s: &DetectionSettings,
    now: Millis,
) -> StoreResult<Vec<NewDetection>> {
    let recent_from = now - s.latency_window_ms;
    let baseline_until = recent_from - recent_from.rem_euclid(HOUR_MS);
    type Key = (String, String, String);
    type Samples = (Vec<(i64, i64)>, Vec<f64>);
    let mut groups: BTreeMap<Key, Samples> = BTreeMap::new();
    let baseline = store
        .transaction_duration_buckets(baseline_until - s.baseline_ms, baseline_until)
        .await?;
    for row in baseline {
        groups
            .entry((row.org_id, row.service_id, row.transaction_name))
            .or_default()
            .0
            .push((row.bucket, row.count));
    }
    for group in store
        .transaction_durations_grouped(recent_from, now + 1)
        .await?
    {
        groups
            .entry((group.org_id, group.service_id, group.transaction_name))
            .or_default()
            .1 = group.durations_ms;
    }
    let mut found = Vec::new();
    for ((org, service, name), (baseline, recent)) in groups {
        if let Some(f) = detection::latency_degradation(&baseline, &recent, s) {
            found.push(NewDetection {
                org_id: OrgId::from_string(org),
                service_id: Some(service.clone()),
                kind: kinds::LATENCY_DEGRADATION.into(),
                severity: "warning".into(),
                title: format!(
                    "{name}: p95 {:.0} ms (usually {:.0} ms)",
                    f.value, f.baseline
                ),
                details: finding_details(
                    &f,
                    format!("p95 of {} recent transactions", recent.len()),
                    json!({"transaction": name, "samples": recent.len()}),
                ),
                dedup_key: format!("{}:{service}:{name}", kinds::LATENCY_DEGRADATION),
            });
        }
    }
    Ok(found)
}

async fn stall_findings(store: &Store, now: Millis) -> StoreResult<Vec<NewDetection>> {
    let mut found = Vec::new();
    for m in store.list_all_monitors().await? {
        let recent = store.recent_check_ins(&m.service_id, &m.slug, 20).await?;
        let Ok(Some(stall)) = monitor::judge(&m.config, m.created_at, &recent, now) else {
            continue;
        };
        found.push(NewDetection {
            org_id: m.org_id.clone(),
            service_id: Some(m.service_id.as_str().to_string()),
            kind: kinds::SERVICE_STALL.into(),
            severity: "error".into(),
            title: format!("Cron monitor {} {}", m.slug, stall.reason.as_str()),
            details: json!({
                "monitor": m.slug, "reason": stall.reason.as_str(), "at": stall.at,
                "summary": format!("run due or started at {}", stall.at),
            }),
            dedup_key: format!("{}:{}:{}", kinds::SERVICE_STALL, m.service_id, m.slug),
        });
    }
    Ok(found)
}
