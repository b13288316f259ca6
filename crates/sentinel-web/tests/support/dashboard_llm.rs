//! The model pages with the fixture of `dashboard.rs`: the provider form saves what it is
//! given and shows it back, but never the key (kept when the field is left empty, removed
//! by the box); a member cannot change it; the usage page adds up the recorded calls of this
//! organization only.

use super::{fixture, NOW};
use axum::http::StatusCode;
use sentinel_core::llm::{LlmCallRecord, ProviderKind, TokenUsage};
use sentinel_store::llm::NewLlmCall;
use sentinel_store::Store;

const KEY: &str = "sk-proj-DASHBOARD-0123456789abcdefXYZ";

fn form<'a>(csrf: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("provider", "openai"),
        ("base_url", "http://127.0.0.1:11434/v1"),
        ("model", "llama3.1:8b"),
        ("api_key", key),
        ("max_output_tokens", "1500"),
        ("monthly_token_budget", "2000000"),
        ("monthly_cost_budget_usd", "25"),
        ("prices", ""),
    ]
}

async fn the_provider_form_saves_and_never_shows_the_key(store: Store) {
    let f = fixture(store).await;
    let (alice, csrf) = f.login("alice@example.com").await;
    let saved = f
        .post("/settings/llm", Some(&alice), &form(&csrf, KEY))
        .await;
    assert!(
        saved.status.is_redirection(),
        "{} {}",
        saved.status,
        saved.html
    );
    let page = f.get("/settings/llm", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "llama3.1:8b",
        "http://127.0.0.1:11434/v1",
        "1500",
        "2000000",
    ] {
        assert!(page.html.contains(shown), "{shown} is not on the page");
    }
    assert!(page.html.contains("key is stored"), "{}", page.html);
    assert!(!page.html.contains(&KEY[..12]), "the key is on the page");
    let stored = f
        .store
        .get_provider_settings(&f.org_a)
        .await
        .unwrap()
        .unwrap();
    let sealed = stored.api_key_sealed.clone().unwrap();
    assert!(!sealed.contains(&KEY[..12]), "the key is stored in clear");
    assert_eq!(stored.monthly_cost_budget_nano_usd, Some(25_000_000_000));

    // An empty field keeps the key; the box removes it.
    let kept = f
        .post("/settings/llm", Some(&alice), &form(&csrf, ""))
        .await;
    assert!(kept.status.is_redirection());
    let after = f
        .store
        .get_provider_settings(&f.org_a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.api_key_sealed.as_deref(), Some(sealed.as_str()));
    let mut remove = form(&csrf, "");
    remove.push(("remove_key", "1"));
    let removed = f.post("/settings/llm", Some(&alice), &remove).await;
    assert!(removed.status.is_redirection());
    let after = f
        .store
        .get_provider_settings(&f.org_a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.api_key_sealed, None);

    // Without the form's token, or as a member, nothing changes.
    let forged = f
        .post("/settings/llm", Some(&alice), &form("forged", KEY))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (bob, bob_csrf) = f.login("bob@example.com").await;
    let member = f
        .post("/settings/llm", Some(&bob), &form(&bob_csrf, KEY))
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    let after = f
        .store
        .get_provider_settings(&f.org_a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.api_key_sealed, None);
    let other = f.store.get_provider_settings(&f.org_b).await.unwrap();
    assert_eq!(other, None, "another organization's settings are untouched");
}

fn call(model: &str, step: &str, cost_nano_usd: i64, at: i64) -> NewLlmCall {
    NewLlmCall {
        incident_id: None,
        call: LlmCallRecord {
            step: step.into(),
            provider: ProviderKind::Openai,
            model_requested: model.into(),
            model_answered: Some(format!("{model}-2024-08-06")),
            usage: TokenUsage {
                input_uncached: 86,
                cache_read: 1920,
                cache_write: 0,
                output: 300,
                reasoning: 0,
            },
            cost_nano_usd: Some(cost_nano_usd),
            price_table_version: Some("builtin-2025-06".into()),
            latency_ms: 900,
            ttft_ms: None,
            status: "ok".into(),
            error: None,
            input_hash: format!("{at:064}"),
            cache_hit: false,
            response: Some("{}".into()),
            created_at: at,
        },
    }
}

async fn the_usage_page_adds_up_this_organizations_calls(store: Store) {
    let f = fixture(store).await;
    for (model, step, cost) in [
        ("gpt-4o", "root_cause", 5_615_000),
        ("gpt-4o", "fix", 5_615_000),
        ("gpt-4o-mini", "root_cause", 1_000_000),
    ] {
        f.store
            .record_llm_call(&f.org_a, &call(model, step, cost, NOW))
            .await
            .unwrap();
    }
    // Another organization's spend is not ours.
    f.store
        .record_llm_call(
            &f.org_b,
            &call("o1-globex", "root_cause", 999_000_000_000, NOW),
        )
        .await
        .unwrap();
    let (vic, _) = f.login("vic@example.com").await;
    let page = f.get("/settings/llm/usage", Some(&vic)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    // 2 × $0.005615 + $0.001 = $0.01223.
    assert!(page.html.contains("$0.0122"), "{}", page.html);
    assert!(page.html.contains("gpt-4o-mini"));
    assert!(page.html.contains("root_cause") && page.html.contains("fix"));
    assert!(page.html.contains("<svg"), "the cost-per-day chart");
    assert!(
        !page.html.contains("o1-globex"),
        "another organization's model"
    );
    assert!(!page.html.contains("$999"), "another organization's spend");
}

sentinel_store::store_tests!(
    the_provider_form_saves_and_never_shows_the_key,
    the_usage_page_adds_up_this_organizations_calls,
);
