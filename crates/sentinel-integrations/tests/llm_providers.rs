//! The OpenAI-compatible and Anthropic clients against stand-ins on 127.0.0.1 that check
//! every request against the vendors' documented wire format and answer with their
//! documented responses, usage blocks included — and with 429, 500, broken JSON and
//! silence, each of which comes back as its own error without the key in it.
#![allow(clippy::unwrap_used)]

#[path = "delivery/http_server.rs"]
#[allow(dead_code)]
mod http_server;
#[path = "llm/shapes.rs"]
mod shapes;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_server::{Reply, ScriptedServer};
use secrecy::SecretString;
use sentinel_core::clock::ManualClock;
use sentinel_core::llm::{LlmRequest, ProviderKind, TokenUsage};
use sentinel_integrations::llm::{
    AnthropicClient, LlmClient, LlmError, OpenAiClient, ProviderEndpoint,
};
use sentinel_integrations::{HttpOptions, HttpTransport};
use shapes::*;

fn transport(timeout: Duration) -> HttpTransport {
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: timeout,
    };
    HttpTransport::new(&options, Arc::new(ManualClock::new(1_700_000_000_000))).unwrap()
}

fn request(provider: ProviderKind, model: &str) -> LlmRequest {
    LlmRequest {
        provider,
        model: model.into(),
        system: "You diagnose.".into(),
        user: "KeyError: 'email'".into(),
        max_output_tokens: 1024,
    }
}

fn openai(server: &ScriptedServer, timeout: Duration) -> OpenAiClient {
    let base = url::Url::parse(&server.url("/v1")).unwrap();
    OpenAiClient::new(
        base,
        Some(SecretString::from(OPENAI_KEY)),
        transport(timeout),
    )
}

fn anthropic(server: &ScriptedServer, timeout: Duration) -> AnthropicClient {
    let base = url::Url::parse(server.base()).unwrap();
    AnthropicClient::new(
        base,
        Some(SecretString::from(ANTHROPIC_KEY)),
        transport(timeout),
    )
}

#[tokio::test]
async fn openai_documented_answer_is_read_with_cached_tokens_taken_out_of_the_prompt() {
    let server = ScriptedServer::start(
        check_openai,
        vec![Reply::status(
            200,
            &openai_completion("gpt-4o-2024-08-06", 2006, 300, 1920),
        )],
    )
    .await;
    let answer = openai(&server, Duration::from_secs(5))
        .complete(&request(ProviderKind::Openai, "gpt-4o"))
        .await
        .unwrap();
    server.assert_shapes_valid();
    assert_eq!(answer.model, "gpt-4o-2024-08-06");
    assert!(answer.text.contains("missing_key"));
    assert_eq!(
        answer.usage,
        TokenUsage {
            input_uncached: 86,
            cache_read: 1920,
            cache_write: 0,
            output: 300,
            reasoning: 0
        }
    );
    let sent = server.requests()[0].json();
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    assert_eq!(sent["max_tokens"], 1024);
}

#[tokio::test]
async fn a_local_server_without_key_or_usage_details_is_understood() {
    let body = serde_json::json!({
        "id": "chatcmpl-local", "object": "chat.completion", "created": 1, "model": "llama3.1:8b",
        "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": diagnosis_text()}}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}
    });
    let server = ScriptedServer::start(
        check_openai_keyless,
        vec![Reply::status(200, &body.to_string())],
    )
    .await;
    let base = url::Url::parse(&server.url("/v1/")).unwrap();
    let client = LlmClient::new(
        ProviderEndpoint {
            kind: ProviderKind::Openai,
            base_url: base,
            api_key: None,
        },
        transport(Duration::from_secs(5)),
    )
    .unwrap();
    let answer = client
        .complete(&request(ProviderKind::Openai, "llama3.1:8b"))
        .await
        .unwrap();
    server.assert_shapes_valid();
    assert_eq!(answer.usage.input_uncached, 19);
    assert_eq!(answer.usage.output, 10);
}

