//! Alert rules firing, deliveries to stub receivers on 127.0.0.1 (request shapes, retries,
//! permanent failures, resolves), e-mail from rule to received message through a real SMTP
//! listener, and exactly-once effects across dead workers and runtimes.
#![allow(clippy::unwrap_used)]

mod alerts_support;
mod support;

use alerts_support::delivery::*;
use alerts_support::email::{email_channel, only_rule};
use alerts_support::*;
use sentinel_core::alerting::{AlertSeverity, RuleEngine};
use sentinel_core::incident::IncidentStatus;
use sentinel_integrations::testing::{ReceivedMail, SmtpScript, SmtpServer};
use sentinel_jobs::kinds::{self, fire_signal, resolve_incident_alerts, sweep_frequency_rules};
use sentinel_store::alerts::{AlertFilter, Delivery, DeliveryStatus, NewAlertRule};
use sentinel_store::jobs::NewJob;
use sentinel_store::testing::TestStore;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use support::{manual_clock, second_store, wait_until, T0};

fn delivered(d: &Delivery) -> bool {
    d.status == DeliveryStatus::Delivered
}

/// A new incident fires the one rule routed to an e-mail channel; the delivery job sends
/// the mail through a real SMTP listener and records it on the alert. A second e-mail
/// channel the rule is not routed to gets nothing.
async fn an_incident_is_mailed_to_its_routed_channel(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let smtp = SmtpServer::start(SmtpScript::default()).await;
    let (org, service) = org_and_service(&store, T0).await;
    let oncall = ["oncall@example.test", "lead@example.test"];
    let mail = email_channel(&store, &org, "on-call", &smtp, &oncall, T0).await;
    let everyone = ["everyone@example.test"];
    let bystander = email_channel(&store, &org, "everyone", &smtp, &everyone, T0).await;
    only_rule(
        &store,
        &org,
        &NewAlertRule {
            name: "New checkout incidents by mail".into(),
            kind: "new_incident".into(),
            params: json!({}),
            severity: AlertSeverity::Critical,
            enabled: true,
            channel_ids: vec![mail.clone()],
        },
        T0,
    )
    .await;
    let outcomes = write(&store, &[error_event(&org, &service, "cart-total", T0)], T0).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let mut deps = deps(&store, clock.clone());
    // A trailing slash must not double up in the link.
    deps.public_url = "https://sentinel.example.test/".into();
    let handle = start(&store, deps, clock, "w1");
    let new_incident = kinds::NEW_INCIDENT_KIND;
    enqueue_incident_job(&store, &handle, new_incident, &org, &incident, T0).await;
    let alert = wait_for_alerts(&store, &org, &AlertFilter::default()).await[0].clone();
    let recorded =
        wait_for_delivery("mail delivered", &store, &org, &alert.id, &mail, delivered).await;
    assert_eq!(recorded.attempts, 1);
    assert_eq!(recorded.delivered_at, Some(T0));
    assert_eq!(recorded.last_error, None);
    let alert = store.get_alert(&org, &alert.id).await.unwrap().unwrap();
    assert_eq!(alert.incident_id.as_deref(), Some(incident.as_str()));
    assert_eq!(alert.sent_at, Some(T0));
    assert_eq!(alert.deliveries.len(), 1, "only the routed channel");
    assert!(delivery(&store, &org, &alert.id, &bystander)
        .await
        .is_none());

    let sessions = smtp.delivered();
    assert_eq!(sessions.len(), 1, "one message: {sessions:?}");
    assert_eq!(
        sessions[0].mail_from.as_deref(),
        Some("MAIL FROM:<alerts@sentinel.test>")
    );
    assert_eq!(
        sessions[0].rcpt_to,
        [
            "RCPT TO:<oncall@example.test>",
            "RCPT TO:<lead@example.test>"
        ]
    );
    let received = ReceivedMail::parse(sessions[0].data.as_deref().unwrap());
    assert_eq!(
        received.header("subject").as_deref(),
        Some("[Sentinel] [CRITICAL] ValueError: cart-total")
    );
    let to = received.header("to").unwrap();
    assert!(oncall.iter().all(|a| to.contains(a)), "{to}");
    assert!(!to.contains("everyone@"), "{to}");
    // The Message-ID is the delivery's identity, so a re-sent attempt can be recognised.
    assert_eq!(
        received.header("message-id"),
        Some(format!("<{}-{mail}-trigger@sentinel.test>", alert.id))
    );
    assert_eq!(
        received.header("date").as_deref(),
        Some("Tue, 14 Nov 2023 22:13:20 +0000")
    );
    assert_eq!(received.parts.len(), 2);
    let link = format!("https://sentinel.example.test/incidents/{incident}");
    let plain = received.part("text/plain");
    assert!(
        plain.starts_with("[CRITICAL] ValueError: cart-total"),
        "{plain}"
    );
    assert!(plain.contains("Service: checkout"), "{plain}");
    assert!(
        plain.contains(&format!("View in Sentinel: {link}\r\n")),
        "{plain}"
    );
    let html = received.part("text/html");
    assert!(html.contains("ValueError: cart-total</h2>"), "{html}");
    assert!(html.contains("<td>checkout</td>"), "{html}");
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
    handle.shutdown(Duration::from_secs(2)).await;
}

