//! The detections run against synthetic timelines in the store, on both backends: error
//! spikes (steady rates do not flap, a spike is caught within two minutes), latency
//! degradation, stalled cron monitors (also in a time zone with daylight saving),
//! auto-resolution and the `detection_opened` rule.
#![allow(clippy::unwrap_used)]

mod alerts_support;
mod support;

use alerts_support::*;
use sentinel_core::alerting::RuleEngine;
use sentinel_core::checkin::{MonitorConfig, MonitorSchedule};
use sentinel_core::clock::{Clock, ManualClock};
use sentinel_core::detection::DetectionSettings;
use sentinel_jobs::kinds::run_detections;
use sentinel_store::alerts::AlertFilter;
use sentinel_store::incidents::{write_check_ins, NewCheckIn};
use sentinel_store::testing::TestStore;
use serde_json::json;
use support::T0;

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

async fn steady_rates_do_not_flap_and_spikes_are_caught_within_two_minutes(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let settings = DetectionSettings::default();
    let (org, service) = org_and_service(&store, T0 - 2 * DAY).await;
    // A day of a steady, slightly noisy 2–4 errors a minute, plus the next half hour.
    let start = T0 - DAY;
    let steady_end = T0 + 30 * MIN;
    let mut events = Vec::new();
    let mut minute = 0;
    while start + minute * MIN < steady_end {
        for k in 0..(2 + minute % 3) {
            events.push(error_event(
                &org,
                &service,
                "steady",
                start + minute * MIN + k * 1000,
            ));
        }
        minute += 1;
    }
    for chunk in events.chunks(1000) {
        write(&store, chunk, steady_end).await;
    }
    for m in 0..30 {
        let report = run_detections(&store, &engine, &settings, T0 + m * MIN)
            .await
            .unwrap();
        assert!(
            report.opened.is_empty(),
            "a steady rate opened a detection at minute {m}"
        );
    }
    assert!(store
        .list_detections(&org, None, None, 10)
        .await
        .unwrap()
        .is_empty());

    // A spike starts at T0+30min: 60 errors in its first minute.
    let spike_start = T0 + 30 * MIN;
    let spike: Vec<_> = (0..60)
        .map(|i| error_event(&org, &service, "spike", spike_start + i * 1000))
        .collect();
    write(&store, &spike, spike_start + MIN).await;
    let mut caught_at = None;
    for m in 1..=2 {
        let now = spike_start + m * MIN;
        if !run_detections(&store, &engine, &settings, now)
            .await
            .unwrap()
            .opened
            .is_empty()
        {
            caught_at = Some(now);
            break;
        }
    }
    let caught_at = caught_at.expect("the spike was caught within two minutes");
    let open = store
        .list_detections(&org, Some(true), None, 10)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, "HIGH_ERROR_COUNT");
    assert_eq!(open[0].service_id.as_deref(), Some(service.as_str()));
    // Opening it fired the default detection_opened rule.
    let filter = AlertFilter {
        rule_kind: Some("detection_opened".into()),
        ..Default::default()
    };
    let alerts = store.list_alerts(&org, &filter).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].detection_id.as_deref(), Some(open[0].id.as_str()));

    // While the spike is in the window the same detection repeats; it does not reopen.
    let report = run_detections(&store, &engine, &settings, caught_at + MIN)
        .await
        .unwrap();
    assert!(report.opened.is_empty());
    assert_eq!(report.repeated.len(), 1);
    // Once clear for the configured time it resolves itself, once.
    let mut resolved = Vec::new();
    for m in 2..=25 {
        let report = run_detections(&store, &engine, &settings, caught_at + m * MIN)
            .await
            .unwrap();
        assert!(report.opened.is_empty());
        resolved.extend(report.auto_resolved);
    }
    assert_eq!(resolved, vec![open[0].id.clone()]);
    let closed = store
        .get_detection(&org, &open[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.resolution.as_deref(), Some("auto_resolved"));
    assert!(closed.occurrence_count >= 2);
}

