//! Who may use the incidents API, on both backends: authentication, status changes by role
//! and by the state machine, and one organization never reaching another's incidents.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::http::StatusCode;
use sentinel_core::id::IncidentId;
use sentinel_core::role::Role;
use sentinel_store::Store;
use serde_json::json;

async fn requests_without_a_valid_key_are_refused(store: Store) {
    let app = App::new(store).await;
    for uri in ["/api/v1/incidents", "/api/v1/events/x"] {
        let answer = app.call("GET", uri, None, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(error_code(&answer), "unauthorized");
    }
    let answer = app
        .call("GET", "/api/v1/incidents", Some("snt_nope1234_wrong"), None)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

async fn status_changes_need_a_member_and_an_allowed_move(store: Store) {
    let app = App::new(store).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let member = app.key(&app.org, Role::Member).await;
    let outcomes = app.seed(&[app.event("a", "fp", NOW)]).await;
    let id = outcomes[0].incident_id.clone().unwrap();
    let uri = format!("/api/v1/incidents/{id}");
    let patch = |status: &str| Some(json!({ "status": status }));

    let answer = app
        .call("PATCH", &uri, Some(&viewer), patch("resolved"))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&answer), "forbidden");

    let answer = app
        .call("PATCH", &uri, Some(&member), patch("resolved"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], json!("resolved"));
    assert_eq!(answer.body["resolved_at"], json!(NOW));

    let answer = app
        .call("PATCH", &uri, Some(&member), patch("pr_created"))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&answer), "conflict");

    let answer = app.call("PATCH", &uri, Some(&member), patch("done")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = app
        .call(
            "PATCH",
            &uri,
            Some(&member),
            Some(json!({"status": "ignored", "x": 1})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    let answer = app
        .call("PATCH", &uri, Some(&member), patch("detected"))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], json!("detected"));
    assert_eq!(answer.body["resolved_at"], json!(null));

    let missing = format!("/api/v1/incidents/{}", IncidentId::generate());
    let answer = app
        .call("PATCH", &missing, Some(&member), patch("resolved"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

async fn another_org_cannot_reach_the_incidents(store: Store) {
    let app = App::new(store.clone()).await;
    let (other_org, _) = org_with_service(&store, "globex").await;
    let outsider = app.key(&other_org, Role::Owner).await;
    let outcomes = app.seed(&[app.event("secret-event", "fp", NOW)]).await;
    let id = outcomes[0].incident_id.clone().unwrap();
    let row_id = outcomes[0].event_row_id.clone().unwrap();

    let list = app
        .get("/api/v1/incidents?include_quiet=true", &outsider)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"], json!([]));
    for uri in [
        format!("/api/v1/incidents/{id}"),
        format!("/api/v1/incidents/{id}/events"),
        format!("/api/v1/events/{}", row_id.as_str()),
        "/api/v1/events/secret-event".to_string(),
    ] {
        let answer = app.get(&uri, &outsider).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let answer = app
        .call(
            "PATCH",
            &format!("/api/v1/incidents/{id}"),
            Some(&outsider),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let insider = app.key(&app.org, Role::Viewer).await;
    let answer = app.get(&format!("/api/v1/incidents/{id}"), &insider).await;
    assert_eq!(answer.body["incident"]["status"], json!("detected"));
}

sentinel_store::store_tests!(
    requests_without_a_valid_key_are_refused,
    status_changes_need_a_member_and_an_allowed_move,
    another_org_cannot_reach_the_incidents,
);
