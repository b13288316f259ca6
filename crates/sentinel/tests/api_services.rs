//! Services over real HTTP: create with a DSN, settings that change without a restart,
//! DSN keys, and one organization never seeing another's services.
#![allow(clippy::unwrap_used)]

mod app;

use app::spawn_app;
use reqwest::StatusCode;
use sentinel_core::role::Role;
use sentinel_store::tenancy::NewOrganization;
use serde_json::{json, Value};

#[tokio::test]
async fn services_are_created_with_a_dsn_and_listed() {
    let app = spawn_app().await;
    let admin = app.api_key(Role::Admin, None).await;
    let created = app
        .client
        .post(app.url("/api/v1/services"))
        .bearer_auth(&admin)
        .json(&json!({"name": "checkout", "platform": "node"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["number"], 2, "the bootstrap service is number 1");
    let dsn = body["dsn"].as_str().unwrap();
    let expected_tail = format!("@{}/2", app.server().addr);
    assert!(
        dsn.starts_with("http://") && dsn.ends_with(&expected_tail),
        "{dsn}"
    );
    assert_eq!(
        body["error_class_filter"],
        json!([
            "server_5xx",
            "unhandled_exception",
            "handled_exception",
            "message",
            "latency",
            "crash"
        ])
    );

    let duplicate = app
        .client
        .post(app.url("/api/v1/services"))
        .bearer_auth(&admin)
        .json(&json!({"name": "checkout"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);

    let viewer = app.api_key(Role::Viewer, None).await;
    let listed: Value = app
        .client
        .get(app.url("/api/v1/services"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["default", "checkout"]);

    let id = body["id"].as_str().unwrap();
    let member = app.api_key(Role::Member, None).await;
    let keys: Value = app
        .client
        .get(app.url(&format!("/api/v1/services/{id}/keys")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["data"][0]["dsn"], dsn);
    let viewer_keys = app
        .client
        .get(app.url(&format!("/api/v1/services/{id}/keys")))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(viewer_keys.status(), StatusCode::FORBIDDEN);
    app.shutdown().await;
}

#[tokio::test]
async fn settings_change_at_once_and_are_validated() {
    let app = spawn_app().await;
    let service_id = app.server().bootstrap.as_ref().unwrap().service_id.clone();
    let admin = app.api_key(Role::Admin, None).await;
    let url = app.url(&format!("/api/v1/services/{service_id}"));
    let patch = |key: &str, body: Value| app.client.patch(&url).bearer_auth(key).json(&body).send();
    let changed = patch(
        &admin,
        json!({"min_occurrences": 3, "error_class_filter": ["server_5xx", "crash"], "enabled": false}),
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["min_occurrences"], 3);
    assert_eq!(body["enabled"], false);
    assert_eq!(body["error_class_filter"], json!(["server_5xx", "crash"]));

    // What ingest reads is the new setting: no cache, no restart.
    let stored = app
        .server()
        .store
        .get_service_by_number(1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.min_occurrences, 3);
    assert!(!stored.enabled);

    let shown: Value = app
        .client
        .get(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown, body);

    for bad in [
        json!({"error_class_filter": ["server_5xx", "bogus"]}),
        json!({"min_occurrences": 0}),
        json!({"unknown_setting": true}),
    ] {
        let refused = patch(&admin, bad.clone()).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
    }
    let member = app.api_key(Role::Member, None).await;
    let forbidden = patch(&member, json!({"enabled": true})).await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    app.shutdown().await;
}

#[tokio::test]
async fn another_organizations_services_are_invisible() {
    let app = spawn_app().await;
    let service_id = app.server().bootstrap.as_ref().unwrap().service_id.clone();
    let other = app
        .server()
        .store
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
    for (method, path) in [
        ("GET", format!("/api/v1/services/{service_id}")),
        ("PATCH", format!("/api/v1/services/{service_id}")),
        ("GET", format!("/api/v1/services/{service_id}/keys")),
    ] {
        let request = match method {
            "GET" => app.client.get(app.url(&path)),
            _ => app
                .client
                .patch(app.url(&path))
                .json(&json!({"enabled": false})),
        };
        let response = request.bearer_auth(&outsider).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let listed: Value = app
        .client
        .get(app.url("/api/v1/services"))
        .bearer_auth(&outsider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]));
    let untouched = app
        .server()
        .store
        .get_service_by_number(1)
        .await
        .unwrap()
        .unwrap();
    assert!(untouched.enabled);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_responses_by_status_class() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.client.get(app.url("/healthz")).send().await.unwrap();
    }
    app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    app.server().app.metrics.ingest_rejected("rate_limited");
    let scrape = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains("sentinel_http_responses_total{class=\"2xx\"} 3\n"),
        "{text}"
    );
    assert!(
        text.contains("sentinel_http_responses_total{class=\"4xx\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("sentinel_ingest_rejected_total{reason=\"rate_limited\"} 1\n"));
    assert!(text.contains("sentinel_database_up 1\n"));
    assert!(text.contains("sentinel_jobs{status=\"available\"}"));
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    app.shutdown().await;
}