async fn latency_degradation_needs_samples_and_a_real_increase(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let settings = DetectionSettings::default();
    let (org, service) = org_and_service(&store, T0 - DAY).await;
    let baseline: Vec<_> = (0..100)
        .map(|i| {
            transaction(
                &org,
                &service,
                "GET /cart",
                200.0 + (i % 10) as f64,
                T0 - DAY + i * 10 * MIN,
            )
        })
        .collect();
    write(&store, &baseline, T0).await;
    // Ten slow ones are too few to judge.
    let few: Vec<_> = (0..10)
        .map(|i| transaction(&org, &service, "GET /cart", 900.0, T0 - 10 * MIN + i * 1000))
        .collect();
    write(&store, &few, T0).await;
    assert!(run_detections(&store, &engine, &settings, T0)
        .await
        .unwrap()
        .opened
        .is_empty());
    let more: Vec<_> = (0..20)
        .map(|i| transaction(&org, &service, "GET /cart", 950.0, T0 - 5 * MIN + i * 1000))
        .collect();
    write(&store, &more, T0).await;
    let report = run_detections(&store, &engine, &settings, T0)
        .await
        .unwrap();
    assert_eq!(
        report.opened,
        vec![format!("LATENCY_DEGRADATION:{service}:GET /cart")]
    );
    let d = &store
        .list_detections(&org, Some(true), None, 10)
        .await
        .unwrap()[0];
    assert_eq!(d.details["transaction"], "GET /cart");
    assert!(d.details["value"].as_f64().unwrap() >= 900.0);
}

