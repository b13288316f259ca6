//! Publishing end to end on both backends, against a GitHub stand-in on 127.0.0.1 that
//! checks every request's path, headers and JSON: an incident's autopsy ends in a draft pull
//! request from `sentinel/fix-<incident>` whose commit sits on the release with the patched
//! file and the regression test; a re-run updates that pull request (PATCH, no second POST);
//! rate limits, server errors, malformed answers and timeouts are survived; issue mode opens
//! one issue and updates it on re-runs; with publishing off nothing is sent.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use secrecy::SecretString;
use sentinel_agents::{start_workflow, Providers};
use sentinel_core::clock::Clock;
use sentinel_core::incident::IncidentStatus;
use sentinel_core::publish::PublishMode;
use sentinel_core::workflow::{RunStatus, WorkflowStatus, WorkflowStep};
use sentinel_integrations::github::{GithubApp, GithubClient};
use sentinel_integrations::testing::github::{
    Fault, GithubStandIn, APP_ID, APP_PRIVATE_KEY_PEM, INSTALLATION_ID,
};
use sentinel_integrations::{HttpOptions, HttpTransport};
use sentinel_store::autopsy::Workflow;
use sentinel_store::code::GithubRepository;
use sentinel_store::github_artifacts::GithubArtifactKind;
use sentinel_store::testing::TestStore;
use std::sync::Arc;
use std::time::Duration;
use support::{eventually, runtime_leased, CannedProvider, Fixture, USERS_PY};

const FRAME: &str = "/srv/shop/app/users.py";

struct Setup {
    fx: Fixture,
    github: GithubStandIn,
    repository: sentinel_core::id::RepositoryId,
}

async fn setup(test: &TestStore, mode: PublishMode) -> Setup {
    let fx = Fixture::new(test, true, false).await;
    let github = GithubStandIn::start("acme/shop", &[("app/users.py", "old\n")]).await;
    // The release the clone's main is at, as GitHub has it.
    github.add_commit(
        &fx.ai_commit,
        &[("app/users.py", USERS_PY), ("README.md", "shop\n")],
    );
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
            support::NOW,
        )
        .await
        .unwrap();
    fx.store
        .set_repository_publish_mode(&fx.org, &attached[0].id, mode, support::NOW)
        .await
        .unwrap()
        .unwrap();
    Setup {
        fx,
        github,
        repository: attached[0].id.clone(),
    }
}

impl Setup {
    fn deps(&self) -> sentinel_agents::AutopsyDeps {
        let mut deps = self.fx.deps();
        deps.providers = Providers::default().with_default(Arc::new(CannedProvider));
        let options = HttpOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_millis(300),
        };
        let transport = HttpTransport::new(&options, self.fx.shared.clone()).unwrap();
        let key = SecretString::from(APP_PRIVATE_KEY_PEM.to_owned());
        let app = GithubApp::with_api_base(APP_ID, &key, self.github.base()).unwrap();
        deps.reader.github = Some(Arc::new(GithubClient::new(app, transport)));
        deps
    }

    /// Runs one workflow for the incident to its end, moving the clock on so retries that
    /// wait (a rate limit, a backoff) come due.
    async fn run_once(&self, incident: &sentinel_core::id::IncidentId) -> Workflow {
        let handle = runtime_leased(
            &self.fx.store,
            self.fx.shared.clone(),
            self.deps(),
            "w1",
            Duration::from_secs(24 * 3600),
        );
        let started = start_workflow(
            &self.fx.store,
            &self.fx.org,
            incident,
            self.fx.clock.now_ms(),
        )
        .await
        .unwrap();
        let workflow = eventually("the workflow to finish", Duration::from_secs(60), || {
            let (store, org, id) = (
                self.fx.store.clone(),
                self.fx.org.clone(),
                started.id.clone(),
            );
            self.fx.clock.advance(5_000);
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
        workflow
    }

    async fn publish_run(&self, workflow: &Workflow) -> serde_json::Value {
        let run = self
            .fx
            .store
            .get_agent_run(&self.fx.org, &workflow.id, WorkflowStep::Publish)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.status, RunStatus::Success, "{run:?}");
        run.metadata
    }

    fn count(&self, request: &str) -> usize {
        self.github
            .requests()
            .iter()
            .filter(|r| *r == request)
            .count()
    }
}

