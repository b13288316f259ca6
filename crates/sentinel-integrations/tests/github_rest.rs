//! The GitHub REST client against a stand-in GitHub on 127.0.0.1 that verifies the App JWT
//! with the App's public key and checks GitHub's required headers on every request.
#![allow(clippy::unwrap_used)]

#[path = "github_rest/stand_in.rs"]
mod stand_in;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use sentinel_core::clock::{ManualClock, MINUTE_MS};
use sentinel_core::code::{Commit, FileChange, FileStatus, GitStamp, Person};
use sentinel_integrations::github::{
    CommitLookup, Comparison, GithubApp, GithubClient, GithubError, PullRequestText,
};
use sentinel_integrations::{HttpOptions, HttpTransport};
use stand_in::*;

/// 2024-05-01T08:00:00Z.
const NOW_MS: i64 = 1_714_550_400_000;

fn key(name: &str) -> SecretString {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    SecretString::from(std::fs::read_to_string(path).unwrap())
}

fn client_with_key(server: &StandIn, clock: &ManualClock, key_file: &str) -> GithubClient {
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    };
    let transport = HttpTransport::new(&options, Arc::new(clock.clone())).unwrap();
    let app = GithubApp::with_api_base(APP_ID, &key(key_file), server.base()).unwrap();
    GithubClient::new(app, transport)
}

async fn start() -> (StandIn, ManualClock, GithubClient) {
    let clock = ManualClock::new(NOW_MS);
    let server = StandIn::start(clock.clone()).await;
    let client = client_with_key(&server, &clock, "app-private-key.pem");
    (server, clock, client)
}

fn stamp(name: &str, email: &str, login: &str, at_ms: i64) -> GitStamp {
    GitStamp {
        person: Person {
            name: name.to_owned(),
            email: email.to_owned(),
            login: Some(login.to_owned()),
        },
        at_ms,
        utc_offset_minutes: 0,
    }
}

fn expected_commit() -> Commit {
    Commit {
        sha: COMMIT_SHA.to_owned(),
        parents: vec!["9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807".to_owned()],
        // 2024-05-01T02:41:07Z and 09:15:30Z.
        author: stamp(
            "Mona Lisa",
            "mona@octo-org.example",
            "monalisa",
            1_714_531_267_000,
        ),
        committer: stamp(
            "GitHub",
            "noreply@github.com",
            "web-flow",
            1_714_554_930_000,
        ),
        message: "payments: charge with an idempotency key\n\nA gateway timeout used to leave \
                  the charge state unknown.\n\nCo-authored-by: Claude <noreply@anthropic.com>"
            .to_owned(),
        files: vec![
            FileChange {
                path: "src/billing/charge.rs".to_owned(),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: 3,
                lines_deleted: 1,
                binary: false,
                added_lines: vec![
                    "    // Retry once on a gateway timeout: the gateway deduplicates by \
                     idempotency key."
                        .to_owned(),
                    "    let key = IdempotencyKey::for_charge(card, amount);".to_owned(),
                    "    let receipt = gateway.charge_idempotent(card, amount, &key)?;".to_owned(),
                ],
            },
            FileChange {
                path: "src/money/cents.rs".to_owned(),
                previous_path: Some("src/money.rs".to_owned()),
                status: FileStatus::Renamed,
                lines_added: 1,
                lines_deleted: 1,
                binary: false,
                added_lines: vec!["//! Helpers for amounts of money in cents.".to_owned()],
            },
            FileChange {
                path: "docs/img/flow.png".to_owned(),
                previous_path: None,
                status: FileStatus::Added,
                lines_added: 0,
                lines_deleted: 0,
                binary: true,
                added_lines: vec![],
            },
            FileChange {
                path: "docs/gateway-v1.md".to_owned(),
                previous_path: None,
                status: FileStatus::Deleted,
                lines_added: 0,
                lines_deleted: 3,
                binary: false,
                added_lines: vec![],
            },
        ],
    }
}

