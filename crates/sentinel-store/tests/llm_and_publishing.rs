//! Model calls, provider settings and GitHub artifacts on both backends: calls listed
//! newest first in pages and per organization, the cache finds only successful answers
//! of the same organization, spend sums per period; settings keep a sealed key across a
//! change that does not touch it; usage grouped by day, model and step within its period;
//! one artifact per incident and kind, updated on re-runs.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{error_event, org_with_service, write, T0};
use sentinel_core::llm::{LlmCallRecord, ProviderKind, TokenUsage};
use sentinel_core::publish::PublishMode;
use sentinel_store::code::{ListError, NewRepository, RepositoryPatch};
use sentinel_store::github_artifacts::{GithubArtifactKind, NewGithubArtifact};
use sentinel_store::llm::settings::ProviderSettings;
use sentinel_store::llm::NewLlmCall;
use sentinel_store::{Store, StoreError};

fn call(hash: &str, at: i64, status: &str) -> NewLlmCall {
    NewLlmCall {
        incident_id: None,
        call: LlmCallRecord {
            step: "diagnose".into(),
            provider: ProviderKind::Openai,
            model_requested: "gpt-4o".into(),
            model_answered: Some("gpt-4o-2024-08-06".into()),
            usage: TokenUsage {
                input_uncached: 86,
                cache_read: 1920,
                cache_write: 0,
                output: 300,
                reasoning: 12,
            },
            cost_nano_usd: Some(5_615_000),
            price_table_version: Some("builtin-2025-06".into()),
            latency_ms: 850,
            ttft_ms: None,
            status: status.into(),
            error: (status != "ok").then(|| "provider server error 500".into()),
            input_hash: hash.into(),
            cache_hit: false,
            response: (status == "ok").then(|| format!("{{\"answer\": \"{hash}\"}}")),
            created_at: at,
        },
    }
}

