//! GitHub webhook fixtures (real payload examples, byte for byte) through the signature
//! check and the payload reader: each verifies with its recorded vector, forgeries do not,
//! and each reads into the code events its content says.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sentinel_core::code::{CodeEventDetails, CodeEventKind, PrAction, ReviewState};
use sentinel_ingest::github::{
    parse_delivery, verify_signature, GithubDelivery, GithubHeaders, SignatureError,
};
use std::path::Path;

const SECRET: &[u8] = b"It's a Secret to Everybody";

/// File, `X-GitHub-Event`, and the README's `X-Hub-Signature-256` for it.
const FIXTURES: &[(&str, &str, &str)] = &[
    (
        "deployment.created.json",
        "deployment",
        "sha256=3a5bc9427c75adf122168cff3e79a0d5c46377c2a87c1592b8a93469a819e9a2",
    ),
    (
        "deployment_status.created.json",
        "deployment_status",
        "sha256=b3c883960da77143d0f39b788211d8a796e58d4f54518107a1795a412d3afa3b",
    ),
    (
        "installation.created.json",
        "installation",
        "sha256=c6a72c221581535a1d22e6c4fcabfa62f3b8897e7b4ddbd60524b11648564255",
    ),
    (
        "ping.json",
        "ping",
        "sha256=1164c298af8dd23383e8b64457292606ca70b51e9273776762d1385e443dc148",
    ),
    (
        "pull_request.closed-merged.json",
        "pull_request",
        "sha256=8603ff1fe58bbdc1d2bfb95bc31e418927307044658c7cd89e3e127c85f98cbe",
    ),
    (
        "pull_request.closed-unmerged.json",
        "pull_request",
        "sha256=7dc9fe0429e0eaf5e53d778fa4379fe930b19ec232e8f17f5cc469add871486e",
    ),
    (
        "pull_request.opened.json",
        "pull_request",
        "sha256=9dc478d9f168340c18752a2c72bfbec57a9230b5a8af4e1b5cd19e4469a0e55a",
    ),
    (
        "pull_request_review.submitted.json",
        "pull_request_review",
        "sha256=cd58f1092c61d60a40ce60a00afa7e6312a61d9951ff22b98a588cd3a52a0426",
    ),
    (
        "push.multi-commit.json",
        "push",
        "sha256=551eaae5d0192245c6e3cb559bdd7494614667edb7a95a9d06c788f5dc66d0a7",
    ),
    (
        "push.new-branch.json",
        "push",
        "sha256=8932d8769b1f990ebb7d03235a66217b1de8e48d0c626166d4e8fcac027a123d",
    ),
];

fn body(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/github")
            .join(file),
    )
    .unwrap()
}

fn delivery(file: &str) -> GithubDelivery {
    let (_, event, _) = FIXTURES.iter().find(|(f, _, _)| *f == file).unwrap();
    parse_delivery(event, &body(file)).unwrap()
}

/// 2015-05-05T23:40:27Z
const MERGED_AT_MS: i64 = 1_430_869_227_000;