#[tokio::test]
async fn a_commit_is_read_into_sentinels_commit() {
    let (server, _clock, client) = start().await;

    let lookup = client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();

    assert_eq!(lookup, CommitLookup::Found(expected_commit()));
    assert_eq!(server.tokens_issued(), 1);
    server.assert_headers_valid();
}

#[tokio::test]
async fn a_commit_github_does_not_have_is_missing_not_an_error() {
    let (server, _clock, client) = start().await;

    for sha in [MISSING_SHA, GONE_SHA] {
        let lookup = client
            .get_commit(INSTALLATION_ID, FULL_NAME, sha)
            .await
            .unwrap();
        assert_eq!(lookup, CommitLookup::Missing, "{sha}");
    }
    server.assert_headers_valid();
}

#[tokio::test]
async fn the_pull_request_of_a_commit_gives_its_text() {
    let (server, _clock, client) = start().await;

    let found = client
        .get_pull_request_for_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    let none = client
        .get_pull_request_for_commit(INSTALLATION_ID, FULL_NAME, GONE_SHA)
        .await
        .unwrap();
    let missing = client
        .get_pull_request_for_commit(INSTALLATION_ID, FULL_NAME, MISSING_SHA)
        .await
        .unwrap();

    assert_eq!(
        found,
        Some(PullRequestText {
            number: 42,
            title: "Idempotent charges".to_owned(),
            body: "Retries a timed-out charge safely.\n\nGenerated with Claude Code.".to_owned(),
        })
    );
    assert_eq!(none, None);
    assert_eq!(missing, None);
    server.assert_headers_valid();
}

#[tokio::test]
async fn one_token_serves_every_call_until_five_minutes_before_it_expires() {
    let (server, clock, client) = start().await;

    client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    client
        .get_commit(INSTALLATION_ID, FULL_NAME, MISSING_SHA)
        .await
        .unwrap();
    client
        .get_pull_request_for_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    assert_eq!(server.tokens_issued(), 1);

    // A second short of the five-minute margin: still the first token.
    clock.advance(TOKEN_LIFETIME_MS - 5 * MINUTE_MS - 1_000);
    client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    assert_eq!(server.tokens_issued(), 1);

    // Inside the margin: a new token, with a new JWT the stand-in verifies at the new time.
    clock.advance(1_000);
    client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();
    assert_eq!(server.tokens_issued(), 2);
    assert_eq!(server.repo_requests(), 6);
    server.assert_headers_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_fetch() {
    let (server, _clock, client) = start().await;
    let client = Arc::new(client);

    let calls: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
                    .await
            })
        })
        .collect();
    for call in calls {
        assert!(matches!(call.await.unwrap(), Ok(CommitLookup::Found(_))));
    }

    assert_eq!(server.tokens_issued(), 1);
    assert_eq!(server.repo_requests(), 6);
    server.assert_headers_valid();
}

#[tokio::test]
async fn rate_limits_say_when_to_come_back() {
    let (server, _clock, client) = start().await;

    let secondary = client
        .get_commit(INSTALLATION_ID, FULL_NAME, RETRY_AFTER_SHA)
        .await
        .unwrap_err();
    let primary = client
        .get_commit(INSTALLATION_ID, FULL_NAME, EXHAUSTED_SHA)
        .await
        .unwrap_err();

    assert!(
        matches!(secondary, GithubError::RateLimited { retry_at } if retry_at == NOW_MS + 30_000),
        "{secondary:?}"
    );
    let reset_ms = (NOW_MS / 1000 + RESET_IN_S) * 1000;
    assert!(
        matches!(primary, GithubError::RateLimited { retry_at } if retry_at == reset_ms),
        "{primary:?}"
    );
    assert!(secondary.is_retryable() && primary.is_retryable());
    server.assert_headers_valid();
}

