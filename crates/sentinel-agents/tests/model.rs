//! Autopsies by an organization's configured model, over the job runtime on both backends,
//! against the OpenAI-compatible stand-in (which checks every request's shape): the model's
//! answer becomes the autopsy and each call an `llm_calls` row; a model that fails (429,
//! 500, a refused key, a timeout) leaves the heuristic to answer and the reason on the step;
//! a patch git refuses is sent back once with git's complaint, then recorded as
//! `patch_failed`. The key appears in no log line, step metadata or call row. And the whole
//! road: an incident, the model's autopsy, the patch applied, a draft pull request on the
//! GitHub stand-in; a re-run answers from the cache and updates the same pull request.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../sentinel-integrations/tests/delivery/http_server.rs"]
#[allow(dead_code)]
mod http_server;
#[path = "../../sentinel-integrations/tests/llm/shapes.rs"]
#[allow(dead_code)]
mod shapes;

use http_server::{Reply, ScriptedServer};
use secrecy::SecretString;
use sentinel_agents::{start_workflow, AutopsyDeps, ModelSetup};
use sentinel_core::id::IncidentId;
use sentinel_core::incident::IncidentStatus;
use sentinel_core::publish::PublishMode;
use sentinel_core::scrub::Scrubber;
use sentinel_core::sealed::SealingKey;
use sentinel_core::workflow::{WorkflowStatus, WorkflowStep};
use sentinel_integrations::github::{GithubApp, GithubClient};
use sentinel_integrations::testing::github::{
    GithubStandIn, APP_ID, APP_PRIVATE_KEY_PEM, INSTALLATION_ID,
};
use sentinel_integrations::{HttpOptions, HttpTransport};
use sentinel_store::code::GithubRepository;
use sentinel_store::llm::settings::ProviderSettings;
use sentinel_store::llm::LlmCall;
use sentinel_store::testing::TestStore;
use serde_json::{json, Value};
use shapes::{check_openai, openai_completion, OPENAI_KEY};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{eventually, finished, runtime, Fixture, NOW, USERS_PY};

const FRAME: &str = "/srv/shop/app/users.py";
const ANSWERED_MODEL: &str = "gpt-4o-2024-08-06";

/// Everything any test of this binary logged, at every level, from every thread.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    })
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A patch for `app/users.py` whose context matches the clone (`good`) or does not.
fn patch(good: bool) -> String {
    let context = if good {
        "     # look the user up\n     return user.name.title()\n"
    } else {
        "     # find the user\n     return user.full_name\n"
    };
    format!(
        "--- a/app/users.py\n+++ b/app/users.py\n@@ -1,4 +1,6 @@\n def display_name(users, user_id):\n     user = users.get(user_id)\n+    if user is None:\n+        return ''\n{context}"
    )
}

/// The model's answer as the system prompt asks for it.
fn answer(patch: &str) -> String {
    json!({
        "category": "null_access", "disposition": "identified",
        "root_cause": "users.get returns None for an unknown id; app/users.py:4 reads user.name",
        "culprit": {"path": "app/users.py", "line": 4}, "confidence": 0.8,
        "test_case": {"framework": "pytest", "path": "tests/test_unknown_user.py",
            "content": "from app.users import display_name\n\ndef test_unknown_user():\n    assert display_name({}, 1) == ''\n"},
        "patch_diff": patch,
        "ai_fix_prompt": "Guard user in app/users.py:4", "manual_steps": ["Check the ids the caller sends"]
    })
    .to_string()
}

/// A Chat Completions answer whose message is `content`, with the documented usage block.
fn completion(content: &str) -> Reply {
    let mut body: Value =
        serde_json::from_str(&openai_completion(ANSWERED_MODEL, 2006, 300, 1920)).unwrap();
    body["choices"][0]["message"]["content"] = Value::String(content.to_owned());
    Reply::status(200, &body.to_string())
}