#[tokio::test]
async fn anthropic_documented_answers_record_cache_writes_then_reads_apart_from_input() {
    let server = ScriptedServer::start(
        check_anthropic,
        vec![
            Reply::status(200, &anthropic_message(21, 393, 188_086, 0)),
            Reply::status(200, &anthropic_message(21, 393, 0, 188_086)),
        ],
    )
    .await;
    let client = anthropic(&server, Duration::from_secs(5));
    let req = request(ProviderKind::Anthropic, "claude-sonnet-4-20250514");
    let first = client.complete(&req).await.unwrap();
    let second = client.complete(&req).await.unwrap();
    server.assert_shapes_valid();
    assert_eq!(
        first.usage,
        TokenUsage {
            input_uncached: 21,
            cache_read: 0,
            cache_write: 188_086,
            output: 393,
            reasoning: 0
        }
    );
    assert_eq!(second.usage.cache_read, 188_086);
    assert_eq!(second.usage.total_input(), 188_107);
    assert!(first.text.contains("missing_key"));
    let sent = server.requests()[0].json();
    assert_eq!(sent["system"][0]["cache_control"]["type"], "ephemeral");
}

/// Every failure the stand-ins can produce, for both clients.
/// A reply and the error it must become.
type Failure = (Reply, fn(&LlmError) -> bool);

fn failures(key: &str) -> Vec<Failure> {
    vec![
        (
            Reply::Status {
                status: 429,
                headers: vec![("retry-after", "7".into())],
                body: RATE_LIMIT_BODY.into(),
            },
            |e| {
                *e == LlmError::RateLimited {
                    retry_after: Some(Duration::from_secs(7)),
                }
            },
        ),
        (
            Reply::status(500, "{\"error\":{\"message\":\"boom\"}}"),
            |e| *e == LlmError::Server(500),
        ),
        (Reply::status(529, OVERLOADED_BODY), |e| {
            *e == LlmError::Server(529)
        }),
        (
            Reply::status(200, "{\"id\": \"chatcmpl-1\", \"choices\": [{"),
            |e| matches!(e, LlmError::Malformed(_)),
        ),
        (Reply::status(401, &bad_key_body(key)), |e| {
            matches!(e, LlmError::Rejected { status: 401, .. })
        }),
        (Reply::Hang, |e| *e == LlmError::Timeout),
    ]
}

/// Collects what the clients log at every level while `f` runs.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failures_are_typed_and_neither_errors_nor_logs_nor_debug_show_the_key() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown = String::new();
    let pairs = failures(OPENAI_KEY)
        .into_iter()
        .zip(failures(ANTHROPIC_KEY));
    for ((reply, expected), (anthropic_reply, _)) in pairs {
        let openai_server = ScriptedServer::start(check_openai, vec![reply]).await;
        let client = openai(&openai_server, Duration::from_millis(300));
        let error = client
            .complete(&request(ProviderKind::Openai, "gpt-4o"))
            .await
            .unwrap_err();
        assert!(expected(&error), "openai: {error:?}");
        openai_server.assert_shapes_valid();
        shown.push_str(&format!("{error} {error:?} {client:?}\n"));

        let anthropic_server = ScriptedServer::start(check_anthropic, vec![anthropic_reply]).await;
        let client = anthropic(&anthropic_server, Duration::from_millis(300));
        let error = client
            .complete(&request(
                ProviderKind::Anthropic,
                "claude-sonnet-4-20250514",
            ))
            .await
            .unwrap_err();
        assert!(expected(&error), "anthropic: {error:?}");
        anthropic_server.assert_shapes_valid();
        shown.push_str(&format!("{error} {error:?} {client:?}\n"));
    }
    let endpoint = ProviderEndpoint {
        kind: ProviderKind::Anthropic,
        base_url: url::Url::parse("https://api.anthropic.com").unwrap(),
        api_key: Some(SecretString::from(ANTHROPIC_KEY)),
    };
    shown.push_str(&format!("{endpoint:?}"));
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.len() > 100,
        "the transport logged nothing at TRACE: {logged}"
    );
    for key in [OPENAI_KEY, ANTHROPIC_KEY] {
        let start = &key[..12];
        assert!(!shown.contains(start), "key in errors or Debug: {shown}");
        assert!(!logged.contains(start), "key in logs");
    }
    assert!(
        shown.contains("[REDACTED]"),
        "the echoed key was not redacted: {shown}"
    );
}
