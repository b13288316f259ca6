//! Engineering metrics on both backends: a day's facts as the metrics rows count them, rows
//! written only by the lock's holder and never duplicated, staleness set by a late
//! attribution, organization settings.
#![allow(clippy::unwrap_used)]

mod incidents_support;

use incidents_support::{error_event, org_with_service, write, T0};
use sentinel_core::clock::Millis;
use sentinel_core::code::{
    AttributionMethod, CodeEvent, CodeEventDetails, Commit, CommitAttribution, DeployDetails,
    FileAttribution, FileChange, FileStatus, GitStamp, Person, PrAction, PullRequestDetails,
    ReviewDetails, ReviewState, RiskTier,
};
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{MetricValues, MetricsSettings, Period, PeriodWindow, Tz};
use sentinel_store::code::{IncidentSuspect, NewCodeEvent, NewRepository};
use sentinel_store::metrics::NewMetricRow;
use sentinel_store::Store;

const H: Millis = 3_600_000;

async fn repo(store: &Store, org: &OrgId) -> RepositoryId {
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

fn sha(n: u32) -> String {
    format!("{n:040x}")
}

/// A commit of `files` (path, tier, added, deleted) attributed with `method` and
/// `confidence`, authored at `at`.
async fn commit(
    store: &Store,
    org: &OrgId,
    repo: &RepositoryId,
    n: u32,
    at: Millis,
    (method, confidence): (AttributionMethod, f64),
    files: &[(&str, RiskTier, u32, u32)],
) {
    let stamp = GitStamp {
        person: Person {
            name: "Dev".into(),
            email: "dev@example.com".into(),
            login: None,
        },
        at_ms: at,
        utc_offset_minutes: 0,
    };
    let commit = Commit {
        sha: sha(n),
        parents: vec![sha(n + 1000)],
        author: stamp.clone(),
        committer: stamp,
        message: format!("change {n}"),
        files: files
            .iter()
            .map(|(path, _, added, deleted)| FileChange {
                path: (*path).into(),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: *added,
                lines_deleted: *deleted,
                binary: false,
                added_lines: Vec::new(),
            })
            .collect(),
    };
    let attribution = CommitAttribution {
        sha: sha(n),
        ai_confidence: confidence,
        method,
        tool: None,
        signals: Vec::new(),
        files: files
            .iter()
            .map(|(path, tier, added, deleted)| FileAttribution {
                path: (*path).into(),
                ai_confidence: confidence,
                method,
                tool: None,
                signals: Vec::new(),
                lines_added: *added,
                lines_deleted: *deleted,
                risk_tier: *tier,
                risk_score: 0.5,
                explanation: String::new(),
                flagged: false,
            })
            .collect(),
    };
    store
        .record_attribution(org, repo, &commit, &attribution, at)
        .await
        .unwrap();
}

fn pr_merged(number: u64, head: &str, opened_at: Millis, merged_at: Millis) -> NewCodeEvent {
    NewCodeEvent::new(
        CodeEvent {
            occurred_at: merged_at,
            actor: "ada".into(),
            details: CodeEventDetails::PullRequest(PullRequestDetails {
                action: PrAction::Merged,
                number,
                title: format!("PR {number}"),
                body: String::new(),
                author_login: "ada".into(),
                head_sha: head.into(),
                head_branch: "feature".into(),
                base_branch: "main".into(),
                opened_at,
                merged_at: Some(merged_at),
                closed_at: Some(merged_at),
                merge_commit_sha: None,
                additions: 0,
                deletions: 0,
            }),
        },
        Some(format!("merged-{number}")),
    )
}

fn review(number: u64, opened_at: Millis, at: Millis) -> NewCodeEvent {
    NewCodeEvent::new(
        CodeEvent {
            occurred_at: at,
            actor: "bob".into(),
            details: CodeEventDetails::Review(ReviewDetails {
                pr_number: number,
                reviewer_login: "bob".into(),
                state: ReviewState::Approved,
                submitted_at: at,
                pr_opened_at: opened_at,
            }),
        },
        Some(format!("review-{number}-{at}")),
    )
}

fn deploy(id: i64, head: &str, at: Millis) -> NewCodeEvent {
    NewCodeEvent::new(
        CodeEvent {
            occurred_at: at,
            actor: "ada".into(),
            details: CodeEventDetails::Deploy(DeployDetails {
                deployment_id: id,
                sha: head.into(),
                environment: "production".into(),
                creator_login: None,
            }),
        },
        Some(format!("deploy-{id}")),
    )
}

fn day(date: &str) -> PeriodWindow {
    PeriodWindow::of_date(Period::Day, date.parse().unwrap(), Tz::UTC).unwrap()
}

async fn a_days_facts_count_classes_reviews_risk_deploys_and_incidents(store: Store) {
    let (org, service) = org_with_service(&store).await;
    let repo = repo(&store, &org).await;
    // 2024-01-01 (T0), then the next day.
    commit(
        &store,
        &org,
        &repo,
        1,
        T0 + H,
        (AttributionMethod::Declared, 0.97),
        &[
            ("src/crypto/keys.rs", RiskTier::T4, 10, 2),
            ("README.md", RiskTier::T1, 3, 0),
        ],
    )
    .await;
    commit(
        &store,
        &org,
        &repo,
        2,
        T0 + 2 * H,
        (AttributionMethod::Heuristic, 0.6),
        &[("src/billing.rs", RiskTier::T3, 5, 0)],
    )
    .await;
    commit(
        &store,
        &org,
        &repo,
        3,
        T0 + 3 * H,
        (AttributionMethod::None, 0.0),
        &[("src/billing.rs", RiskTier::T3, 20, 5)],
    )
    .await;
    commit(
        &store,
        &org,
        &repo,
        4,
        T0 + 25 * H,
        (AttributionMethod::None, 0.0),
        &[("src/auth.rs", RiskTier::T3, 1, 1)],
    )
    .await;
    let events = vec![
        pr_merged(1, &sha(1), T0 + H, T0 + 5 * H),
        review(1, T0 + H, T0 + 3 * H),
        review(1, T0 + H, T0 + 4 * H),
        pr_merged(2, &sha(3), T0, T0 + 2 * H),
        // Merged the next day: not this day's.
        pr_merged(3, &sha(2), T0, T0 + 30 * H),
        deploy(1, &sha(3), T0 + 6 * H),
        deploy(2, &sha(4), T0 + 26 * H),
    ];
    store
        .insert_code_events(&org, &repo, &events, T0)
        .await
        .unwrap();
    let incidents = write(
        &store,
        &[
            error_event(&org, &service, "e1", "fp1", T0 + 7 * H),
            error_event(&org, &service, "e2", "fp2", T0 + 8 * H),
        ],
        T0 + 8 * H,
    )
    .await;
    for (outcome, (commit, confidence)) in incidents.iter().zip([(1, Some(0.97)), (3, None)]) {
        let suspect = IncidentSuspect {
            incident_id: outcome.incident_id.clone().unwrap(),
            repository_id: repo.clone(),
            sha: sha(commit),
            path: "src/billing.rs".into(),
            line: Some(1),
            revision: sha(4),
            reason: "blame".into(),
            author_name: None,
            author_email: None,
            authored_at: None,
            ai_confidence: confidence,
            method: None,
            tool: None,
            found_at: T0 + 9 * H,
        };
        store.set_incident_suspect(&org, &suspect).await.unwrap();
    }

    let window = day("2024-01-01");
    let facts = store
        .metric_facts(&org, &repo, window.starts_at, window.ends_at)
        .await
        .unwrap();
    let v = MetricValues::compute(&facts, 150.0);
    assert_eq!(
        (
            v.commits_human,
            v.commits_ai_declared,
            v.commits_ai_heuristic
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (v.lines_human, v.lines_ai_declared, v.lines_ai_heuristic),
        (25, 15, 5)
    );
    assert_eq!(v.ai_share_by_line, Some(20.0 / 45.0));
    assert_eq!(v.prs_merged, 2);
    // PR 1: first review 2 h after opening, merged after 4 h; PR 2 never reviewed, 2 h.
    assert_eq!(v.first_review_median_hours, Some(2.0));
    assert_eq!(v.merge_median_hours, Some(3.0));
    // Only PR 1's head is AI-written.
    assert_eq!(v.verification_tax_hours, 4.0);
    assert_eq!(v.verification_tax_cost, 600.0);
    assert_eq!(v.high_risk_files, 2);
    assert_eq!(v.deploys, 1);
    assert_eq!((v.incidents, v.ai_incidents), (2, 1));

    // Another organization sees nothing of it.
    let (other, _) = org_with_service(&store).await;
    let none = store
        .metric_facts(&other, &repo, window.starts_at, window.ends_at)
        .await
        .unwrap();
    assert!(none.commits.is_empty() && none.merged_prs.is_empty() && none.deploys == 0);
}

fn row(window: PeriodWindow, commits_human: i64) -> NewMetricRow {
    NewMetricRow {
        window,
        time_zone: "UTC".into(),
        values: MetricValues {
            commits_human,
            ..MetricValues::default()
        },
        hourly_rate: 150.0,
    }
}

async fn rows_are_written_once_per_key_and_only_by_the_locks_holder(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let repo = repo(&store, &org).await;
    let lock = format!("metrics:{repo}");
    let window = day("2024-01-01");
    assert!(store.try_lock(&lock, "holder-a", 60_000, T0).await.unwrap());
    assert!(store
        .write_repo_metrics_fenced(
            &org,
            &repo,
            &[row(window, 1)],
            (&lock, "holder-a"),
            T0,
            T0 + 1
        )
        .await
        .unwrap());
    // A holds on but stops; its lock expires and B takes over and redoes the row.
    assert!(!store
        .try_lock(&lock, "holder-b", 60_000, T0 + 59_999)
        .await
        .unwrap());
    assert!(store
        .try_lock(&lock, "holder-b", 60_000, T0 + 60_000)
        .await
        .unwrap());
    assert!(store
        .write_repo_metrics_fenced(
            &org,
            &repo,
            &[row(window, 2)],
            (&lock, "holder-b"),
            T0,
            T0 + 60_001
        )
        .await
        .unwrap());
    // A wakes up late: its write is refused and changes nothing.
    assert!(!store
        .write_repo_metrics_fenced(
            &org,
            &repo,
            &[row(window, 9)],
            (&lock, "holder-a"),
            T0,
            T0 + 60_002
        )
        .await
        .unwrap());
    // Nor can A release B's lock.
    assert!(!store.unlock(&lock, "holder-a").await.unwrap());
    let rows = store
        .list_repo_metrics(&org, &repo, Period::Day, "2024-01-01", "2024-01-31")
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].values.commits_human, 2);
    assert_eq!(rows[0].starts_at, T0);
    assert!(!rows[0].stale);
    assert!(store.unlock(&lock, "holder-b").await.unwrap());
    let (other, _) = org_with_service(&store).await;
    assert!(store
        .list_repo_metrics(&other, &repo, Period::Day, "2024-01-01", "2024-01-31")
        .await
        .unwrap()
        .is_empty());
}