/// The organization's model: `gpt-4o` on the OpenAI stand-in at `server`, its key sealed
/// with a server key of `key_byte`s; the answer is the setup the worker would build.
async fn configure_model(fx: &Fixture, server: &ScriptedServer, key_byte: u8) -> ModelSetup {
    let settings = ProviderSettings {
        provider: "openai".into(),
        base_url: server.url("/v1"),
        model: "gpt-4o".into(),
        api_key_sealed: None,
        max_output_tokens: 2000,
        monthly_token_budget: None,
        monthly_cost_budget_nano_usd: None,
        prices: None,
        updated_at: NOW,
    };
    configure(fx, settings, OPENAI_KEY, key_byte).await
}

/// Stores `settings` with `api_key` sealed by a server key of `key_byte`s.
async fn configure(
    fx: &Fixture,
    settings: ProviderSettings,
    api_key: &str,
    key_byte: u8,
) -> ModelSetup {
    let key = SealingKey::from_bytes(&[key_byte; 32]).unwrap();
    let settings = ProviderSettings {
        api_key_sealed: Some(key.seal(fx.org.as_str(), &SecretString::from(api_key.to_owned()))),
        ..settings
    };
    fx.store
        .put_provider_settings(&fx.org, &settings, false)
        .await
        .unwrap();
    ModelSetup::new(Some(key), transport(fx), Arc::new(Scrubber::default()))
}

fn transport(fx: &Fixture) -> HttpTransport {
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
    };
    HttpTransport::new(&options, fx.shared.clone()).unwrap()
}

struct Rig {
    fx: Fixture,
    server: ScriptedServer,
    incident: IncidentId,
}

async fn run_autopsy(test: &TestStore, script: Vec<Reply>) -> Rig {
    logs();
    let fx = Fixture::new(test, true, false).await;
    let server = ScriptedServer::start(check_openai, script).await;
    let mut deps = fx.deps();
    deps.models = Some(configure_model(&fx, &server, 7).await);
    let incident = fx.incident("fp-model", FRAME, 4).await;
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    start_workflow(&fx.store, &fx.org, &incident, NOW)
        .await
        .unwrap();
    finished(&fx.store, &fx.org, &incident).await;
    handle.shutdown(Duration::from_secs(5)).await;
    Rig {
        fx,
        server,
        incident,
    }
}

impl Rig {
    async fn metadata(&self, step: WorkflowStep) -> Value {
        let workflow = self
            .fx
            .store
            .latest_workflow(&self.fx.org, &self.incident)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(workflow.status, WorkflowStatus::Completed, "{workflow:?}");
        self.fx
            .store
            .get_agent_run(&self.fx.org, &workflow.id, step)
            .await
            .unwrap()
            .unwrap()
            .metadata
    }

    async fn autopsy(&self) -> sentinel_store::autopsy::AutopsyRecord {
        self.fx
            .store
            .get_autopsy(&self.fx.org, &self.incident)
            .await
            .unwrap()
            .unwrap()
    }

    /// The organization's calls, oldest first.
    async fn calls(&self) -> Vec<LlmCall> {
        let mut calls = self
            .fx
            .store
            .list_llm_calls(&self.fx.org, None, 100)
            .await
            .unwrap()
            .items;
        calls.reverse();
        calls
    }

    /// Neither the step metadata, the call rows nor any log line holds the key.
    async fn assert_key_never_shown(&self) {
        let mut shown = String::new();
        for step in WorkflowStep::ALL {
            shown.push_str(&self.metadata(step).await.to_string());
        }
        shown.push_str(&format!("{:?}", self.calls().await));
        let logged = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
        let start = &OPENAI_KEY[..12];
        assert!(
            !shown.contains(start),
            "the key in metadata or calls: {shown}"
        );
        assert!(!logged.contains(start), "the key in the logs");
    }
}

