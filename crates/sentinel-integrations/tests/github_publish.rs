//! The GitHub writes publishing uses, against the stand-in that checks each request's
//! path, headers and JSON: a commit on top of a parent with files changed and deleted, a
//! fix branch created then moved, never the default branch; a draft pull request found
//! again when its answer was lost; faults sorted into retryable or not.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use secrecy::SecretString;
use sentinel_core::clock::ManualClock;
use sentinel_integrations::github::{
    DraftPullRequest, FileWrite, GithubApp, GithubClient, GithubError,
};
use sentinel_integrations::testing::github::{
    Fault, GithubStandIn, APP_ID, APP_PRIVATE_KEY_PEM, INSTALLATION_ID,
};
use sentinel_integrations::{HttpOptions, HttpTransport};

const REPO: &str = "acme/shop";

async fn start() -> (GithubStandIn, GithubClient) {
    let github = GithubStandIn::start(REPO, &[("a.txt", "a\n"), ("b.txt", "b\n")]).await;
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(300),
    };
    let clock = ManualClock::new(1_714_550_400_000);
    let transport = HttpTransport::new(&options, Arc::new(clock)).unwrap();
    let key = SecretString::from(APP_PRIVATE_KEY_PEM.to_owned());
    let app = GithubApp::with_api_base(APP_ID, &key, github.base()).unwrap();
    (github, GithubClient::new(app, transport))
}

fn files() -> Vec<FileWrite> {
    vec![
        FileWrite {
            path: "a.txt".into(),
            content: Some(b"fixed\n".to_vec()),
            executable: false,
        },
        FileWrite {
            path: "b.txt".into(),
            content: None,
            executable: false,
        },
        FileWrite {
            path: "tests/t.sh".into(),
            content: Some(vec![0xff, 0x00]),
            executable: true,
        },
    ]
}

#[tokio::test]
async fn a_fix_is_committed_on_its_own_branch_and_moved_on_re_runs() {
    let (github, client) = start().await;
    let parent = github.head();
    let first = client
        .commit_files(INSTALLATION_ID, REPO, &parent, "fix", &files())
        .await
        .unwrap();
    client
        .set_fix_branch(INSTALLATION_ID, REPO, "sentinel/fix-1", &first, "main")
        .await
        .unwrap();
    let (tree, parents) = github.branch("sentinel/fix-1").unwrap();
    assert_eq!(parents, vec![parent.clone()]);
    assert_eq!(tree["a.txt"], b"fixed\n");
    assert!(!tree.contains_key("b.txt"));
    assert_eq!(tree["tests/t.sh"], vec![0xff, 0x00]);

    let second = client
        .commit_files(INSTALLATION_ID, REPO, &parent, "fix again", &files()[..1])
        .await
        .unwrap();
    client
        .set_fix_branch(INSTALLATION_ID, REPO, "sentinel/fix-1", &second, "main")
        .await
        .unwrap();
    assert!(github
        .branch("sentinel/fix-1")
        .unwrap()
        .0
        .contains_key("b.txt"));
    let requests = github.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| *r == "POST /repos/acme/shop/git/refs")
            .count(),
        1
    );
    assert!(requests.contains(&"PATCH /repos/acme/shop/git/refs/heads/sentinel/fix-1".to_owned()));
    github.assert_valid();
}

#[tokio::test]
async fn the_default_branch_is_never_written() {
    let (github, client) = start().await;
    let head = github.head();
    for branch in ["main", "feature", "sentinel/../main"] {
        let refused = client
            .set_fix_branch(INSTALLATION_ID, REPO, branch, &head, "main")
            .await
            .unwrap_err();
        assert!(
            matches!(refused, GithubError::InvalidArgument { .. }),
            "{branch}"
        );
    }
    let draft = DraftPullRequest {
        title: "t",
        body: "b",
        head: "main",
        base: "main",
    };
    assert!(client
        .open_draft_pull_request(INSTALLATION_ID, REPO, draft)
        .await
        .is_err());
    assert!(github.requests().is_empty(), "{:?}", github.requests());
}

#[tokio::test]
async fn a_draft_whose_answer_was_lost_is_found_again() {
    let (github, client) = start().await;
    let head = github.head();
    client
        .set_fix_branch(INSTALLATION_ID, REPO, "sentinel/fix-2", &head, "main")
        .await
        .unwrap();
    let draft = DraftPullRequest {
        title: "Fix",
        body: "body",
        head: "sentinel/fix-2",
        base: "main",
    };
    github.fail_next(Method::POST, "/pulls", Fault::Malformed);
    let lost = client
        .open_draft_pull_request(INSTALLATION_ID, REPO, draft)
        .await
        .unwrap_err();
    assert!(matches!(lost, GithubError::Decode(_)), "{lost:?}");
    let found = client
        .open_draft_pull_request(INSTALLATION_ID, REPO, draft)
        .await
        .unwrap();
    assert_eq!(github.pulls().len(), 1);
    assert!(github.pulls()[0].draft);
    assert_eq!(found.number, github.pulls()[0].number);
    let updated = client
        .update_pull_request(INSTALLATION_ID, REPO, found.number, "Fix 2", "body 2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated, found);
    assert_eq!(github.pulls()[0].title, "Fix 2");
    assert_eq!(
        client
            .update_issue(INSTALLATION_ID, REPO, 999, "t", "b")
            .await
            .unwrap(),
        None
    );
    github.assert_valid();
}

#[tokio::test]
async fn faults_are_retryable() {
    let (github, client) = start().await;
    github.fail_next(
        Method::POST,
        "/issues",
        Fault::RateLimited { retry_after_s: 30 },
    );
    github.fail_next(Method::POST, "/issues", Fault::ServerError);
    github.fail_next(Method::POST, "/issues", Fault::Hang);
    for _ in 0..3 {
        let err = client
            .create_issue(INSTALLATION_ID, REPO, "t", "b")
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
    }
    let issue = client
        .create_issue(INSTALLATION_ID, REPO, "t", "b")
        .await
        .unwrap();
    assert_eq!(
        issue.url,
        format!("https://github.com/{REPO}/issues/{}", issue.number)
    );
    assert_eq!(github.issues().len(), 1);
    github.assert_valid();
}
