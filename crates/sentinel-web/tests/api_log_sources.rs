//! Log sources over the real router on both backends: created, read, changed and removed
//! per service, refused to viewers, across organizations and with bad paths; a source shows
//! the files the tailer read with their offsets and counts.
#![allow(clippy::unwrap_used)]

mod api_incidents_support;

use api_incidents_support::*;
use axum::http::StatusCode;
use sentinel_core::id::LogSourceId;
use sentinel_core::role::Role;
use sentinel_store::log_sources::LogFileState;
use sentinel_store::Store;
use serde_json::json;

async fn sources_are_created_listed_changed_and_removed(store: Store) {
    let app = App::new(store).await;
    let admin = app.key(&app.org, Role::Admin).await;
    let viewer = app.key(&app.org, Role::Viewer).await;
    let uri = format!("/api/v1/services/{}/log-sources", app.service);
    let body = json!({"path": "/var/log/shop/*.log", "fields": {"message": "msg"}});

    let refused = app
        .call("POST", &uri, Some(&viewer), Some(body.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = app
        .call("POST", &uri, Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["format"], json!("json_lines"));
    assert_eq!(created.body["poll_interval_ms"], json!(30_000));
    assert_eq!(created.body["fields"], json!({"message": "msg"}));
    let again = app.call("POST", &uri, Some(&admin), Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    for (bad, why) in [
        (json!({"path": "relative.log"}), "relative"),
        (json!({"path": "/var/*/x.log"}), "wildcard directory"),
        (json!({"path": "/var/log/../x"}), ".."),
        (json!({"path": "/x.log", "poll_interval_ms": 1}), "poll"),
        (json!({"path": "/x.log", "format": "xml"}), "format"),
        (
            json!({"path": "/x.log", "fields": {"body": "x"}}),
            "unknown field",
        ),
    ] {
        let answer = app.call("POST", &uri, Some(&admin), Some(bad)).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{why}: {}",
            answer.body
        );
    }

    let id = created.body["id"].as_str().unwrap().to_string();
    let one = format!("{uri}/{id}");
    // The tailer's progress shows on the source.
    app.store
        .save_log_file_state(
            &app.org,
            &LogFileState {
                source_id: LogSourceId::from_string(id.clone()),
                file_key: "1:2".into(),
                path: "/var/log/shop/app.log".into(),
                head: String::new(),
                offset: 4096,
                lines: 40,
                errors: 3,
                malformed: 1,
            },
            NOW,
        )
        .await
        .unwrap();
    let listed = app.get(&uri, &viewer).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        listed.body["data"][0]["files"],
        json!([{"path": "/var/log/shop/app.log", "offset": 4096, "lines": 40, "errors": 3, "malformed": 1}])
    );

    let changed = app
        .call(
            "PUT",
            &one,
            Some(&admin),
            Some(
                json!({"path": "/var/log/shop/*.log", "format": "text", "poll_interval_ms": 5000}),
            ),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["format"], json!("text"));
    assert_eq!(changed.body["poll_interval_ms"], json!(5000));
    assert_eq!(app.get(&one, &viewer).await.body["format"], json!("text"));

    // Another organization sees neither the service nor the source.
    let (other, other_service) = org_with_service(&app.store, "globex").await;
    let outsider = app.key(&other, Role::Admin).await;
    assert_eq!(app.get(&uri, &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call("DELETE", &one, Some(&outsider), None).await.status,
        StatusCode::NOT_FOUND
    );
    let elsewhere = format!("/api/v1/services/{other_service}/log-sources/{id}");
    assert_eq!(
        app.get(&elsewhere, &outsider).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        app.call("DELETE", &one, Some(&admin), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&one, &viewer).await.status, StatusCode::NOT_FOUND);
    assert!(app
        .store
        .log_source_files(&app.org, &LogSourceId::from_string(id))
        .await
        .unwrap()
        .is_empty());
}

sentinel_store::store_tests!(sources_are_created_listed_changed_and_removed);