async fn the_configured_model_writes_the_autopsy_and_its_call_is_recorded(test: TestStore) {
    let rig = run_autopsy(&test, vec![completion(&answer(&patch(true)))]).await;
    rig.server.assert_shapes_valid();
    let requests = rig.server.requests();
    assert_eq!(requests.len(), 1);
    let sent = requests[0].json();
    assert_eq!(sent["model"], "gpt-4o");
    let prompt = sent["messages"].to_string();
    assert!(prompt.contains("app/users.py:4"), "{prompt}");
    assert!(
        prompt.contains("return user.name.title()"),
        "the snapshot is in the prompt"
    );

    let autopsy = rig.autopsy().await;
    assert_eq!(autopsy.model_used, ANSWERED_MODEL);
    assert_eq!(autopsy.category, "null_access");
    assert_eq!(
        autopsy.test_path.as_deref(),
        Some("tests/test_unknown_user.py")
    );
    assert_eq!(autopsy.patch_applied, Some(true));
    let root_cause = rig.metadata(WorkflowStep::RootCause).await;
    assert_eq!(root_cause["by_model"], true);
    assert_eq!(root_cause["fallback"], Value::Null);
    let fix = rig.metadata(WorkflowStep::Fix).await;
    assert_eq!(fix["patch_status"], "applied");
    assert_eq!(fix["retry"], Value::Null, "an applied patch is not retried");

    let calls = rig.calls().await;
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call.incident_id.as_ref(), Some(&rig.incident));
    assert_eq!(
        (call.step.as_str(), call.status.as_str()),
        ("root_cause", "ok")
    );
    assert_eq!(call.model_answered.as_deref(), Some(ANSWERED_MODEL));
    assert_eq!(
        (call.usage.input_uncached, call.usage.cache_read),
        (86, 1920)
    );
    assert_eq!(call.cost_nano_usd, Some(5_615_000));
    assert!(!call.cache_hit);
    rig.assert_key_never_shown().await;
}

/// Each failure the stand-in can give, and the call status it is recorded with.
fn failures() -> Vec<(Reply, &'static str)> {
    vec![
        (
            Reply::Status {
                status: 429,
                headers: vec![("retry-after", "20".into())],
                body: shapes::RATE_LIMIT_BODY.into(),
            },
            "rate_limited",
        ),
        (Reply::status(500, "upstream exploded"), "server_error"),
        (
            Reply::status(401, &shapes::bad_key_body(OPENAI_KEY)),
            "rejected",
        ),
        (Reply::status(200, "{\"choices\": ["), "malformed"),
        (Reply::Hang, "timeout"),
    ]
}

async fn a_failing_model_leaves_the_heuristic_to_answer_and_says_why(test: TestStore) {
    for (reply, status) in failures() {
        let rig = run_autopsy(&test, vec![reply]).await;
        rig.server.assert_shapes_valid();
        let autopsy = rig.autopsy().await;
        assert_eq!(autopsy.model_used, "heuristic", "after {status}");
        let root_cause = rig.metadata(WorkflowStep::RootCause).await;
        assert_eq!(root_cause["by_model"], false);
        let reason = root_cause["fallback"].as_str().unwrap_or_default();
        assert!(
            !reason.is_empty(),
            "no fallback reason after {status}: {root_cause}"
        );
        let calls = rig.calls().await;
        assert_eq!(
            calls.iter().map(|c| c.status.as_str()).collect::<Vec<_>>(),
            [status]
        );
        rig.assert_key_never_shown().await;
    }
}