async fn a_late_attribution_marks_its_days_rows_stale(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let repo = repo(&store, &org).await;
    let lock = "metrics:stale";
    assert!(store.try_lock(lock, "t", 100 * H, T0).await.unwrap());
    let day1 = day("2024-01-01");
    let day2 = day("2024-01-02");
    let week = PeriodWindow::of_date(Period::Week, "2024-01-01".parse().unwrap(), Tz::UTC).unwrap();
    store
        .write_repo_metrics_fenced(
            &org,
            &repo,
            &[row(day1, 0), row(day2, 0), row(week, 0)],
            (lock, "t"),
            T0,
            T0,
        )
        .await
        .unwrap();
    commit(
        &store,
        &org,
        &repo,
        7,
        T0 + 30 * H,
        (AttributionMethod::None, 0.0),
        &[("a.rs", RiskTier::T2, 1, 0)],
    )
    .await;
    let stale = store.stale_repo_metrics(&org, &repo, 10).await.unwrap();
    let keys: Vec<(Period, &str)> = stale.iter().map(|k| (k.period, k.date.as_str())).collect();
    assert_eq!(
        keys,
        vec![(Period::Week, "2024-01-01"), (Period::Day, "2024-01-02")]
    );
    // Recomputed after the mark, the row is fresh; a mark made during the computation stays.
    store
        .write_repo_metrics_fenced(
            &org,
            &repo,
            &[row(day2, 1)],
            (lock, "t"),
            T0 + 30 * H + 1,
            T0 + 31 * H,
        )
        .await
        .unwrap();
    store
        .write_repo_metrics_fenced(&org, &repo, &[row(week, 1)], (lock, "t"), T0, T0 + 31 * H)
        .await
        .unwrap();
    let stale = store.stale_repo_metrics(&org, &repo, 10).await.unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0].period, Period::Week);
}

