//! The autopsy's provider step against the OpenAI-compatible stand-in: a diagnosis is
//! recorded with its tokens and exact cost; the identical request is answered from the
//! cache without a call; a spent budget stops the call; a failing provider and a
//! nonsensical answer come back as typed errors, each recorded.
#![allow(clippy::unwrap_used)]

#[path = "delivery/http_server.rs"]
#[allow(dead_code)]
mod http_server;
#[path = "llm/shapes.rs"]
#[allow(dead_code)]
mod shapes;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_server::{Reply, ScriptedServer};
use secrecy::SecretString;
use sentinel_core::autopsy::{AutopsyInput, Category, Language, RepoHints};
use sentinel_core::clock::{ManualClock, Millis};
use sentinel_core::llm::{PriceTable, PromptLimits, ProviderKind};
use sentinel_core::scrub::Scrubber;
use sentinel_integrations::llm::autopsy::{
    AutopsyCallError, AutopsyProvider, CachedLlmAnswer, LlmCallRecord, LlmLedger, LlmSpendSoFar,
    MonthlyBudget,
};
use sentinel_integrations::llm::{LlmClient, LlmError, ProviderEndpoint};
use sentinel_integrations::{HttpOptions, HttpTransport};
use shapes::*;

const NOW: Millis = 1_734_256_800_000;

/// The call log in memory, as the store keeps it.
#[derive(Default)]
struct Ledger(Mutex<Vec<LlmCallRecord>>);

impl LlmLedger for Ledger {
    async fn cached(&self, hash: &str, since: Millis) -> Result<Option<CachedLlmAnswer>, String> {
        let rows = self.0.lock().unwrap();
        Ok(rows
            .iter()
            .rev()
            .find(|r| {
                r.input_hash == hash
                    && r.status == "ok"
                    && r.created_at >= since
                    && r.response.is_some()
            })
            .map(|r| CachedLlmAnswer {
                model_answered: r.model_answered.clone(),
                response: r.response.clone().unwrap(),
            }))
    }
    async fn spend(&self, from: Millis, to: Millis) -> Result<LlmSpendSoFar, String> {
        let rows = self.0.lock().unwrap();
        let mut spend = LlmSpendSoFar::default();
        for r in rows.iter().filter(|r| (from..to).contains(&r.created_at)) {
            spend.tokens += r.usage.total() as i64;
            spend.cost_nano_usd += r.cost_nano_usd.unwrap_or(0);
        }
        Ok(spend)
    }
    async fn record(&self, call: &LlmCallRecord) -> Result<(), String> {
        self.0.lock().unwrap().push(call.clone());
        Ok(())
    }
}

fn input(message: &str) -> AutopsyInput {
    AutopsyInput {
        language: Language::Python,
        exception_type: "KeyError".into(),
        exception_message: message.into(),
        handled: false,
        mechanism: None,
        frames: Vec::new(),
        http_status: None,
        route: None,
        suspect: None,
        repo: RepoHints::default(),
    }
}

struct Rig {
    server: ScriptedServer,
    client: LlmClient,
    transport: HttpTransport,
    prices: PriceTable,
    scrubber: Scrubber,
}

async fn rig(script: Vec<Reply>) -> Rig {
    let server = ScriptedServer::start(check_openai, script).await;
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    };
    let transport = HttpTransport::new(&options, Arc::new(ManualClock::new(NOW))).unwrap();
    let endpoint = ProviderEndpoint {
        kind: ProviderKind::Openai,
        base_url: url::Url::parse(&server.url("/v1")).unwrap(),
        api_key: Some(SecretString::from(OPENAI_KEY)),
    };
    let client = LlmClient::new(endpoint, transport.clone()).unwrap();
    Rig {
        server,
        client,
        transport,
        prices: PriceTable::builtin(),
        scrubber: Scrubber::default(),
    }
}

impl Rig {
    fn provider(&self, budget: MonthlyBudget) -> AutopsyProvider<'_> {
        AutopsyProvider {
            client: &self.client,
            provider: ProviderKind::Openai,
            model: "gpt-4o",
            max_output_tokens: 2000,
            prices: &self.prices,
            budget,
            scrubber: &self.scrubber,
            limits: PromptLimits::default(),
            cache_ttl_ms: 24 * 3_600_000,
            step: "diagnose",
            transport: &self.transport,
        }
    }
}