async fn a_refused_patch_is_sent_back_once_then_recorded_as_patch_failed(test: TestStore) {
    // Refused, then a patch that applies.
    let rig = run_autopsy(
        &test,
        vec![
            completion(&answer(&patch(false))),
            completion(&answer(&patch(true))),
        ],
    )
    .await;
    rig.server.assert_shapes_valid();
    let requests = rig.server.requests();
    assert_eq!(requests.len(), 2);
    let retry_prompt = requests[1].json()["messages"].to_string();
    assert!(retry_prompt.contains("does not apply"), "{retry_prompt}");
    assert!(
        retry_prompt.contains("return user.full_name"),
        "the refused patch is shown"
    );
    let fix = rig.metadata(WorkflowStep::Fix).await;
    assert_eq!(fix["patch_status"], "applied", "{fix}");
    assert_eq!(fix["retry"]["asked"], true);
    assert!(
        fix["retry"]["first_apply_error"].as_str().is_some(),
        "{fix}"
    );
    let autopsy = rig.autopsy().await;
    assert_eq!(autopsy.patch_applied, Some(true));
    assert!(autopsy
        .patch_diff
        .unwrap()
        .contains("return user.name.title()"));
    let steps: Vec<String> = rig.calls().await.into_iter().map(|c| c.step).collect();
    assert_eq!(steps, ["root_cause", "fix"]);

    // Refused twice: asked once more only, then recorded as failed.
    let rig = run_autopsy(
        &test,
        vec![
            completion(&answer(&patch(false))),
            completion(&answer(&patch(false).replace("full_name", "nick"))),
            completion(&answer(&patch(true))),
        ],
    )
    .await;
    assert_eq!(
        rig.server.requests().len(),
        2,
        "the patch is retried once only"
    );
    let fix = rig.metadata(WorkflowStep::Fix).await;
    assert_eq!(fix["patch_status"], "patch_failed", "{fix}");
    assert!(fix["apply_error"].as_str().is_some(), "{fix}");
    let autopsy = rig.autopsy().await;
    assert_eq!(autopsy.patch_applied, Some(false));
    rig.assert_key_never_shown().await;
}

/// The organization's model on the OpenAI stand-in, its repository published as draft pull
/// requests to the GitHub stand-in.
async fn e2e_deps(fx: &Fixture, openai: &ScriptedServer, github: &GithubStandIn) -> AutopsyDeps {
    let models = configure_model(fx, openai, 9).await;
    let attached = fx
        .store
        .attach_installation_repositories(
            &fx.org,
            INSTALLATION_ID as i64,
            &[GithubRepository {
                github_id: 99,
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
            }],
            NOW,
        )
        .await
        .unwrap();
    fx.store
        .set_repository_publish_mode(&fx.org, &attached[0].id, PublishMode::DraftPr, NOW)
        .await
        .unwrap()
        .unwrap();
    let mut deps = fx.deps();
    deps.models = Some(models);
    let pem = SecretString::from(APP_PRIVATE_KEY_PEM.to_owned());
    let app = GithubApp::with_api_base(APP_ID, &pem, github.base()).unwrap();
    deps.reader.github = Some(Arc::new(GithubClient::new(app, transport(fx))));
    deps
}

