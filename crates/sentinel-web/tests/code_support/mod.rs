//! Seeded code data for the code API and dashboard tests: one repository of the test
//! organization with four attributed commits (two human, one with a Claude trailer, one by
//! Cursor's agent), their feed, one pending commit, and a second organization with a
//! repository of its own; plus people with a session in each role.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::support::{TestApp, NOW};
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::code::{
    CodeEvent, CodeEventDetails, Commit, CommitRef, DeployDetails, FileChange, FileStatus,
    GitStamp, Person,
};
use sentinel_core::id::{CodeEventId, OrgId, RepositoryId};
use sentinel_core::role::Role;
use sentinel_store::code::{NewCodeEvent, NewRepository, PendingCommit};
use sentinel_store::tenancy::{NewOrganization, NewSession, NewUser};
use sentinel_web::auth::tokens::sha256_hex;

pub const DAY: i64 = 86_400_000;

pub const HUMAN_SHA: &str = "1111111111111111111111111111111111111111";
pub const CLAUDE_SHA: &str = "2222222222222222222222222222222222222222";
pub const CURSOR_SHA: &str = "3333333333333333333333333333333333333333";
/// Forty days old: outside the default 30-day overview.
pub const OLD_SHA: &str = "4444444444444444444444444444444444444444";
pub const PENDING_SHA: &str = "5555555555555555555555555555555555555555";
pub const OTHER_SHA: &str = "9999999999999999999999999999999999999999";

pub struct Seeded {
    pub repo: RepositoryId,
    pub other_org: OrgId,
    pub other_repo: RepositoryId,
    /// The other organization's one code event.
    pub other_event: CodeEventId,
}

fn person(name: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        email: email.into(),
        login: None,
    }
}

pub fn commit(sha: &str, at: i64, author: &Person, message: &str, files: &[(&str, u32)]) -> Commit {
    let stamp = GitStamp {
        person: author.clone(),
        at_ms: at,
        utc_offset_minutes: 120,
    };
    Commit {
        sha: sha.into(),
        parents: vec!["0".repeat(40)],
        author: stamp.clone(),
        committer: stamp,
        message: message.into(),
        files: files
            .iter()
            .map(|(path, added)| FileChange {
                path: (*path).into(),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: *added,
                lines_deleted: 1,
                binary: false,
                added_lines: Vec::new(),
            })
            .collect(),
    }
}

fn commit_event(commit: &Commit) -> NewCodeEvent {
    NewCodeEvent::new(
        CodeEvent {
            occurred_at: commit.author.at_ms,
            actor: commit.author.person.email.clone(),
            details: CodeEventDetails::Commit(CommitRef {
                sha: commit.sha.clone(),
                branch: Some("main".into()),
                distinct: true,
                forced: false,
                message: commit.message.clone(),
                author: commit.author.clone(),
                committer: commit.committer.person.clone(),
                url: None,
            }),
        },
        Some(format!("delivery-{}", &commit.sha[..4])),
    )
}

/// The four attributed commits of the test organization's repository.
pub fn commits() -> Vec<Commit> {
    let ada = person("Ada", "ada@example.com");
    let bot = person("Cursor Agent", "cursoragent@cursor.com");
    vec![
        commit(
            HUMAN_SHA,
            NOW - 3 * DAY,
            &ada,
            "Fix the README typo",
            &[("README.md", 2), ("src/util.rs", 8)],
        ),
        commit(
            CLAUDE_SHA,
            NOW - 2 * DAY,
            &ada,
            "Add session tokens\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            &[("src/auth/session.rs", 40), ("docs/auth.md", 10)],
        ),
        commit(
            CURSOR_SHA,
            NOW - DAY,
            &bot,
            "Bill by the minute",
            &[("src/billing/invoice.rs", 30)],
        ),
        commit(
            OLD_SHA,
            NOW - 40 * DAY,
            &ada,
            "Start the project",
            &[("src/auth/login.rs", 100)],
        ),
    ]
}

/// Seeds through the store functions the jobs use.
pub async fn seed(app: &TestApp) -> Seeded {
    let store = &app.store;
    let org = &app.org_id;
    let repo = store
        .create_repository(
            org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            NOW - 50 * DAY,
        )
        .await
        .unwrap()
        .id;
    let commits = commits();
    let attributions: Vec<_> = commits
        .iter()
        .map(|c| attribute(c, &AttributionContext::default(), &RiskRules::default()))
        .collect();
    let batch: Vec<_> = commits.iter().zip(attributions.iter()).collect();
    store
        .record_attributions(org, &repo, &batch, NOW - 1000)
        .await
        .unwrap();
    let mut events: Vec<NewCodeEvent> = commits.iter().map(commit_event).collect();
    events.push(NewCodeEvent::new(
        CodeEvent {
            occurred_at: NOW - DAY + 60_000,
            actor: "deployer".into(),
            details: CodeEventDetails::Deploy(DeployDetails {
                deployment_id: 42,
                sha: CURSOR_SHA.into(),
                environment: "production".into(),
                creator_login: Some("deployer".into()),
            }),
        },
        Some("delivery-deploy".into()),
    ));
    store
        .insert_code_events(org, &repo, &events, NOW - 1000)
        .await
        .unwrap();
    store
        .upsert_pending_commits(
            org,
            &repo,
            &[PendingCommit {
                sha: PENDING_SHA.into(),
                author_name: "Ada".into(),
                author_email: "ada@example.com".into(),
                authored_at: NOW - 1000,
                author_offset_minutes: 0,
                committer_name: "Ada".into(),
                committer_email: "ada@example.com".into(),
                subject: "Not read yet".into(),
            }],
        )
        .await
        .unwrap();

    let other_org = store
        .create_organization(
            &NewOrganization {
                slug: "globex".into(),
                name: "Globex".into(),
            },
            NOW,
        )
        .await
        .unwrap()
        .id;
    let other_repo = store
        .create_repository(
            &other_org,
            &NewRepository {
                full_name: "globex/ledger".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            NOW,
        )
        .await
        .unwrap()
        .id;
    let secret = commit(
        OTHER_SHA,
        NOW - DAY,
        &person("Hank", "hank@globex.example"),
        "Globex secret ledger change",
        &[("src/auth/vault.rs", 12)],
    );
    let attribution = attribute(
        &secret,
        &AttributionContext::default(),
        &RiskRules::default(),
    );
    store
        .record_attribution(&other_org, &other_repo, &secret, &attribution, NOW)
        .await
        .unwrap();
    let ids = store
        .insert_code_events(&other_org, &other_repo, &[commit_event(&secret)], NOW)
        .await
        .unwrap();
    Seeded {
        repo,
        other_org,
        other_repo,
        other_event: ids[0].clone(),
    }
}

/// A person of `role` in `org` with a live session; returns the cookie and the CSRF token.
pub async fn session(app: &TestApp, org: &OrgId, email: &str, role: Role) -> (String, String) {
    let user = app
        .store
        .create_user(
            &NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                password_hash: "not-used".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    app.store
        .add_member(org, &user.id, role, NOW)
        .await
        .unwrap();
    let secret = format!("secret-{}", ulid::Ulid::new());
    let csrf = format!("csrf-{}", ulid::Ulid::new());
    app.store
        .create_session(
            &NewSession {
                id_hash: sha256_hex(&secret),
                user_id: user.id.clone(),
                org_id: org.clone(),
                csrf_token: csrf.clone(),
                expires_at: NOW + DAY,
            },
            NOW,
        )
        .await
        .unwrap();
    (format!("sentinel_session={secret}"), csrf)
}
