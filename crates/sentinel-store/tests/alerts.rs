//! Channels, rules, alerts and deliveries on both backends.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{create_org, T0};
use sentinel_core::alerting::AlertSeverity;
use sentinel_core::channel::ChannelConfig;
use sentinel_store::alerts::{
    record_alert_in, AlertFilter, ChannelPatch, DeliveryAction, DeliveryStatus, NewAlert,
    NewAlertRule, NewChannel,
};
use sentinel_store::Store;
use serde_json::json;

const DAY: i64 = 24 * 3_600_000;

fn new_alert(rule: &str, scope: &str, channels: &[&str]) -> NewAlert {
    NewAlert {
        rule_id: rule.into(),
        rule_kind: "new_incident".into(),
        scope: scope.into(),
        service_id: Some("svc-1".into()),
        incident_id: Some("inc-1".into()),
        detection_id: None,
        severity: AlertSeverity::Error,
        title: "TypeError".into(),
        summary: String::new(),
        value: None,
        threshold: None,
        dedup_key: format!("rule:{rule}:{scope}"),
        channel_ids: channels.iter().map(|c| c.to_string()).collect(),
    }
}

async fn record(
    store: &Store,
    org: &sentinel_core::id::OrgId,
    new: &NewAlert,
    now: i64,
) -> (String, bool, i64) {
    let mut tx = store.begin().await.unwrap();
    let recorded = record_alert_in(&mut tx, org, new, DAY, now).await.unwrap();
    tx.commit().await.unwrap();
    (
        recorded.alert.id,
        recorded.created,
        recorded.alert.occurrence_count,
    )
}

async fn channels_are_scoped_and_editable(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let channel = store
        .create_channel(
            &org,
            &NewChannel {
                name: "ops".into(),
                config: ChannelConfig::from_parts(
                    "slack",
                    json!({"webhook_url": "https://hooks.slack.test/x"}),
                )
                .unwrap(),
                enabled: true,
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.list_channels(&org).await.unwrap().len(), 1);
    assert!(store.list_channels(&other).await.unwrap().is_empty());
    assert!(store
        .get_channel(&other, &channel.id)
        .await
        .unwrap()
        .is_none());
    let patch = ChannelPatch {
        enabled: Some(false),
        ..ChannelPatch::default()
    };
    assert!(store
        .update_channel(&other, &channel.id, &patch, T0)
        .await
        .unwrap()
        .is_none());
    let updated = store
        .update_channel(&org, &channel.id, &patch, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert!(!updated.enabled);
    assert_eq!(updated.config, channel.config);
    let read = store.get_channel(&org, &channel.id).await.unwrap().unwrap();
    assert_eq!(read, updated);
    assert!(!store.delete_channel(&other, &channel.id).await.unwrap());
    assert!(store.delete_channel(&org, &channel.id).await.unwrap());
    assert!(store.list_channels(&org).await.unwrap().is_empty());
}

async fn default_rules_are_created_once(store: Store) {
    let org = create_org(&store).await;
    let defaults = vec![NewAlertRule {
        name: "New incident".into(),
        kind: "new_incident".into(),
        params: json!({}),
        severity: AlertSeverity::Error,
        enabled: true,
        channel_ids: vec![],
    }];
    assert!(store
        .ensure_default_alert_rules(&org, &defaults, T0)
        .await
        .unwrap());
    let rules = store.list_alert_rules(&org).await.unwrap();
    assert_eq!(rules.len(), 1);
    // Deleted stays deleted: defaults are not created a second time.
    assert!(store.delete_alert_rule(&org, &rules[0].id).await.unwrap());
    assert!(!store
        .ensure_default_alert_rules(&org, &defaults, T0)
        .await
        .unwrap());
    assert!(store.list_alert_rules(&org).await.unwrap().is_empty());
}

async fn rules_round_trip(store: Store) {
    let org = create_org(&store).await;
    let rule = store
        .create_alert_rule(
            &org,
            &NewAlertRule {
                name: "Busy".into(),
                kind: "incident_frequency".into(),
                params: json!({"count": 5, "window_minutes": 10}),
                severity: AlertSeverity::Warning,
                enabled: true,
                channel_ids: vec!["c1".into()],
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_alert_rule(&org, &rule.id).await.unwrap().unwrap(),
        rule
    );
    let patch = sentinel_store::alerts::AlertRulePatch {
        enabled: Some(false),
        severity: Some(AlertSeverity::Critical),
        ..Default::default()
    };
    let changed = store
        .update_alert_rule(&org, &rule.id, &patch, T0 + 5)
        .await
        .unwrap()
        .unwrap();
    assert!(!changed.enabled);
    assert_eq!(changed.severity, AlertSeverity::Critical);
    assert!(store
        .list_enabled_rules_of_kind("incident_frequency")
        .await
        .unwrap()
        .is_empty());
}

async fn same_rule_and_scope_within_a_day_is_one_alert(store: Store) {
    let org = create_org(&store).await;
    let new = new_alert("r1", "incident:1", &["c1", "c2"]);
    let (first, created, count) = record(&store, &org, &new, T0).await;
    assert!(created);
    assert_eq!(count, 1);
    let (again, created, count) = record(&store, &org, &new, T0 + DAY - 1).await;
    assert_eq!(again, first);
    assert!(!created);
    assert_eq!(count, 2);
    // Another scope is another alert.
    let (other, created, _) = record(&store, &org, &new_alert("r1", "incident:2", &[]), T0).await;
    assert!(created && other != first);
    // A day after the first trigger a new alert starts.
    let (later, created, _) = record(&store, &org, &new, T0 + DAY + 1).await;
    assert!(created && later != first);

    let alert = store.get_alert(&org, &first).await.unwrap().unwrap();
    assert_eq!(alert.occurrence_count, 2);
    assert_eq!(alert.deliveries.len(), 2);
    assert!(alert
        .deliveries
        .iter()
        .all(|d| d.status == DeliveryStatus::Pending));
    assert_eq!(alert.sent_at, None);
}

async fn delivery_status_is_recorded_and_never_undone(store: Store) {
    let org = create_org(&store).await;
    let (id, _, _) = record(&store, &org, &new_alert("r1", "incident:1", &["c1"]), T0).await;
    let trigger = DeliveryAction::Trigger;
    store
        .record_delivery_attempt(
            &id,
            "c1",
            trigger,
            DeliveryStatus::Retrying,
            Some("HTTP 503"),
            T0 + 1,
        )
        .await
        .unwrap();
    let d = store
        .get_delivery(&id, "c1", trigger)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.status, d.attempts, d.last_error.as_deref()),
        (DeliveryStatus::Retrying, 1, Some("HTTP 503"))
    );
    store
        .record_delivery_attempt(&id, "c1", trigger, DeliveryStatus::Delivered, None, T0 + 2)
        .await
        .unwrap();
    store
        .record_delivery_attempt(
            &id,
            "c1",
            trigger,
            DeliveryStatus::Failed,
            Some("late"),
            T0 + 3,
        )
        .await
        .unwrap();
    let d = store
        .get_delivery(&id, "c1", trigger)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.status, d.attempts, d.delivered_at),
        (DeliveryStatus::Delivered, 2, Some(T0 + 2))
    );
    let alert = store.get_alert(&org, &id).await.unwrap().unwrap();
    assert_eq!(alert.sent_at, Some(T0 + 2));
}

