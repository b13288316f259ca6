//! Model calls and provider settings over the real router on both backends: calls listed
//! per organization in pages; the provider key written sealed, kept, removed, and never
//! in an answer or in the database in clear.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use sentinel_core::llm::{LlmCallRecord, ProviderKind, TokenUsage};
use sentinel_core::role::Role;
use sentinel_core::sealed::SealingKey;
use sentinel_store::llm::NewLlmCall;
use sentinel_store::Store;
use sentinel_web::state::WebSettings;
use serde_json::json;

const API_KEY: &str = "sk-proj-API-TEST-0123456789abcdefXYZ";

fn sealing_key() -> SealingKey {
    SealingKey::from_bytes(&[42; 32]).unwrap()
}

async fn app(store: Store) -> App {
    let settings = WebSettings {
        sealing_key: Some(sealing_key()),
        ..WebSettings::default()
    };
    App::with_settings(store, settings).await
}

fn call(at: i64) -> NewLlmCall {
    NewLlmCall {
        incident_id: None,
        call: LlmCallRecord {
            step: "diagnose".into(),
            provider: ProviderKind::Anthropic,
            model_requested: "claude-sonnet-4".into(),
            model_answered: Some("claude-sonnet-4-20250514".into()),
            usage: TokenUsage {
                input_uncached: 21,
                cache_read: 188_086,
                cache_write: 0,
                output: 393,
                reasoning: 0,
            },
            cost_nano_usd: Some(62_383_800),
            price_table_version: Some("builtin-2025-06".into()),
            latency_ms: 1200,
            ttft_ms: None,
            status: "ok".into(),
            error: None,
            input_hash: "ab".repeat(32),
            cache_hit: false,
            response: Some("{}".into()),
            created_at: at,
        },
    }
}

async fn llm_calls_are_listed_per_org_in_pages(store: Store) {
    let app = app(store).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let (other, _) = org_with_service(&app.store, "other").await;
    for i in 0..3 {
        app.store
            .record_llm_call(&app.org, &call(NOW + i))
            .await
            .unwrap();
    }
    app.store.record_llm_call(&other, &call(NOW)).await.unwrap();
    let first = app.get("/api/v1/llm-calls?limit=2", &viewer).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let data = first.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["created_at"], json!(NOW + 2));
    assert_eq!(data[0]["input_tokens_cache_read"], json!(188_086));
    assert_eq!(data[0]["cost_usd"], json!(0.0623838));
    assert_eq!(data[0]["model_answered"], json!("claude-sonnet-4-20250514"));
    assert!(data[0].get("response").is_none());
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/llm-calls?limit=2&cursor={cursor}"),
            &viewer,
        )
        .await;
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    let bad = app.get("/api/v1/llm-calls?cursor=nonsense", &viewer).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let too_many = app.get("/api/v1/llm-calls?limit=1000", &viewer).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    let anonymous = app.call("GET", "/api/v1/llm-calls", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn the_provider_key_is_write_only_and_sealed_at_rest(store: Store) {
    let app = app(store).await;
    let admin = app.key(&app.org, Role::Admin).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let uri = "/api/v1/llm/provider";
    let default = app.get(uri, &viewer).await;
    assert_eq!(default.body["provider"], json!("heuristic"));
    assert_eq!(default.body["has_api_key"], json!(false));

    let body = json!({"provider": "openai", "model": "gpt-4o", "api_key": API_KEY,
        "monthly_token_budget": 500_000, "monthly_cost_budget_usd": 12.5,
        "prices": [{"model": "gpt-4o", "input": 2.5, "cache_read": 1.25, "output": 10.0}]});
    let refused = app
        .call("PUT", uri, Some(&viewer), Some(body.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let put = app.call("PUT", uri, Some(&admin), Some(body)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["base_url"], json!("https://api.openai.com/v1"));
    assert_eq!(put.body["has_api_key"], json!(true));
    assert_eq!(put.body["monthly_cost_budget_usd"], json!(12.5));
    let read = app.get(uri, &viewer).await;
    for answer in [&put.body, &read.body] {
        assert!(!answer.to_string().contains("0123456789abcdef"), "{answer}");
    }
    let stored = sentinel_store::testing::all_stored_text(&app.store).await;
    assert!(
        !stored.contains("0123456789abcdef"),
        "the key is stored in clear"
    );
    let sealed = app
        .store
        .get_provider_settings(&app.org)
        .await
        .unwrap()
        .unwrap();
    let opened = sealing_key()
        .open(app.org.as_str(), sealed.api_key_sealed.as_deref().unwrap())
        .unwrap();
    assert_eq!(opened.expose_secret(), API_KEY);

    // A change without api_key keeps it; "api_key": null removes it.
    let kept = app
        .call(
            "PUT",
            uri,
            Some(&admin),
            Some(json!({"provider": "openai", "model": "gpt-4o-mini"})),
        )
        .await;
    assert_eq!(kept.body["has_api_key"], json!(true));
    assert_eq!(kept.body["model"], json!("gpt-4o-mini"));
    let removed = app
        .call(
            "PUT",
            uri,
            Some(&admin),
            Some(json!({"provider": "openai", "model": "gpt-4o", "api_key": null})),
        )
        .await;
    assert_eq!(removed.body["has_api_key"], json!(false));

    for bad in [
        json!({"provider": "gemini", "model": "x"}),
        json!({"provider": "openai"}),
        json!({"provider": "openai", "model": "m", "base_url": "ftp://host"}),
        json!({"provider": "openai", "model": "m", "prices": [{"model": "m", "input": -1, "output": 1}]}),
        json!({"provider": "openai", "model": "m", "monthly_cost_budget_usd": -3}),
    ] {
        let answer = app.call("PUT", uri, Some(&admin), Some(bad.clone())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn without_a_server_key_no_provider_key_can_be_saved(store: Store) {
    let app = App::new(store).await;
    let admin = app.key(&app.org, Role::Admin).await;
    let body = json!({"provider": "anthropic", "model": "claude-sonnet-4", "api_key": API_KEY});
    let answer = app
        .call("PUT", "/api/v1/llm/provider", Some(&admin), Some(body))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(!answer.body.to_string().contains("0123456789"));
    assert!(app
        .store
        .get_provider_settings(&app.org)
        .await
        .unwrap()
        .is_none());
}

sentinel_store::store_tests!(
    llm_calls_are_listed_per_org_in_pages,
    the_provider_key_is_write_only_and_sealed_at_rest,
    without_a_server_key_no_provider_key_can_be_saved,
);
