//! The incidents and events JSON API over the real router, on both backends: listing with
//! filters and cursors, the incident page with its latest event and rollups, and events.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::http::StatusCode;
use sentinel_core::id::IncidentId;
use sentinel_core::role::Role;
use sentinel_store::Store;
use serde_json::json;

async fn lists_filter_and_paginate(store: Store) {
    let app = App::new(store).await;
    let key = app.key(&app.org, Role::Viewer).await;
    for i in 0..5 {
        app.seed(&[app.event(&format!("e{i}"), &format!("fp{i}"), NOW - i * 60_000)])
            .await;
    }
    let mut quiet = app.event("q", "fp-quiet", NOW);
    quiet.incident.as_mut().unwrap().quiet = true;
    app.seed(&[quiet]).await;

    let mut uri = "/api/v1/incidents?limit=2".to_string();
    let mut titles = Vec::new();
    for _ in 0..5 {
        let answer = app.get(&uri, &key).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let data = answer.body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        titles.extend(
            data.iter()
                .map(|i| i["title"].as_str().unwrap().to_string()),
        );
        match answer.body["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/incidents?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..5)
        .map(|i| format!("ZeroDivisionError: division by zero in fp{i}"))
        .collect();
    assert_eq!(
        titles, expected,
        "most recent first, quiet hidden, no repeats"
    );

    let answer = app
        .get("/api/v1/incidents?include_quiet=true&q=FP-QUIET", &key)
        .await;
    let data = answer.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["quiet"], json!(true));
    assert_eq!(data[0]["status"], json!("detected"));
    assert_eq!(data[0]["error_class"], json!("unhandled_exception"));
    assert_eq!(data[0]["occurrence_count"], json!(1));
    assert!(data[0]["allowed_transitions"]
        .as_array()
        .unwrap()
        .contains(&json!("resolved")));

    let answer = app
        .get("/api/v1/incidents?status=resolved,ignored", &key)
        .await;
    assert_eq!(answer.body["data"], json!([]));
    let answer = app
        .get(
            "/api/v1/incidents?sort=count&error_class=unhandled_exception",
            &key,
        )
        .await;
    assert_eq!(answer.body["data"].as_array().unwrap().len(), 5);

    for bad in [
        "limit=500",
        "status=nope",
        "sort=oldest",
        "cursor=abc",
        "x=1",
    ] {
        let answer = app.get(&format!("/api/v1/incidents?{bad}"), &key).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&answer), "bad_request");
    }
}

async fn the_incident_page_has_the_latest_event_tags_and_hourly_counts(store: Store) {
    let app = App::new(store).await;
    let key = app.key(&app.org, Role::Viewer).await;
    let outcomes = app
        .seed(&[
            app.event("old", "fp", NOW - 20 * 24 * HOUR),
            app.event("a", "fp", NOW - 2 * HOUR),
            app.event("b", "fp", NOW - 2 * HOUR + 1),
            app.event("latest", "fp", NOW - 10),
        ])
        .await;
    let id = outcomes[0].incident_id.clone().unwrap();

    let answer = app.get(&format!("/api/v1/incidents/{id}"), &key).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["incident"]["id"], json!(id.as_str()));
    assert_eq!(body["incident"]["occurrence_count"], json!(4));
    let latest = &body["latest_event"];
    assert_eq!(latest["event_id"], json!("latest"));
    assert_eq!(
        latest["title"],
        json!("ZeroDivisionError: division by zero in fp")
    );
    let frames = latest["event"]["exceptions"][0]["frames"]
        .as_array()
        .unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1]["context_line"], json!("    return paid / total"));
    assert_eq!(frames[1]["pre_context"], json!(["def ratio(paid, total):"]));

    let tags = body["tags"].as_array().unwrap();
    let browser = tags.iter().find(|t| t["key"] == json!("browser")).unwrap();
    assert_eq!(browser["values"], json!([{"value": "Firefox", "count": 4}]));

    // The 20-day-old event is outside the 14-day chart.
    let counts = body["hourly"]["counts"].as_array().unwrap();
    let total: i64 = counts.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 3);

    let missing = app
        .get(
            &format!("/api/v1/incidents/{}", IncidentId::generate()),
            &key,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&missing), "not_found");
}

async fn events_page_and_open_by_either_id(store: Store) {
    let app = App::new(store).await;
    let key = app.key(&app.org, Role::Viewer).await;
    let batch: Vec<_> = (0..5)
        .map(|i| app.event(&format!("{i:032x}"), "fp", NOW - 100 + i))
        .collect();
    let outcomes = app.seed(&batch).await;
    let id = outcomes[0].incident_id.clone().unwrap();

    let mut uri = format!("/api/v1/incidents/{id}/events?limit=2");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let answer = app.get(&uri, &key).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        for event in answer.body["data"].as_array().unwrap() {
            seen.push(event["event_id"].as_str().unwrap().to_string());
            assert_eq!(event["incident_id"], json!(id.as_str()));
            assert_eq!(
                event["tags"],
                json!([{"key": "browser", "value": "Firefox"}])
            );
        }
        match answer.body["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/incidents/{id}/events?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = (0..5).rev().map(|i| format!("{i:032x}")).collect();
    assert_eq!(seen, newest_first);

    let row_id = outcomes[2].event_row_id.clone().unwrap();
    let by_row = app
        .get(&format!("/api/v1/events/{}", row_id.as_str()), &key)
        .await;
    assert_eq!(by_row.status, StatusCode::OK);
    let by_sdk = app.get(&format!("/api/v1/events/{:032x}", 2), &key).await;
    assert_eq!(by_row.body, by_sdk.body);
    assert_eq!(by_row.body["id"], json!(row_id.as_str()));
    assert_eq!(
        by_row.body["event"]["exceptions"][0]["type"],
        json!("ZeroDivisionError")
    );
    assert_eq!(by_row.body["level"], json!("error"));
    assert_eq!(by_row.body["release"], json!("shop@1.0.0"));

    assert_eq!(
        app.get("/api/v1/events/nope", &key).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/incidents/{}/events", IncidentId::generate()),
            &key
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .get(&format!("/api/v1/incidents/{id}/events?cursor=zz"), &key)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

sentinel_store::store_tests!(
    lists_filter_and_paginate,
    the_incident_page_has_the_latest_event_tags_and_hourly_counts,
    events_page_and_open_by_either_id,
);
