//! The code store's batch paths on both backends: a history-sized batch of attributions and
//! feed events spans several multi-row statements and still records every commit, file and
//! event once, keeps a person's override, and takes the last of a commit listed twice; the
//! bulk reads a whole-history scan starts from.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{create_org, T0};
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::code::{
    AttributionMethod, CodeEvent, CodeEventDetails, Commit, CommitAttribution, CommitRef,
    FileChange, FileStatus, GitStamp, Person, PrAction, PullRequestDetails,
};
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_store::code::{CommitOverride, NewCodeEvent, NewRepository, PendingCommit};
use sentinel_store::Store;

/// More than one statement's worth of commits, files and events.
const COMMITS: usize = 700;

fn person(email: &str) -> Person {
    Person {
        name: "Dev".into(),
        email: email.into(),
        login: None,
    }
}

fn commit(index: usize, message: &str, paths: &[&str]) -> Commit {
    let stamp = GitStamp {
        person: person(&format!("dev{}@example.com", index % 3)),
        at_ms: T0 + index as i64 * 60_000,
        utc_offset_minutes: -300,
    };
    Commit {
        sha: format!("{index:040x}"),
        parents: vec![format!("{:040x}", index.saturating_sub(1))],
        author: stamp.clone(),
        committer: stamp,
        message: message.into(),
        files: paths
            .iter()
            .map(|path| FileChange {
                path: (*path).into(),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: 4,
                lines_deleted: 1,
                binary: false,
                added_lines: Vec::new(),
            })
            .collect(),
    }
}

fn scored(commit: &Commit) -> CommitAttribution {
    attribute(
        commit,
        &AttributionContext::default(),
        &RiskRules::default(),
    )
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
        None,
    )
}