/// A busy mailbox (451) is retried on the runtime's backoff until the server accepts; a
/// recipient the server does not know (550) fails at once, with the server's answer.
async fn mail_refusals_are_retried_unless_permanent(test: TestStore) {
    let store = test.store.clone();
    let (manual, clock) = manual_clock();
    let smtp = SmtpServer::start(SmtpScript {
        rcpt_reply: "451 4.2.1 Mailbox busy, try again later",
        ..SmtpScript::default()
    })
    .await;
    let (org, _) = org_and_service(&store, T0).await;
    let mail = email_channel(&store, &org, "on-call", &smtp, &["oncall@example.test"], T0).await;
    let engine = RuleEngine::standard();
    let busy = fire_signal(&store, &engine, &org, &incident_signal("busy"), T0)
        .await
        .unwrap()[0]
        .alert
        .clone();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let first = wait_for_delivery(
        "first attempt refused",
        &store,
        &org,
        &busy.id,
        &mail,
        |d| d.attempts == 1,
    )
    .await;
    assert_eq!(first.status, DeliveryStatus::Retrying);
    assert!(
        first.last_error.as_deref().unwrap().contains("451"),
        "{first:?}"
    );
    let mut now = T0;
    now = wait_for_retry(&store, now).await;
    manual.set(now);
    handle.waker().wake();
    let second = wait_for_delivery(
        "second attempt refused",
        &store,
        &org,
        &busy.id,
        &mail,
        |d| d.attempts == 2,
    )
    .await;
    assert_eq!(second.status, DeliveryStatus::Retrying);
    assert!(smtp.delivered().is_empty(), "nothing was handed over yet");
    // The mailbox frees up; the next attempt goes through.
    smtp.set_script(SmtpScript::default());
    now = wait_for_retry(&store, now).await;
    manual.set(now);
    handle.waker().wake();
    let done = wait_for_delivery("third attempt", &store, &org, &busy.id, &mail, delivered).await;
    assert_eq!(done.attempts, 3);
    assert_eq!(smtp.delivered().len(), 1);

    // 550: the recipient does not exist; trying again cannot help.
    smtp.set_script(SmtpScript {
        rcpt_reply: "550 5.1.1 <oncall@example.test>: Recipient address rejected",
        ..SmtpScript::default()
    });
    let sessions_before = smtp.sessions().len();
    let rejected = fire_signal(&store, &engine, &org, &incident_signal("gone"), now)
        .await
        .unwrap()[0]
        .alert
        .clone();
    handle.waker().wake();
    let failed = wait_for_delivery(
        "rejected for good",
        &store,
        &org,
        &rejected.id,
        &mail,
        |d| d.status == DeliveryStatus::Failed,
    )
    .await;
    assert_eq!(failed.attempts, 1);
    let error = failed.last_error.unwrap();
    assert!(
        error.contains("550") && error.contains("Recipient address rejected"),
        "{error}"
    );
    wait_for_discarded(&store, 1).await;
    // Discarded is final: no attempt is left to run.
    assert_eq!(store.next_job_run_at().await.unwrap(), None);
    assert_eq!(smtp.sessions().len(), sessions_before + 1);
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn new_incident_rule_fires_from_its_job(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let (org, service) = org_and_service(&store, T0).await;
    let outcomes = write(&store, &[error_event(&org, &service, "fp", T0)], T0).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let new_incident = kinds::NEW_INCIDENT_KIND;
    enqueue_incident_job(&store, &handle, new_incident, &org, &incident, T0).await;
    let alerts = wait_for_alerts(&store, &org, &AlertFilter::default()).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_kind, "new_incident");
    assert_eq!(alerts[0].incident_id.as_deref(), Some(incident.as_str()));
    assert_eq!(alerts[0].title, "ValueError: fp");
    // The default rules were created on first evaluation.
    assert_eq!(
        store.list_alert_rules(&org).await.unwrap().len(),
        RuleEngine::standard().kinds().len()
    );
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn regression_rule_fires_from_its_job(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let (org, service) = org_and_service(&store, T0).await;
    let first = write(&store, &[error_event(&org, &service, "fp", T0)], T0).await;
    let incident = first[0].incident_id.clone().unwrap();
    store
        .set_incident_status(&org, &incident, IncidentStatus::Resolved, T0 + 1)
        .await
        .unwrap();
    let again = write(&store, &[error_event(&org, &service, "fp", T0 + 2)], T0 + 2).await;
    assert!(again[0].regression);
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let regression = kinds::REGRESSION_KIND;
    enqueue_incident_job(&store, &handle, regression, &org, &incident, T0).await;
    let filter = AlertFilter {
        rule_kind: Some("regression".into()),
        ..Default::default()
    };
    let alerts = wait_for_alerts(&store, &org, &filter).await;
    assert_eq!(alerts[0].incident_id.as_deref(), Some(incident.as_str()));
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn frequency_rule_fires_at_its_count(test: TestStore) {
    let store = test.store.clone();
    let engine = RuleEngine::standard();
    let (org, service) = org_and_service(&store, T0).await;
    store
        .create_alert_rule(
            &org,
            &NewAlertRule {
                name: "busy".into(),
                kind: "incident_frequency".into(),
                params: json!({"count": 5, "window_minutes": 10}),
                severity: AlertSeverity::Warning,
                enabled: true,
                channel_ids: vec![],
            },
            T0,
        )
        .await
        .unwrap();
    let events: Vec<_> = (0..4)
        .map(|i| error_event(&org, &service, "fp", T0 + i * 1000))
        .collect();
    write(&store, &events, T0 + 4000).await;
    assert!(sweep_frequency_rules(&store, &engine, T0 + 5000)
        .await
        .unwrap()
        .is_empty());
    write(
        &store,
        &[error_event(&org, &service, "fp", T0 + 5000)],
        T0 + 5000,
    )
    .await;
    let fired = sweep_frequency_rules(&store, &engine, T0 + 6000)
        .await
        .unwrap();
    let busy: Vec<_> = fired
        .iter()
        .filter(|r| r.alert.rule_kind == "incident_frequency" && r.alert.threshold == Some(5.0))
        .collect();
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].alert.value, Some(5.0));
    assert!(busy[0].created);
    // The next sweep within a day counts another occurrence of the same alert.
    let again = sweep_frequency_rules(&store, &engine, T0 + 66_000)
        .await
        .unwrap();
    let busy_again = again
        .iter()
        .find(|r| r.alert.id == busy[0].alert.id)
        .unwrap();
    assert_eq!(busy_again.alert.occurrence_count, 2);
    // Out of the window nothing fires.
    assert!(sweep_frequency_rules(&store, &engine, T0 + 20 * 60_000)
        .await
        .unwrap()
        .is_empty());
}

