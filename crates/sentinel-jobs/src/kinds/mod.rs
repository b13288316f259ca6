//! The job kinds of alerting: rule evaluation, per-channel deliveries, channel tests,
//! resolves at the receivers, and the every-minute detections and frequency sweeps.
//!
//! | kind | payload | enqueued by |
//! |---|---|---|
//! | `alert.new_incident`, `alert.regression` | `{incident_id, org_id}` | the ingest writer |
//! | `alert.ai_attributed` | `{incident_id, org_id}` | the autopsy, when it finds an attributed suspect commit |
//! | `alert.deliver` | [`DeliverPayload`] | [`fire_signal`] (dedup `deliver:<alert>:<channel>`) |
//! | `channel.test` | `{org_id, channel_id}` | `POST /api/v1/channels/{id}/test` |
//! | `incident.resolved` | `{incident_id, org_id}` | the incident status API |
//! | `detections.run` | `{}` | cron, every minute |
//! | `alerts.frequency` | `{}` | cron, every minute |
//!
//! Call [`register`] once per runtime.

mod deliver;
mod detect;
mod evaluate;

pub use deliver::{resolve_incident_alerts, DeliverPayload};
pub use detect::{run_detections, DetectionReport};
pub use evaluate::{fire_signal, sweep_frequency_rules};

use crate::{handler_fn, JobError, JobRuntime, Schedule, ScheduleSpec};
use sentinel_core::alerting::RuleEngine;
use sentinel_core::detection::DetectionSettings;
use sentinel_core::id::OrgId;
use sentinel_integrations::ClientDeps;
use sentinel_store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const NEW_INCIDENT_KIND: &str = sentinel_core::jobs::ALERT_NEW_INCIDENT;
pub const REGRESSION_KIND: &str = sentinel_core::jobs::ALERT_REGRESSION;
pub const AI_ATTRIBUTED_KIND: &str = "alert.ai_attributed";
pub const DELIVER_KIND: &str = "alert.deliver";
pub const CHANNEL_TEST_KIND: &str = "channel.test";
pub const INCIDENT_RESOLVED_KIND: &str = sentinel_core::jobs::INCIDENT_RESOLVED;
pub const DETECTIONS_KIND: &str = "detections.run";
pub const FREQUENCY_KIND: &str = "alerts.frequency";

/// Everything the alerting handlers share.
#[derive(Clone)]
pub struct AlertDeps {
    pub store: Store,
    pub clients: ClientDeps,
    pub engine: Arc<RuleEngine>,
    pub detection: DetectionSettings,
    /// Where people reach the dashboard, for links in notifications.
    pub public_url: String,
}

impl std::fmt::Debug for AlertDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertDeps")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl AlertDeps {
    /// Production defaults: the standard rule kinds, default HTTP and SMTP limits, the
    /// default detection settings.
    pub fn standard(
        store: Store,
        clock: sentinel_core::clock::SharedClock,
        public_url: impl Into<String>,
    ) -> Result<Self, sentinel_integrations::ConfigError> {
        let http = sentinel_integrations::HttpTransport::new(&Default::default(), clock.clone())?;
        Ok(Self {
            store,
            clients: ClientDeps {
                http,
                smtp: Default::default(),
                clock,
            },
            engine: Arc::new(RuleEngine::standard()),
            detection: DetectionSettings::default(),
            public_url: public_url.into(),
        })
    }
}

/// `{incident_id, org_id}`: the payload of the incident-triggered kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPayload {
    pub incident_id: String,
    pub org_id: String,
}

/// `{org_id, channel_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTestPayload {
    pub org_id: String,
    pub channel_id: String,
}

impl IncidentPayload {
    fn org(&self) -> OrgId {
        OrgId::from_string(self.org_id.clone())
    }
}

/// Registers every alerting handler and the every-minute schedules on `runtime`.
pub fn register(runtime: &mut JobRuntime, deps: AlertDeps) {
    register_handlers(runtime, deps);
    for schedule in schedules() {
        runtime.add_schedule(schedule);
    }
}

/// The cron schedules of alerting: detections and the frequency sweep, every minute.
pub fn schedules() -> Vec<Schedule> {
    vec![
        Schedule::new("detections", ScheduleSpec::every(60_000), DETECTIONS_KIND),
        Schedule::new(
            "alert-frequency",
            ScheduleSpec::every(60_000),
            FREQUENCY_KIND,
        ),
    ]
}

/// Registers the alerting handlers only (a runtime that should not fire the schedules).
pub fn register_handlers(runtime: &mut JobRuntime, deps: AlertDeps) {
    let deps = Arc::new(deps);
    macro_rules! handle {
        ($kind:expr, $run:path) => {{
            let deps = deps.clone();
            runtime.register(handler_fn($kind, move |ctx| {
                let deps = deps.clone();
                async move { $run(&deps, ctx).await }
            }));
        }};
    }
    handle!(NEW_INCIDENT_KIND, evaluate::run_new_incident);
    handle!(REGRESSION_KIND, evaluate::run_regression);
    handle!(AI_ATTRIBUTED_KIND, evaluate::run_ai_attributed);
    handle!(FREQUENCY_KIND, evaluate::run_frequency);
    handle!(DELIVER_KIND, deliver::run_deliver);
    handle!(CHANNEL_TEST_KIND, deliver::run_channel_test);
    handle!(INCIDENT_RESOLVED_KIND, deliver::run_incident_resolved);
    handle!(DETECTIONS_KIND, detect::run_detections_job);
}

fn store_error(err: sentinel_store::StoreError) -> JobError {
    JobError::from(err)
}
