//! The vendors' documented requests, checked field by field, and their documented answers.
//!
//! OpenAI Chat Completions: `POST /v1/chat/completions`, `Authorization: Bearer`, body
//! `{model, messages: [{role, content}], response_format: {type: json_schema, json_schema:
//! {name, strict, schema}}}`; answer `{id, object: chat.completion, created, model, choices:
//! [{index, message: {role, content, refusal}, finish_reason}], usage: {prompt_tokens,
//! completion_tokens, total_tokens, prompt_tokens_details: {cached_tokens, audio_tokens},
//! completion_tokens_details: {reasoning_tokens, …}}}`.
//! Anthropic Messages: `POST /v1/messages`, `x-api-key`, `anthropic-version: 2023-06-01`,
//! body `{model, max_tokens, system: [{type: text, text, cache_control: {type: ephemeral}}],
//! messages: [{role: user, content: [{type: text, text}]}]}`; answer `{id, type: message,
//! role, content: [{type: text, text}], model, stop_reason, stop_sequence, usage:
//! {input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens}}`.

use serde_json::{json, Value};

use super::http_server::{expect_json_post, string, Recorded};

pub const OPENAI_KEY: &str = "sk-proj-TESTKEY0123456789abcdefghij";
pub const ANTHROPIC_KEY: &str = "sk-ant-api03-TESTKEY0123456789abcdef";
pub const RATE_LIMIT_BODY: &str =
    r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
pub const OVERLOADED_BODY: &str =
    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;

/// A 401 that echoes the key cut short, as OpenAI's "Incorrect API key provided" does.
pub fn bad_key_body(key: &str) -> String {
    let cut = format!("{}***{}", &key[..16], &key[key.len() - 4..]);
    json!({"error": {"message": format!("Incorrect API key provided: {cut}"),
        "type": "invalid_request_error"}})
    .to_string()
}

pub fn diagnosis_text() -> String {
    json!({
        "category": "missing_key", "disposition": "identified",
        "root_cause": "app/users.py:3 reads row['email']",
        "culprit": {"path": "app/users.py", "line": 3}, "confidence": 0.7,
        "test_case": null, "patch_diff": null,
        "ai_fix_prompt": "Guard row['email']", "manual_steps": []
    })
    .to_string()
}

pub fn openai_completion(model: &str, prompt: u64, completion: u64, cached: u64) -> String {
    json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
        "created": 1_741_570_283, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
            "message": {"role": "assistant", "content": diagnosis_text(), "refusal": null}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default", "system_fingerprint": "fp_fc9f1d7035"
    })
    .to_string()
}

pub fn anthropic_message(input: u64, output: u64, write: u64, read: u64) -> String {
    json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": diagnosis_text()}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": output,
            "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0}}
    })
    .to_string()
}

fn check_openai_body(r: &Recorded) -> Result<(), String> {
    let body = expect_json_post(r, "/v1/chat/completions")?;
    string(&body, "model")?;
    let messages = body["messages"]
        .as_array()
        .ok_or("messages is not an array")?;
    let roles: Vec<&str> = messages.iter().filter_map(|m| m["role"].as_str()).collect();
    if roles != ["system", "user"] {
        return Err(format!("roles {roles:?}"));
    }
    for m in messages {
        string(m, "content")?;
    }
    if !body["max_tokens"].is_u64() && !body["max_completion_tokens"].is_u64() {
        return Err("no output bound".into());
    }
    let format = &body["response_format"];
    if format["type"] != "json_schema" {
        return Err(format!("response_format {format}"));
    }
    let schema = &format["json_schema"];
    string(schema, "name")?;
    if !schema["strict"].is_boolean() || !schema["schema"].is_object() {
        return Err(format!("json_schema {schema}"));
    }
    Ok(())
}

pub fn check_openai(r: &Recorded) -> Result<(), String> {
    check_openai_body(r)?;
    let expected = format!("Bearer {OPENAI_KEY}");
    if r.header("authorization") != Some(expected.as_str()) {
        return Err(format!("authorization {:?}", r.header("authorization")));
    }
    Ok(())
}

pub fn check_openai_keyless(r: &Recorded) -> Result<(), String> {
    check_openai_body(r)?;
    match r.header("authorization") {
        None => Ok(()),
        Some(value) => Err(format!("authorization {value} sent without a key")),
    }
}

pub fn check_anthropic(r: &Recorded) -> Result<(), String> {
    let body = expect_json_post(r, "/v1/messages")?;
    if r.header("x-api-key") != Some(ANTHROPIC_KEY) {
        return Err("x-api-key is not the key".into());
    }
    if r.header("anthropic-version") != Some("2023-06-01") {
        return Err(format!(
            "anthropic-version {:?}",
            r.header("anthropic-version")
        ));
    }
    if r.header("authorization").is_some() {
        return Err("authorization header sent to Anthropic".into());
    }
    string(&body, "model")?;
    if !body["max_tokens"].is_u64() {
        return Err("max_tokens is not an integer".into());
    }
    let system = body["system"]
        .as_array()
        .ok_or("system is not a block array")?;
    for block in system {
        if block["type"] != "text" || !block["text"].is_string() {
            return Err(format!("system block {block}"));
        }
    }
    if system.last().map(|b| &b["cache_control"]) != Some(&json!({"type": "ephemeral"})) {
        return Err("the system prompt is not marked for caching".into());
    }
    let messages = body["messages"]
        .as_array()
        .ok_or("messages is not an array")?;
    for m in messages {
        if !matches!(m["role"].as_str(), Some("user" | "assistant")) {
            return Err(format!("role {}", m["role"]));
        }
        let blocks = m["content"]
            .as_array()
            .ok_or("content is not a block array")?;
        if blocks
            .iter()
            .any(|b: &Value| b["type"] != "text" || !b["text"].is_string())
        {
            return Err(format!("content {}", m["content"]));
        }
    }
    if messages.first().map(|m| &m["role"]) != Some(&json!("user")) {
        return Err("the first message is not the user's".into());
    }
    Ok(())
}