async fn llm_calls_are_recorded_paged_and_org_scoped(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    for i in 0..5 {
        store
            .record_llm_call(&org, &call("h", T0 + i, "ok"))
            .await
            .unwrap();
    }
    // Two calls at the same instant are told apart by id.
    store
        .record_llm_call(&org, &call("h", T0 + 4, "ok"))
        .await
        .unwrap();
    store
        .record_llm_call(&other, &call("h", T0, "ok"))
        .await
        .unwrap();

    let first = store.list_llm_calls(&org, None, 4).await.unwrap();
    assert_eq!(first.items.len(), 4);
    assert_eq!(first.items[0].created_at, T0 + 4);
    assert_eq!(first.items[0].usage.cache_read, 1920);
    assert_eq!(first.items[0].usage.reasoning, 12);
    assert_eq!(first.items[0].cost_nano_usd, Some(5_615_000));
    let second = store
        .list_llm_calls(&org, first.next_cursor.as_deref(), 4)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 2);
    assert!(second.next_cursor.is_none());
    let mut ids: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    assert_eq!(
        store
            .list_llm_calls(&other, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(matches!(
        store.list_llm_calls(&org, Some("zz"), 4).await,
        Err(ListError::InvalidCursor(_))
    ));
}

async fn the_cache_finds_the_latest_successful_answer_of_the_same_org(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    assert!(store
        .find_cached_llm_answer(&org, "h1", 0)
        .await
        .unwrap()
        .is_none());
    store
        .record_llm_call(&org, &call("h1", T0, "ok"))
        .await
        .unwrap();
    store
        .record_llm_call(&org, &call("h1", T0 + 5, "server_error"))
        .await
        .unwrap();
    store
        .record_llm_call(&org, &call("h2", T0, "ok"))
        .await
        .unwrap();
    let hit = store
        .find_cached_llm_answer(&org, "h1", 0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.response, "{\"answer\": \"h1\"}");
    assert_eq!(hit.model_answered.as_deref(), Some("gpt-4o-2024-08-06"));
    assert!(store
        .find_cached_llm_answer(&other, "h1", 0)
        .await
        .unwrap()
        .is_none());
    // Answers older than the cache's horizon are not reused.
    assert!(store
        .find_cached_llm_answer(&org, "h1", T0 + 1)
        .await
        .unwrap()
        .is_none());
}

async fn spend_sums_tokens_and_money_within_the_period(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    store
        .record_llm_call(&org, &call("a", T0, "ok"))
        .await
        .unwrap();
    store
        .record_llm_call(&org, &call("b", T0 + 10, "ok"))
        .await
        .unwrap();
    let mut unpriced = call("c", T0 + 20, "ok");
    unpriced.call.cost_nano_usd = None;
    store.record_llm_call(&org, &unpriced).await.unwrap();
    store
        .record_llm_call(&org, &call("d", T0 + 100, "ok"))
        .await
        .unwrap();
    store
        .record_llm_call(&other, &call("e", T0, "ok"))
        .await
        .unwrap();
    let spend = store.llm_spend(&org, T0, T0 + 100).await.unwrap();
    assert_eq!(spend.calls, 3);
    assert_eq!(spend.tokens, 3 * (86 + 1920 + 300));
    assert_eq!(spend.cost_nano_usd, 2 * 5_615_000);
    assert_eq!(store.llm_spend(&org, 0, T0).await.unwrap().tokens, 0);
}

async fn provider_settings_keep_the_sealed_key_unless_replaced(store: Store) {
    let (org, _) = org_with_service(&store).await;
    assert!(store.get_provider_settings(&org).await.unwrap().is_none());
    let settings = ProviderSettings {
        provider: "openai".into(),
        base_url: "https://api.openai.com/v1".into(),
        model: "gpt-4o".into(),
        api_key_sealed: Some("v1.sealed-one".into()),
        max_output_tokens: 2000,
        monthly_token_budget: Some(1_000_000),
        monthly_cost_budget_nano_usd: None,
        prices: None,
        updated_at: T0,
    };
    store
        .put_provider_settings(&org, &settings, false)
        .await
        .unwrap();
    assert_eq!(
        store.get_provider_settings(&org).await.unwrap().unwrap(),
        settings
    );
    let change = ProviderSettings {
        model: "gpt-4o-mini".into(),
        api_key_sealed: None,
        updated_at: T0 + 1,
        ..settings.clone()
    };
    store
        .put_provider_settings(&org, &change, true)
        .await
        .unwrap();
    let kept = store.get_provider_settings(&org).await.unwrap().unwrap();
    assert_eq!(kept.model, "gpt-4o-mini");
    assert_eq!(kept.api_key_sealed.as_deref(), Some("v1.sealed-one"));
    store
        .put_provider_settings(&org, &change, false)
        .await
        .unwrap();
    let cleared = store.get_provider_settings(&org).await.unwrap().unwrap();
    assert_eq!(cleared.api_key_sealed, None);
}

async fn one_github_artifact_per_incident_and_kind(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    let outcomes = write(&store, &[error_event(&org, &service, "e1", "fp", T0)], T0).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let pr = NewGithubArtifact {
        kind: GithubArtifactKind::Pr,
        repo: "acme/shop".into(),
        number: Some(7),
        name: None,
        url: "https://github.com/acme/shop/pull/7".into(),
    };
    let first = store
        .upsert_github_artifact(&org, &incident, &pr, T0)
        .await
        .unwrap();
    let branch = NewGithubArtifact {
        kind: GithubArtifactKind::Branch,
        number: None,
        name: Some(format!("sentinel/fix-{incident}")),
        url: "https://github.com/acme/shop/tree/sentinel/fix".into(),
        ..pr.clone()
    };
    store
        .upsert_github_artifact(&org, &incident, &branch, T0)
        .await
        .unwrap();
    let again = store
        .upsert_github_artifact(
            &org,
            &incident,
            &NewGithubArtifact {
                number: Some(8),
                ..pr.clone()
            },
            T0 + 9,
        )
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(
        (again.number, again.created_at, again.updated_at),
        (Some(8), T0, T0 + 9)
    );
    let listed = store.list_github_artifacts(&org, &incident).await.unwrap();
    let kinds: Vec<_> = listed.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [GithubArtifactKind::Pr, GithubArtifactKind::Branch]);
    assert!(store
        .get_github_artifact(&org, &incident, GithubArtifactKind::Issue)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .list_github_artifacts(&other, &incident)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .upsert_github_artifact(&other, &incident, &pr, T0)
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn a_repository_publishes_nothing_until_told(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    let repository = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(repository.publish_mode, PublishMode::Off);

    let changed = store
        .set_repository_publish_mode(&org, &repository.id, PublishMode::DraftPr, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.publish_mode, PublishMode::DraftPr);
    assert_eq!(changed.updated_at, T0 + 1);
    let read = store
        .get_repository(&org, &repository.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.publish_mode, PublishMode::DraftPr);
    // Other changes leave it as it is.
    let renamed = store
        .update_repository(
            &org,
            &repository.id,
            &RepositoryPatch {
                full_name: Some("acme/shop2".into()),
                ..RepositoryPatch::default()
            },
            T0 + 2,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.publish_mode, PublishMode::DraftPr);
    // Another organization cannot change it.
    assert!(store
        .set_repository_publish_mode(&other, &repository.id, PublishMode::Off, T0 + 3)
        .await
        .unwrap()
        .is_none());
}

async fn usage_groups_calls_by_day_model_and_step(store: Store) {
    const DAY: i64 = 86_400_000;
    let (org, _) = org_with_service(&store).await;
    let (other, _) = org_with_service(&store).await;
    // Day 0: two gpt-4o diagnoses, one of them from the cache; one unpriced fix by a
    // local model. Day 2: a failed diagnose. Before and after the period: one call each.
    let mut hit = call("a", T0 + 10, "ok");
    hit.call.cache_hit = true;
    let mut local = call("b", T0 + 20, "ok");
    local.call.step = "fix".into();
    local.call.model_requested = "llama3".into();
    local.call.cost_nano_usd = None;
    local.call.usage.output = 50;
    let mut failed = call("c", T0 + 2 * DAY + 5, "server_error");
    failed.call.usage = Default::default();
    failed.call.cost_nano_usd = None;
    for c in [
        call("x", T0, "ok"),
        hit,
        local,
        failed,
        call("before", T0 - 1, "ok"),
        call("after", T0 + 3 * DAY, "ok"),
    ] {
        store.record_llm_call(&org, &c).await.unwrap();
    }
    store
        .record_llm_call(&other, &call("y", T0, "ok"))
        .await
        .unwrap();

    let usage = store.llm_usage(&org, T0, T0 + 3 * DAY).await.unwrap();
    let days: Vec<_> = usage
        .days
        .iter()
        .map(|d| (d.day_start, d.totals.calls, d.totals.cost_nano_usd))
        .collect();
    assert_eq!(days, [(T0, 3, 2 * 5_615_000), (T0 + 2 * DAY, 1, 0)]);
    let first = usage.days[0].totals;
    assert_eq!(
        (
            first.input_uncached,
            first.cache_read,
            first.cache_write,
            first.output
        ),
        (3 * 86, 3 * 1920, 0, 300 + 300 + 50)
    );
    assert_eq!((first.cache_hits, first.unpriced, first.failed), (1, 1, 0));
    assert_eq!(usage.days[1].totals.failed, 1);

    let models: Vec<_> = usage
        .models
        .iter()
        .map(|m| (m.provider.as_str(), m.model.as_str(), m.totals.calls))
        .collect();
    assert_eq!(models, [("openai", "gpt-4o", 3), ("openai", "llama3", 1)]);
    assert_eq!(usage.models[0].totals.cost_nano_usd, 2 * 5_615_000);
    let steps: Vec<_> = usage
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.totals.calls, s.totals.unpriced))
        .collect();
    assert_eq!(steps, [("diagnose", 3, 1), ("fix", 1, 1)]);

    let all = usage.totals();
    assert_eq!(
        (all.calls, all.cost_nano_usd, all.failed),
        (4, 2 * 5_615_000, 1)
    );
    assert_eq!(all.tokens(), 3 * (86 + 1920) + 650);
    assert_eq!(
        store.llm_usage(&org, 0, T0 - 1).await.unwrap(),
        Default::default()
    );
}

sentinel_store::store_tests!(
    a_repository_publishes_nothing_until_told,
    llm_calls_are_recorded_paged_and_org_scoped,
    the_cache_finds_the_latest_successful_answer_of_the_same_org,
    spend_sums_tokens_and_money_within_the_period,
    provider_settings_keep_the_sealed_key_unless_replaced,
    one_github_artifact_per_incident_and_kind,
    usage_groups_calls_by_day_model_and_step,
);
