//! Code mappings over the real router on both backends: created, listed and removed per
//! service, refused across organizations and with bad roots; and the suspect commit the
//! incident API shows once the autopsy stored one.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::http::StatusCode;
use sentinel_core::role::Role;
use sentinel_store::code::{IncidentSuspect, NewRepository};
use sentinel_store::Store;
use serde_json::{json, Value};

async fn repository(app: &App, org: &sentinel_core::id::OrgId) -> String {
    app.store
        .create_repository(
            org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            NOW,
        )
        .await
        .unwrap()
        .id
        .as_str()
        .to_owned()
}

async fn mappings_are_created_listed_and_removed_per_service(store: Store) {
    let app = App::new(store).await;
    let admin = app.key(&app.org, Role::Admin).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let repo = repository(&app, &app.org).await;
    let uri = format!("/api/v1/services/{}/code-mappings", app.service);

    let body = json!({"repository_id": repo, "stack_root": "/srv/app/", "source_root": "backend/"});
    let refused = app
        .call("POST", &uri, Some(&viewer), Some(body.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = app
        .call("POST", &uri, Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["stack_root"], json!("/srv/app/"));
    assert_eq!(created.body["branch"], Value::Null);
    let again = app.call("POST", &uri, Some(&admin), Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&again), "conflict");
    let link = app
        .call(
            "POST",
            &uri,
            Some(&admin),
            Some(json!({"repository_id": repo})),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED);

    for (bad, why) in [
        (json!({"repository_id": repo, "stack_root": "../etc"}), ".."),
        (
            json!({"repository_id": repo, "branch": "--force"}),
            "branch",
        ),
        (json!({"repository_id": "nope"}), "unknown repository"),
        (json!({"repository": repo}), "unknown field"),
    ] {
        let answer = app.call("POST", &uri, Some(&admin), Some(bad)).await;
        assert!(answer.status.is_client_error(), "{why}: {}", answer.body);
    }

    let listed = app.get(&uri, &viewer).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

    // Another organization sees neither the service nor the mapping.
    let (other, _) = org_with_service(&app.store, "globex").await;
    let outsider = app.key(&other, Role::Admin).await;
    assert_eq!(app.get(&uri, &outsider).await.status, StatusCode::NOT_FOUND);
    let id = created.body["id"].as_str().unwrap();
    let one = format!("{uri}/{id}");
    assert_eq!(
        app.call("DELETE", &one, Some(&outsider), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("DELETE", &one, Some(&admin), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call("DELETE", &one, Some(&admin), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&uri, &viewer).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn the_incident_shows_its_suspect_commit(store: Store) {
    let app = App::new(store).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let repo = repository(&app, &app.org).await;
    let outcomes = app.seed(&[app.event("e1", "fp", NOW - 1_000)]).await;
    let incident = outcomes[0].incident_id.clone().unwrap();
    let uri = format!("/api/v1/incidents/{incident}");
    let before = app.get(&uri, &viewer).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["suspect_commit"], Value::Null);

    app.store
        .set_incident_suspect(
            &app.org,
            &IncidentSuspect {
                incident_id: incident.clone(),
                repository_id: sentinel_core::id::RepositoryId::from_string(repo.clone()),
                sha: "a".repeat(40),
                path: "app/users.py".into(),
                line: Some(13),
                revision: "b".repeat(40),
                reason: "blame of app/users.py:13 at bbbbbbb".into(),
                author_name: Some("Bo".into()),
                author_email: Some("bo@example.com".into()),
                authored_at: Some(NOW - 86_400_000),
                ai_confidence: Some(0.97),
                method: Some("declared".into()),
                tool: Some("claude".into()),
                found_at: NOW,
            },
        )
        .await
        .unwrap();
    let after = app.get(&uri, &viewer).await;
    let suspect = &after.body["suspect_commit"];
    assert_eq!(suspect["sha"], json!("a".repeat(40)));
    assert_eq!(suspect["repository"]["full_name"], json!("acme/shop"));
    assert_eq!(suspect["author"], json!("Bo"));
    assert_eq!(suspect["tool"], json!("claude"));
    assert_eq!(suspect["method"], json!("declared"));
    assert_eq!(suspect["ai_confidence"], json!(0.97));
    assert_eq!(
        suspect["reason"],
        json!("blame of app/users.py:13 at bbbbbbb")
    );
    assert_eq!(suspect["line"], json!(13));
}

sentinel_store::store_tests!(
    mappings_are_created_listed_and_removed_per_service,
    the_incident_shows_its_suspect_commit,
);
