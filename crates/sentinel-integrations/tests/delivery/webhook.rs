//! Generic webhooks: documented schema, signed headers, no redirects.

use secrecy::SecretString;
use sentinel_integrations::webhook::{DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use sentinel_integrations::{verify_signature, DeliveryOutcome, WebhookClient, WebhookConfig};

use crate::http_server::{
    expect_json_post, iso8601, nullable_string, one_of, string, Recorded, Reply, ScriptedServer,
};
use crate::support::{bounded, clock, notification, transport, LINK, NOW_MS};

const SECRET: &str = "whsec-loopback-test";
const PATH: &str = "/hooks/sentinel";

/// The module-documented schema and signature scheme, checked as a receiver would.
fn webhook_shape(r: &Recorded) -> Result<(), String> {
    let body = expect_json_post(r, PATH)?;
    let delivery = r.header(DELIVERY_HEADER).ok_or("no X-Sentinel-Delivery")?;
    let timestamp = r
        .header(TIMESTAMP_HEADER)
        .ok_or("no X-Sentinel-Timestamp")?;
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("timestamp {timestamp} is not Unix seconds"));
    }
    let signature = r
        .header(SIGNATURE_HEADER)
        .ok_or("no X-Sentinel-Signature")?;
    if !verify_signature(SECRET.as_bytes(), timestamp, &r.body, signature) {
        return Err(format!("signature {signature} does not verify"));
    }
    if body["version"] != 1 {
        return Err(format!("version is {}", body["version"]));
    }
    if string(&body, "delivery_id")? != delivery {
        return Err("delivery_id differs from X-Sentinel-Delivery".into());
    }
    one_of(&body, "kind", &["trigger", "resolve"])?;
    one_of(&body, "severity", &["critical", "error", "warning", "info"])?;
    for key in ["title", "summary", "service", "dedup_key"] {
        string(&body, key)?;
    }
    for key in ["link", "environment", "class"] {
        nullable_string(&body, key)?;
    }
    for field in body["fields"].as_array().ok_or("fields is not an array")? {
        string(field, "name")?;
        string(field, "value")?;
    }
    iso8601(&body, "occurred_at")?;
    Ok(())
}

fn client(server: &ScriptedServer, clock: &sentinel_core::ManualClock) -> WebhookClient {
    let config = WebhookConfig {
        url: server.url(PATH),
        secret: SecretString::from(SECRET),
    };
    WebhookClient::new(&config, transport(clock)).unwrap()
}

#[tokio::test]
async fn webhook_body_follows_the_documented_schema_and_is_signed() {
    let clock = clock();
    let server = ScriptedServer::start(webhook_shape, vec![Reply::status(204, "")]).await;
    let outcome = bounded(client(&server, &clock).deliver(&notification(), "01HFDELIVERY")).await;
    assert_eq!(outcome, DeliveryOutcome::Delivered { status: 204 });
    server.assert_shapes_valid();

    let request = &server.requests()[0];
    assert_eq!(request.header(DELIVERY_HEADER), Some("01HFDELIVERY"));
    assert_eq!(request.header(TIMESTAMP_HEADER), Some("1700000000"));
    let body = request.json();
    assert_eq!(
        body,
        serde_json::json!({
            "version": 1,
            "delivery_id": "01HFDELIVERY",
            "kind": "trigger",
            "title": "TypeError: <script>alert(\"x\")</script> & 'friends' in checkout",
            "summary": "Cannot read properties of undefined (reading 'id')\n  at pay (cart.ts:42)",
            "severity": "critical",
            "link": LINK,
            "service": "checkout",
            "environment": "production",
            "class": "unhandled_exception",
            "fields": [
                { "name": "release", "value": "1.4.2" },
                { "name": "occurrences", "value": "17" },
            ],
            "dedup_key": "incident:01HF00000000000000000000AB",
            "occurred_at": "2023-11-14T22:12:20.000Z",
        })
    );
    // The signature is bound to the secret and to the exact timestamp.
    let signature = request.header(SIGNATURE_HEADER).unwrap();
    assert!(!verify_signature(
        b"wrong secret",
        "1700000000",
        &request.body,
        signature
    ));
    assert!(!verify_signature(
        SECRET.as_bytes(),
        "1700000001",
        &request.body,
        signature
    ));
}

#[tokio::test]
async fn webhook_retries_keep_the_delivery_id_and_sign_fresh_timestamps() {
    let clock = clock();
    let server = ScriptedServer::start(
        webhook_shape,
        vec![Reply::status(503, "busy"), Reply::status(200, "")],
    )
    .await;
    let client = client(&server, &clock);
    let n = notification();
    let first = bounded(client.deliver(&n, "01HFRETRY")).await;
    assert!(matches!(first, DeliveryOutcome::Retry { .. }), "{first:?}");
    clock.advance(120_000);
    let second = bounded(client.deliver(&n, "01HFRETRY")).await;
    assert_eq!(second, DeliveryOutcome::Delivered { status: 200 });
    server.assert_shapes_valid();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.header(DELIVERY_HEADER) == Some("01HFRETRY")));
    assert_eq!(requests[0].header(TIMESTAMP_HEADER), Some("1700000000"));
    let later = ((NOW_MS + 120_000) / 1000).to_string();
    assert_eq!(requests[1].header(TIMESTAMP_HEADER), Some(later.as_str()));
}

#[tokio::test]
async fn webhook_redirects_are_not_followed() {
    let server = ScriptedServer::start(
        webhook_shape,
        vec![Reply::with_header(302, "location", "/elsewhere")],
    )
    .await;
    let outcome = bounded(client(&server, &clock()).deliver(&notification(), "d-1")).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Permanent { reason } if reason.contains("/elsewhere")),
        "{outcome:?}"
    );
    // Only the original request arrived: nothing was sent to the redirect target.
    assert_eq!(server.requests().len(), 1);
    server.assert_shapes_valid();
}

#[tokio::test]
async fn webhook_answers_are_classified() {
    let server = ScriptedServer::start(
        webhook_shape,
        vec![
            Reply::with_header(429, "retry-after", "5"),
            Reply::status(500, ""),
            Reply::status(410, "gone"),
            Reply::status(401, ""),
        ],
    )
    .await;
    let client = client(&server, &clock());
    let n = notification();
    let outcome = bounded(client.deliver(&n, "d-2")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: Some(d), .. } if d.as_secs() == 5),
        "{outcome:?}"
    );
    let outcome = bounded(client.deliver(&n, "d-2")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: None, .. }),
        "{outcome:?}"
    );
    for _ in 0..2 {
        let outcome = bounded(client.deliver(&n, "d-2")).await;
        assert!(
            matches!(outcome, DeliveryOutcome::Permanent { .. }),
            "{outcome:?}"
        );
    }
    server.assert_shapes_valid();
}

#[test]
fn webhook_configuration_is_checked() {
    let http = transport(&clock());
    let config = |url: &str, secret: &str| WebhookConfig {
        url: url.to_owned(),
        secret: SecretString::from(secret),
    };
    assert!(WebhookClient::new(&config("https://hooks.test/x", "s"), http.clone()).is_ok());
    assert!(WebhookClient::new(&config("file:///etc/passwd", "s"), http.clone()).is_err());
    assert!(WebhookClient::new(&config("not a url", "s"), http.clone()).is_err());
    assert!(WebhookClient::new(&config("https://hooks.test/x", ""), http).is_err());
}
