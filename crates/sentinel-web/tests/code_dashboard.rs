//! The code pages of the dashboard through the router, on both backends: each page shows
//! the seeded figures (and never another organization's), filters work from the query
//! string, the commit page explains each file signal by signal, the verdict form records a
//! person's override, and the GitHub setup URL claims an installation for an admin's
//! organization (login first, 403 for another organization's, a clear page for one GitHub
//! has not announced yet, and the installation's ignored deliveries applied once claimed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod code_support;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use code_support::{seed, session, CLAUDE_SHA, CURSOR_SHA, HUMAN_SHA, OTHER_SHA};
use sentinel_core::role::Role;
use sentinel_jobs::code::{GithubDeliveryPayload, GITHUB_DELIVERY_KIND};
use sentinel_store::code::{DeliveryStatus, InstallationUpsert, NewDelivery};
use sentinel_store::jobs::NewJob;
use std::time::{Duration, Instant};
use support::{app_tests, TestApp, TestResponse, NOW};

async fn page(app: &TestApp, uri: &str, cookie: Option<&str>) -> TestResponse {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

async fn post_form(app: &TestApp, uri: &str, cookie: &str, form: &[(&str, &str)]) -> TestResponse {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn code_pages_show_this_organizations_figures(app: TestApp) {
    let seeded = seed(&app).await;
    let (cookie, _) = session(&app, &app.org_id, "vic@example.com", Role::Viewer).await;
    let cookie = Some(cookie.as_str());
    let repo = format!("/repositories/{}", seeded.repo.as_str());

    let list = page(&app, "/repositories", cookie).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains("acme/shop"));
    assert!(list.text.contains(&format!("href=\"{repo}\"")));
    assert!(
        list.text.contains("67 %"),
        "AI share by commit over 30 days"
    );
    assert!(!list.text.contains("globex"));
    assert!(list
        .text
        .contains("href=\"/repositories\" class=\"on\">Code</a>"));

    let overview = page(&app, &repo, cookie).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    let html = &overview.text;
    assert!(
        html.contains("<div class=\"big\" id=\"commits\">3</div>"),
        "{html}"
    );
    assert!(html.contains("<div class=\"big\" id=\"share-line\">89 %</div>"));
    assert!(html.contains("<dt>claude</dt>") && html.contains("<dt>cursor</dt>"));
    assert!(html.contains("<svg class=\"share\""));
    assert!(html.contains("AI share per day"));
    assert!(
        html.contains("1 of 1 commits AI (100 %)"),
        "one tooltip per day"
    );
    assert!(html.contains("0 of 1 commits AI (0 %)"));
    assert!(html.contains("src/billing/invoice.rs"));
    assert!(html.contains(&format!("{repo}/commits/{CLAUDE_SHA}")));
    let all_time = page(&app, &format!("{repo}?range=all"), cookie).await;
    assert!(all_time
        .text
        .contains("<div class=\"big\" id=\"commits\">4</div>"));
    let year = page(&app, &format!("{repo}?range=1y"), cookie).await;
    assert!(
        year.text.contains("AI share per day"),
        "the span starts at the first commit"
    );
    assert_eq!(
        page(&app, &format!("{repo}?range=5y"), cookie).await.status,
        StatusCode::BAD_REQUEST
    );

    let feed = page(&app, &format!("{repo}/events"), cookie).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert!(feed.text.contains("deployed 3333333333 to production"));
    assert!(feed.text.contains("Fix the README typo"));
    let ai_only = page(
        &app,
        &format!("{repo}/events?type=commit&ai=true&author="),
        cookie,
    )
    .await;
    assert_eq!(ai_only.status, StatusCode::OK, "{}", ai_only.text);
    assert!(ai_only.text.contains("Add session tokens"));
    assert!(ai_only.text.contains("Bill by the minute"));
    assert!(!ai_only.text.contains("Fix the README typo"));
    assert!(!ai_only.text.contains("deployed"));
    assert!(ai_only.text.contains("<option value=\"true\" selected>"));
    assert!(ai_only.text.contains("AI 1.00 · cursor") || ai_only.text.contains("AI 0.9"));
    let human = page(&app, &format!("{repo}/events?ai=false"), cookie).await;
    assert!(human.text.contains("Fix the README typo"));
    assert!(!human.text.contains("Add session tokens"));
    assert_eq!(
        page(&app, &format!("{repo}/events?type=nonsense"), cookie)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let risky = page(&app, &format!("{repo}/high-risk"), cookie).await;
    assert_eq!(risky.status, StatusCode::OK);
    assert!(risky.text.contains("src/auth/session.rs"));
    assert!(risky.text.contains("badge flag"));
    assert!(!risky.text.contains("src/auth/login.rs"));

    // Another organization's repository: 404, with nothing of it on the page.
    let other = format!("/repositories/{}", seeded.other_repo.as_str());
    for uri in [
        other.clone(),
        format!("{other}/events"),
        format!("{other}/high-risk"),
        format!("{other}/commits/{OTHER_SHA}"),
        format!("{repo}/commits/{OTHER_SHA}"),
    ] {
        let answer = page(&app, &uri, cookie).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!answer.text.contains("Globex secret"), "{uri}");
    }
    let anonymous = page(&app, &repo, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous
        .header("location")
        .unwrap()
        .starts_with("/login?next=%2Frepositories%2F"));
}

async fn the_commit_page_explains_each_file_signal_by_signal(app: TestApp) {
    let seeded = seed(&app).await;
    let (cookie, _) = session(&app, &app.org_id, "vic@example.com", Role::Viewer).await;
    let uri = format!(
        "/repositories/{}/commits/{CLAUDE_SHA}",
        seeded.repo.as_str()
    );
    let answer = page(&app, &uri, Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let html = &answer.text;
    assert!(html.contains("<h1>Add session tokens</h1>"));
    assert!(
        html.contains("Ada &#60;ada@example.com&#62;")
            || html.contains("Ada &lt;ada@example.com&gt;"),
        "{html}"
    );
    assert!(html.contains("local time (+02:00)"));
    assert!(html.contains("method <b>declared</b>"));
    // Each file: its tier, its confidence, its explanation and the signal that fired.
    assert!(html.contains("<code>src/auth/session.rs</code> <span class=\"badge t-T"));
    assert!(html.contains("<code>docs/auth.md</code>"));
    assert!(html.contains("trailer_co_authored_by"));
    assert!(html.contains("noreply@anthropic.com"));
    assert!(html.contains("Counts for"));
    assert!(html.contains("1 − (1 − 0.950) = 0.95"), "{html}");
    assert!(html.contains("matches the default pattern"));
    assert!(html.contains("badge flag"));
    // A viewer gets no verdict form.
    assert!(!html.contains("Record verdict"));

    let human = page(
        &app,
        &format!("/repositories/{}/commits/{HUMAN_SHA}", seeded.repo.as_str()),
        Some(&cookie),
    )
    .await;
    assert!(
        human.text.contains("no signal carried weight") || human.text.contains("No signal fired")
    );
    let prefix = page(
        &app,
        &format!("/repositories/{}/commits/3333333", seeded.repo.as_str()),
        Some(&cookie),
    )
    .await;
    assert!(prefix.text.contains("Bill by the minute"));
    assert!(prefix.text.contains(CURSOR_SHA));
}

async fn the_verdict_form_records_an_override(app: TestApp) {
    let seeded = seed(&app).await;
    let (member, csrf) = session(&app, &app.org_id, "mia@example.com", Role::Member).await;
    let (viewer, viewer_csrf) = session(&app, &app.org_id, "vic@example.com", Role::Viewer).await;
    let commit = format!(
        "/repositories/{}/commits/{CLAUDE_SHA}",
        seeded.repo.as_str()
    );
    let action = format!("{commit}/override");
    let form_page = page(&app, &commit, Some(&member)).await;
    assert!(form_page.text.contains("Record verdict"));
    assert!(form_page.text.contains(&format!("action=\"{action}\"")));

    let forged = post_form(&app, &action, &member, &[("ai", "false")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let by_viewer = post_form(
        &app,
        &action,
        &viewer,
        &[("csrf", &viewer_csrf), ("ai", "false")],
    )
    .await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let no_choice = post_form(&app, &action, &member, &[("csrf", &csrf), ("note", "hm")]).await;
    assert_eq!(no_choice.status, StatusCode::BAD_REQUEST);
    assert!(no_choice.text.contains("ai is required"));

    let recorded = post_form(
        &app,
        &action,
        &member,
        &[
            ("csrf", &csrf),
            ("ai", "false"),
            ("tool", ""),
            ("note", "I typed it"),
        ],
    )
    .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.text);
    assert_eq!(
        recorded.header("location").as_deref(),
        Some(commit.as_str())
    );
    let shown = page(&app, &commit, Some(&viewer)).await;
    assert!(
        shown.text.contains("Set by mia@example.com"),
        "{}",
        shown.text
    );
    assert!(shown.text.contains("I typed it"));
    assert!(shown.text.contains("method <b>manual_override</b>"));
    assert!(
        shown.text.contains("A person&#39;s verdict replaced")
            || shown.text.contains("A person's verdict replaced")
    );
    let stored = app
        .store
        .get_commit(&app.org_id, &seeded.repo, CLAUDE_SHA)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ai_confidence, Some(0.0));
    assert!(stored.overridden_by.unwrap().starts_with("user:"));
    assert_eq!(stored.override_note.as_deref(), Some("I typed it"));
    // The feed shows the verdict as a person's.
    let feed = page(
        &app,
        &format!("/repositories/{}/events?type=commit", seeded.repo.as_str()),
        Some(&viewer),
    )
    .await;
    assert!(feed.text.contains("human 0.00 · set by a person"));
}

fn installation(github_id: i64, login: &str) -> InstallationUpsert {
    InstallationUpsert {
        github_id,
        account_login: login.into(),
        account_type: "Organization".into(),
        suspended: false,
    }
}

async fn the_setup_url_claims_an_installation_for_an_admin(app: TestApp) {
    let seeded = seed(&app).await;
    let setup = "/github/setup?installation_id=5&setup_action=install";
    // Signed out: log in first, then come back here.
    let anonymous = page(&app, setup, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header("location").as_deref(),
        Some("/login?next=%2Fgithub%2Fsetup%3Finstallation_id%3D5%26setup_action%3Dinstall")
    );
    app.store
        .upsert_installation(&installation(5, "acme-gh"), NOW)
        .await
        .unwrap();
    let (member, _) = session(&app, &app.org_id, "mia@example.com", Role::Member).await;
    let refused = page(&app, setup, Some(&member)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("admin role"));
    assert_eq!(
        app.store
            .find_installation(5)
            .await
            .unwrap()
            .unwrap()
            .org_id,
        None
    );

    let (admin, _) = session(&app, &app.org_id, "ada@example.com", Role::Admin).await;
    let claimed = page(&app, setup, Some(&admin)).await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.text);
    assert_eq!(
        claimed.header("location").as_deref(),
        Some("/repositories?installed=5")
    );
    let stored = app.store.find_installation(5).await.unwrap().unwrap();
    assert_eq!(stored.org_id.as_ref(), Some(&app.org_id));
    assert_eq!(stored.claimed_at, Some(NOW));
    let landing = page(&app, "/repositories?installed=5", Some(&admin)).await;
    assert!(landing
        .text
        .contains("GitHub installation #5 (acme-gh (Organization)) is now connected to Acme"));
    // Again (GitHub's `update`): still ours, nothing changes.
    let again = page(
        &app,
        "/github/setup?installation_id=5&setup_action=update",
        Some(&admin),
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    // Another organization's installation: a clear refusal, and it stays theirs.
    app.store
        .upsert_installation(&installation(6, "globex-gh"), NOW)
        .await
        .unwrap();
    app.store
        .claim_installation(6, &seeded.other_org, NOW)
        .await
        .unwrap();
    let theirs = page(&app, "/github/setup?installation_id=6", Some(&admin)).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    assert!(theirs
        .text
        .contains("already connected to another Sentinel organization"));
    assert!(!theirs.text.contains("Globex"));
    let still = app.store.find_installation(6).await.unwrap().unwrap();
    assert_eq!(still.org_id.as_ref(), Some(&seeded.other_org));

    // Not announced by GitHub yet: refused with a page that tries again, nothing recorded.
    let unknown = page(
        &app,
        "/github/setup?installation_id=777&setup_action=install",
        Some(&admin),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown
        .text
        .contains("has not told Sentinel about installation #777 yet"));
    assert!(unknown.text.contains("http-equiv=\"refresh\""));
    assert!(app.store.find_installation(777).await.unwrap().is_none());
    for bad in [
        "/github/setup",
        "/github/setup?installation_id=abc",
        "/github/setup?installation_id=5&setup_action=steal",
    ] {
        assert_eq!(
            page(&app, bad, Some(&admin)).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

async fn a_claim_applies_the_installations_ignored_deliveries(app: TestApp) {
    // Two organizations (the seed adds Globex), so the installation webhook found no owner.
    let _seeded = seed(&app).await;
    let body = std::fs::read(format!(
        "{}/tests/fixtures/github/installation.created.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let job = NewJob::with_payload(
        GITHUB_DELIVERY_KIND,
        &GithubDeliveryPayload {
            delivery_id: "install-1".into(),
        },
    )
    .unwrap();
    app.store
        .record_webhook_delivery(
            &NewDelivery {
                delivery_id: "install-1".into(),
                event: "installation".into(),
                installation_id: Some(957387),
                org_id: None,
                payload: zstd::encode_all(&body[..], 3).unwrap(),
            },
            Some(&job),
            NOW,
        )
        .await
        .unwrap();
    let clock: sentinel_core::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let mut runtime = sentinel_jobs::JobRuntime::new(
        app.store.clone(),
        clock,
        sentinel_jobs::RuntimeConfig {
            poll_interval: Duration::from_millis(20),
            ..Default::default()
        },
    );
    sentinel_jobs::code::register(
        &mut runtime,
        sentinel_jobs::code::CodeDeps {
            reader: sentinel_jobs::code::CommitReader::default(),
        },
    );
    let handle = runtime.start();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status_of = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .get_webhook_delivery("install-1")
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    while status_of(&app).await != DeliveryStatus::Ignored {
        assert!(Instant::now() < deadline, "the delivery was not applied");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let unclaimed = app.store.find_installation(957387).await.unwrap().unwrap();
    assert_eq!(unclaimed.org_id, None, "two organizations: nobody takes it");

    let (admin, _) = session(&app, &app.org_id, "ada@example.com", Role::Owner).await;
    let claimed = page(
        &app,
        "/github/setup?installation_id=957387&setup_action=install",
        Some(&admin),
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    let repo = loop {
        let found = app
            .store
            .get_repository_by_full_name(&app.org_id, "Codertocat/Hello-World")
            .await
            .unwrap();
        if let Some(repo) = found {
            break repo;
        }
        assert!(
            Instant::now() < deadline,
            "the installation's repositories were not attached"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    handle.shutdown(Duration::from_secs(5)).await;
    assert_eq!(repo.installation_id, Some(957387));
    assert_eq!(status_of(&app).await, DeliveryStatus::Processed);
    let list = page(&app, "/repositories?installed=957387", Some(&admin)).await;
    assert!(list.text.contains("Codertocat/Hello-World"));
    assert!(list.text.contains("GitHub App #957387"));
}

app_tests!(
    code_pages_show_this_organizations_figures,
    the_commit_page_explains_each_file_signal_by_signal,
    the_verdict_form_records_an_override,
    the_setup_url_claims_an_installation_for_an_admin,
    a_claim_applies_the_installations_ignored_deliveries,
);