async fn saturation_and_survival_land_on_their_rows_and_settings_round_trip(store: Store) {
    let (org, _) = org_with_service(&store).await;
    let repo = repo(&store, &org).await;
    let window = day("2024-01-01");
    store
        .set_review_saturation(&org, &repo, &window, "UTC", Some(0.9), T0)
        .await
        .unwrap();
    let row = store
        .get_repo_metric(&org, &repo, Period::Day, "2024-01-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.review_saturation, Some(0.9));
    // A day first created by a saturation reading waits for the metrics job.
    assert!(row.stale);
    store
        .set_review_saturation(&org, &repo, &window, "UTC", Some(0.5), T0 + H)
        .await
        .unwrap();
    let week = PeriodWindow::of_date(Period::Week, "2024-01-01".parse().unwrap(), Tz::UTC).unwrap();
    store
        .set_line_survival(&org, &repo, &week, "UTC", (Some(0.4), Some(0.8)), T0)
        .await
        .unwrap();
    let day_row = store
        .get_repo_metric(&org, &repo, Period::Day, "2024-01-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(day_row.review_saturation, Some(0.5));
    let week_row = store
        .get_repo_metric(&org, &repo, Period::Week, "2024-01-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (week_row.survival_ai, week_row.survival_human),
        (Some(0.4), Some(0.8))
    );

    assert_eq!(
        store.get_metrics_settings(&org).await.unwrap(),
        MetricsSettings::default()
    );
    let berlin = MetricsSettings {
        time_zone: "Europe/Berlin".into(),
        hourly_rate: 90.0,
        ..MetricsSettings::default()
    };
    store.set_metrics_settings(&org, &berlin).await.unwrap();
    assert_eq!(store.get_metrics_settings(&org).await.unwrap(), berlin);
}

sentinel_store::store_tests!(
    a_days_facts_count_classes_reviews_risk_deploys_and_incidents,
    rows_are_written_once_per_key_and_only_by_the_locks_holder,
    a_late_attribution_marks_its_days_rows_stale,
    saturation_and_survival_land_on_their_rows_and_settings_round_trip,
);
