//! The metrics runs on both backends: a holder abandoned mid-run leaves its lock to expire,
//! the next run (another node) redoes the work with no duplicate rows, and the abandoned
//! holder's late write is refused; recomputing twice gives the same rows; the daily job
//! computes a finished day once and recomputes a day a late attribution made stale.
#![allow(clippy::unwrap_used)]

mod support;

use sentinel_core::alerting::RuleEngine;
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::clock::Millis;
use sentinel_core::code::{Commit, FileChange, FileStatus, GitStamp, Person};
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_core::metrics::{MetricsSettings, NaiveDate, Period, PeriodWindow, Tz};
use sentinel_jobs::metrics::{
    recompute, run_daily_metrics, MetricsRun, RunOutcome, Step, LOCK_TTL_MS,
};
use sentinel_store::code::NewRepository;
use sentinel_store::metrics::RepoMetricRow;
use sentinel_store::tenancy::NewOrganization;
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use support::second_store;

/// 2023-08-01T00:00Z.
const DAY0: Millis = 1_690_848_000_000;
const DAY: Millis = 86_400_000;
const DAYS: i64 = 100;

async fn org_and_repo(store: &Store) -> (OrgId, RepositoryId) {
    let slug = format!("o-{}", ulid::Ulid::new().to_string().to_lowercase());
    let org = store
        .create_organization(
            &NewOrganization {
                slug: slug.clone(),
                name: slug,
            },
            DAY0,
        )
        .await
        .unwrap();
    let repo = store
        .create_repository(
            &org.id,
            &NewRepository {
                full_name: "acme/app".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            DAY0,
        )
        .await
        .unwrap();
    (org.id, repo.id)
}

fn commit(n: i64, at: Millis) -> Commit {
    let stamp = GitStamp {
        person: Person {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            login: None,
        },
        at_ms: at,
        utc_offset_minutes: 0,
    };
    let message = if n % 3 == 0 {
        format!("change {n}\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    } else {
        format!("change {n}")
    };
    Commit {
        sha: format!("{n:040x}"),
        parents: vec![format!("{:040x}", n + 100_000)],
        author: stamp.clone(),
        committer: stamp,
        message,
        files: vec![FileChange {
            path: if n % 2 == 0 {
                "src/auth/session.rs".into()
            } else {
                "src/util.rs".into()
            },
            previous_path: None,
            status: FileStatus::Modified,
            lines_added: 10 + n as u32 % 7,
            lines_deleted: 2,
            binary: false,
            added_lines: Vec::new(),
        }],
    }
}

/// Two commits a day from DAY0 for `DAYS` days.
async fn seed(store: &Store, org: &OrgId, repo: &RepositoryId) {
    let commits: Vec<Commit> = (0..DAYS * 2)
        .map(|n| commit(n, DAY0 + n * DAY / 2 + 3_600_000))
        .collect();
    let attributions: Vec<_> = commits
        .iter()
        .map(|c| attribute(c, &AttributionContext::default(), &RiskRules::default()))
        .collect();
    let batch: Vec<_> = commits.iter().zip(attributions.iter()).collect();
    store
        .record_attributions(org, repo, &batch, DAY0)
        .await
        .unwrap();
}

fn days() -> Vec<PeriodWindow> {
    let first = NaiveDate::from_ymd_opt(2023, 8, 1).unwrap();
    let last = first
        .checked_add_days(sentinel_core::metrics::Days::new(DAYS as u64 - 1))
        .unwrap();
    PeriodWindow::covering(Period::Day, first, last, Tz::UTC).unwrap()
}

async fn rows(
    store: &Store,
    org: &OrgId,
    repo: &RepositoryId,
    period: Period,
) -> Vec<RepoMetricRow> {
    store
        .list_repo_metrics(org, repo, period, "2000-01-01", "2100-01-01")
        .await
        .unwrap()
}

/// Rows without the time they were computed at.
fn comparable(rows: Vec<RepoMetricRow>) -> Vec<RepoMetricRow> {
    rows.into_iter()
        .map(|r| RepoMetricRow {
            computed_at: 0,
            ..r
        })
        .collect()
}

async fn an_abandoned_holder_is_taken_over_after_its_lock_expires(test: TestStore) {
    let node_a = test.store.clone();
    let node_b = second_store(&test).await;
    let (org, repo) = org_and_repo(&node_a).await;
    seed(&node_a, &org, &repo).await;
    let settings = MetricsSettings::default();
    let now = DAY0 + 200 * DAY;

    // A starts, writes one chunk of the hundred days, then stops without releasing.
    let mut a = MetricsRun::start(&node_a, &org, &repo, &settings, days(), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.step(now).await.unwrap(), Step::More);
    let partial = rows(&node_a, &org, &repo, Period::Day).await.len();
    assert!(partial > 0 && partial < DAYS as usize, "{partial}");

    // B, on another node, finds the lock held until it expires.
    assert!(
        MetricsRun::start(&node_b, &org, &repo, &settings, days(), now + 1)
            .await
            .unwrap()
            .is_none()
    );
    let later = now + LOCK_TTL_MS;
    let b = MetricsRun::start(&node_b, &org, &repo, &settings, days(), later)
        .await
        .unwrap()
        .unwrap();
    let outcome = b.run_to_end(|| later).await.unwrap();
    assert_eq!(
        outcome,
        RunOutcome::Completed {
            written: DAYS as usize
        }
    );

    // A comes back: its next write is refused and nothing changes.
    let before = comparable(rows(&node_a, &org, &repo, Period::Day).await);
    assert_eq!(a.step(later + 1).await.unwrap(), Step::LostLock);
    let after = comparable(rows(&node_a, &org, &repo, Period::Day).await);
    assert_eq!(before, after);
    assert_eq!(after.len(), DAYS as usize, "one row per day, none twice");
    let commits: i64 = after
        .iter()
        .map(|r| {
            r.values.commits_human + r.values.commits_ai_declared + r.values.commits_ai_heuristic
        })
        .sum();
    assert_eq!(commits, DAYS * 2);
    assert!(after.iter().all(|r| !r.stale));
    node_b.close().await;
}

async fn recomputing_twice_gives_the_same_rows(test: TestStore) {
    let store = test.store.clone();
    let (org, repo) = org_and_repo(&store).await;
    seed(&store, &org, &repo).await;
    let settings = MetricsSettings::default();
    let range = (
        NaiveDate::from_ymd_opt(2023, 8, 1).unwrap(),
        NaiveDate::from_ymd_opt(2023, 9, 30).unwrap(),
    );
    let first = recompute(&store, &org, &repo, &settings, range, || DAY0 + 200 * DAY)
        .await
        .unwrap();
    // 61 days, 9 weeks (Monday 31 July to Monday 25 September), 2 months.
    assert_eq!(
        first,
        Some(RunOutcome::Completed {
            written: 61 + 9 + 2
        })
    );
    let mut once = Vec::new();
    for period in Period::ALL {
        once.extend(comparable(rows(&store, &org, &repo, period).await));
    }
    recompute(&store, &org, &repo, &settings, range, || DAY0 + 201 * DAY)
        .await
        .unwrap();
    let mut twice = Vec::new();
    for period in Period::ALL {
        twice.extend(comparable(rows(&store, &org, &repo, period).await));
    }
    assert_eq!(once, twice);
    let august = rows(&store, &org, &repo, Period::Month).await;
    assert_eq!(august[0].date, "2023-08-01");
    // 62 commits in August, one in three with a Claude trailer.
    assert_eq!(
        august[0].values.commits_ai_declared + august[0].values.commits_human,
        62
    );
    assert_eq!(august[0].values.commits_ai_declared, 21);
}

async fn the_daily_job_computes_a_finished_day_once_and_recomputes_stale_days(test: TestStore) {
    let store = test.store.clone();
    let (org, repo) = org_and_repo(&store).await;
    seed(&store, &org, &repo).await;
    let engine = RuleEngine::standard();
    // 2023-08-11 00:05 UTC: the 10th is over.
    let now = DAY0 + 10 * DAY + 300_000;
    let report = run_daily_metrics(&store, &engine, || now).await.unwrap();
    assert_eq!(report.rows_written, 3);
    let day = store
        .get_repo_metric(&org, &repo, Period::Day, "2023-08-10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(day.values.commits_human + day.values.commits_ai_declared, 2);
    assert!(store
        .get_repo_metric(&org, &repo, Period::Week, "2023-08-07")
        .await
        .unwrap()
        .is_some());
    assert!(store
        .get_repo_metric(&org, &repo, Period::Month, "2023-08-01")
        .await
        .unwrap()
        .is_some());
    // An hour later there is nothing to do.
    let again = run_daily_metrics(&store, &engine, || now + 3_600_000)
        .await
        .unwrap();
    assert_eq!(again.rows_written, 0);

    // A commit of the 10th attributed late: the day, its week and month are recomputed.
    let late = commit(5_000, DAY0 + 9 * DAY + 7_200_000);
    let attribution = attribute(&late, &AttributionContext::default(), &RiskRules::default());
    store
        .record_attribution(&org, &repo, &late, &attribution, now + 7_000_000)
        .await
        .unwrap();
    assert_eq!(
        store
            .stale_repo_metrics(&org, &repo, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    let third = run_daily_metrics(&store, &engine, || now + 7_200_000)
        .await
        .unwrap();
    assert_eq!(third.rows_written, 3);
    let day = store
        .get_repo_metric(&org, &repo, Period::Day, "2023-08-10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(day.values.commits_human + day.values.commits_ai_declared, 3);
    assert!(store
        .stale_repo_metrics(&org, &repo, 10)
        .await
        .unwrap()
        .is_empty());
}

runtime_tests!(
    an_abandoned_holder_is_taken_over_after_its_lock_expires,
    recomputing_twice_gives_the_same_rows,
    the_daily_job_computes_a_finished_day_once_and_recomputes_stale_days,
);