#[tokio::test]
async fn other_failures_are_sorted_into_retryable_or_not() {
    let (server, _clock, client) = start().await;

    let forbidden = client
        .get_commit(INSTALLATION_ID, FULL_NAME, FORBIDDEN_SHA)
        .await
        .unwrap_err();
    let broken = client
        .get_commit(INSTALLATION_ID, FULL_NAME, BROKEN_SHA)
        .await
        .unwrap_err();
    let unknown_installation = client
        .get_commit(INSTALLATION_ID + 1, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap_err();

    assert!(
        matches!(&forbidden, GithubError::Rejected(403, m) if m == "Resource not accessible by integration"),
        "{forbidden:?}"
    );
    assert!(!forbidden.is_retryable());
    assert!(matches!(broken, GithubError::Server(502)), "{broken:?}");
    assert!(broken.is_retryable());
    assert!(
        matches!(unknown_installation, GithubError::Rejected(404, _)),
        "{unknown_installation:?}"
    );
    server.assert_headers_valid();
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let (server, _clock, client) = start().await;
    client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();

    server.revoke_tokens();
    let after_revocation = client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap();

    assert!(matches!(after_revocation, CommitLookup::Found(_)));
    assert_eq!(server.tokens_issued(), 2);
    // The first call, the refused one, and its retry.
    assert_eq!(server.repo_requests(), 3);

    // When even a fresh token is refused, the client gives up after that one retry.
    server.refuse_every_token();
    let refused = client
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, GithubError::Rejected(401, m) if m == "Bad credentials"),
        "{refused:?}"
    );
    assert_eq!(server.tokens_issued(), 3);
    assert_eq!(server.repo_requests(), 5);
    server.assert_headers_valid();
}

#[tokio::test]
async fn a_jwt_signed_with_another_key_gets_no_token() {
    let clock = ManualClock::new(NOW_MS);
    let server = StandIn::start(clock.clone()).await;
    let stranger = client_with_key(&server, &clock, "other-private-key.pem");

    let error = stranger
        .get_commit(INSTALLATION_ID, FULL_NAME, COMMIT_SHA)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, GithubError::Rejected(401, m) if m.contains("bad signature")),
        "{error:?}"
    );
    assert_eq!(server.tokens_issued(), 0);
    assert_eq!(server.repo_requests(), 0);
    server.assert_headers_valid();
}

#[tokio::test]
async fn arguments_that_cannot_name_a_commit_send_nothing() {
    let (server, _clock, client) = start().await;

    for (full_name, sha) in [
        ("octo-org", COMMIT_SHA),
        ("octo-org/payments/extra", COMMIT_SHA),
        (FULL_NAME, "main"),
        (FULL_NAME, "../../app/installations"),
    ] {
        let error = client
            .get_commit(INSTALLATION_ID, full_name, sha)
            .await
            .unwrap_err();
        assert!(
            matches!(error, GithubError::InvalidArgument { .. }),
            "{full_name} {sha}: {error:?}"
        );
    }
    assert_eq!(server.tokens_issued(), 0);
    assert_eq!(server.repo_requests(), 0);
}

#[tokio::test]
async fn compare_reads_the_newest_pages_of_a_range_newest_first() {
    let (server, _clock, client) = start().await;
    let whole = client
        .compare(INSTALLATION_ID, FULL_NAME, RANGE_BASE, RANGE_HEAD, 1000)
        .await
        .unwrap();
    let expected: Vec<String> = (1..=RANGE_LEN).rev().map(range_sha).collect();
    assert_eq!(
        whole,
        Comparison::Commits {
            shas: expected.clone(),
            truncated: false
        }
    );
    // Cut to 100: the newest hundred, which come from the last pages.
    let cut = client
        .compare(INSTALLATION_ID, FULL_NAME, RANGE_BASE, RANGE_HEAD, 100)
        .await
        .unwrap();
    assert_eq!(
        cut,
        Comparison::Commits {
            shas: expected[..100].to_vec(),
            truncated: true
        }
    );
    let gone = client
        .compare(INSTALLATION_ID, FULL_NAME, GONE_SHA, RANGE_HEAD, 100)
        .await
        .unwrap();
    assert_eq!(gone, Comparison::Missing);
    assert!(matches!(
        client
            .compare(INSTALLATION_ID, FULL_NAME, "not-a-sha", RANGE_HEAD, 100)
            .await,
        Err(GithubError::InvalidArgument { .. })
    ));
    server.assert_headers_valid();
}