#[test]
fn every_fixture_verifies_with_its_vector_and_parses() {
    for (file, event, signature) in FIXTURES {
        let bytes = body(file);
        assert_eq!(
            verify_signature(&[SECRET], Some(signature), None, &bytes),
            Ok(()),
            "{file}"
        );
        parse_delivery(event, &bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn forged_deliveries_are_refused_with_their_reason() {
    for (file, _, signature) in FIXTURES {
        let bytes = body(file);
        let check = |secret: &[u8], sig256, sha1, body: &[u8]| {
            verify_signature(&[secret], sig256, sha1, body)
        };
        assert_eq!(
            check(b"wrong secret", Some(signature), None, &bytes),
            Err(SignatureError::Mismatch)
        );
        let mut tampered = bytes.clone();
        tampered[bytes.len() / 2] ^= 0x01;
        assert_eq!(
            check(SECRET, Some(signature), None, &tampered),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(SECRET, None, None, &bytes),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            check(
                SECRET,
                None,
                Some("sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"),
                &bytes
            ),
            Err(SignatureError::Sha1Only)
        );
    }
}

#[test]
fn the_multi_commit_push_keeps_every_entry_as_sent() {
    let GithubDelivery::Push {
        repository,
        installation_id,
        git_ref,
        deleted,
        forced,
        events,
        pushed_at,
        ..
    } = delivery("push.multi-commit.json")
    else {
        panic!("not a push")
    };
    assert_eq!(repository.full_name, "baxterthehacker/public-repo");
    assert_eq!(repository.github_id, 35_129_377);
    assert_eq!(installation_id, Some(12345));
    assert_eq!(git_ref, "refs/heads/changes");
    assert!(!deleted && !forced);
    assert_eq!(pushed_at, Some(1_430_869_217_000));
    let shas: Vec<&str> = events.iter().map(|e| e.sha().unwrap()).collect();
    assert_eq!(
        shas,
        [
            "133d60480286590a610a0eb7352ff6e02b9674c4",
            "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        ]
    );
    let CodeEventDetails::Commit(first) = &events[0].details else {
        panic!()
    };
    assert_eq!(events[0].kind(), CodeEventKind::Commit);
    assert_eq!(first.branch.as_deref(), Some("changes"));
    assert_eq!(first.message, "Update README.md (àgain)");
    assert_eq!(first.author.person.name, "bàxterthehacker");
    assert_eq!(
        first.author.person.login.as_deref(),
        Some("baxterthehacker")
    );
    assert_eq!(first.committer.name, "baxterthehacker");
    // 2015-05-05T19:45:15-04:00
    assert_eq!(first.author.at_ms, 1_430_869_515_000);
    assert_eq!(first.author.utc_offset_minutes, -240);
    assert_eq!(events[0].occurred_at, 1_430_869_515_000);
    assert!(first.distinct);
}

#[test]
fn the_new_branch_push_is_a_created_branch_with_one_commit() {
    let GithubDelivery::Push {
        created,
        installation_id,
        events,
        pusher,
        ..
    } = delivery("push.new-branch.json")
    else {
        panic!("not a push")
    };
    assert!(created);
    assert_eq!(installation_id, Some(1));
    assert_eq!(pusher.name, "Codertocat");
    assert_eq!(events.len(), 1);
    let CodeEventDetails::Commit(commit) = &events[0].details else {
        panic!()
    };
    assert_eq!(commit.sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    assert_eq!(commit.branch.as_deref(), Some("master"));
    assert_eq!(commit.author.utc_offset_minutes, 0);
}

#[test]
fn a_deletion_and_a_forced_push_and_a_tag_are_read_for_what_they_are() {
    let mut value: serde_json::Value =
        serde_json::from_slice(&body("push.new-branch.json")).unwrap();
    value["deleted"] = true.into();
    value["created"] = false.into();
    value["after"] = "0000000000000000000000000000000000000000".into();
    value["commits"] = serde_json::json!([]);
    value["head_commit"] = serde_json::Value::Null;
    let GithubDelivery::Push { events, .. } =
        parse_delivery("push", &serde_json::to_vec(&value).unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind(), CodeEventKind::BranchDeleted);
    assert_eq!(events[0].occurred_at, 1_557_933_657_000);
    let CodeEventDetails::BranchDeleted { branch, before_sha } = &events[0].details else {
        panic!()
    };
    assert_eq!(branch, "master");
    assert_eq!(before_sha, value["before"].as_str().unwrap());

    let mut value: serde_json::Value =
        serde_json::from_slice(&body("push.new-branch.json")).unwrap();
    value["forced"] = true.into();
    value["ref"] = "refs/tags/v1.0".into();
    let GithubDelivery::Push { forced, events, .. } =
        parse_delivery("push", &serde_json::to_vec(&value).unwrap()).unwrap()
    else {
        panic!()
    };
    assert!(forced);
    let CodeEventDetails::Commit(commit) = &events[0].details else {
        panic!()
    };
    assert!(commit.forced);
    assert_eq!(commit.branch, None);
}

#[test]
fn pull_requests_are_opened_merged_or_closed_by_merged_not_by_merge_commit_sha() {
    let pr = |file| match delivery(file) {
        GithubDelivery::PullRequest {
            event,
            installation_id,
            ..
        } => match event.details {
            CodeEventDetails::PullRequest(details) => (event.occurred_at, installation_id, details),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let (at, installation, merged) = pr("pull_request.closed-merged.json");
    assert_eq!(merged.action, PrAction::Merged);
    assert_eq!(merged.merged_at, Some(MERGED_AT_MS));
    assert_eq!(at, MERGED_AT_MS);
    assert_eq!(installation, Some(234));
    assert_eq!(
        merged.merge_commit_sha.as_deref(),
        Some("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
    );

    let (_, _, unmerged) = pr("pull_request.closed-unmerged.json");
    assert_eq!(unmerged.action, PrAction::Closed);
    assert_eq!(unmerged.merge_commit_sha, None);
    assert_eq!(unmerged.merged_at, None);

    let (at, _, opened) = pr("pull_request.opened.json");
    assert_eq!(opened.action, PrAction::Opened);
    assert_eq!(
        (
            opened.number,
            opened.head_branch.as_str(),
            opened.base_branch.as_str()
        ),
        (2, "changes", "master")
    );
    assert_eq!(opened.head_sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
    assert_eq!(at, opened.opened_at);

    let mut value: serde_json::Value =
        serde_json::from_slice(&body("pull_request.opened.json")).unwrap();
    value["action"] = "labeled".into();
    assert_eq!(
        parse_delivery("pull_request", &serde_json::to_vec(&value).unwrap()).unwrap(),
        GithubDelivery::Ignored {
            event: "pull_request".into(),
            action: "labeled".into()
        }
    );
}

#[test]
fn the_review_deploy_ping_and_installation_read_their_values() {
    let GithubDelivery::PullRequestReview { event, .. } =
        delivery("pull_request_review.submitted.json")
    else {
        panic!()
    };
    let CodeEventDetails::Review(review) = &event.details else {
        panic!()
    };
    assert_eq!(review.state, ReviewState::Commented);
    assert_eq!(
        (review.pr_number, review.reviewer_login.as_str()),
        (2, "Codertocat")
    );
    assert!(review.submitted_at > review.pr_opened_at);

    let GithubDelivery::DeploymentStatus {
        state,
        event,
        installation_id,
        ..
    } = delivery("deployment_status.created.json")
    else {
        panic!()
    };
    assert_eq!((state.as_str(), installation_id), ("success", Some(1)));
    let CodeEventDetails::Deploy(deploy) = &event.unwrap().details else {
        panic!()
    };
    assert_eq!(deploy.sha, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
    assert_eq!(deploy.environment, "production");

    let GithubDelivery::Ping {
        installation_id,
        app_id,
        hook_id,
        zen,
        ..
    } = delivery("ping.json")
    else {
        panic!()
    };
    assert_eq!(
        (installation_id, app_id, hook_id),
        (None, Some(29310), Some(109_948_940))
    );
    assert!(!zen.is_empty());

    let GithubDelivery::Installation {
        action,
        installation,
        repositories,
    } = delivery("installation.created.json")
    else {
        panic!()
    };
    assert_eq!(
        (
            action.as_str(),
            installation.id,
            installation.account_login.as_str()
        ),
        ("created", 957_387, "Codertocat")
    );
    assert_eq!(repositories.len(), 1);
    assert_eq!(
        (
            repositories[0].github_id,
            repositories[0].full_name.as_str()
        ),
        (186_853_002, "Codertocat/Hello-World")
    );

    assert_eq!(
        delivery("deployment.created.json"),
        GithubDelivery::Other {
            event: "deployment".into()
        }
    );
}

#[test]
fn a_broken_payload_names_the_field() {
    let err = parse_delivery(
        "pull_request",
        br#"{"action":"opened","pull_request":{"number":"two"}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("pull_request.number"), "{err}");
}

#[test]
fn headers_are_read_case_insensitively() {
    let headers = GithubHeaders::from_pairs([
        ("x-github-event", "push"),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("x-hub-signature-256", "sha256=00"),
        ("X-GitHub-Hook-Installation-Target-ID", "79929171"),
        ("X-GitHub-Hook-Installation-Target-Type", "repository"),
    ])
    .unwrap();
    assert_eq!(headers.event, "push");
    assert_eq!(headers.delivery_id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    assert_eq!(headers.signature_256.as_deref(), Some("sha256=00"));
    assert_eq!(headers.signature_sha1, None);
    assert_eq!(headers.target_id, Some(79_929_171));
    assert!(GithubHeaders::from_pairs([("X-GitHub-Event", "push")]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_delivery_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512), which in 0..FIXTURES.len()) {
        let _ = parse_delivery(FIXTURES[which].1, &bytes);
    }

    #[test]
    fn parse_delivery_never_panics_on_mutated_fixtures(which in 0..FIXTURES.len(), edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let (file, event, _) = FIXTURES[which];
        let mut bytes = body(file);
        for (position, byte) in edits {
            let at = position % bytes.len();
            bytes[at] = byte;
        }
        let _ = parse_delivery(event, &bytes);
    }
}
