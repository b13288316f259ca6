//! The code side over real HTTP: repositories (add, list by pages, change settings, refuse
//! bad input), and one organization never seeing another's repositories.
#![allow(clippy::unwrap_used)]

mod app;

use app::{spawn_app, TestApp};
use reqwest::StatusCode;
use sentinel_core::role::Role;
use sentinel_store::tenancy::NewOrganization;
use serde_json::{json, Value};

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn repositories_are_added_listed_in_pages_and_changed() {
    let app = spawn_app().await;
    let admin = app.api_key(Role::Admin, None).await;
    for name in ["acme/api", "acme/web", "acme/billing"] {
        let (status, body) = send(
            &app,
            "POST",
            "/api/v1/repositories",
            &admin,
            Some(json!({"full_name": name, "risk_patterns": [{"pattern": "src/pay/**", "tier": "T4"}]})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["full_name"], name);
        assert_eq!(body["default_branch"], "main");
        assert_eq!(body["risk_patterns"][0]["tier"], "T4");
    }
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/repositories",
        &admin,
        Some(json!({"full_name": "acme/api"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let viewer = app.api_key(Role::Viewer, None).await;
    let (status, first) = send(&app, "GET", "/api/v1/repositories?limit=2", &viewer, None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme/api", "acme/billing"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = send(
        &app,
        "GET",
        &format!("/api/v1/repositories?limit=2&cursor={cursor}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(second["data"][0]["full_name"], "acme/web");
    assert!(second["next_cursor"].is_null());
    let (status, _) = send(
        &app,
        "GET",
        "/api/v1/repositories?cursor=forged",
        &viewer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let id = first["data"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/repositories/{id}");
    let (status, _) = send(
        &app,
        "PATCH",
        &path,
        &viewer,
        Some(json!({"default_branch": "trunk"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer cannot change settings"
    );
    let (status, changed) = send(
        &app,
        "PATCH",
        &path,
        &admin,
        Some(json!({"default_branch": "trunk", "clone_path": "/srv/clones/api", "risk_patterns": []})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["default_branch"], "trunk");
    assert_eq!(changed["clone_path"], "/srv/clones/api");
    assert_eq!(changed["risk_patterns"], json!([]));
    assert_eq!(
        changed["publish_mode"], "off",
        "nothing is published until asked"
    );
    let (status, publishing) = send(
        &app,
        "PATCH",
        &path,
        &admin,
        Some(json!({"publish_mode": "draft_pr"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{publishing}");
    assert_eq!(publishing["publish_mode"], "draft_pr");
    assert_eq!(publishing["default_branch"], "trunk", "absent fields stay");
    let (status, refused) = send(
        &app,
        "PATCH",
        &path,
        &admin,
        Some(json!({"publish_mode": "push_to_main"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (_, cleared) = send(
        &app,
        "PATCH",
        &path,
        &admin,
        Some(json!({"clone_path": null})),
    )
    .await;
    assert!(cleared["clone_path"].is_null());
    assert_eq!(cleared["default_branch"], "trunk", "absent fields stay");
    let (_, shown) = send(&app, "GET", &path, &viewer, None).await;
    assert_eq!(shown, cleared);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_repository_input_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let admin = app.api_key(Role::Admin, None).await;
    for (body, needle) in [
        (json!({"full_name": "no-slash"}), "OWNER/NAME"),
        (
            json!({"full_name": "a/b", "clone_path": "relative/dir"}),
            "absolute",
        ),
        (
            json!({"full_name": "a/b", "risk_patterns": [{"pattern": "src/{a,b", "tier": "T4"}]}),
            "src/{a,b",
        ),
        (
            json!({"full_name": "a/b", "risk_patterns": [{"pattern": "x", "tier": "T9"}]}),
            "T9",
        ),
        (json!({"full_name": "a/b", "surprise": 1}), "surprise"),
    ] {
        let (status, answer) = send(
            &app,
            "POST",
            "/api/v1/repositories",
            &admin,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let (_, listed) = send(&app, "GET", "/api/v1/repositories", &admin, None).await;
    assert_eq!(listed["data"], json!([]), "nothing stored");
    app.shutdown().await;
}

#[tokio::test]
async fn another_organization_cannot_see_or_change_a_repository() {
    let app = spawn_app().await;
    let admin = app.api_key(Role::Admin, None).await;
    let (_, created) = send(
        &app,
        "POST",
        "/api/v1/repositories",
        &admin,
        Some(json!({"full_name": "acme/api"})),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let store = &app.server().store;
    let other = store
        .create_organization(
            &NewOrganization {
                slug: "other".into(),
                name: "Other".into(),
            },
            0,
        )
        .await
        .unwrap();
    let outsider = app.api_key_for(&other.id, Role::Owner, None).await;
    let path = format!("/api/v1/repositories/{id}");
    let (status, _) = send(&app, "GET", &path, &outsider, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        "PATCH",
        &path,
        &outsider,
        Some(json!({"default_branch": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = send(&app, "GET", "/api/v1/repositories", &outsider, None).await;
    assert_eq!(listed["data"], json!([]));
    // The outsider may watch a repository of the same name: names are unique per organization.
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/repositories",
        &outsider,
        Some(json!({"full_name": "acme/api"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    app.shutdown().await;
}