async fn deliveries_reach_pagerduty_and_webhooks_and_resolve(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let pd = pagerduty_channel(&store, &org, &stub, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let fired = fire_signal(&store, &engine, &org, &incident_signal("inc-1"), T0)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1);
    let alert = fired[0].alert.clone();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    wait_until("both delivered", WAIT, || {
        let (store, org, id, pd, hook) = (&store, &org, &alert.id, &pd, &hook);
        async move {
            delivery(store, org, id, pd)
                .await
                .is_some_and(|d| delivered(&d))
                && delivery(store, org, id, hook)
                    .await
                    .is_some_and(|d| delivered(&d))
        }
    })
    .await;
    let seen = stub.seen();
    let trigger = seen.iter().find(|s| s.path == "/v2/enqueue").unwrap();
    assert_eq!(trigger.body["event_action"], "trigger");
    assert_eq!(trigger.body["dedup_key"], alert.dedup_key.as_str());
    assert_eq!(trigger.body["routing_key"], "r".repeat(32));
    assert_eq!(trigger.body["payload"]["severity"], "error");
    assert_eq!(trigger.body["payload"]["summary"], "TypeError: x");
    let posted = seen.iter().find(|s| s.path == "/hook").unwrap();
    assert_eq!(
        posted.delivery_id.as_deref(),
        Some(format!("{}:{hook}:trigger", alert.id).as_str())
    );
    assert_eq!(posted.body["dedup_key"], alert.dedup_key.as_str());
    assert_eq!(posted.body["kind"], "trigger");
    assert!(store
        .get_alert(&org, &alert.id)
        .await
        .unwrap()
        .unwrap()
        .sent_at
        .is_some());

    // Resolving the incident closes the PagerDuty alert (webhooks get no resolve).
    assert_eq!(
        resolve_incident_alerts(&store, &org, "inc-1", T0)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        resolve_incident_alerts(&store, &org, "inc-1", T0)
            .await
            .unwrap(),
        0
    );
    handle.waker().wake();
    wait_until("resolve sent", WAIT, || {
        let stub = stub.clone();
        async move {
            stub.seen()
                .iter()
                .any(|s| s.body["event_action"] == "resolve")
        }
    })
    .await;
    let resolve = stub
        .seen()
        .into_iter()
        .find(|s| s.body["event_action"] == "resolve")
        .unwrap();
    assert_eq!(resolve.body["dedup_key"], alert.dedup_key.as_str());
    assert!(resolve.body.get("payload").is_none());
    handle.shutdown(Duration::from_secs(2)).await;
}