async fn an_incident_becomes_a_draft_pull_request_written_by_the_model(test: TestStore) {
    logs();
    let fx = Fixture::new(&test, true, false).await;
    // One answer only: the re-run's identical request must come from the cache.
    let openai = ScriptedServer::start(check_openai, vec![completion(&answer(&patch(true)))]).await;
    let github = GithubStandIn::start("acme/shop", &[("app/users.py", "old\n")]).await;
    github.add_commit(&fx.ai_commit, &[("app/users.py", USERS_PY)]);
    let deps = e2e_deps(&fx, &openai, &github).await;
    let incident = fx.incident("fp-e2e", FRAME, 4).await;
    let branch = format!("sentinel/fix-{}", incident.as_str().to_ascii_lowercase());

    for run in 1..=2 {
        let handle = runtime(&fx.store, fx.shared.clone(), deps.clone(), "w1");
        let started = start_workflow(&fx.store, &fx.org, &incident, NOW)
            .await
            .unwrap();
        let workflow = eventually("the workflow to finish", Duration::from_secs(60), || {
            let (store, org, id) = (fx.store.clone(), fx.org.clone(), started.id.clone());
            async move {
                store
                    .get_workflow(&org, &id)
                    .await
                    .unwrap()
                    .filter(|w| w.status.is_terminal())
            }
        })
        .await;
        handle.shutdown(Duration::from_secs(5)).await;
        assert_eq!(
            workflow.status,
            WorkflowStatus::Completed,
            "run {run}: {workflow:?}"
        );

        let pulls = github.pulls();
        assert_eq!(pulls.len(), 1, "run {run}: one pull request, {pulls:?}");
        assert!(pulls[0].draft);
        assert_eq!(
            (pulls[0].head.as_str(), pulls[0].base.as_str()),
            (branch.as_str(), "main")
        );
        assert_eq!(
            pulls[0].updates,
            run - 1,
            "a re-run updates the pull request"
        );
        let (files, parents) = github.branch(&branch).unwrap();
        assert_eq!(
            parents,
            vec![fx.ai_commit.clone()],
            "the fix sits on the release"
        );
        let users = String::from_utf8(files["app/users.py"].clone()).unwrap();
        assert!(
            users.contains("    if user is None:\n        return ''\n"),
            "{users}"
        );
        assert!(files["tests/test_unknown_user.py"].starts_with(b"from app.users import"));
        assert_eq!(github.branch("main").unwrap().0["app/users.py"], b"old\n");
    }
    openai.assert_shapes_valid();
    github.assert_valid();
    assert_eq!(
        openai.requests().len(),
        1,
        "the re-run's question was answered from the cache"
    );
    let calls = fx
        .store
        .list_llm_calls(&fx.org, None, 100)
        .await
        .unwrap()
        .items;
    let mut hits: Vec<bool> = calls.iter().map(|c| c.cache_hit).collect();
    hits.sort();
    assert_eq!(hits, [false, true]);
    let autopsy = fx
        .store
        .get_autopsy(&fx.org, &incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(autopsy.model_used, ANSWERED_MODEL);
    assert_eq!(autopsy.patch_applied, Some(true));
    let status = fx
        .store
        .get_incident(&fx.org, &incident)
        .await
        .unwrap()
        .status;
    assert_eq!(status, IncidentStatus::PrCreated);
}

async fn an_anthropic_model_answers_through_the_messages_api(test: TestStore) {
    logs();
    let fx = Fixture::new(&test, true, false).await;
    let server = ScriptedServer::start(
        shapes::check_anthropic,
        vec![Reply::status(
            200,
            &shapes::anthropic_message(1200, 250, 900, 0),
        )],
    )
    .await;
    let settings = ProviderSettings {
        provider: "anthropic".into(),
        base_url: server.base().to_owned(),
        model: "claude-sonnet-4-20250514".into(),
        api_key_sealed: None,
        max_output_tokens: 2000,
        monthly_token_budget: None,
        monthly_cost_budget_nano_usd: None,
        prices: None,
        updated_at: NOW,
    };
    let mut deps = fx.deps();
    deps.models = Some(configure(&fx, settings, shapes::ANTHROPIC_KEY, 5).await);
    let incident = fx.incident("fp-anthropic", FRAME, 4).await;
    let handle = runtime(&fx.store, fx.shared.clone(), deps, "w1");
    start_workflow(&fx.store, &fx.org, &incident, NOW)
        .await
        .unwrap();
    finished(&fx.store, &fx.org, &incident).await;
    handle.shutdown(Duration::from_secs(5)).await;
    server.assert_shapes_valid();
    assert_eq!(server.requests().len(), 1);
    let autopsy = fx
        .store
        .get_autopsy(&fx.org, &incident)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(autopsy.model_used, "claude-sonnet-4-20250514");
    assert_eq!(
        autopsy.category, "missing_key",
        "the model's answer, not the heuristic's"
    );
    let calls = fx
        .store
        .list_llm_calls(&fx.org, None, 10)
        .await
        .unwrap()
        .items;
    assert_eq!(calls.len(), 1);
    // Anthropic's cache writes are apart from its input tokens.
    assert_eq!(
        (
            calls[0].usage.input_uncached,
            calls[0].usage.cache_write,
            calls[0].usage.output
        ),
        (1200, 900, 250)
    );
    assert!(calls[0].cost_nano_usd.is_some_and(|c| c > 0));
}

workflow_tests!(
    an_anthropic_model_answers_through_the_messages_api,
    an_incident_becomes_a_draft_pull_request_written_by_the_model,
    the_configured_model_writes_the_autopsy_and_its_call_is_recorded,
    a_failing_model_leaves_the_heuristic_to_answer_and_says_why,
    a_refused_patch_is_sent_back_once_then_recorded_as_patch_failed,
);