async fn repository(store: &Store, org: &OrgId) -> RepositoryId {
    store
        .create_repository(
            org,
            &NewRepository {
                full_name: "acme/big".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await
        .unwrap()
        .id
}

async fn a_history_sized_batch_records_everything_once(store: Store) {
    let org = create_org(&store).await;
    let repo = repository(&store, &org).await;
    let commits: Vec<Commit> = (0..COMMITS)
        .map(|i| {
            let message = if i % 10 == 0 {
                "Change\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
            } else {
                "Change"
            };
            commit(i, message, &["src/a.rs", "src/auth/token.rs"])
        })
        .collect();

    // Commit 5 is already attributed and overridden by a person; commit 6 is pending.
    store
        .record_attribution(&org, &repo, &commits[5], &scored(&commits[5]), T0)
        .await
        .unwrap();
    store
        .override_commit_attribution(
            &org,
            &repo,
            &commits[5].sha,
            &CommitOverride {
                ai_confidence: 1.0,
                tool: None,
                by: "user-1".into(),
                note: None,
                file_risks: Vec::new(),
            },
            T0,
        )
        .await
        .unwrap()
        .unwrap();
    store
        .upsert_pending_commits(
            &org,
            &repo,
            &[PendingCommit {
                sha: commits[6].sha.clone(),
                author_name: "Dev".into(),
                author_email: "dev0@example.com".into(),
                authored_at: T0,
                author_offset_minutes: 0,
                committer_name: "Dev".into(),
                committer_email: "dev0@example.com".into(),
                subject: "Change".into(),
            }],
        )
        .await
        .unwrap();

    let events: Vec<NewCodeEvent> = commits.iter().map(commit_event).collect();
    let inserted = store
        .insert_code_events(&org, &repo, &events, T0 + 1)
        .await
        .unwrap();
    assert_eq!(inserted.len(), COMMITS);
    let again = store
        .insert_code_events(&org, &repo, &events[..10], T0 + 2)
        .await
        .unwrap();
    assert!(again.is_empty());

    let attributions: Vec<CommitAttribution> = commits.iter().map(scored).collect();
    let mut batch: Vec<(&Commit, &CommitAttribution)> = commits.iter().zip(&attributions).collect();
    // Commit 7 listed again at the end, with one file fewer: the last listing wins.
    let shorter = commit(7, "Change", &["src/a.rs"]);
    let shorter_attribution = scored(&shorter);
    batch.push((&shorter, &shorter_attribution));
    store
        .record_attributions(&org, &repo, &batch, T0 + 3)
        .await
        .unwrap();

    assert_eq!(
        store.settled_commit_shas(&org, &repo).await.unwrap().len(),
        COMMITS
    );
    let declared = store
        .get_commit(&org, &repo, &commits[10].sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(declared.method, Some(AttributionMethod::Declared));
    assert_eq!(declared.files.len(), 2);
    assert_eq!(declared.ai_lines_added, 8);
    assert_eq!(declared.attributed_at, Some(T0 + 3));
    let last = store
        .get_commit(&org, &repo, &commits[COMMITS - 1].sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.files.len(), 2);
    assert_eq!(last.author_offset_minutes, Some(-300));

    let overridden = store
        .get_commit(&org, &repo, &commits[5].sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(overridden.method, Some(AttributionMethod::ManualOverride));
    assert_eq!(overridden.ai_confidence, Some(1.0));
    assert_eq!(overridden.overridden_by.as_deref(), Some("user-1"));
    assert_eq!(overridden.files.len(), 2);
    for file in &overridden.files {
        assert_eq!(file.method, AttributionMethod::ManualOverride);
        assert_eq!(file.overridden_by.as_deref(), Some("user-1"));
    }

    let was_pending = store
        .get_commit(&org, &repo, &commits[6].sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(was_pending.files.len(), 2);
    assert_eq!(
        was_pending.author_email.as_deref(),
        Some("dev0@example.com")
    );
    let listed_twice = store
        .get_commit(&org, &repo, &commits[7].sha)
        .await
        .unwrap()
        .unwrap();
    let paths: Vec<&str> = listed_twice.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["src/a.rs"]);

    // Recording the same batch again replaces, never duplicates.
    store
        .record_attributions(&org, &repo, &batch, T0 + 4)
        .await
        .unwrap();
    let again = store
        .get_commit(&org, &repo, &commits[10].sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.files.len(), 2);
    assert_eq!(again.attributed_at, Some(T0 + 4));
}

async fn author_dates_and_pull_requests_are_read_in_bulk(store: Store) {
    let org = create_org(&store).await;
    let repo = repository(&store, &org).await;
    let other_repo = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/other".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await
        .unwrap()
        .id;
    let commits: Vec<Commit> = (0..4).map(|i| commit(i, "Change", &["a.rs"])).collect();
    let attributions: Vec<CommitAttribution> = commits.iter().map(scored).collect();
    let batch: Vec<(&Commit, &CommitAttribution)> = commits.iter().zip(&attributions).collect();
    store
        .record_attributions(&org, &repo, &batch, T0)
        .await
        .unwrap();
    store
        .record_attributions(&org, &other_repo, &batch[..1], T0)
        .await
        .unwrap();
    let mut dates = store.commit_author_dates(&org, &repo).await.unwrap();
    dates.sort();
    assert_eq!(
        dates,
        vec![
            ("dev0@example.com".to_string(), T0),
            ("dev0@example.com".to_string(), T0 + 180_000),
            ("dev1@example.com".to_string(), T0 + 60_000),
            ("dev2@example.com".to_string(), T0 + 120_000),
        ]
    );

    let pr = |action, title: &str, at| {
        NewCodeEvent::new(
            CodeEvent {
                occurred_at: at,
                actor: "ada".into(),
                details: CodeEventDetails::PullRequest(PullRequestDetails {
                    action,
                    number: 7,
                    title: title.into(),
                    body: String::new(),
                    author_login: "ada".into(),
                    head_sha: commits[3].sha.clone(),
                    head_branch: "feature".into(),
                    base_branch: "main".into(),
                    opened_at: T0,
                    merged_at: None,
                    closed_at: None,
                    merge_commit_sha: None,
                    additions: 1,
                    deletions: 0,
                }),
            },
            Some(format!("d-{at}")),
        )
    };
    store
        .insert_code_events(
            &org,
            &repo,
            &[
                pr(PrAction::Edited, "Second title", T0 + 2),
                pr(PrAction::Opened, "First title", T0 + 1),
            ],
            T0,
        )
        .await
        .unwrap();
    let prs = store
        .latest_pull_requests_by_sha(&org, &repo)
        .await
        .unwrap();
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[&commits[3].sha].title, "Second title");
    let single = store
        .latest_pull_request_for_sha(&org, &repo, &commits[3].sha)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        single.event.details,
        CodeEventDetails::PullRequest(ref p) if p.title == "Second title"
    ));
    assert!(store
        .latest_pull_requests_by_sha(&org, &other_repo)
        .await
        .unwrap()
        .is_empty());
}

sentinel_store::store_tests!(
    a_history_sized_batch_records_everything_once,
    author_dates_and_pull_requests_are_read_in_bulk,
);
