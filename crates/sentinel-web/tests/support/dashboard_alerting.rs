//! The alerting pages of the dashboard, on both backends, with the fixture of
//! `dashboard.rs`: alerts (acknowledge), detections (resolve), notification channels
//! (create, masked secrets, a test that reaches a loopback receiver) and alert rules (edit,
//! refused thresholds). Another organization's items are never shown nor changeable.

use super::{fixture, NOW};
use axum::http::StatusCode;
use sentinel_core::alerting::{signals, RuleEngine, Signal};
use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::id::OrgId;
use sentinel_jobs::kinds::fire_signal;
use sentinel_store::alerts::{AlertFilter, NewChannel};
use sentinel_store::detections::{raise_detection_in, NewDetection};
use sentinel_store::Store;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn alert(store: &Store, org: &OrgId, scope: &str, title: &str) -> String {
    let mut signal = Signal::new(signals::INCIDENT_NEW, scope, title);
    signal.summary = format!("summary of {title}");
    let recorded = fire_signal(store, &RuleEngine::standard(), org, &signal, NOW)
        .await
        .unwrap();
    recorded[0].alert.id.clone()
}

async fn detection(store: &Store, org: &OrgId, title: &str) -> String {
    let mut tx = store.begin().await.unwrap();
    let raised = raise_detection_in(
        &mut tx,
        &NewDetection {
            org_id: org.clone(),
            service_id: None,
            kind: "SERVICE_STALL".into(),
            severity: "error".into(),
            title: title.into(),
            details: json!({}),
            dedup_key: format!("SERVICE_STALL:{title}"),
        },
        NOW,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    raised.detection.id
}

async fn alerts_are_listed_and_acknowledged_by_members(store: Store) {
    let f = fixture(store).await;
    let hook = f
        .store
        .create_channel(
            &f.org_a,
            &NewChannel {
                name: "ops hook".into(),
                config: ChannelConfig::from_parts(
                    "webhook",
                    json!({"url": "https://hooks.example.test/in", "secret": "0123456789abcdef"}),
                )
                .unwrap(),
                enabled: true,
            },
            NOW,
        )
        .await
        .unwrap();
    let ours = alert(&f.store, &f.org_a, "incident:a", "TypeError in checkout").await;
    let theirs = alert(&f.store, &f.org_b, "incident:b", "globex ledger alert").await;
    let (alice, _) = f.login("alice@example.com").await;
    let page = f.get("/alerts", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("TypeError in checkout"));
    assert!(page.html.contains("summary of TypeError in checkout"));
    assert!(!page.html.contains("globex ledger"), "another org's alert");
    assert!(page
        .html
        .contains("ops hook: <span class=\"badge d-pending\""));
    assert!(page.html.contains("<time datetime="));
    assert!(page.html.contains(">error<span class=\"n\">1</span>"));
    assert!(page.html.contains("href=\"/alerts\"") && page.html.contains("href=\"/detections\""));
    let _ = hook;

    // A viewer sees the alert but no form, and is refused even with a valid token.
    let (vic, vic_csrf) = f.login("vic@example.com").await;
    let viewed = f.get("/alerts", Some(&vic)).await;
    assert!(viewed.html.contains("TypeError in checkout"));
    assert!(
        !viewed.html.contains("/ack\""),
        "a viewer is offered the form"
    );
    let ack = format!("/alerts/{ours}/ack");
    let refused = f.post(&ack, Some(&vic), &[("csrf", &vic_csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A member's form without the token is refused and changes nothing.
    let (bob, bob_csrf) = f.login("bob@example.com").await;
    let missing = f.post(&ack, Some(&bob), &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let stored = f.store.get_alert(&f.org_a, &ours).await.unwrap().unwrap();
    assert_eq!(stored.acknowledged_at, None);

    let done = f
        .post(
            &ack,
            Some(&bob),
            &[("csrf", &bob_csrf), ("back", "/alerts?status=open")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/alerts?status=open"));
    let bob_id = f
        .store
        .find_user_by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap()
        .id;
    let stored = f.store.get_alert(&f.org_a, &ours).await.unwrap().unwrap();
    assert_eq!(stored.acknowledged_by, Some(format!("user:{bob_id}")));
    assert!(stored.acknowledged_at.is_some());
    let open = f.get("/alerts?status=open", Some(&bob)).await;
    assert!(!open.html.contains("TypeError in checkout"));
    let acked = f.get("/alerts?status=acknowledged", Some(&bob)).await;
    assert!(acked.html.contains("by bob@example.com"), "{}", acked.html);

    // Another organization's alert cannot be acknowledged from here.
    let foreign = f
        .post(
            &format!("/alerts/{theirs}/ack"),
            Some(&alice),
            &[("csrf", &csrf_for(&f, &alice).await)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let filters = AlertFilter::default();
    let b = f.store.list_alerts(&f.org_b, &filters).await.unwrap();
    assert_eq!(b[0].acknowledged_at, None);
    let bad = f.get("/alerts?severity=loud", Some(&alice)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn csrf_for(f: &super::Fixture, session: &str) -> String {
    super::csrf_of(&f.get("/incidents", Some(session)).await.html)
}

async fn detections_are_listed_and_resolved(store: Store) {
    let f = fixture(store).await;
    let ours = detection(&f.store, &f.org_a, "Cron monitor nightly missed").await;
    let theirs = detection(&f.store, &f.org_b, "Globex batch stalled").await;
    let (alice, csrf) = f.login("alice@example.com").await;
    let page = f.get("/detections", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Cron monitor nightly missed"));
    assert!(page.html.contains("SERVICE_STALL"));
    assert!(
        !page.html.contains("Globex batch"),
        "another org's detection"
    );
    assert!(!page.html.contains("value=\"auto_resolved\""));

    let uri = format!("/detections/{ours}/resolve");
    for refused in ["auto_resolved", "shrugged", ""] {
        let answer = f
            .post(
                &uri,
                Some(&alice),
                &[("csrf", &csrf), ("resolution", refused)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{refused}");
    }
    let (vic, vic_csrf) = f.login("vic@example.com").await;
    assert!(!f
        .get("/detections", Some(&vic))
        .await
        .html
        .contains("/resolve\""));
    let viewer = f
        .post(
            &uri,
            Some(&vic),
            &[("csrf", &vic_csrf), ("resolution", "fixed")],
        )
        .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    let no_token = f.post(&uri, Some(&alice), &[("resolution", "fixed")]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let stored = f
        .store
        .get_detection(&f.org_a, &ours)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resolved_at, None, "a refused form resolved it");

    let done = f
        .post(
            &uri,
            Some(&alice),
            &[("csrf", &csrf), ("resolution", "fixed")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let stored = f
        .store
        .get_detection(&f.org_a, &ours)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resolution.as_deref(), Some("fixed"));
    let resolved = f.get("/detections?status=resolved", Some(&alice)).await;
    assert!(resolved.html.contains("Cron monitor nightly missed"));
    assert!(resolved.html.contains("fixed</span> by alice@example.com"));
    assert!(!f
        .get("/detections", Some(&alice))
        .await
        .html
        .contains("nightly missed"));
    let again = f
        .post(
            &uri,
            Some(&alice),
            &[("csrf", &csrf), ("resolution", "dismissed")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let foreign = f
        .post(
            &format!("/detections/{theirs}/resolve"),
            Some(&alice),
            &[("csrf", &csrf), ("resolution", "fixed")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

/// A loopback receiver that counts the requests it answers with 200.
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (url, hits)
}

async fn channels_are_created_masked_and_tested(store: Store) {
    let f = fixture(store).await;
    let (alice, csrf) = f.login("alice@example.com").await;
    let (hook_url, hits) = receiver().await;
    let slack_url = "https://hooks.slack.com/services/T000/B000/slacksecretXYZ1";
    let routing_key = "pdkey0123456789abcdef0123456789z";
    let smtp_password = "smtp-password-very-secret";
    let hook_secret = "whsec-0123456789abcdef";
    let forms: [&[(&str, &str)]; 4] = [
        &[
            ("kind", "slack"),
            ("name", "team chat"),
            ("webhook_url", slack_url),
        ],
        &[
            ("kind", "pagerduty"),
            ("name", "on call"),
            ("routing_key", routing_key),
        ],
        &[
            ("kind", "email"),
            ("name", "ops mail"),
            ("to", "ops@example.com, lead@example.com"),
            ("from", "Sentinel <alerts@example.com>"),
            ("host", "smtp.example.com"),
            ("port", "587"),
            ("tls", "required"),
            ("username", "mailer"),
            ("password", smtp_password),
        ],
        &[
            ("kind", "webhook"),
            ("name", "receiver"),
            ("url", &hook_url),
            ("secret", hook_secret),
        ],
    ];
    for form in forms {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        let created = f.post("/settings/channels", Some(&alice), &fields).await;
        assert_eq!(
            created.status,
            StatusCode::SEE_OTHER,
            "{form:?}: {}",
            created.html
        );
    }
    let page = f.get("/settings/channels", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    for secret in [slack_url, routing_key, smtp_password, hook_secret] {
        assert!(!page.html.contains(secret), "{secret} is shown");
    }
    for masked in ["••••XYZ1", "••••789z", "••••cret", "••••cdef"] {
        assert!(page.html.contains(masked), "{masked} is not shown");
    }
    assert!(page.html.contains("ops@example.com, lead@example.com"));
    assert!(page.html.contains(&hook_url));

    // A refused configuration names the reason and stores nothing.
    let bad = f
        .post(
            "/settings/channels",
            Some(&alice),
            &[
                ("csrf", &csrf),
                ("kind", "pagerduty"),
                ("name", "pd"),
                ("routing_key", " "),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("routing_key"), "{}", bad.html);
    let channels = f.store.list_channels(&f.org_a).await.unwrap();
    assert_eq!(channels.len(), 4);
    let hook = channels
        .iter()
        .find(|c| c.kind() == "webhook")
        .unwrap()
        .id
        .clone();

    // A viewer sees the list without forms; a member may not change channels.
    let (vic, vic_csrf) = f.login("vic@example.com").await;
    let viewed = f.get("/settings/channels", Some(&vic)).await;
    assert!(viewed.html.contains("receiver") && !viewed.html.contains("/test\""));
    let (bob, bob_csrf) = f.login("bob@example.com").await;
    for (session, token) in [(&vic, &vic_csrf), (&bob, &bob_csrf)] {
        let test = f
            .post(
                &format!("/settings/channels/{hook}/test"),
                Some(session),
                &[("csrf", token)],
            )
            .await;
        assert_eq!(test.status, StatusCode::FORBIDDEN);
    }

    // "Send a test" queues the API's job; a worker delivers it to the loopback receiver
    // and the page it returned to tells the outcome.
    let sent = f
        .post(
            &format!("/settings/channels/{hook}/test"),
            Some(&alice),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let back = sent.location.unwrap();
    assert!(
        back.starts_with(&format!("/settings/channels?tested={hook}&job=")),
        "{back}"
    );
    let queued = f.get(&back, Some(&alice)).await;
    assert!(
        queued
            .html
            .contains("Test notification to receiver: queued"),
        "{}",
        queued.html
    );
    let clock: SharedClock = Arc::new(ManualClock::new(NOW + 120_000));
    let mut runtime = sentinel_jobs::JobRuntime::new(
        f.store.clone(),
        clock.clone(),
        sentinel_jobs::RuntimeConfig {
            poll_interval: Duration::from_millis(20),
            ..Default::default()
        },
    );
    let deps =
        sentinel_jobs::kinds::AlertDeps::standard(f.store.clone(), clock, "http://127.0.0.1:8080")
            .unwrap();
    sentinel_jobs::kinds::register_handlers(&mut runtime, deps);
    let handle = runtime.start();
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let page = f.get(&back, Some(&alice)).await;
        if page
            .html
            .contains("Test notification to receiver: delivered")
        {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "the test was not delivered: {}",
            page.html
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    handle.shutdown(Duration::from_secs(2)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(shown.html.contains("id=\"notice\""));

    // Disable, then delete; another organization's channel is not found.
    let disabled = f
        .post(
            &format!("/settings/channels/{hook}/enabled"),
            Some(&alice),
            &[("csrf", &csrf), ("enabled", "0")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert!(
        !f.store
            .get_channel(&f.org_a, &hook)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let foreign = f
        .store
        .create_channel(
            &f.org_b,
            &NewChannel {
                name: "globex pager".into(),
                config: ChannelConfig::from_parts(
                    "pagerduty",
                    json!({"routing_key": "globexkey0123456789abcdef012345"}),
                )
                .unwrap(),
                enabled: true,
            },
            NOW,
        )
        .await
        .unwrap();
    assert!(!f
        .get("/settings/channels", Some(&alice))
        .await
        .html
        .contains("globex pager"));
    for action in ["test", "delete"] {
        let answer = f
            .post(
                &format!("/settings/channels/{}/{action}", foreign.id),
                Some(&alice),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    let deleted = f
        .post(
            &format!("/settings/channels/{hook}/delete"),
            Some(&alice),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(f
        .store
        .get_channel(&f.org_a, &hook)
        .await
        .unwrap()
        .is_none());
}

async fn rules_are_edited_and_refused_thresholds_save_nothing(store: Store) {
    let f = fixture(store).await;
    let channel = f
        .store
        .create_channel(
            &f.org_a,
            &NewChannel {
                name: "on call".into(),
                config: ChannelConfig::from_parts(
                    "pagerduty",
                    json!({"routing_key": "pdkey0123456789abcdef0123456789z"}),
                )
                .unwrap(),
                enabled: true,
            },
            NOW,
        )
        .await
        .unwrap();
    let (alice, csrf) = f.login("alice@example.com").await;
    let created = f
        .post(
            "/settings/rules",
            Some(&alice),
            &[
                ("csrf", &csrf),
                ("name", "busy checkout"),
                ("kind", "incident_frequency"),
                ("severity", "warning"),
                ("enabled", "1"),
                ("count", "50"),
                ("window_minutes", "5"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let rule = f.store.list_alert_rules(&f.org_a).await.unwrap().remove(0);
    assert_eq!(rule.params, json!({"count": 50, "window_minutes": 5}));
    let page = f.get("/settings/rules", Some(&alice)).await;
    assert!(page.html.contains("busy checkout"));
    assert!(page.html.contains("value=\"50\""));

    let uri = format!("/settings/rules/{}", rule.id);
    let saved = f
        .post(
            &uri,
            Some(&alice),
            &[
                ("csrf", &csrf),
                ("name", "busy checkout"),
                ("severity", "critical"),
                ("enabled", "1"),
                ("count", "20"),
                ("window_minutes", "10"),
                ("channel", channel.id.as_str()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let stored = f
        .store
        .get_alert_rule(&f.org_a, &rule.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.params, json!({"count": 20, "window_minutes": 10}));
    assert_eq!(stored.channel_ids, vec![channel.id.as_str().to_string()]);
    assert_eq!(stored.severity.as_str(), "critical");
    let page = f.get("/settings/rules", Some(&alice)).await;
    assert!(page.html.contains("value=\"20\"") && page.html.contains("value=\"10\""));
    assert!(page
        .html
        .contains(&format!("value=\"{}\" checked", channel.id)));

    // Refused: a zero count, a window past a day, another organization's channel.
    for (count, window, channel_id, reason) in [
        (
            "0",
            "10",
            channel.id.as_str(),
            "count must be a whole number &#62;= 1",
        ),
        (
            "many",
            "10",
            channel.id.as_str(),
            "count must be a whole number &#62;= 1",
        ),
        (
            "20",
            "5000",
            channel.id.as_str(),
            "window_minutes must be at most 1440",
        ),
        ("20", "10", "not-our-channel", "no such channel"),
    ] {
        let refused = f
            .post(
                &uri,
                Some(&alice),
                &[
                    ("csrf", &csrf),
                    ("name", "renamed"),
                    ("severity", "info"),
                    ("count", count),
                    ("window_minutes", window),
                    ("channel", channel_id),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{count} {window}");
        assert!(refused.html.contains(reason), "{reason}: {}", refused.html);
        assert!(refused.html.contains("was not saved"));
        let after = f
            .store
            .get_alert_rule(&f.org_a, &rule.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after, stored, "a refused form changed the rule");
    }

    // A viewer sees the thresholds but no form; a member may not change rules.
    let (vic, _) = f.login("vic@example.com").await;
    let viewed = f.get("/settings/rules", Some(&vic)).await;
    assert!(viewed.html.contains("20 events in 10 minutes"));
    assert!(!viewed.html.contains("action=\"/settings/rules"));
    let (bob, bob_csrf) = f.login("bob@example.com").await;
    let member = f
        .post(
            &uri,
            Some(&bob),
            &[
                ("csrf", &bob_csrf),
                ("name", "x"),
                ("severity", "info"),
                ("count", "1"),
                ("window_minutes", "1"),
            ],
        )
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    let _ = f.org_b;
}

sentinel_store::store_tests!(
    alerts_are_listed_and_acknowledged_by_members,
    detections_are_listed_and_resolved,
    channels_are_created_masked_and_tested,
    rules_are_edited_and_refused_thresholds_save_nothing,
);