async fn retry_after_is_honoured_and_permanent_failures_are_final(test: TestStore) {
    let store = test.store.clone();
    let (manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    stub.script(&[Reply {
        status: 429,
        retry_after: Some("7"),
    }]);
    let alert = fire_signal(&store, &engine, &org, &incident_signal("a"), T0)
        .await
        .unwrap()[0]
        .alert
        .clone();
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let throttled = wait_for_delivery("throttled", &store, &org, &alert.id, &hook, |d| {
        d.status == DeliveryStatus::Retrying
    })
    .await;
    assert!(throttled.last_error.unwrap().contains("429"));
    // The retry waits exactly as long as the receiver asked.
    wait_until("retry scheduled", WAIT, || {
        let store = store.clone();
        async move { store.next_job_run_at().await.unwrap() == Some(T0 + 7_000) }
    })
    .await;
    manual.advance(7_000);
    handle.waker().wake();
    wait_for_delivery(
        "after Retry-After",
        &store,
        &org,
        &alert.id,
        &hook,
        delivered,
    )
    .await;
    assert_eq!(stub.count(), 2);

    // A 4xx other than 408/429 fails for good after one attempt.
    stub.script(&[Reply {
        status: 400,
        retry_after: None,
    }]);
    let now = T0 + 7_000;
    let bad = fire_signal(&store, &engine, &org, &incident_signal("b"), now)
        .await
        .unwrap()[0]
        .alert
        .clone();
    handle.waker().wake();
    let failed = wait_for_delivery("failed permanently", &store, &org, &bad.id, &hook, |d| {
        d.status == DeliveryStatus::Failed
    })
    .await;
    wait_for_discarded(&store, 1).await;
    assert_eq!(failed.attempts, 1);
    assert_eq!(stub.count(), 3);
    handle.shutdown(Duration::from_secs(2)).await;
}

/// A worker dies after its requests went out and before it recorded anything; the jobs run
/// again elsewhere and the receivers see the same dedup key and delivery id, once each.
async fn a_worker_dying_after_sending_does_not_notify_twice(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let pd = pagerduty_channel(&store, &org, &stub, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let alert = fire_signal(&store, &engine, &org, &incident_signal("k"), T0)
        .await
        .unwrap()[0]
        .alert
        .clone();

    stub.stalling
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let doomed = start(&store, deps(&store, clock.clone()), clock.clone(), "doomed");
    wait_until("both requests sent by the first worker", WAIT, || {
        let stub = stub.clone();
        async move { stub.count() == 2 }
    })
    .await;
    // The worker goes away mid-request: its leases are abandoned, nothing is recorded.
    doomed.shutdown(Duration::from_millis(1)).await;
    stub.stalling
        .store(false, std::sync::atomic::Ordering::SeqCst);
    stub.release.notify_waiters();
    assert_eq!(
        delivery(&store, &org, &alert.id, &pd)
            .await
            .map(|d| d.status),
        Some(DeliveryStatus::Pending)
    );

    let survivor = start(&store, deps(&store, clock.clone()), clock, "survivor");
    wait_until("delivered by the second worker", WAIT, || {
        let (store, org, id, pd, hook) = (&store, &org, &alert.id, &pd, &hook);
        async move {
            delivery(store, org, id, pd)
                .await
                .is_some_and(|d| delivered(&d))
                && delivery(store, org, id, hook)
                    .await
                    .is_some_and(|d| delivered(&d))
        }
    })
    .await;
    let seen = stub.seen();
    assert_eq!(seen.len(), 4, "each channel was sent to twice");
    let pd_keys: HashSet<String> = seen
        .iter()
        .filter(|s| s.path == "/v2/enqueue")
        .map(|s| s.body["dedup_key"].as_str().unwrap().to_string())
        .collect();
    let hook_ids: HashSet<String> = seen.iter().filter_map(|s| s.delivery_id.clone()).collect();
    assert_eq!(pd_keys.len(), 1, "PagerDuty saw one dedup key");
    assert_eq!(hook_ids.len(), 1, "the webhook saw one delivery id");
    survivor.shutdown(Duration::from_secs(2)).await;
}

/// Two runtimes on one PostgreSQL database deliver every alert once.
async fn two_runtimes_deliver_each_alert_once(test: TestStore) {
    if test.store.backend() != sentinel_store::Backend::Postgres {
        return;
    }
    let store = test.store.clone();
    let other = second_store(&test).await;
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    webhook_channel(&store, &org, &stub, T0).await;
    let engine = RuleEngine::standard();
    let a = start(&store, deps(&store, clock.clone()), clock.clone(), "a");
    let b = start(&other, deps(&other, clock.clone()), clock, "b");
    for i in 0..20 {
        fire_signal(
            &store,
            &engine,
            &org,
            &incident_signal(&format!("i{i}")),
            T0,
        )
        .await
        .unwrap();
    }
    a.waker().wake();
    b.waker().wake();
    wait_until("all delivered", WAIT, || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let alerts = store
                .list_alerts(&org, &AlertFilter::default())
                .await
                .unwrap();
            alerts.len() == 20
                && alerts
                    .iter()
                    .all(|a| a.deliveries[0].status == DeliveryStatus::Delivered)
        }
    })
    .await;
    a.shutdown(Duration::from_secs(2)).await;
    b.shutdown(Duration::from_secs(2)).await;
    let seen = stub.seen();
    let ids: HashSet<String> = seen.iter().filter_map(|s| s.delivery_id.clone()).collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(seen.len(), 20, "no delivery was sent twice");
}