async fn a_draft_pull_request_is_opened_once_and_updated_on_re_runs(test: TestStore) {
    let s = setup(&test, PublishMode::DraftPr).await;
    let incident = s.fx.incident("fp-users", FRAME, 4).await;

    let first = s.run_once(&incident).await;
    assert_eq!(first.status, WorkflowStatus::Completed, "{first:?}");
    let meta = s.publish_run(&first).await;
    let branch = format!("sentinel/fix-{}", incident.as_str().to_ascii_lowercase());
    assert_eq!(meta["github"]["mode"], "draft_pr", "{meta}");
    assert_eq!(meta["github"]["branch"], branch.as_str());

    let pulls = s.github.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert!(pulls[0].draft);
    assert_eq!(
        (pulls[0].head.as_str(), pulls[0].base.as_str()),
        (branch.as_str(), "main")
    );
    assert!(
        pulls[0].body.contains("**Root cause**"),
        "{}",
        pulls[0].body
    );
    let (files, parents) = s.github.branch(&branch).unwrap();
    assert_eq!(parents, vec![s.fx.ai_commit.clone()]);
    let users = String::from_utf8(files["app/users.py"].clone()).unwrap();
    assert!(
        users.contains("    if user is None:\n        return ''\n"),
        "{users}"
    );
    assert!(files["tests/test_users_regression.py"].starts_with(b"def test_unknown_user"));
    assert_eq!(files["README.md"], b"shop\n");
    // main is where it was.
    assert_eq!(s.github.branch("main").unwrap().0["app/users.py"], b"old\n");

    let artifacts =
        s.fx.store
            .list_github_artifacts(&s.fx.org, &incident)
            .await
            .unwrap();
    let kinds: Vec<_> = artifacts.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![GithubArtifactKind::Pr, GithubArtifactKind::Branch]
    );
    assert_eq!(artifacts[0].number, Some(pulls[0].number as i64));
    assert_eq!(
        artifacts[0].url,
        format!("https://github.com/acme/shop/pull/{}", pulls[0].number)
    );
    assert_eq!(artifacts[1].name.as_deref(), Some(branch.as_str()));
    assert_eq!(
        artifacts[1].url,
        format!("https://github.com/acme/shop/tree/{branch}")
    );
    let status =
        s.fx.store
            .get_incident(&s.fx.org, &incident)
            .await
            .unwrap()
            .status;
    assert_eq!(status, IncidentStatus::PrCreated);

    // A re-run: the same pull request, changed with PATCH; the branch moved with force.
    let second = s.run_once(&incident).await;
    assert_eq!(second.status, WorkflowStatus::Completed);
    assert_eq!(s.github.pulls().len(), 1);
    assert_eq!(s.github.pulls()[0].updates, 1);
    assert_eq!(s.count("POST /repos/acme/shop/pulls"), 1);
    assert_eq!(
        s.count(&format!("PATCH /repos/acme/shop/pulls/{}", pulls[0].number)),
        1
    );
    assert_eq!(s.count("POST /repos/acme/shop/git/refs"), 1);
    assert_eq!(
        s.count(&format!("PATCH /repos/acme/shop/git/refs/heads/{branch}")),
        1
    );
    assert!(!s
        .github
        .requests()
        .iter()
        .any(|r| r.contains("refs/heads/main")));
    s.github.assert_valid();
}

