//! Process roles: a worker answers health checks and scrapes but serves no API or ingest.
#![allow(clippy::unwrap_used)]

mod app;

use reqwest::StatusCode;
use sentinel::config::ProcessRole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_serves_health_and_metrics_only() {
    let app = app::spawn_app_with(|config| config.server.role = ProcessRole::Worker).await;
    for (path, want) in [
        ("/healthz", StatusCode::OK),
        ("/readyz", StatusCode::OK),
        ("/metrics", StatusCode::OK),
        ("/api/v1/me", StatusCode::NOT_FOUND),
        ("/api/v1/services", StatusCode::NOT_FOUND),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), want, "{path}");
    }
    let ingest = app
        .client
        .post(app.url("/api/1/envelope/"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_process_serves_the_api() {
    let app = app::spawn_app_with(|config| config.server.role = ProcessRole::Web).await;
    let me = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}