async fn channel_tests_reach_the_receiver(test: TestStore) {
    let store = test.store.clone();
    let (_manual, clock) = manual_clock();
    let stub = Stub::start().await;
    let (org, _) = org_and_service(&store, T0).await;
    let hook = webhook_channel(&store, &org, &stub, T0).await;
    let handle = start(&store, deps(&store, clock.clone()), clock, "w1");
    let payload = json!({"org_id": org.as_str(), "channel_id": hook});
    store
        .enqueue(
            &NewJob::new(kinds::CHANNEL_TEST_KIND, payload).org(org.clone()),
            T0,
        )
        .await
        .unwrap();
    handle.waker().wake();
    wait_until("test notification received", WAIT, || {
        let stub = stub.clone();
        async move { stub.count() == 1 }
    })
    .await;
    let seen = stub.seen();
    assert_eq!(seen[0].path, "/hook");
    assert_eq!(seen[0].body["class"], "test");
    assert_eq!(seen[0].body["severity"], "info");
    handle.shutdown(Duration::from_secs(2)).await;
}

runtime_tests!(
    an_incident_is_mailed_to_its_routed_channel,
    mail_refusals_are_retried_unless_permanent,
    channel_tests_reach_the_receiver,
    new_incident_rule_fires_from_its_job,
    regression_rule_fires_from_its_job,
    frequency_rule_fires_at_its_count,
    deliveries_reach_pagerduty_and_webhooks_and_resolve,
    retry_after_is_honoured_and_permanent_failures_are_final,
    a_worker_dying_after_sending_does_not_notify_twice,
    two_runtimes_deliver_each_alert_once
);
