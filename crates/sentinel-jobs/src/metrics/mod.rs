//! Engineering metrics' jobs: the daily `repo_metrics` rows (and the code alert rules that
//! read them), hourly review saturation, and the high-risk deploy rule.
//!
//! | kind | payload | enqueued by |
//! |---|---|---|
//! | `metrics.daily` | `{}` | cron, every hour at :05: each repository's finished local day (once), its week and month, and every stale row |
//! | `metrics.saturation` | `{}` | cron, every hour at :10, measured within working hours |
//! | `alert.high_risk_deploy` | [`DeployRiskPayload`] | `code.link_deploy`, once a deploy knows its commits |
//!
//! Call [`register`] once per runtime.

mod daily;
mod deploy;
mod repositories;
mod run;
mod saturation;
mod signals;

pub use daily::{due_windows, recompute, run_daily_metrics, DailyReport};
pub use deploy::fire_high_risk_deploy;
pub use run::{lock_name, MetricsRun, RunOutcome, Step, LOCK_TTL_MS};
pub use saturation::measure_saturation;

use crate::{handler_fn, JobRuntime, Schedule, ScheduleSpec};
use sentinel_core::alerting::RuleEngine;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const DAILY_KIND: &str = "metrics.daily";
pub const SATURATION_KIND: &str = "metrics.saturation";
pub const HIGH_RISK_DEPLOY_KIND: &str = "alert.high_risk_deploy";

/// `{org_id, deploy_event_id}`: a linked deploy to check for AI-written T4 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRiskPayload {
    pub org_id: String,
    pub deploy_event_id: String,
}

/// What the metrics handlers share.
#[derive(Clone)]
pub struct MetricsDeps {
    pub engine: Arc<RuleEngine>,
}

impl std::fmt::Debug for MetricsDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsDeps").finish_non_exhaustive()
    }
}

/// The schedules of the metrics jobs.
pub fn schedules() -> Vec<Schedule> {
    vec![
        Schedule::new("metrics-daily", ScheduleSpec::hourly_at(5), DAILY_KIND),
        Schedule::new(
            "metrics-saturation",
            ScheduleSpec::hourly_at(10),
            SATURATION_KIND,
        ),
    ]
}

/// Registers the metrics handlers and their schedules on `runtime`.
pub fn register(runtime: &mut JobRuntime, deps: MetricsDeps) {
    register_handlers(runtime, deps);
    for schedule in schedules() {
        runtime.add_schedule(schedule);
    }
}

/// Registers the handlers only.
pub fn register_handlers(runtime: &mut JobRuntime, deps: MetricsDeps) {
    let deps = Arc::new(deps);
    let daily = deps.clone();
    runtime.register(handler_fn(DAILY_KIND, move |ctx| {
        let deps = daily.clone();
        async move { daily::run_daily_job(&deps, ctx).await }
    }));
    let saturation = deps.clone();
    runtime.register(handler_fn(SATURATION_KIND, move |ctx| {
        let deps = saturation.clone();
        async move { saturation::run_saturation_job(&deps, ctx).await }
    }));
    runtime.register(handler_fn(HIGH_RISK_DEPLOY_KIND, move |ctx| {
        let deps = deps.clone();
        async move { deploy::run_high_risk_deploy_job(&deps, ctx).await }
    }));
}
