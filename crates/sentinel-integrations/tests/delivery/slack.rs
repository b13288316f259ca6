//! Slack incoming webhook: Block Kit body with a text fallback; 200 ok delivers.

use std::time::Duration;

use secrecy::SecretString;
use sentinel_integrations::{DeliveryOutcome, SlackClient, SlackConfig};
use serde_json::Value;

use crate::http_server::{expect_json_post, string, Recorded, Reply, ScriptedServer};
use crate::support::{bounded, clock, closed_port, notification, transport, LINK};

const HOOK_PATH: &str = "/services/T0001/B0002/s3cretT0ken";

/// Slack's documented incoming-webhook body: `text` plus well-formed `blocks`.
fn slack_shape(r: &Recorded) -> Result<(), String> {
    let body = expect_json_post(r, HOOK_PATH)?;
    if string(&body, "text")?.is_empty() {
        return Err("text is empty".into());
    }
    let blocks = body["blocks"].as_array().ok_or("blocks is not an array")?;
    if blocks.is_empty() || blocks.len() > 50 {
        return Err(format!("{} blocks", blocks.len()));
    }
    if blocks[0]["type"] != "header" || blocks[0]["text"]["type"] != "plain_text" {
        return Err(format!(
            "first block is not a plain_text header: {}",
            blocks[0]
        ));
    }
    for block in blocks {
        match string(block, "type")? {
            "header" => {
                string(&block["text"], "text")?;
            }
            "section" => {
                let fields = block["fields"].as_array().ok_or("section without fields")?;
                if fields.len() > 10 {
                    return Err("more than 10 fields in a section".into());
                }
                for field in fields {
                    if field["type"] != "mrkdwn" {
                        return Err(format!("field is not mrkdwn: {field}"));
                    }
                    string(field, "text")?;
                }
            }
            "actions" => {
                for element in block["elements"]
                    .as_array()
                    .ok_or("actions without elements")?
                {
                    if element["type"] != "button" {
                        return Err(format!("action is not a button: {element}"));
                    }
                    string(element, "url")?;
                    string(&element["text"], "text")?;
                }
            }
            "context" => {
                block["elements"]
                    .as_array()
                    .ok_or("context without elements")?;
            }
            other => return Err(format!("unexpected block type {other}")),
        }
    }
    Ok(())
}

fn client(server: &ScriptedServer) -> SlackClient {
    let config = SlackConfig {
        webhook_url: SecretString::from(server.url(HOOK_PATH)),
    };
    SlackClient::new(&config, transport(&clock())).unwrap()
}

fn blocks_of(body: &Value, kind: &str) -> Vec<Value> {
    body["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn slack_message_has_fallback_text_header_fields_and_button() {
    let server = ScriptedServer::start(slack_shape, vec![Reply::status(200, "ok")]).await;
    let outcome = bounded(client(&server).deliver(&notification(), "d-1")).await;
    assert_eq!(outcome, DeliveryOutcome::Delivered { status: 200 });
    server.assert_shapes_valid();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json();
    let text = body["text"].as_str().unwrap();
    // mrkdwn control characters are escaped in the fallback; the link is a Slack link.
    assert!(
        text.starts_with("[CRITICAL] TypeError: &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp;"),
        "{text}"
    );
    assert!(text.contains("(checkout, production)"), "{text}");
    assert!(
        text.ends_with(&format!("<{LINK}|View in Sentinel>")),
        "{text}"
    );

    let header = &blocks_of(&body, "header")[0];
    assert!(header["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("[CRITICAL] TypeError: <script>"));

    let section = &blocks_of(&body, "section")[0];
    let fields: Vec<&str> = section["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "*Severity*\ncritical",
            "*Service*\ncheckout",
            "*Environment*\nproduction",
            "*Class*\nunhandled_exception",
            "*release*\n1.4.2",
            "*occurrences*\n17",
        ]
    );
    assert!(section["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Cannot read properties of undefined"));

    let actions = &blocks_of(&body, "actions")[0];
    assert_eq!(actions["elements"][0]["url"], LINK);
}

#[tokio::test]
async fn slack_resolve_is_labelled_and_unsafe_links_are_dropped() {
    let server = ScriptedServer::start(slack_shape, vec![Reply::status(200, "ok")]).await;
    let mut resolved = notification();
    resolved.kind = sentinel_integrations::NotificationKind::Resolve;
    resolved.link = Some("javascript:alert(1)".to_owned());
    let outcome = bounded(client(&server).deliver(&resolved, "d-2")).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    server.assert_shapes_valid();
    let body = server.requests()[0].json();
    assert!(body["text"].as_str().unwrap().starts_with("[RESOLVED] "));
    assert!(blocks_of(&body, "actions").is_empty());
    assert!(!body.to_string().contains("javascript:"));
}

#[tokio::test]
async fn slack_answers_are_classified() {
    let server = ScriptedServer::start(
        slack_shape,
        vec![
            Reply::with_header(429, "retry-after", "30"),
            Reply::status(500, "rollup_error"),
            Reply::status(404, "channel_not_found"),
            Reply::status(400, "invalid_payload"),
            Reply::status(410, "channel_is_archived"),
        ],
    )
    .await;
    let client = client(&server);
    let n = notification();

    let outcome = bounded(client.deliver(&n, "d-3")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: Some(d), .. } if d == Duration::from_secs(30)),
        "{outcome:?}"
    );
    let outcome = bounded(client.deliver(&n, "d-3")).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Retry { after: None, reason } if reason.contains("rollup_error")),
        "{outcome:?}"
    );
    for expected in [
        "channel_not_found",
        "invalid_payload",
        "channel_is_archived",
    ] {
        let outcome = bounded(client.deliver(&n, "d-3")).await;
        assert!(
            matches!(&outcome, DeliveryOutcome::Permanent { reason } if reason.contains(expected)),
            "{outcome:?}"
        );
    }
    assert_eq!(server.requests().len(), 5);
    server.assert_shapes_valid();
}

#[tokio::test]
async fn slack_network_failure_retries_without_leaking_the_webhook_url() {
    let port = closed_port().await;
    let config = SlackConfig {
        webhook_url: SecretString::from(format!("http://127.0.0.1:{port}{HOOK_PATH}")),
    };
    let client = SlackClient::new(&config, transport(&clock())).unwrap();
    assert!(!format!("{client:?}").contains("s3cret"));
    let outcome = bounded(client.deliver(&notification(), "d-4")).await;
    match outcome {
        DeliveryOutcome::Retry {
            after: None,
            reason,
        } => {
            assert!(reason.contains("connection failed"), "{reason}");
            assert!(!reason.contains("s3cret"), "{reason}");
        }
        other => panic!("expected a retry, got {other:?}"),
    }
}
