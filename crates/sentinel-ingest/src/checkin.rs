//! Sentry `check_in` items (cron monitors) into the core [`CheckIn`].
//!
//! Payload: `{"check_in_id", "monitor_slug", "status", "duration" (seconds), "environment",
//! "monitor_config": {"schedule": {"type": "crontab", "value": "0 * * * *"} |
//! {"type": "interval", "value": 2, "unit": "hour"}, "checkin_margin", "max_runtime",
//! "timezone"}}`.
//!
//! A `timezone` that is not an IANA name is dropped with a warning, so the monitor's
//! crontab is read in UTC: a typo in an SDK's configuration must not cost the check-in or
//! the monitor it keeps alive. (Sentinel's API, where people fix what they type, refuses
//! such a name instead.)

use crate::values::{field, float, text_field, u32_field, uint};
use sentinel_core::checkin::{
    parse_time_zone, CheckIn, CheckInStatus, MonitorConfig, MonitorSchedule,
};
use serde_json::Value;

/// Why a check-in item was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckInError {
    #[error("invalid check-in JSON: {0}")]
    Json(String),
    #[error("check-in is missing {0}")]
    Missing(&'static str),
    #[error("unknown check-in status {0:?}")]
    Status(String),
}

/// Parses one check-in payload. A missing `check_in_id` is tolerated (`fallback_id` is used):
/// a single final check-in does not need one to be recorded.
pub fn parse_check_in(bytes: &[u8], fallback_id: &str) -> Result<CheckIn, CheckInError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| CheckInError::Json(e.to_string()))?;
    if !value.is_object() {
        return Err(CheckInError::Json("not a JSON object".into()));
    }
    let monitor_slug = text_field(&value, "monitor_slug")
        .filter(|s| !s.trim().is_empty())
        .ok_or(CheckInError::Missing("monitor_slug"))?;
    let status_text = text_field(&value, "status").ok_or(CheckInError::Missing("status"))?;
    let status: CheckInStatus = status_text
        .parse()
        .map_err(|_| CheckInError::Status(status_text.clone()))?;
    Ok(CheckIn {
        check_in_id: text_field(&value, "check_in_id")
            .map(|id| id.replace('-', "").to_ascii_lowercase())
            .unwrap_or_else(|| fallback_id.to_string()),
        status,
        duration_ms: field(&value, "duration")
            .and_then(float)
            .filter(|d| *d >= 0.0)
            .map(|seconds| seconds * 1000.0),
        environment: text_field(&value, "environment"),
        monitor_config: field(&value, "monitor_config")
            .and_then(monitor_config)
            .map(|config| with_known_time_zone(config, &monitor_slug)),
        monitor_slug,
    })
}

/// The configuration with its time zone dropped (read as UTC) when the IANA database does
/// not know it.
fn with_known_time_zone(mut config: MonitorConfig, slug: &str) -> MonitorConfig {
    let Some(name) = config.timezone.take().filter(|n| !n.trim().is_empty()) else {
        return config;
    };
    match parse_time_zone(&name) {
        Ok(_) => config.timezone = Some(name),
        Err(error) => tracing::warn!(
            monitor = slug,
            timezone = %name,
            %error,
            "unknown monitor time zone, reading its schedule in UTC"
        ),
    }
    config
}

fn monitor_config(value: &Value) -> Option<MonitorConfig> {
    let schedule = field(value, "schedule")?;
    let schedule = match text_field(schedule, "type")?.to_ascii_lowercase().as_str() {
        "crontab" => MonitorSchedule::Crontab(text_field(schedule, "value")?),
        "interval" => MonitorSchedule::Interval {
            value: field(schedule, "value")
                .and_then(uint)
                .and_then(|v| u32::try_from(v).ok())?,
            unit: text_field(schedule, "unit")?,
        },
        _ => return None,
    };
    Some(MonitorConfig {
        schedule,
        checkin_margin_min: u32_field(value, "checkin_margin"),
        max_runtime_min: u32_field(value, "max_runtime"),
        timezone: text_field(value, "timezone"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_full_check_in_parses() {
        let body = br#"{"check_in_id":"83A7C0D2-3C2E-4A3F-9E1B-2F4B6D8E0A1C","monitor_slug":"nightly-report","status":"ok","duration":1.5,"environment":"production","monitor_config":{"schedule":{"type":"crontab","value":"0 3 * * *"},"checkin_margin":5,"max_runtime":30,"timezone":"Europe/Vienna"}}"#;
        let check_in = parse_check_in(body, "x").unwrap();
        assert_eq!(check_in.check_in_id, "83a7c0d23c2e4a3f9e1b2f4b6d8e0a1c");
        assert_eq!(check_in.status, CheckInStatus::Ok);
        assert_eq!(check_in.duration_ms, Some(1500.0));
        let config = check_in.monitor_config.unwrap();
        assert_eq!(
            config.schedule,
            MonitorSchedule::Crontab("0 3 * * *".into())
        );
        assert_eq!(config.checkin_margin_min, Some(5));
        assert_eq!(config.max_runtime_min, Some(30));
        assert_eq!(config.timezone.as_deref(), Some("Europe/Vienna"));
    }

    /// Collects what the fmt subscriber writes, for asserting on log lines.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_unknown_time_zone_falls_back_to_utc_with_a_warning() {
        let body = br#"{"monitor_slug":"nightly-report","status":"ok","monitor_config":{"schedule":{"type":"crontab","value":"0 3 * * *"},"checkin_margin":5,"timezone":"Mars/Olympus_Mons"}}"#;
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let check_in =
            tracing::subscriber::with_default(subscriber, || parse_check_in(body, "x").unwrap());
        // The check-in and the rest of its configuration survive; the zone reads as UTC.
        assert_eq!(check_in.status, CheckInStatus::Ok);
        let config = check_in.monitor_config.unwrap();
        assert_eq!(config.timezone, None);
        assert_eq!(config.checkin_margin_min, Some(5));
        assert_eq!(config.time_zone(), parse_time_zone("UTC"));
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("WARN"), "{logged}");
        assert!(logged.contains("Mars/Olympus_Mons"), "{logged}");
        assert!(logged.contains("nightly-report"), "{logged}");
    }

    #[test]
    fn interval_schedules_and_minimal_check_ins() {
        let body = br#"{"monitor_slug":"sync","status":"in_progress","monitor_config":{"schedule":{"type":"interval","value":"2","unit":"hour"}}}"#;
        let check_in = parse_check_in(body, "fallback").unwrap();
        assert_eq!(check_in.check_in_id, "fallback");
        assert_eq!(
            check_in.monitor_config.map(|c| c.schedule),
            Some(MonitorSchedule::Interval {
                value: 2,
                unit: "hour".into()
            })
        );
    }

    #[test]
    fn invalid_check_ins_are_refused() {
        assert_eq!(
            parse_check_in(br#"{"status":"ok"}"#, "x"),
            Err(CheckInError::Missing("monitor_slug"))
        );
        assert_eq!(
            parse_check_in(br#"{"monitor_slug":"a","status":"running"}"#, "x"),
            Err(CheckInError::Status("running".into()))
        );
        assert!(parse_check_in(b"[]", "x").is_err());
    }
}
