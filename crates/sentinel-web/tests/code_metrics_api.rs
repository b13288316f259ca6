//! `GET /api/v1/repositories/{id}/metrics` through the router on both backends: the rows the
//! metrics run wrote, per day, week and month, in range; another organization's repository
//! answers 404; bad parameters 400.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod code_support;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use code_support::{seed, Seeded};
use sentinel_core::metrics::NaiveDate;
use sentinel_core::role::Role;
use sentinel_jobs::metrics::{recompute, RunOutcome};
use support::{app_tests, TestApp, TestResponse, NOW};

async fn get(app: &TestApp, uri: &str, key: &str) -> TestResponse {
    let request = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

async fn computed(app: &TestApp) -> Seeded {
    let seeded = seed(app).await;
    let settings = app.store.get_metrics_settings(&app.org_id).await.unwrap();
    let range = (
        NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
    );
    let outcome = recompute(
        &app.store,
        &app.org_id,
        &seeded.repo,
        &settings,
        range,
        || NOW,
    )
    .await
    .unwrap();
    assert!(matches!(outcome, Some(RunOutcome::Completed { .. })));
    seeded
}

async fn metrics_are_a_time_series_per_period(app: TestApp) {
    let seeded = computed(&app).await;
    let key = app.api_key(Role::Viewer).await;
    let base = format!("/api/v1/repositories/{}/metrics", seeded.repo.as_str());

    // The default: the 30 days up to today (UTC), of which 1–23 November were computed.
    let days = get(&app, &base, &key).await;
    assert_eq!(days.status, StatusCode::OK, "{}", days.text);
    let body = days.json();
    assert_eq!(body["period"], "day");
    assert_eq!(body["time_zone"], "UTC");
    assert_eq!(body["to"], "2025-11-23");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 23);
    let by_date = |date: &str| data.iter().find(|p| p["date"] == date).unwrap().clone();
    // The Claude commit of 21 November: declared AI.
    let claude = by_date("2025-11-21");
    assert_eq!(claude["commits"]["ai_declared"], 1);
    assert_eq!(claude["ai_share_by_commit"], 1.0);
    assert_eq!(claude["verification_tax"]["hourly_rate"], 150.0);
    let human = by_date("2025-11-20");
    assert_eq!(human["commits"]["human"], 1);
    assert_eq!(human["ai_share_by_line"], 0.0);
    assert!(by_date("2025-11-05")["ai_share_by_commit"].is_null());

    let weeks = get(
        &app,
        &format!("{base}?period=week&from=2025-11-17&to=2025-11-23"),
        &key,
    )
    .await;
    let weeks = weeks.json();
    let weeks = weeks["data"].as_array().unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0]["date"], "2025-11-17");
    let total = weeks[0]["commits"]["human"].as_i64().unwrap()
        + weeks[0]["commits"]["ai_declared"].as_i64().unwrap()
        + weeks[0]["commits"]["ai_heuristic"].as_i64().unwrap();
    assert_eq!(total, 3);
    let months = get(&app, &format!("{base}?period=month&from=2025-11-10"), &key).await;
    assert_eq!(months.json()["data"].as_array().unwrap().len(), 1);
    let narrow = get(&app, &format!("{base}?from=2025-11-20&to=2025-11-21"), &key).await;
    assert_eq!(narrow.json()["data"].as_array().unwrap().len(), 2);

    for bad in [
        "?period=year",
        "?from=yesterday",
        "?from=2025-11-20&to=2025-11-01",
        "?colour=red",
    ] {
        let refused = get(&app, &format!("{base}{bad}"), &key).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let theirs = format!(
        "/api/v1/repositories/{}/metrics",
        seeded.other_repo.as_str()
    );
    assert_eq!(get(&app, &theirs, &key).await.status, StatusCode::NOT_FOUND);
    let unauthenticated = app
        .send(Request::builder().uri(&base).body(Body::empty()).unwrap())
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

app_tests!(metrics_are_a_time_series_per_period);