async fn alerts_filter_summarise_and_acknowledge(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let (a, _, _) = record(&store, &org, &new_alert("r1", "incident:1", &[]), T0).await;
    let mut warn = new_alert("r2", "incident:2", &[]);
    warn.severity = AlertSeverity::Warning;
    warn.rule_kind = "regression".into();
    warn.service_id = Some("svc-2".into());
    let (b, _, _) = record(&store, &org, &warn, T0 + 10).await;
    record(&store, &other, &new_alert("r9", "incident:9", &[]), T0).await;

    let all = store
        .list_alerts(&org, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
        vec![b.clone(), a.clone()]
    );
    let by = |f: AlertFilter| {
        let store = store.clone();
        let org = org.clone();
        async move {
            store
                .list_alerts(&org, &f)
                .await
                .unwrap()
                .into_iter()
                .map(|x| x.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by(AlertFilter {
            severity: Some(AlertSeverity::Warning),
            ..Default::default()
        })
        .await,
        vec![b.clone()]
    );
    assert_eq!(
        by(AlertFilter {
            rule_kind: Some("new_incident".into()),
            ..Default::default()
        })
        .await,
        vec![a.clone()]
    );
    assert_eq!(
        by(AlertFilter {
            service_id: Some("svc-2".into()),
            ..Default::default()
        })
        .await,
        vec![b.clone()]
    );

    let acked = store
        .acknowledge_alert(&org, &a, "user-1", T0 + 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (acked.acknowledged_at, acked.acknowledged_by.as_deref()),
        (Some(T0 + 20), Some("user-1"))
    );
    // The first acknowledgement stands.
    let again = store
        .acknowledge_alert(&org, &a, "user-2", T0 + 30)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("user-1"));
    assert!(store
        .acknowledge_alert(&other, &a, "x", T0)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        by(AlertFilter {
            acknowledged: Some(false),
            ..Default::default()
        })
        .await,
        vec![b.clone()]
    );
    assert_eq!(
        by(AlertFilter {
            acknowledged: Some(true),
            ..Default::default()
        })
        .await,
        vec![a.clone()]
    );

    let summary = store.alert_summary(&org).await.unwrap();
    assert_eq!((summary.total, summary.unacknowledged), (2, 1));
    assert_eq!(
        summary.by_severity,
        vec![("error".to_string(), 1), ("warning".to_string(), 1)]
    );
    assert_eq!(summary.by_rule.len(), 2);
    assert_eq!(summary.most_recent.unwrap().id, b);
}

sentinel_store::store_tests!(
    channels_are_scoped_and_editable,
    default_rules_are_created_once,
    rules_round_trip,
    same_rule_and_scope_within_a_day_is_one_alert,
    delivery_status_is_recorded_and_never_undone,
    alerts_filter_summarise_and_acknowledge
);