async fn stalled_monitors_open_detections(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let settings = DetectionSettings::default();
    let (org, service) = org_and_service(&store, T0 - DAY).await;
    let config = MonitorConfig {
        schedule: MonitorSchedule::Crontab("0 * * * *".into()),
        checkin_margin_min: Some(5),
        max_runtime_min: Some(10),
        timezone: None,
    };
    // T0 is 22:13:20 UTC; the SDK declares the monitor with an ok run at 22:00.
    let hour_start = T0 - 13 * MIN - 20_000;
    let check_in = |status: &str, at: i64, with_config: bool| NewCheckIn {
        org_id: org.clone(),
        service_id: service.clone(),
        check_in_id: ulid::Ulid::new().to_string(),
        monitor_slug: "billing-sync".into(),
        status: status.into(),
        duration_ms: None,
        environment: None,
        monitor_config: with_config.then(|| serde_json::to_string(&config).unwrap()),
        received_at: at,
    };
    let mut tx = store.begin().await.unwrap();
    write_check_ins(&mut tx, &[check_in("ok", hour_start + 10_000, true)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let report = run_detections(&store, &engine, &settings, T0)
        .await
        .unwrap();
    assert!(report.opened.is_empty());
    // The run created the monitor from the check-in's declared configuration.
    let monitors = store.list_monitors(&org).await.unwrap();
    assert_eq!(monitors.len(), 1);
    assert_eq!(monitors[0].config, config);
    // 23:00 passes with no check-in; at 23:06 the run is missed.
    let next = hour_start + 60 * MIN;
    assert!(run_detections(&store, &engine, &settings, next + 4 * MIN)
        .await
        .unwrap()
        .opened
        .is_empty());
    let report = run_detections(&store, &engine, &settings, next + 6 * MIN)
        .await
        .unwrap();
    assert_eq!(report.opened.len(), 1);
    let d = &store
        .list_detections(&org, Some(true), None, 10)
        .await
        .unwrap()[0];
    assert_eq!(d.kind, "SERVICE_STALL");
    assert_eq!(d.details["reason"], "missed");
    // A failed run keeps the same detection open (another occurrence), not a second one.
    let mut tx = store.begin().await.unwrap();
    write_check_ins(&mut tx, &[check_in("error", next + 7 * MIN, false)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let report = run_detections(&store, &engine, &settings, next + 8 * MIN)
        .await
        .unwrap();
    assert!(report.opened.is_empty());
    let d = &store
        .list_detections(&org, Some(true), None, 10)
        .await
        .unwrap()[0];
    assert_eq!(d.details["reason"], "failed");
    assert_eq!(d.occurrence_count, 2);
}

/// A `0 9 * * *` monitor declared in Europe/Vienna is due at 09:00 on the wall: 08:00 UTC
/// before the change to summer time on 2024-03-31, 07:00 UTC from that day on.
async fn a_monitor_is_judged_in_its_own_time_zone(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let settings = DetectionSettings::default();
    // 2024-03-30T08:00:00Z, 09:00 CET.
    let nine_winter: i64 = 1_711_785_600_000;
    let clock = ManualClock::new(nine_winter - 10 * MIN);
    let (org, service) = org_and_service(&store, nine_winter - 2 * DAY).await;
    let config = MonitorConfig {
        schedule: MonitorSchedule::Crontab("0 9 * * *".into()),
        checkin_margin_min: Some(5),
        max_runtime_min: None,
        timezone: Some("Europe/Vienna".into()),
    };
    let ok_check_in = |at: i64| NewCheckIn {
        org_id: org.clone(),
        service_id: service.clone(),
        check_in_id: ulid::Ulid::new().to_string(),
        monitor_slug: "vienna-report".into(),
        status: "ok".into(),
        duration_ms: None,
        environment: None,
        monitor_config: Some(serde_json::to_string(&config).unwrap()),
        received_at: at,
    };
    let run_at = |at: i64| {
        clock.set(at);
        let (store, engine, settings) = (&store, &engine, &settings);
        let now = clock.now_ms();
        async move { run_detections(store, engine, settings, now).await.unwrap() }
    };
    // The SDK declares the monitor the evening before.
    let mut tx = store.begin().await.unwrap();
    write_check_ins(&mut tx, &[ok_check_in(nine_winter - 14 * 60 * MIN)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(run_at(nine_winter - 13 * 60 * MIN).await.opened.is_empty());
    assert_eq!(
        store.list_monitors(&org).await.unwrap()[0]
            .config
            .timezone
            .as_deref(),
        Some("Europe/Vienna")
    );

    let details = || async {
        let open = store
            .list_detections(&org, Some(true), None, 10)
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "one detection for the monitor");
        (
            open[0].details["reason"].clone(),
            open[0].details["at"].clone(),
        )
    };

    // Winter: the 09:00 CET run is missed six minutes after 08:00 UTC, not before.
    assert!(run_at(nine_winter + 4 * MIN).await.opened.is_empty());
    let report = run_at(nine_winter + 6 * MIN).await;
    assert_eq!(report.opened.len(), 1, "missed at 08:06 UTC");
    assert_eq!(details().await, (json!("missed"), json!(nine_winter)));
    // The run comes at 08:07 UTC, late. At 09:06 UTC, where a UTC reading of the crontab
    // would find today's run missing, the judgement is still about the 08:00 UTC run.
    let mut tx = store.begin().await.unwrap();
    write_check_ins(&mut tx, &[ok_check_in(nine_winter + 7 * MIN)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let report = run_at(nine_winter + 66 * MIN).await;
    assert!(report.opened.is_empty());
    assert_eq!(details().await, (json!("late"), json!(nine_winter)));

    // Summer time from 2024-03-31: 09:00 CEST is 07:00 UTC, 23 hours after the last run.
    let nine_summer = nine_winter + DAY - 60 * MIN;
    run_at(nine_summer + 4 * MIN).await;
    assert_eq!(details().await, (json!("late"), json!(nine_winter)));
    let report = run_at(nine_summer + 6 * MIN).await;
    assert_eq!(report.repeated.len(), 1, "missed at 07:06 UTC");
    assert_eq!(details().await, (json!("missed"), json!(nine_summer)));
}

runtime_tests!(
    a_monitor_is_judged_in_its_own_time_zone,
    steady_rates_do_not_flap_and_spikes_are_caught_within_two_minutes,
    latency_degradation_needs_samples_and_a_real_increase,
    stalled_monitors_open_detections
);
