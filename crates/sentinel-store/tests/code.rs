//! The code store on both backends: installations, repositories, webhook deliveries, the
//! code-event feed, commits and their attribution, the overview.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{create_org, T0};
use sentinel_core::code::RiskTier;
use sentinel_store::code::{
    ClaimInstallationError, GithubRepository, InstallationUpsert, NewRepository, RepositoryPatch,
    RepositorySettings, RiskPattern,
};
use sentinel_store::{Store, StoreError};

fn installation(github_id: i64) -> InstallationUpsert {
    InstallationUpsert {
        github_id,
        account_login: "Codertocat".into(),
        account_type: "User".into(),
        suspended: false,
    }
}

async fn installations_are_claimed_once_and_removal_detaches(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let created = store
        .upsert_installation(&installation(957387), T0)
        .await
        .unwrap();
    assert_eq!(created.org_id, None);
    assert_eq!(store.list_unclaimed_installations().await.unwrap().len(), 1);

    let claimed = store
        .claim_installation(957387, &org, T0 + 1)
        .await
        .unwrap();
    assert_eq!(claimed.org_id.as_ref(), Some(&org));
    assert_eq!(claimed.claimed_at, Some(T0 + 1));
    // Claiming again keeps the first claim time; another organization is refused.
    let again = store
        .claim_installation(957387, &org, T0 + 2)
        .await
        .unwrap();
    assert_eq!(again.claimed_at, Some(T0 + 1));
    assert!(matches!(
        store.claim_installation(957387, &other, T0 + 3).await,
        Err(ClaimInstallationError::ClaimedByAnother)
    ));
    assert!(matches!(
        store.claim_installation(1, &org, T0).await,
        Err(ClaimInstallationError::NotFound)
    ));
    assert!(store
        .list_unclaimed_installations()
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_installations(&other).await.unwrap().is_empty());

    let repos = store
        .attach_installation_repositories(
            &org,
            957387,
            &[GithubRepository {
                github_id: 1296269,
                full_name: "Codertocat/Hello-World".into(),
                default_branch: "main".into(),
            }],
            T0 + 4,
        )
        .await
        .unwrap();
    assert_eq!(repos[0].installation_id, Some(957387));
    assert!(store.remove_installation(957387, T0 + 5).await.unwrap());
    let found = store.find_installation(957387).await.unwrap().unwrap();
    assert!(found.deleted);
    let repo = store
        .get_repository(&org, &repos[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(repo.installation_id, None);
    // A re-installation is live again and keeps its claim.
    let back = store
        .upsert_installation(&installation(957387), T0 + 6)
        .await
        .unwrap();
    assert!(!back.deleted);
    assert_eq!(back.org_id.as_ref(), Some(&org));
}

async fn repositories_are_org_scoped_paged_and_patched(store: Store) {
    let org = create_org(&store).await;
    let other = create_org(&store).await;
    let mut ids = Vec::new();
    for name in ["acme/c", "acme/a", "acme/b"] {
        let repo = store
            .create_repository(
                &org,
                &NewRepository {
                    full_name: name.into(),
                    default_branch: "main".into(),
                    ..NewRepository::default()
                },
                T0,
            )
            .await
            .unwrap();
        ids.push(repo.id);
    }
    let duplicate = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/a".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            T0,
        )
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));

    let first = store.list_repositories(&org, None, 2).await.unwrap();
    let names: Vec<_> = first.items.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names, ["acme/a", "acme/b"]);
    let rest = store
        .list_repositories(&org, first.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].full_name, "acme/c");
    assert_eq!(rest.next_cursor, None);
    assert!(store.list_repositories(&org, Some("zz"), 2).await.is_err());

    // Another organization sees and changes nothing.
    assert!(store
        .list_repositories(&other, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .get_repository(&other, &ids[0])
        .await
        .unwrap()
        .is_none());
    assert!(store
        .update_repository(&other, &ids[0], &RepositoryPatch::default(), T0)
        .await
        .unwrap()
        .is_none());

    let settings = RepositorySettings {
        risk_patterns: vec![RiskPattern {
            pattern: "src/billing/**".into(),
            tier: RiskTier::T3,
        }],
        test_command: vec!["pytest".into(), "-q".into(), "{test}".into()],
    };
    let patched = store
        .update_repository(
            &org,
            &ids[0],
            &RepositoryPatch {
                clone_path: Some(Some("/srv/acme-c".into())),
                settings: Some(settings.clone()),
                ..RepositoryPatch::default()
            },
            T0 + 1,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(patched.clone_path.as_deref(), Some("/srv/acme-c"));
    assert_eq!(patched.settings, settings);
    assert_eq!(patched.default_branch, "main");
    let cleared = store
        .update_repository(
            &org,
            &ids[0],
            &RepositoryPatch {
                clone_path: Some(None),
                ..RepositoryPatch::default()
            },
            T0 + 2,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.clone_path, None);
    assert_eq!(cleared.settings, settings);

    // An installation adopts a hand-added repository by full name.
    let adopted = store
        .attach_installation_repositories(
            &org,
            7,
            &[GithubRepository {
                github_id: 42,
                full_name: "acme/b".into(),
                default_branch: "trunk".into(),
            }],
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(adopted[0].id, ids[2]);
    let by_github = store
        .get_repository_by_github_id(&org, 42)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_github.default_branch, "trunk");
    assert!(store
        .get_repository_by_github_id(&other, 42)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .detach_installation_repositories(7, &[42], T0 + 4)
            .await
            .unwrap(),
        1
    );
    let by_name = store
        .get_repository_by_full_name(&org, "acme/b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.installation_id, None);
}

mod rows {
    //! Deliveries, the feed, commits and their attribution.
    use super::*;
    use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
    use sentinel_core::code::{
        CodeEvent, CodeEventDetails, CodeEventKind, Commit, CommitRef, DeployDetails, FileChange,
        FileStatus, GitStamp, Person,
    };
    use sentinel_store::code::{
        CodeEventFilter, CommitOverride, CommitStatus, DeliveryOutcome, DeliveryStatus, FileRisk,
        NewCodeEvent, NewDelivery, PathCount, PendingCommit,
    };
    use sentinel_store::jobs::NewJob;

    fn person(name: &str, email: &str) -> Person {
        Person {
            name: name.into(),
            email: email.into(),
            login: None,
        }
    }

    pub(super) fn commit(sha: &str, at: i64, message: &str, files: &[(&str, u32)]) -> Commit {
        let stamp = GitStamp {
            person: person("Ada", "ada@example.com"),
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

    async fn repo(
        store: &Store,
        org: &sentinel_core::id::OrgId,
    ) -> sentinel_core::id::RepositoryId {
        store
            .create_repository(
                org,
                &NewRepository {
                    full_name: "acme/app".into(),
                    default_branch: "main".into(),
                    ..NewRepository::default()
                },
                T0,
            )
            .await
            .unwrap()
            .id
    }

    pub(super) async fn a_delivery_is_stored_once_with_its_job(store: Store) {
        let delivery = NewDelivery {
            delivery_id: "d-1".into(),
            event: "push".into(),
            installation_id: Some(7),
            org_id: None,
            payload: vec![1, 2, 3],
        };
        let job = NewJob::new("github.delivery", serde_json::json!({"delivery_id": "d-1"}));
        let first = store
            .record_webhook_delivery(&delivery, Some(&job), T0)
            .await
            .unwrap();
        assert_eq!(first, DeliveryOutcome::Recorded);
        let before = store.job_counts().await.unwrap();
        let again = store
            .record_webhook_delivery(&delivery, Some(&job), T0 + 5)
            .await
            .unwrap();
        assert_eq!(again, DeliveryOutcome::Duplicate);
        assert_eq!(store.job_counts().await.unwrap(), before);
        assert_eq!(store.count_webhook_deliveries().await.unwrap(), 1);
        let stored = store.get_webhook_delivery("d-1").await.unwrap().unwrap();
        assert_eq!(stored.payload, vec![1, 2, 3]);
        assert_eq!(stored.received_at, T0);
        assert_eq!(stored.status, DeliveryStatus::Pending);
        let org = create_org(&store).await;
        assert!(store
            .mark_webhook_delivery("d-1", DeliveryStatus::Processed, None, Some(&org), T0 + 9)
            .await
            .unwrap());
        let done = store.get_webhook_delivery("d-1").await.unwrap().unwrap();
        assert_eq!(done.status, DeliveryStatus::Processed);
        assert_eq!(done.processed_at, Some(T0 + 9));
        assert_eq!(done.org_id, Some(org));
        assert!(store.get_webhook_delivery("d-2").await.unwrap().is_none());
    }

    fn push_event(sha: &str, at: i64, actor: &str) -> CodeEvent {
        CodeEvent {
            occurred_at: at,
            actor: actor.into(),
            details: CodeEventDetails::Commit(CommitRef {
                sha: sha.into(),
                branch: Some("main".into()),
                distinct: true,
                forced: false,
                message: "change".into(),
                author: GitStamp {
                    person: person("Ada", "ada@example.com"),
                    at_ms: at,
                    utc_offset_minutes: 0,
                },
                committer: person("Ada", "ada@example.com"),
                url: None,
            }),
        }
    }

    pub(super) async fn the_feed_is_idempotent_filtered_and_paged(store: Store) {
        let org = create_org(&store).await;
        let other = create_org(&store).await;
        let repo = repo(&store, &org).await;
        let events: Vec<NewCodeEvent> = (0..5)
            .map(|i| {
                NewCodeEvent::new(
                    push_event(
                        &format!("{i:040}"),
                        T0 + i * 1000,
                        if i % 2 == 0 { "ada" } else { "bob" },
                    ),
                    Some("d-1".into()),
                )
            })
            .collect();
        let deploy = NewCodeEvent::new(
            CodeEvent {
                occurred_at: T0 + 10_000,
                actor: "ada".into(),
                details: CodeEventDetails::Deploy(DeployDetails {
                    deployment_id: 9,
                    sha: format!("{:040}", 4),
                    environment: "production".into(),
                    creator_login: None,
                }),
            },
            Some("d-2".into()),
        );
        let mut all = events.clone();
        all.push(deploy.clone());
        assert_eq!(
            store
                .insert_code_events(&org, &repo, &all, T0)
                .await
                .unwrap()
                .len(),
            6
        );
        // The same commits from another delivery, and the same deploy again: nothing new.
        let again: Vec<NewCodeEvent> = events
            .iter()
            .map(|e| NewCodeEvent::new(e.event.clone(), Some("d-3".into())))
            .chain([deploy])
            .collect();
        assert!(store
            .insert_code_events(&org, &repo, &again, T0)
            .await
            .unwrap()
            .is_empty());

        let page = store
            .list_code_events(&org, &repo, &CodeEventFilter::default(), None, 4)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 4);
        assert_eq!(page.items[0].kind, CodeEventKind::Deploy);
        let rest = store
            .list_code_events(
                &org,
                &repo,
                &CodeEventFilter::default(),
                page.next_cursor.as_deref(),
                4,
            )
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 2);
        assert!(rest.next_cursor.is_none());
        assert_eq!(rest.items[1].event.occurred_at, T0);

        let bobs = CodeEventFilter {
            author: Some("bob".into()),
            kind: Some(CodeEventKind::Commit),
            ai: None,
        };
        let page = store
            .list_code_events(&org, &repo, &bobs, None, 50)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        let id = page.items[0].id.clone();
        assert!(store.get_code_event(&org, &id).await.unwrap().is_some());
        assert!(store.get_code_event(&other, &id).await.unwrap().is_none());

        // The AI filter reads the commits' attribution.
        let declared = commit(
            &format!("{:040}", 1),
            T0 + 1000,
            "change\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            &[("src/a.rs", 3)],
        );
        let attribution = attribute(
            &declared,
            &AttributionContext::default(),
            &RiskRules::default(),
        );
        store
            .record_attribution(&org, &repo, &declared, &attribution, T0)
            .await
            .unwrap();
        let ai = CodeEventFilter {
            ai: Some(true),
            ..CodeEventFilter::default()
        };
        let page = store
            .list_code_events(&org, &repo, &ai, None, 50)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].event.sha(), Some(declared.sha.as_str()));

        let previous = store
            .previous_deploy(&org, &repo, "production", T0 + 20_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(previous.kind, CodeEventKind::Deploy);
        assert!(store
            .previous_deploy(&org, &repo, "production", T0)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            store
                .list_code_events(&org, &repo, &CodeEventFilter::default(), Some("zz"), 4)
                .await,
            Err(sentinel_store::code::ListError::InvalidCursor(_))
        ));
    }

    pub(super) async fn ignored_installation_deliveries_are_queued_again(store: Store) {
        let delivery = |id: &str, event: &str, installation: i64| NewDelivery {
            delivery_id: id.into(),
            event: event.into(),
            installation_id: Some(installation),
            org_id: None,
            payload: vec![1],
        };
        for (id, event, installation, at) in [
            ("i-2", "installation_repositories", 7, T0 + 2),
            ("i-1", "installation", 7, T0 + 1),
            ("p-1", "push", 7, T0 + 3),
            ("o-1", "installation", 8, T0 + 4),
        ] {
            store
                .record_webhook_delivery(&delivery(id, event, installation), None, at)
                .await
                .unwrap();
            store
                .mark_webhook_delivery(id, DeliveryStatus::Ignored, None, None, at)
                .await
                .unwrap();
        }
        let before = store.job_counts().await.unwrap().available;
        let queued = store
            .requeue_ignored_installation_deliveries(
                7,
                |id| NewJob::new("github.delivery", serde_json::json!({"delivery_id": id})),
                T0 + 10,
            )
            .await
            .unwrap();
        assert_eq!(
            queued, 2,
            "the push and the other installation stay as they are"
        );
        assert_eq!(store.job_counts().await.unwrap().available, before + 2);
        for (id, status) in [
            ("i-1", DeliveryStatus::Pending),
            ("i-2", DeliveryStatus::Pending),
            ("p-1", DeliveryStatus::Ignored),
            ("o-1", DeliveryStatus::Ignored),
        ] {
            let stored = store.get_webhook_delivery(id).await.unwrap().unwrap();
            assert_eq!(stored.status, status, "{id}");
        }
        // Nothing is ignored any more: a second call queues nothing.
        let again = store
            .requeue_ignored_installation_deliveries(
                7,
                |id| NewJob::new("github.delivery", serde_json::json!({"delivery_id": id})),
                T0 + 11,
            )
            .await
            .unwrap();
        assert_eq!(again, 0);
    }

    pub(super) async fn commits_go_from_pending_to_attributed_and_keep_overrides(store: Store) {
        let org = create_org(&store).await;
        let repo = repo(&store, &org).await;
        let sha = "a".repeat(40);
        let pending = PendingCommit {
            sha: sha.clone(),
            author_name: "Ada".into(),
            author_email: "ada@example.com".into(),
            authored_at: T0,
            author_offset_minutes: 60,
            committer_name: "Ada".into(),
            committer_email: "ada@example.com".into(),
            subject: "change".into(),
        };
        assert_eq!(
            store
                .upsert_pending_commits(&org, &repo, std::slice::from_ref(&pending))
                .await
                .unwrap(),
            vec![sha.clone()]
        );
        assert!(store
            .upsert_pending_commits(&org, &repo, &[pending])
            .await
            .unwrap()
            .is_empty());
        let stored = store.get_commit(&org, &repo, &sha).await.unwrap().unwrap();
        assert_eq!(stored.status, CommitStatus::Pending);
        assert!(store
            .settled_commit_shas(&org, &repo)
            .await
            .unwrap()
            .is_empty());

        let content = commit(
            &sha,
            T0,
            "Add auth\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            &[("src/auth/session.rs", 40), ("README.md", 2)],
        );
        let attribution = attribute(
            &content,
            &AttributionContext::default(),
            &RiskRules::default(),
        );
        store
            .record_attribution(&org, &repo, &content, &attribution, T0 + 1)
            .await
            .unwrap();
        let stored = store
            .get_commit(&org, &repo, &sha[..10])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, CommitStatus::Attributed);
        assert_eq!(stored.author_offset_minutes, Some(120));
        assert_eq!(stored.lines_added, 42);
        assert_eq!(stored.ai_lines_added, 42);
        assert_eq!(stored.files.len(), 2);
        assert_eq!(stored.files[1].path, "src/auth/session.rs");
        assert!(stored.files[1].risk_tier.is_high());
        assert_eq!(stored.tool.map(|t| t.as_str()), Some("claude"));
        assert!(store
            .settled_commit_shas(&org, &repo)
            .await
            .unwrap()
            .contains(&sha));

        // A person says it was theirs; a later automatic run keeps the verdict.
        let verdict = CommitOverride {
            ai_confidence: 0.0,
            tool: None,
            by: "user-1".into(),
            note: Some("pair-programmed, no tool".into()),
            file_risks: vec![FileRisk {
                path: "src/auth/session.rs".into(),
                risk_tier: RiskTier::T2,
                risk_score: 0.3,
                explanation: "reassessed".into(),
                flagged: false,
            }],
        };
        let overridden = store
            .override_commit_attribution(&org, &repo, &sha, &verdict, T0 + 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(overridden.ai_lines_added, 0);
        assert_eq!(overridden.overridden_by.as_deref(), Some("user-1"));
        assert_eq!(overridden.overridden_at, Some(T0 + 2));
        assert_eq!(
            overridden.override_note.as_deref(),
            Some("pair-programmed, no tool")
        );
        assert_eq!(overridden.files[1].risk_tier, RiskTier::T2);
        assert!(!overridden.files[1].flagged);
        store
            .record_attribution(&org, &repo, &content, &attribution, T0 + 3)
            .await
            .unwrap();
        let kept = store.get_commit(&org, &repo, &sha).await.unwrap().unwrap();
        assert_eq!(kept.ai_confidence, Some(0.0));
        assert_eq!(kept.files[0].overridden_by.as_deref(), Some("user-1"));
        assert_eq!(kept.files[0].ai_confidence, 0.0);
        assert_eq!(kept.method.map(|m| m.as_str()), Some("manual_override"));
        assert_eq!(
            kept.override_note.as_deref(),
            Some("pair-programmed, no tool")
        );
        assert_eq!(kept.ai_lines_added, 0);
        // The risk assessed with the verdict survives the automatic run too.
        assert_eq!(kept.files[1].risk_tier, RiskTier::T2);
        assert_eq!(kept.files[1].explanation, "reassessed");
        assert_eq!(kept.files[1].method.as_str(), "manual_override");
        assert_eq!(kept.files.len(), 2);
        // A commit that is not attributed cannot be overridden.
        assert!(store
            .override_commit_attribution(&org, &repo, &"c".repeat(40), &verdict, T0 + 4)
            .await
            .unwrap()
            .is_none());

        let summaries = store
            .commit_summaries(&org, &repo, &[sha.as_str(), "f".repeat(40).as_str()])
            .await
            .unwrap();
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].ai_confidence, Some(0.0));
        assert_eq!(summaries[0].status, CommitStatus::Attributed);
        assert_eq!(summaries[0].lines_added, 42);
        let other_org = create_org(&store).await;
        assert!(store
            .commit_summaries(&other_org, &repo, &[sha.as_str()])
            .await
            .unwrap()
            .is_empty());

        assert_eq!(
            store
                .last_commit_by_author(&org, &repo, "ada@example.com", T0 + 1)
                .await
                .unwrap(),
            Some(T0)
        );
        assert_eq!(
            store
                .last_commit_by_author(&org, &repo, "ada@example.com", T0)
                .await
                .unwrap(),
            None
        );
        let gone = "b".repeat(40);
        store
            .mark_commit_unavailable(&org, &repo, &gone, "force-pushed away", T0)
            .await
            .unwrap();
        let unavailable = store.get_commit(&org, &repo, &gone).await.unwrap().unwrap();
        assert_eq!(unavailable.status, CommitStatus::Unavailable);
        // An attributed commit is not turned unavailable.
        store
            .mark_commit_unavailable(&org, &repo, &sha, "gone", T0)
            .await
            .unwrap();
        let still = store.get_commit(&org, &repo, &sha).await.unwrap().unwrap();
        assert_eq!(still.status, CommitStatus::Attributed);
        let other = create_org(&store).await;
        assert!(store
            .get_commit(&other, &repo, &sha)
            .await
            .unwrap()
            .is_none());
    }

    pub(super) async fn the_overview_and_high_risk_files_read_attributions(store: Store) {
        let org = create_org(&store).await;
        let repo = repo(&store, &org).await;
        let day = 86_400_000;
        let commits = [
            commit(
                &"1".repeat(40),
                T0,
                "human work",
                &[("src/auth/login.rs", 10)],
            ),
            commit(
                &"2".repeat(40),
                T0 + 60_000,
                "ai work\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
                &[("src/auth/login.rs", 30), ("docs/x.md", 5)],
            ),
            commit(&"3".repeat(40), T0 + day, "later", &[("src/util.rs", 5)]),
        ];
        let attributions: Vec<_> = commits
            .iter()
            .map(|c| attribute(c, &AttributionContext::default(), &RiskRules::default()))
            .collect();
        let batch: Vec<_> = commits.iter().zip(attributions.iter()).collect();
        store
            .record_attributions(&org, &repo, &batch, T0)
            .await
            .unwrap();

        let overview = store
            .repository_overview(&org, &repo, T0, T0 + 2 * day)
            .await
            .unwrap();
        assert_eq!(overview.commits, 3);
        assert_eq!(overview.ai_commits, 1);
        assert_eq!(overview.lines_added, 50);
        assert_eq!(overview.ai_lines_added, 35);
        assert!((overview.ai_share_by_line() - 0.7).abs() < 1e-9);
        assert_eq!(overview.days.len(), 2);
        assert_eq!(overview.days[0].commits, 2);
        assert_eq!(overview.tools.len(), 1);
        assert_eq!(overview.tools[0].commits, 1);
        assert_eq!(overview.high_risk_files, 1);
        let first_day = store
            .repository_overview(&org, &repo, T0, T0 + day)
            .await
            .unwrap();
        assert_eq!(first_day.commits, 2);
        // A range ending one millisecond after the first commit, and one starting just after.
        let first_ms = store
            .repository_overview(&org, &repo, T0, T0 + 1)
            .await
            .unwrap();
        assert_eq!(first_ms.commits, 1);
        assert_eq!(first_ms.high_risk_files, 1);
        let after = store
            .repository_overview(&org, &repo, T0 + 1, T0 + 60_000)
            .await
            .unwrap();
        assert_eq!(after.commits, 0);
        // Both ways of counting high-risk paths agree, over every range.
        for (from, to) in [
            (T0, T0 + 2 * day),
            (T0, T0 + 1),
            (T0 + 1, T0 + 60_000),
            (0, T0 + 9 * day),
        ] {
            let mut counts = Vec::new();
            for how in [
                None,
                Some(PathCount::OverRange),
                Some(PathCount::PathByPath),
            ] {
                counts.push(
                    store
                        .count_high_risk_paths(&org, &repo, from, to, how)
                        .await
                        .unwrap(),
                );
            }
            assert!(
                counts.iter().all(|c| *c == counts[0]),
                "{from}..{to}: {counts:?}"
            );
        }
        assert_eq!(
            store
                .count_high_risk_paths(&org, &repo, 0, T0 + 9 * day, Some(PathCount::PathByPath))
                .await
                .unwrap(),
            1
        );
        let other = create_org(&store).await;
        assert_eq!(
            store
                .count_high_risk_paths(&other, &repo, 0, T0 + 9 * day, Some(PathCount::PathByPath))
                .await
                .unwrap(),
            0
        );

        let files = store
            .list_high_risk_files(&org, &repo, None, 50)
            .await
            .unwrap();
        assert_eq!(files.items.len(), 1);
        assert_eq!(files.items[0].latest.path, "src/auth/login.rs");
        assert_eq!(files.items[0].latest.sha, "2".repeat(40));
        assert_eq!(files.items[0].changes, 2);

        // Three AI commits on distinct high-risk paths, a day apart; a path changed twice.
        let trailer = "x\n\nCo-Authored-By: Claude <noreply@anthropic.com>";
        let spread = [
            commit(
                &"a1".repeat(20),
                T0 + 10 * day,
                trailer,
                &[("src/auth/a.rs", 1), ("src/billing/b.rs", 1)],
            ),
            commit(
                &"a2".repeat(20),
                T0 + 11 * day,
                trailer,
                &[("src/auth/a.rs", 1), ("docs/n.md", 1)],
            ),
            commit(
                &"a3".repeat(20),
                T0 + 12 * day,
                trailer,
                &[("src/billing/c.rs", 1)],
            ),
        ];
        let attributions: Vec<_> = spread
            .iter()
            .map(|c| attribute(c, &AttributionContext::default(), &RiskRules::default()))
            .collect();
        let batch: Vec<_> = spread.iter().zip(attributions.iter()).collect();
        store
            .record_attributions(&org, &repo, &batch, T0)
            .await
            .unwrap();
        for (from, to, expected) in [
            (T0 + 10 * day, T0 + 11 * day, 2),
            (T0 + 11 * day, T0 + 12 * day, 1),
            (T0 + 10 * day, T0 + 13 * day, 3),
            (T0 + 12 * day + 1, T0 + 13 * day, 0),
            (0, T0 + 13 * day, 4),
        ] {
            for how in [
                Some(PathCount::OverRange),
                Some(PathCount::PathByPath),
                None,
            ] {
                let counted = store
                    .count_high_risk_paths(&org, &repo, from, to, how)
                    .await
                    .unwrap();
                assert_eq!(counted, expected, "{how:?} over {from}..{to}");
            }
        }
    }
}

use rows::{
    a_delivery_is_stored_once_with_its_job,
    commits_go_from_pending_to_attributed_and_keep_overrides,
    ignored_installation_deliveries_are_queued_again, the_feed_is_idempotent_filtered_and_paged,
    the_overview_and_high_risk_files_read_attributions,
};

sentinel_store::store_tests!(
    installations_are_claimed_once_and_removal_detaches,
    repositories_are_org_scoped_paged_and_patched,
    a_delivery_is_stored_once_with_its_job,
    ignored_installation_deliveries_are_queued_again,
    the_feed_is_idempotent_filtered_and_paged,
    commits_go_from_pending_to_attributed_and_keep_overrides,
    the_overview_and_high_risk_files_read_attributions,
);
