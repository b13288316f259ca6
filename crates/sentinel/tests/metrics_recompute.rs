//! `sentinel metrics recompute`, in-process on both backends: the rows of a range of days with
//! their weeks and months, the same rows when run twice, in the organization's time zone; bad
//! ranges and unknown repositories refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel::cli::MetricsRecomputeArgs;
use sentinel::metrics_recompute::recompute_in;
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::code::{Commit, FileChange, FileStatus, GitStamp, Person};
use sentinel_core::metrics::{MetricsSettings, Period};
use sentinel_store::code::NewRepository;
use sentinel_store::tenancy::NewOrganization;
use sentinel_store::Store;
use std::sync::Arc;

/// 2024-03-01T00:00Z.
const MARCH: i64 = 1_709_251_200_000;
const HOUR: i64 = 3_600_000;

fn args(from: &str, to: &str) -> MetricsRecomputeArgs {
    MetricsRecomputeArgs {
        repo: "acme/shop".into(),
        from: from.into(),
        to: to.into(),
        org: None,
    }
}

fn commit(n: u32, at: i64) -> Commit {
    let stamp = GitStamp {
        person: Person {
            name: "Ann".into(),
            email: "ann@example.com".into(),
            login: None,
        },
        at_ms: at,
        utc_offset_minutes: 0,
    };
    Commit {
        sha: format!("{n:040x}"),
        parents: vec![format!("{:040x}", n + 1000)],
        author: stamp.clone(),
        committer: stamp,
        message: format!("change {n}\n\nCo-Authored-By: Claude <noreply@anthropic.com>"),
        files: vec![FileChange {
            path: "src/app.rs".into(),
            previous_path: None,
            status: FileStatus::Modified,
            lines_added: 5,
            lines_deleted: 1,
            binary: false,
            added_lines: Vec::new(),
        }],
    }
}

async fn recompute_writes_days_weeks_and_months_and_is_idempotent(store: Store) {
    let clock: SharedClock = Arc::new(ManualClock::new(MARCH + 40 * 24 * HOUR));
    let org = store
        .create_organization(
            &NewOrganization {
                slug: "acme".into(),
                name: "Acme".into(),
            },
            0,
        )
        .await
        .unwrap();
    let repo = store
        .create_repository(
            &org.id,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            0,
        )
        .await
        .unwrap();
    // 23:30 UTC on 1 March is 2 March in Tokyo.
    let late = commit(1, MARCH + 23 * HOUR + 30 * 60_000);
    let attribution = attribute(&late, &AttributionContext::default(), &RiskRules::default());
    store
        .record_attribution(&org.id, &repo.id, &late, &attribution, 0)
        .await
        .unwrap();
    store
        .set_metrics_settings(
            &org.id,
            &MetricsSettings {
                time_zone: "Asia/Tokyo".into(),
                ..MetricsSettings::default()
            },
        )
        .await
        .unwrap();

    let out = recompute_in(&store, &clock, &args("2024-03-01", "2024-03-10"))
        .await
        .unwrap();
    // 10 days, the weeks of 26 February and 4 March, one month.
    assert_eq!(
        out,
        "acme/shop: 13 metrics rows recomputed for 2024-03-01 to 2024-03-10 (Asia/Tokyo)\n"
    );
    let read = |period| {
        let store = store.clone();
        let (org, repo) = (org.id.clone(), repo.id.clone());
        async move {
            store
                .list_repo_metrics(&org, &repo, period, "2024-01-01", "2024-12-31")
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.date, r.values, r.starts_at))
                .collect::<Vec<_>>()
        }
    };
    let days = read(Period::Day).await;
    assert_eq!(days.len(), 10);
    let second = days.iter().find(|(d, _, _)| d == "2024-03-02").unwrap();
    assert_eq!(second.1.commits_ai_declared, 1);
    assert_eq!(
        second.2,
        MARCH + 15 * HOUR,
        "Tokyo's 2 March starts at 15:00 UTC on the 1st"
    );
    assert_eq!(days[0].1.commits_ai_declared, 0);

    let again = recompute_in(&store, &clock, &args("2024-03-01", "2024-03-10"))
        .await
        .unwrap();
    assert_eq!(again, out);
    assert_eq!(read(Period::Day).await, days);
    assert_eq!(read(Period::Week).await.len(), 2);
    assert_eq!(read(Period::Month).await.len(), 1);

    let backwards = recompute_in(&store, &clock, &args("2024-03-10", "2024-03-01")).await;
    assert!(format!("{:#}", backwards.unwrap_err()).contains("is after"));
    let bad = recompute_in(&store, &clock, &args("March", "2024-03-01")).await;
    assert!(format!("{:#}", bad.unwrap_err()).contains("not a date"));
    let unknown = MetricsRecomputeArgs {
        repo: "acme/nope".into(),
        ..args("2024-03-01", "2024-03-02")
    };
    assert!(format!(
        "{:#}",
        recompute_in(&store, &clock, &unknown).await.unwrap_err()
    )
    .contains("watches no repository"));
}

sentinel_store::store_tests!(recompute_writes_days_weeks_and_months_and_is_idempotent);
