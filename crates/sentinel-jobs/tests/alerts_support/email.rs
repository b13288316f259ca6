//! E-mail channels for the delivery suites, pointing at the SMTP test server of
//! `sentinel_integrations::testing` on 127.0.0.1, and rules routed to them.

use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;
use sentinel_integrations::testing::SmtpServer;
use sentinel_store::alerts::{AlertRule, NewAlertRule, NewChannel};
use sentinel_store::Store;
use serde_json::json;

/// An enabled e-mail channel sending in plain text to `smtp` (a loopback relay needs no
/// TLS), from `alerts@sentinel.test` to `to`.
pub async fn email_channel(
    store: &Store,
    org: &OrgId,
    name: &str,
    smtp: &SmtpServer,
    to: &[&str],
    now: Millis,
) -> String {
    store
        .create_channel(
            org,
            &NewChannel {
                name: name.into(),
                config: ChannelConfig::from_parts(
                    "email",
                    json!({
                        "host": "127.0.0.1",
                        "port": smtp.port,
                        "tls": "none",
                        "from": "Sentinel <alerts@sentinel.test>",
                        "to": to,
                    }),
                )
                .unwrap(),
                enabled: true,
            },
            now,
        )
        .await
        .unwrap()
        .id
        .into_string()
}

/// Makes `rule` the organization's only rule: its default rules count as created (with
/// none), so nothing else fires or notifies.
pub async fn only_rule(store: &Store, org: &OrgId, rule: &NewAlertRule, now: Millis) -> AlertRule {
    assert!(store
        .ensure_default_alert_rules(org, &[], now)
        .await
        .unwrap());
    store.create_alert_rule(org, rule, now).await.unwrap()
}
