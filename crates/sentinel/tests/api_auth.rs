//! Authentication and access over real HTTP: API keys (wrong, expired, revoked), roles,
//! dashboard sessions with their cookie flags and CSRF token, logout.
#![allow(clippy::unwrap_used)]

mod app;

use app::spawn_app;
use reqwest::StatusCode;
use sentinel_core::role::Role;
use serde_json::{json, Value};

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let code = body["error"]["code"].as_str().unwrap().to_string();
    assert!(body["error"]["message"].is_string(), "{body}");
    (status, code)
}

#[tokio::test]
async fn requests_without_or_with_bad_credentials_get_401_with_the_json_error() {
    let app = spawn_app().await;
    let none = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(
        error_of(none).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );

    for header in [
        "Bearer snt_abcdefgh_not-a-real-key",
        "Bearer snt_abcdefgh_wrongwrongwrong",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(response).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into()),
            "{header}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn expired_and_revoked_keys_are_refused() {
    let app = spawn_app().await;
    let now = app.clock_now();
    let expiring = app.api_key(Role::Admin, Some(now + 60_000)).await;
    let me = |key: String| {
        app.client
            .get(app.url("/api/v1/me"))
            .bearer_auth(key)
            .send()
    };
    let ok = me(expiring.clone()).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    assert!(body["api_key_id"].is_string());

    app.clock.advance(60_000);
    let expired = me(expiring).await.unwrap();
    let (status, code) = error_of(expired).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );

    // Revoked through the API by an owner key.
    let owner = app.api_key(Role::Owner, None).await;
    let doomed = app.api_key(Role::Member, None).await;
    assert_eq!(me(doomed.clone()).await.unwrap().status(), StatusCode::OK);
    let listed: Value = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let prefix: String = doomed.split('_').take(2).collect::<Vec<_>>().join("_");
    let id = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["prefix"] == prefix.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = me(doomed).await.unwrap();
    assert_eq!(
        error_of(refused).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let missing = app
        .client
        .delete(app.url("/api/v1/api-keys/01HZZZZZZZZZZZZZZZZZZZZZZZ"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn roles_limit_who_may_manage_keys() {
    let app = spawn_app().await;
    let viewer = app.api_key(Role::Viewer, None).await;
    let create = |key: &str, role: &str| {
        app.client
            .post(app.url("/api/v1/api-keys"))
            .bearer_auth(key)
            .json(&json!({"name": "ci", "role": role}))
            .send()
    };
    let refused = create(&viewer, "viewer").await.unwrap();
    assert_eq!(
        error_of(refused).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let listing = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), StatusCode::FORBIDDEN);

    // An admin may create keys up to admin, not owner keys.
    let admin = app.api_key(Role::Admin, None).await;
    let escalation = create(&admin, "owner").await.unwrap();
    assert_eq!(escalation.status(), StatusCode::FORBIDDEN);
    let created = create(&admin, "member").await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    let secret = body["key"].as_str().unwrap().to_string();
    assert!(secret.starts_with(body["prefix"].as_str().unwrap()));
    assert!(secret.starts_with("snt_"));
    // The new key works, with its own role.
    let me: Value = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "member");
    // The secret is shown once: listings never carry it.
    let listed = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&secret));
    assert!(listed.contains(body["prefix"].as_str().unwrap()));

    let malformed = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(&admin)
        .json(&json!({"name": "x", "role": "emperor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(malformed).await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
    app.shutdown().await;
}

#[tokio::test]
async fn api_key_use_is_recorded_at_most_once_a_minute() {
    let app = spawn_app().await;
    let key = app.api_key(Role::Viewer, None).await;
    let hash = sentinel_web::auth::tokens::sha256_hex(&key);
    let store = app.server().store.clone();
    let start = app.clock_now();
    for _ in 0..3 {
        let response = app
            .client
            .get(app.url("/api/v1/services"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        app.clock.advance(10_000);
    }
    let record = store.find_api_key_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(record.last_used_at, Some(start));
    app.clock.advance(60_000);
    app.client
        .get(app.url("/api/v1/services"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let record = store.find_api_key_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(record.last_used_at, Some(app.clock_now()));
    app.shutdown().await;
}

/// The `Set-Cookie` header of a response, parsed.
fn session_cookie(response: &reqwest::Response) -> cookie::Cookie<'static> {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("sentinel_session="))
        .unwrap();
    cookie::Cookie::parse(header).unwrap()
}

#[tokio::test]
async fn login_sets_a_secure_cookie_and_writes_need_the_csrf_token() {
    let app = spawn_app().await;
    let boot = app.server().bootstrap.clone().unwrap();

    let wrong = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": boot.admin_email, "password": "not it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(wrong).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let unknown = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": "whatever"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": boot.admin_email.to_uppercase(), "password": boot.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = session_cookie(&login);
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.same_site(), Some(cookie::SameSite::Lax));
    assert_eq!(cookie.path(), Some("/"));
    assert!(cookie.value().len() >= 40);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["role"], "owner");
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let cookie_header = format!("sentinel_session={}", cookie.value());

    // The store keeps only a hash of the cookie's secret.
    let stored = app
        .server()
        .store
        .get_valid_session(cookie.value(), app.clock_now())
        .await
        .unwrap();
    assert!(stored.is_none());

    let me: Value = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], boot.admin_email.as_str());
    assert_eq!(me["csrf_token"], csrf.as_str());

    let create = |token: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/api-keys"))
            .header("cookie", &cookie_header)
            .json(&json!({"name": "from the dashboard", "role": "viewer"}));
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request.send()
    };
    let forged = create(None).await.unwrap();
    assert_eq!(
        error_of(forged).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let wrong_token = create(Some("guess")).await.unwrap();
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    let created = create(Some(&csrf)).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["created_by"], me["user"]["id"]);

    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let cleared = session_cookie(&logout);
    assert_eq!(cleared.value(), "");
    assert_eq!(cleared.max_age(), Some(cookie::time::Duration::ZERO));
    let after = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(after).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    app.shutdown().await;
}

#[tokio::test]
async fn sessions_expire_with_the_clock() {
    let app = spawn_app().await;
    let boot = app.server().bootstrap.clone().unwrap();
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(
            &json!({"email": boot.admin_email, "password": boot.admin_password, "org": "default"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = format!("sentinel_session={}", session_cookie(&login).value());
    let me = || {
        app.client
            .get(app.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    app.clock.advance(14 * 24 * 3_600_000);
    assert_eq!(me().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let elsewhere = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": boot.admin_email, "password": boot.admin_password, "org": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    app.shutdown().await;
}

impl app::TestApp {
    fn clock_now(&self) -> i64 {
        use sentinel_core::clock::Clock;
        self.clock.now_ms()
    }
}