async fn rate_limits_errors_malformed_answers_and_timeouts_are_survived(test: TestStore) {
    let s = setup(&test, PublishMode::DraftPr).await;
    let incident = s.fx.incident("fp-users", FRAME, 4).await;
    s.github.fail_next(
        Method::POST,
        "/git/blobs",
        Fault::RateLimited { retry_after_s: 30 },
    );
    s.github
        .fail_next(Method::POST, "/git/trees", Fault::ServerError);
    s.github
        .fail_next(Method::POST, "/git/commits", Fault::Hang);
    // The pull request is made but its answer is lost: the retry finds it.
    s.github.fail_next(Method::POST, "/pulls", Fault::Malformed);

    let workflow = s.run_once(&incident).await;
    assert_eq!(workflow.status, WorkflowStatus::Completed, "{workflow:?}");
    let meta = s.publish_run(&workflow).await;
    assert_eq!(meta["github"]["mode"], "draft_pr", "{meta}");
    assert_eq!(s.github.pulls().len(), 1);
    assert_eq!(s.count("POST /repos/acme/shop/pulls"), 2);
    let pr =
        s.fx.store
            .get_github_artifact(&s.fx.org, &incident, GithubArtifactKind::Pr)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(pr.number, Some(s.github.pulls()[0].number as i64));
    s.github.assert_valid();
}

async fn issue_mode_opens_one_issue_and_updates_it(test: TestStore) {
    let s = setup(&test, PublishMode::Issue).await;
    let incident = s.fx.incident("fp-users", FRAME, 4).await;
    s.run_once(&incident).await;
    s.run_once(&incident).await;

    let issues = s.github.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].updates, 1);
    assert!(issues[0].body.contains("**Root cause**"));
    assert!(issues[0].body.contains("**Suspect commit**"));
    assert!(issues[0].body.contains("def test_unknown_user"));
    assert!(issues[0].body.contains("+    if user is None:"));
    assert!(s.github.pulls().is_empty());
    let issue =
        s.fx.store
            .get_github_artifact(&s.fx.org, &incident, GithubArtifactKind::Issue)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        issue.url,
        format!("https://github.com/acme/shop/issues/{}", issues[0].number)
    );
    s.github.assert_valid();
}

async fn nothing_is_sent_when_publishing_is_off(test: TestStore) {
    let s = setup(&test, PublishMode::Off).await;
    let incident = s.fx.incident("fp-users", FRAME, 4).await;
    let workflow = s.run_once(&incident).await;
    let meta = s.publish_run(&workflow).await;
    assert_eq!(meta["github"]["mode"], "skipped");
    assert!(s.github.requests().is_empty(), "{:?}", s.github.requests());
    assert!(s
        .fx
        .store
        .list_github_artifacts(&s.fx.org, &incident)
        .await
        .unwrap()
        .is_empty());
}

async fn without_a_clone_a_draft_becomes_an_issue_that_says_why(test: TestStore) {
    let s = setup(&test, PublishMode::DraftPr).await;
    let forget_clone = sentinel_store::code::RepositoryPatch {
        full_name: None,
        default_branch: None,
        clone_path: Some(None),
        settings: None,
    };
    s.fx.store
        .update_repository(&s.fx.org, &s.repository, &forget_clone, support::NOW)
        .await
        .unwrap()
        .unwrap();
    let incident = s.fx.incident("fp-users", FRAME, 4).await;
    let workflow = s.run_once(&incident).await;
    let meta = s.publish_run(&workflow).await;
    assert_eq!(meta["github"]["mode"], "issue", "{meta}");
    assert!(
        meta["github"]["draft_pr_skipped"]
            .as_str()
            .is_some_and(|why| why.contains("clone")),
        "{meta}"
    );
    assert_eq!(s.github.issues().len(), 1);
    assert!(s.github.pulls().is_empty());
    s.github.assert_valid();
}

workflow_tests!(
    without_a_clone_a_draft_becomes_an_issue_that_says_why,
    a_draft_pull_request_is_opened_once_and_updated_on_re_runs,
    rate_limits_errors_malformed_answers_and_timeouts_are_survived,
    issue_mode_opens_one_issue_and_updates_it,
    nothing_is_sent_when_publishing_is_off,
);