#[tokio::test]
async fn a_diagnosis_is_recorded_with_its_cost_and_the_same_request_is_answered_from_the_cache() {
    let rig = rig(vec![Reply::status(
        200,
        &openai_completion("gpt-4o-2024-08-06", 2006, 300, 1920),
    )])
    .await;
    let ledger = Ledger::default();
    let provider = rig.provider(MonthlyBudget::default());
    let first = provider.diagnose(&input("'email'"), &ledger).await.unwrap();
    assert_eq!(first.diagnosis.category, Category::MissingKey);
    assert!(!first.cache_hit);
    let second = provider.diagnose(&input("'email'"), &ledger).await.unwrap();
    assert!(second.cache_hit);
    assert_eq!(second.diagnosis, first.diagnosis);
    assert_eq!(
        rig.server.requests().len(),
        1,
        "the cached answer made a call"
    );
    rig.server.assert_shapes_valid();
    let rows = ledger.0.lock().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].status, "ok");
    assert_eq!(
        (rows[0].usage.input_uncached, rows[0].usage.cache_read),
        (86, 1920)
    );
    assert_eq!(rows[0].cost_nano_usd, Some(5_615_000));
    assert_eq!(
        rows[0].price_table_version.as_deref(),
        Some("builtin-2025-06")
    );
    assert_eq!(rows[0].model_answered.as_deref(), Some("gpt-4o-2024-08-06"));
    assert!(rows[1].cache_hit && rows[1].usage.total() == 0 && rows[1].cost_nano_usd == Some(0));
    assert_eq!(rows[0].input_hash, rows[1].input_hash);
}

#[tokio::test]
async fn a_spent_budget_stops_the_call_and_says_so() {
    let rig = rig(vec![Reply::status(
        200,
        &openai_completion("gpt-4o", 2006, 300, 1920),
    )])
    .await;
    let ledger = Ledger::default();
    let budget = MonthlyBudget {
        tokens: Some(2_000),
        cost_nano_usd: None,
    };
    rig.provider(budget)
        .diagnose(&input("'a'"), &ledger)
        .await
        .unwrap();
    let error = rig
        .provider(budget)
        .diagnose(&input("'b'"), &ledger)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        AutopsyCallError::BudgetExhausted {
            spent_tokens: 2306,
            spent_nano_usd: 5_615_000
        }
    );
    assert_eq!(rig.server.requests().len(), 1);
    let money = MonthlyBudget {
        tokens: None,
        cost_nano_usd: Some(5_000_000),
    };
    assert!(matches!(
        rig.provider(money).diagnose(&input("'c'"), &ledger).await,
        Err(AutopsyCallError::BudgetExhausted { .. })
    ));
    let rows = ledger.0.lock().unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == "budget_exhausted")
            .count(),
        2
    );
}

#[tokio::test]
async fn provider_failures_and_bad_answers_are_typed_and_recorded() {
    let nonsense = openai_completion("gpt-4o", 10, 5, 0).replace("missing_key", "cosmic_ray");
    let rig = rig(vec![
        Reply::status(500, "{}"),
        Reply::status(200, &nonsense),
    ])
    .await;
    let ledger = Ledger::default();
    let provider = rig.provider(MonthlyBudget::default());
    let error = provider.diagnose(&input("'x'"), &ledger).await.unwrap_err();
    assert_eq!(error, AutopsyCallError::Provider(LlmError::Server(500)));
    let error = provider.diagnose(&input("'x'"), &ledger).await.unwrap_err();
    assert!(matches!(error, AutopsyCallError::Answer(_)), "{error:?}");
    let rows = ledger.0.lock().unwrap();
    let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["server_error", "invalid_answer"]);
    // The bad answer's tokens were spent and are counted; it is never served from the cache.
    assert_eq!(rows[1].usage.total(), 15);
    assert!(rows[1].response.is_none());
}
