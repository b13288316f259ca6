//! Notification channels, alert rules, alerts and their per-channel deliveries.
//!
//! Channel configuration and rule params are JSON text validated by the callers (the web
//! API and the job handlers) before they are stored; this module stores and reads them.
//! An alert is unique per dedup key within a window: recording the same key again inside
//! it increments `occurrence_count` instead of adding a row (see [`records`]).

mod channels;
mod deliveries;
mod records;
mod rules;

pub use channels::{Channel, ChannelPatch, NewChannel};
pub use deliveries::{add_delivery_in, Delivery, DeliveryAction, DeliveryStatus};
pub use records::{record_alert_in, Alert, AlertFilter, AlertSummary, NewAlert, RecordedAlert};
pub use rules::{AlertRule, AlertRulePatch, NewAlertRule};

use crate::StoreError;

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn parse_json(what: &str, id: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what} {id}: {e}")))
}

/// A transaction-scoped PostgreSQL advisory lock key for `text` (first 8 bytes of SHA-256).
pub(crate) fn advisory_key(text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
