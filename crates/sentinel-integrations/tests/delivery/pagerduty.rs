//! PagerDuty Events API v2: trigger and resolve events to `{base_url}/v2/enqueue`.

use std::time::Duration;

use secrecy::SecretString;
use sentinel_integrations::{
    DeliveryOutcome, NotificationKind, PagerDutyClient, PagerDutyConfig, Severity,
};

use crate::http_server::{
    expect_json_post, iso8601, one_of, string, Recorded, Reply, ScriptedServer,
};
use crate::support::{
    bounded, clock, notification, transport, transport_with_timeout, LINK, NOW_MS,
};

const ROUTING_KEY: &str = "R0UT1NGKEY0123456789abcdefABCDEF";
const ACCEPTED: &str = r#"{"status":"success","message":"Event processed","dedup_key":"k"}"#;

/// The documented event shape: required top-level keys always, a payload on triggers.
fn pagerduty_shape(r: &Recorded) -> Result<(), String> {
    let body = expect_json_post(r, "/v2/enqueue")?;
    if string(&body, "routing_key")? != ROUTING_KEY {
        return Err("routing_key is not the configured key".into());
    }
    one_of(&body, "event_action", &["trigger", "resolve"])?;
    let dedup_key = string(&body, "dedup_key")?;
    if dedup_key.is_empty() || dedup_key.len() > 255 {
        return Err(format!("dedup_key has {} characters", dedup_key.len()));
    }
    if body["event_action"] == "resolve" {
        return Ok(());
    }
    let payload = &body["payload"];
    let summary = string(payload, "summary")?;
    if summary.is_empty() || summary.chars().count() > 1024 {
        return Err(format!(
            "summary has {} characters",
            summary.chars().count()
        ));
    }
    if string(payload, "source")?.is_empty() {
        return Err("source is empty".into());
    }
    one_of(
        payload,
        "severity",
        &["critical", "error", "warning", "info"],
    )?;
    iso8601(payload, "timestamp")?;
    for key in ["component", "group", "class"] {
        if payload.get(key).is_some() {
            string(payload, key)?;
        }
    }
    if !payload["custom_details"].is_object() {
        return Err("custom_details is not an object".into());
    }
    if let Some(links) = body.get("links") {
        for link in links.as_array().ok_or("links is not an array")? {
            string(link, "href")?;
            string(link, "text")?;
        }
    }
    Ok(())
}

fn client_for(
    server: &ScriptedServer,
    http: sentinel_integrations::HttpTransport,
) -> PagerDutyClient {
    let config = PagerDutyConfig {
        routing_key: SecretString::from(ROUTING_KEY),
        // A trailing slash must not produce `//v2/enqueue`.
        base_url: format!("{}/", server.base()),
    };
    PagerDutyClient::new(&config, http).unwrap()
}

#[tokio::test]
async fn pagerduty_trigger_carries_payload_links_and_dedup_key() {
    let server = ScriptedServer::start(pagerduty_shape, vec![Reply::status(202, ACCEPTED)]).await;
    let client = client_for(&server, transport(&clock()));
    let outcome = bounded(client.deliver(&notification(), "d-1")).await;
    assert_eq!(outcome, DeliveryOutcome::Delivered { status: 202 });
    server.assert_shapes_valid();

    let body = server.requests()[0].json();
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["dedup_key"], "incident:01HF00000000000000000000AB");
    let payload = &body["payload"];
    assert_eq!(payload["severity"], "critical");
    assert_eq!(payload["source"], "checkout");
    assert_eq!(payload["component"], "checkout");
    assert_eq!(payload["group"], "production");
    assert_eq!(payload["class"], "unhandled_exception");
    assert_eq!(payload["timestamp"], "2023-11-14T22:12:20.000Z");
    assert_eq!(payload["custom_details"]["release"], "1.4.2");
    assert_eq!(payload["custom_details"]["occurrences"], "17");
    assert_eq!(body["links"][0]["href"], LINK);
    assert_eq!(body["client_url"], LINK);
}

#[tokio::test]
async fn pagerduty_maps_every_severity_and_cuts_long_summaries() {
    let severities = [
        (Severity::Critical, "critical"),
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ];
    let server = ScriptedServer::start(
        pagerduty_shape,
        severities
            .iter()
            .map(|_| Reply::status(202, ACCEPTED))
            .collect(),
    )
    .await;
    let client = client_for(&server, transport(&clock()));
    for (severity, _) in severities {
        let mut n = notification();
        n.severity = severity;
        n.title = "x".repeat(3000);
        n.dedup_key = "d".repeat(400);
        assert!(bounded(client.deliver(&n, "d-2")).await.is_delivered());
    }
    server.assert_shapes_valid();
    let requests = server.requests();
    let mut dedup_keys = Vec::new();
    for (request, (_, expected)) in requests.iter().zip(severities) {
        let body = request.json();
        assert_eq!(body["payload"]["severity"], expected);
        assert_eq!(
            body["payload"]["summary"].as_str().unwrap().chars().count(),
            1024
        );
        dedup_keys.push(body["dedup_key"].as_str().unwrap().to_owned());
    }
    // An over-long key is replaced by the same stable digest every time.
    assert_eq!(dedup_keys.len(), 4);
    assert!(dedup_keys
        .iter()
        .all(|k| k == &dedup_keys[0] && k.len() == 64));
}

#[tokio::test]
async fn pagerduty_resolve_sends_the_same_dedup_key() {
    let server = ScriptedServer::start(pagerduty_shape, vec![Reply::status(202, ACCEPTED)]).await;
    let client = client_for(&server, transport(&clock()));
    let mut n = notification();
    n.kind = NotificationKind::Resolve;
    assert!(bounded(client.deliver(&n, "d-3")).await.is_delivered());
    server.assert_shapes_valid();
    let body = server.requests()[0].json();
    assert_eq!(body["event_action"], "resolve");
    assert_eq!(body["dedup_key"], "incident:01HF00000000000000000000AB");
    assert!(body.get("payload").is_none());
}

#[tokio::test]
async fn pagerduty_answers_are_classified() {
    let clock = clock();
    let in_90s = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + Duration::from_millis((NOW_MS + 90_000) as u64),
    );
    let server = ScriptedServer::start(
        pagerduty_shape,
        vec![
            Reply::status(
                400,
                r#"{"status":"invalid event","message":"Event object is invalid"}"#,
            ),
            Reply::with_header(429, "retry-after", &in_90s),
            Reply::status(429, ""),
            Reply::status(503, ""),
        ],
    )
    .await;
    let client = client_for(&server, transport(&clock));
    let n = notification();

    let outcome = bounded(client.deliver(&n, "d-4")).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Permanent { reason } if reason.contains("invalid event")),
        "{outcome:?}"
    );
    let outcome = bounded(client.deliver(&n, "d-4")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: Some(d), .. } if d == Duration::from_secs(90)),
        "{outcome:?}"
    );
    let outcome = bounded(client.deliver(&n, "d-4")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: None, .. }),
        "{outcome:?}"
    );
    let outcome = bounded(client.deliver(&n, "d-4")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { .. }),
        "{outcome:?}"
    );
    server.assert_shapes_valid();
}

#[tokio::test]
async fn pagerduty_timeout_is_retried() {
    let server = ScriptedServer::start(pagerduty_shape, vec![Reply::Hang]).await;
    let http = transport_with_timeout(&clock(), Duration::from_millis(300));
    let outcome = bounded(client_for(&server, http).deliver(&notification(), "d-5")).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Retry { reason, .. } if reason.contains("timed out")),
        "{outcome:?}"
    );
    assert_eq!(server.requests().len(), 1);
}
