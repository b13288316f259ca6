//! The code API through the router, on both backends, over data seeded with the store
//! functions the jobs use: the overview's figures, the feed's filters and pages, one code
//! event, a commit with every file's attribution, a person's override (recorded, visible,
//! kept by a later automatic run, refused with 400 when malformed), the high-risk files, and
//! another organization's repositories, commits and events answering 404.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod code_support;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use code_support::{seed, Seeded, CLAUDE_SHA, CURSOR_SHA, DAY, HUMAN_SHA, OTHER_SHA, PENDING_SHA};
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::role::Role;
use serde_json::{json, Value};
use support::{app_tests, TestApp, TestResponse, NOW};

async fn call(
    app: &TestApp,
    method: &str,
    uri: &str,
    auth: &[(&str, &str)],
    body: Option<Value>,
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in auth {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    app.send(request.body(body).unwrap()).await
}

async fn get(app: &TestApp, uri: &str, key: &str) -> TestResponse {
    let bearer = format!("Bearer {key}");
    call(app, "GET", uri, &[("authorization", &bearer)], None).await
}

async fn patch(app: &TestApp, uri: &str, key: &str, body: Value) -> TestResponse {
    let bearer = format!("Bearer {key}");
    call(app, "PATCH", uri, &[("authorization", &bearer)], Some(body)).await
}

fn repo_path(seeded: &Seeded, rest: &str) -> String {
    format!("/api/v1/repositories/{}{rest}", seeded.repo.as_str())
}

fn error_code(response: &TestResponse) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn the_overview_counts_commits_shares_files_and_tools(app: TestApp) {
    let seeded = seed(&app).await;
    let key = app.api_key(Role::Viewer).await;
    let answer = get(&app, &repo_path(&seeded, "/overview"), &key).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    // The 40-day-old commit and the pending one are outside the default 30 days / unread.
    assert_eq!(body["commits"], 3);
    assert_eq!(body["ai_commits"], 2);
    assert!((body["ai_share_by_commit"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(body["lines_added"], 90);
    assert_eq!(body["ai_lines_added"], 80);
    assert!((body["ai_share_by_line"].as_f64().unwrap() - 80.0 / 90.0).abs() < 1e-9);
    assert_eq!(body["high_risk_files"], 2);
    assert_eq!(
        body["tools"],
        json!([{"tool": "claude", "commits": 1}, {"tool": "cursor", "commits": 1}])
    );
    assert_eq!(body["days"].as_array().unwrap().len(), 3);
    assert_eq!(body["to"], NOW + 1);
    assert_eq!(body["from"], NOW + 1 - 30 * DAY);

    let all = get(
        &app,
        &repo_path(&seeded, &format!("/overview?from=0&to={}", NOW + 1)),
        &key,
    )
    .await;
    assert_eq!(all.json()["commits"], 4);
    let dated = get(
        &app,
        &repo_path(&seeded, "/overview?from=2020-01-01&to=2020-02-01T00:00:00Z"),
        &key,
    )
    .await;
    assert_eq!(dated.status, StatusCode::OK);
    assert_eq!(dated.json()["commits"], 0);
    for bad in ["?from=yesterday", "?from=10&to=5", "?window=7d"] {
        let refused = get(&app, &repo_path(&seeded, &format!("/overview{bad}")), &key).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&refused), "bad_request");
    }
}

async fn the_feed_is_filtered_and_paged(app: TestApp) {
    let seeded = seed(&app).await;
    let key = app.api_key(Role::Viewer).await;
    let count = |answer: &TestResponse| answer.json()["data"].as_array().unwrap().len();
    let all = get(&app, &repo_path(&seeded, "/events"), &key).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(count(&all), 5);
    let newest = &all.json()["data"][0];
    assert_eq!(newest["type"], "deploy");
    assert_eq!(newest["sha"], CURSOR_SHA);
    assert_eq!(newest["details"]["environment"], "production");
    for (query, expected) in [
        ("type=commit", 4),
        ("type=deploy", 1),
        ("ai=true", 3),
        ("ai=false", 2),
        ("author=ada%40example.com", 3),
        ("type=commit&ai=true&author=cursoragent%40cursor.com", 1),
        ("type=pr_merged", 0),
    ] {
        let answer = get(&app, &repo_path(&seeded, &format!("/events?{query}")), &key).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
        assert_eq!(count(&answer), expected, "{query}");
    }

    // Pages of two, newest first, every event exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => repo_path(&seeded, &format!("/events?limit=2&cursor={c}")),
            None => repo_path(&seeded, "/events?limit=2"),
        };
        let page = get(&app, &uri, &key).await.json();
        for event in page["data"].as_array().unwrap() {
            seen.push(event["occurred_at"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");

    for bad in [
        "type=push",
        "ai=maybe",
        "limit=0",
        "limit=201",
        "cursor=zz",
        "sort=old",
    ] {
        let refused = get(&app, &repo_path(&seeded, &format!("/events?{bad}")), &key).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&refused), "bad_request", "{bad}");
    }

    let id = all.json()["data"][1]["id"].as_str().unwrap().to_string();
    let one = get(&app, &format!("/api/v1/code-events/{id}"), &key).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["id"], id.as_str());
    assert_eq!(one.json()["type"], "commit");
    assert_eq!(one.json()["details"]["type"], "commit");
    let missing = get(&app, "/api/v1/code-events/nope", &key).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_commit_answers_every_file_with_its_signals(app: TestApp) {
    let seeded = seed(&app).await;
    let key = app.api_key(Role::Viewer).await;
    let answer = get(
        &app,
        &repo_path(&seeded, &format!("/commits/{CLAUDE_SHA}")),
        &key,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["sha"], CLAUDE_SHA);
    assert_eq!(body["status"], "attributed");
    assert_eq!(body["author"]["email"], "ada@example.com");
    assert_eq!(body["committer"]["name"], "Ada");
    assert_eq!(body["authored_at"], NOW - 2 * DAY);
    assert_eq!(body["author_utc_offset_minutes"], 120);
    assert_eq!(body["method"], "declared");
    assert_eq!(body["tool"], "claude");
    assert!(body["ai_confidence"].as_f64().unwrap() >= 0.95);
    assert_eq!(body["override"], Value::Null);
    let signal = &body["signals"][0];
    assert_eq!(signal["name"], "trailer_co_authored_by");
    assert!(signal["weight"].as_f64().unwrap() >= 0.95);
    assert!(signal["evidence"]
        .as_str()
        .unwrap()
        .contains("noreply@anthropic.com"));
    let files = body["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], "docs/auth.md");
    let session = &files[1];
    assert_eq!(session["path"], "src/auth/session.rs");
    assert_eq!(session["lines_added"], 40);
    assert_eq!(session["lines_deleted"], 1);
    assert_eq!(session["method"], "declared");
    assert_eq!(session["tool"], "claude");
    assert!(["T3", "T4"].contains(&session["risk_tier"].as_str().unwrap()));
    assert_eq!(session["flagged"], true);
    assert!(session["risk_score"].as_f64().unwrap() > 0.5);
    assert!(session["explanation"]
        .as_str()
        .unwrap()
        .contains("src/auth/session.rs"));
    assert_eq!(session["signals"][0]["name"], "trailer_co_authored_by");

    // A unique prefix finds it; an unknown or too short one does not.
    let prefix = get(&app, &repo_path(&seeded, "/commits/2222222"), &key).await;
    assert_eq!(prefix.json()["sha"], CLAUDE_SHA);
    for missing in ["abcdef0", "22", &"f".repeat(40)] {
        let answer = get(
            &app,
            &repo_path(&seeded, &format!("/commits/{missing}")),
            &key,
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let human = get(
        &app,
        &repo_path(&seeded, &format!("/commits/{HUMAN_SHA}")),
        &key,
    )
    .await;
    assert_eq!(human.json()["method"], "none");
    assert_eq!(human.json()["ai_confidence"], 0.0);
    let pending = get(
        &app,
        &repo_path(&seeded, &format!("/commits/{PENDING_SHA}")),
        &key,
    )
    .await;
    assert_eq!(pending.json()["status"], "pending");
    assert_eq!(pending.json()["files"], json!([]));
}

async fn an_override_is_recorded_visible_and_kept(app: TestApp) {
    let seeded = seed(&app).await;
    let member = app.api_key(Role::Member).await;
    let uri = repo_path(&seeded, &format!("/commits/{CLAUDE_SHA}"));
    app.clock.advance(5_000);
    let answer = patch(
        &app,
        &uri,
        &member,
        json!({"ai": false, "note": "  written by hand, trailer pasted by mistake "}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["method"], "manual_override");
    assert_eq!(body["ai_confidence"], 0.0);
    assert_eq!(body["tool"], Value::Null);
    assert_eq!(body["ai_lines_added"], 0);
    let verdict = &body["override"];
    assert!(verdict["by"].as_str().unwrap().starts_with("api_key:"));
    assert_eq!(verdict["by_name"], "API key member key");
    assert_eq!(verdict["at"], NOW + 5_000);
    assert_eq!(
        verdict["note"],
        "written by hand, trailer pasted by mistake"
    );
    let session_file = &body["files"][1];
    assert_eq!(session_file["method"], "manual_override");
    assert_eq!(session_file["ai_confidence"], 0.0);
    // Reassessed with confidence 0: one tier lower and no longer flagged.
    assert_eq!(session_file["flagged"], false);
    assert!(session_file["explanation"]
        .as_str()
        .unwrap()
        .contains("0.00"));
    let lowered = session_file["risk_tier"].as_str().unwrap().to_string();
    // The automatic signals stay as the evidence that was overruled.
    assert_eq!(session_file["signals"][0]["name"], "trailer_co_authored_by");

    // The overview counts the verdict.
    let viewer = app.api_key(Role::Viewer).await;
    let overview = get(&app, &repo_path(&seeded, "/overview"), &viewer)
        .await
        .json();
    assert_eq!(overview["ai_commits"], 1);
    assert_eq!(overview["ai_lines_added"], 30);

    // A later automatic run (the job attributing the commit again) keeps all of it.
    let commit = code_support::commits()
        .into_iter()
        .find(|c| c.sha == CLAUDE_SHA)
        .unwrap();
    let attribution = attribute(
        &commit,
        &AttributionContext::default(),
        &RiskRules::default(),
    );
    app.store
        .record_attribution(
            &app.org_id,
            &seeded.repo,
            &commit,
            &attribution,
            NOW + 9_000,
        )
        .await
        .unwrap();
    let kept = get(&app, &uri, &viewer).await.json();
    assert_eq!(kept["method"], "manual_override");
    assert_eq!(kept["ai_confidence"], 0.0);
    assert_eq!(
        kept["override"]["note"],
        "written by hand, trailer pasted by mistake"
    );
    assert_eq!(kept["files"][1]["risk_tier"], lowered.as_str());
    assert_eq!(kept["files"][1]["flagged"], false);

    // A person says AI and names the tool; without a tool the one found is kept.
    let cursor_uri = repo_path(&seeded, &format!("/commits/{CURSOR_SHA}"));
    let named = patch(
        &app,
        &cursor_uri,
        &member,
        json!({"ai": true, "tool": "aider"}),
    )
    .await;
    assert_eq!(named.json()["tool"], "aider");
    assert_eq!(named.json()["ai_confidence"], 1.0);
    let human_uri = repo_path(&seeded, &format!("/commits/{HUMAN_SHA}"));
    let kept_tool = patch(&app, &human_uri, &member, json!({"ai": true})).await;
    assert_eq!(kept_tool.status, StatusCode::OK);
    assert_eq!(kept_tool.json()["tool"], Value::Null);
    assert_eq!(kept_tool.json()["files"][0]["ai_confidence"], 1.0);

    // Through a session: the user is recorded, and the CSRF header is required.
    let (cookie, csrf) =
        code_support::session(&app, &app.org_id, "rita@example.com", Role::Member).await;
    let forged = call(
        &app,
        "PATCH",
        &uri,
        &[("cookie", &cookie)],
        Some(json!({"ai": true})),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let by_session = call(
        &app,
        "PATCH",
        &uri,
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({"ai": true})),
    )
    .await;
    assert_eq!(by_session.status, StatusCode::OK, "{}", by_session.text);
    assert!(by_session.json()["override"]["by"]
        .as_str()
        .unwrap()
        .starts_with("user:"));
    assert_eq!(by_session.json()["override"]["by_name"], "rita@example.com");
    assert_eq!(by_session.json()["override"]["note"], Value::Null);
}

async fn malformed_overrides_are_refused(app: TestApp) {
    let seeded = seed(&app).await;
    let member = app.api_key(Role::Member).await;
    let uri = repo_path(&seeded, &format!("/commits/{CLAUDE_SHA}"));
    let long_note = "x".repeat(2001);
    for body in [
        json!({}),
        json!({"note": "no verdict"}),
        json!({"ai": "yes"}),
        json!({"ai": false, "tool": "claude"}),
        json!({"ai": true, "tool": "notepad"}),
        json!({"ai": true, "confidence": 0.7}),
        json!({"ai": true, "note": long_note}),
    ] {
        let refused = patch(&app, &uri, &member, body.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.text
        );
        assert_eq!(error_code(&refused), "bad_request", "{body}");
    }
    let unchanged = get(&app, &uri, &member).await.json();
    assert_eq!(unchanged["method"], "declared");
    let viewer = app.api_key(Role::Viewer).await;
    let forbidden = patch(&app, &uri, &viewer, json!({"ai": false})).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let pending = patch(
        &app,
        &repo_path(&seeded, &format!("/commits/{PENDING_SHA}")),
        &member,
        json!({"ai": false}),
    )
    .await;
    assert_eq!(pending.status, StatusCode::CONFLICT);
    let missing = patch(
        &app,
        &repo_path(&seeded, &format!("/commits/{}", "f".repeat(40))),
        &member,
        json!({"ai": false}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn high_risk_files_are_the_latest_per_path_in_pages(app: TestApp) {
    let seeded = seed(&app).await;
    let key = app.api_key(Role::Viewer).await;
    let answer = get(&app, &repo_path(&seeded, "/high-risk-files"), &key).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    let files = body["data"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    // The human commit of src/auth/login.rs was lowered to T2 by its confidence of 0.
    assert_eq!(paths, ["src/auth/session.rs", "src/billing/invoice.rs"]);
    assert_eq!(files[0]["sha"], CLAUDE_SHA);
    assert_eq!(files[0]["changes"], 1);
    assert_eq!(files[1]["tool"], "cursor");
    assert!(files
        .iter()
        .all(|f| ["T3", "T4"].contains(&f["risk_tier"].as_str().unwrap())));
    assert_eq!(body["next_cursor"], Value::Null);

    let first = get(&app, &repo_path(&seeded, "/high-risk-files?limit=1"), &key)
        .await
        .json();
    assert_eq!(first["data"][0]["path"], "src/auth/session.rs");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(
        &app,
        &repo_path(
            &seeded,
            &format!("/high-risk-files?limit=1&cursor={cursor}"),
        ),
        &key,
    )
    .await
    .json();
    assert_eq!(second["data"][0]["path"], "src/billing/invoice.rs");
    assert_eq!(second["next_cursor"], Value::Null);
    let bad = get(
        &app,
        &repo_path(&seeded, "/high-risk-files?cursor=bogus"),
        &key,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn another_organizations_code_answers_404(app: TestApp) {
    let seeded = seed(&app).await;
    let key = app.api_key(Role::Owner).await;
    let other = format!("/api/v1/repositories/{}", seeded.other_repo.as_str());
    for uri in [
        format!("{other}/overview"),
        format!("{other}/events"),
        format!("{other}/high-risk-files"),
        format!("{other}/commits/{OTHER_SHA}"),
        // The other organization's commit through this organization's repository.
        repo_path(&seeded, &format!("/commits/{OTHER_SHA}")),
        format!("/api/v1/code-events/{}", seeded.other_event.as_str()),
    ] {
        let answer = get(&app, &uri, &key).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(error_code(&answer), "not_found", "{uri}");
        assert!(!answer.text.contains("Globex"), "{uri}");
    }
    let refused = patch(
        &app,
        &format!("{other}/commits/{OTHER_SHA}"),
        &key,
        json!({"ai": true}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let untouched = app
        .store
        .get_commit(&seeded.other_org, &seeded.other_repo, OTHER_SHA)
        .await
        .unwrap()
        .unwrap();
    assert!(untouched.overridden_by.is_none());
    // Without credentials: 401 before anything is looked up.
    let anonymous = call(&app, "GET", &repo_path(&seeded, "/overview"), &[], None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

app_tests!(
    the_overview_counts_commits_shares_files_and_tools,
    the_feed_is_filtered_and_paged,
    a_commit_answers_every_file_with_its_signals,
    an_override_is_recorded_visible_and_kept,
    malformed_overrides_are_refused,
    high_risk_files_are_the_latest_per_path_in_pages,
    another_organizations_code_answers_404,
);
