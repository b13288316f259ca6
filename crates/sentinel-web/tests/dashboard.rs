//! The server-rendered dashboard through the router, on both backends: what each page
//! shows (and never shows: another organization's data), CSRF on every form, and that a
//! viewer can look but change nothing. The alerting pages' tests are in
//! `support/dashboard_alerting.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::event::{
    Breadcrumb, Event, EventKind, Exception, Frame, Level, Mechanism, Request as HttpRequest, User,
};
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::{ErrorClass, IncidentStatus};
use sentinel_core::role::Role;
use sentinel_store::incidents::{write_events, CompressedPayload, IncidentSeed, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService, NewUser};
use sentinel_store::Store;
use sentinel_web::auth::password::{hash_password_with, HashCost};
use sentinel_web::state::WebSettings;
use sentinel_web::AppState;
use std::sync::Arc;
use tower::ServiceExt;

/// Alerts, detections, notification channels and alert rules pages.
#[path = "support/dashboard_alerting.rs"]
mod alerting;

/// The model provider's settings and the usage page.
#[path = "support/dashboard_llm.rs"]
mod llm;

/// The incident page's suspect commit and autopsy.
#[path = "support/dashboard_autopsy.rs"]
mod autopsy;

const NOW: i64 = 1_790_000_000_000;
const PASSWORD: &str = "correct horse battery";

struct Fixture {
    store: Store,
    app: axum::Router,
    org_a: OrgId,
    org_b: OrgId,
    incident_a: IncidentId,
    quiet_a: IncidentId,
    incident_b: IncidentId,
    service_a: ServiceId,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    html: String,
}

async fn fixture(store: Store) -> Fixture {
    let hash = hash_password_with(PASSWORD, HashCost::Minimal).unwrap();
    let org_a = store
        .create_organization(
            &NewOrganization {
                slug: "acme".into(),
                name: "Acme".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    let org_b = store
        .create_organization(
            &NewOrganization {
                slug: "globex".into(),
                name: "Globex".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    for (email, memberships) in [
        (
            "alice@example.com",
            vec![(&org_a, Role::Owner), (&org_b, Role::Member)],
        ),
        ("vic@example.com", vec![(&org_a, Role::Viewer)]),
        ("bob@example.com", vec![(&org_a, Role::Member)]),
    ] {
        let user = store
            .create_user(
                &NewUser {
                    email: email.into(),
                    name: email.split('@').next().unwrap().into(),
                    password_hash: hash.clone(),
                },
                NOW,
            )
            .await
            .unwrap();
        // Joined one after another, so the first organization (the login's) is Acme.
        for (joined, (org, role)) in (0..).zip(memberships) {
            store
                .add_member(&org.id, &user.id, role, NOW + joined)
                .await
                .unwrap();
        }
    }
    let service_a = store
        .create_service(
            &org_a.id,
            &NewService {
                name: "checkout".into(),
                platform: "python".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    store
        .create_service_key(
            &org_a.id,
            &service_a.id,
            "0123456789abcdef0123456789abcdef",
            None,
            NOW,
        )
        .await
        .unwrap();
    let service_b = store
        .create_service(
            &org_b.id,
            &NewService {
                name: "billing".into(),
                platform: "go".into(),
            },
            NOW,
        )
        .await
        .unwrap();

    let mut events = Vec::new();
    for i in 0..3 {
        events.push(error_event(
            &org_a.id,
            &service_a.id,
            "ZeroDivisionError",
            "division by zero in cart total",
            "fp-a",
            false,
            NOW - i * 3_600_000,
        ));
    }
    events.push(error_event(
        &org_a.id,
        &service_a.id,
        "NotFound",
        "quiet 404 on /favicon.ico",
        "fp-quiet",
        true,
        NOW,
    ));
    events.push(error_event(
        &org_b.id,
        &service_b.id,
        "KeyError",
        "globex secret ledger",
        "fp-b",
        false,
        NOW,
    ));
    let mut tx = store.begin().await.unwrap();
    let outcomes = write_events(&mut tx, &events, NOW).await.unwrap();
    tx.commit().await.unwrap();

    let clock: SharedClock = Arc::new(ManualClock::new(NOW + 60_000));
    let settings = WebSettings {
        secure_cookies: false,
        sealing_key: Some(sentinel_core::sealed::SealingKey::from_bytes(&[42; 32]).unwrap()),
        ..WebSettings::default()
    };
    let app = sentinel_web::router(AppState::new(store.clone(), clock, settings));
    Fixture {
        store,
        app,
        org_a: org_a.id,
        org_b: org_b.id,
        incident_a: outcomes[0].incident_id.clone().unwrap(),
        quiet_a: outcomes[3].incident_id.clone().unwrap(),
        incident_b: outcomes[4].incident_id.clone().unwrap(),
        service_a: service_a.id,
    }
}

fn error_event(
    org: &OrgId,
    service: &ServiceId,
    ty: &str,
    value: &str,
    fingerprint: &str,
    quiet: bool,
    at: i64,
) -> NewEvent {
    let event = Event {
        event_id: ulid::Ulid::new().to_string().to_lowercase(),
        timestamp_ms: at,
        kind: EventKind::Error,
        platform: "python".into(),
        level: Level::Error,
        release: Some("shop@2.1.0".into()),
        environment: Some("production".into()),
        exceptions: vec![Exception {
            ty: ty.into(),
            value: Some(value.into()),
            mechanism: Some(Mechanism {
                ty: "generic".into(),
                handled: Some(false),
                ..Default::default()
            }),
            frames: vec![
                Frame {
                    filename: Some("site-packages/flask/app.py".into()),
                    function: Some("dispatch_request".into()),
                    lineno: Some(880),
                    in_app: Some(false),
                    ..Default::default()
                },
                Frame {
                    filename: Some("shop/cart.py".into()),
                    function: Some("cart_total".into()),
                    lineno: Some(42),
                    in_app: Some(true),
                    pre_context: vec!["def cart_total(items):".into()],
                    context_line: Some("    return sum(prices) / len(items)".into()),
                    post_context: vec!["# end".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        breadcrumbs: vec![Breadcrumb {
            timestamp_ms: Some(at - 1000),
            category: Some("sql.query".into()),
            message: Some("SELECT * FROM carts".into()),
            ..Default::default()
        }],
        request: Some(HttpRequest {
            url: Some("https://shop.example.com/cart".into()),
            method: Some("POST".into()),
            headers: vec![("User-Agent".into(), "pytest-agent/1.0".into())],
            ..Default::default()
        }),
        user: Some(User {
            email: Some("shopper@example.com".into()),
            ..Default::default()
        }),
        tags: vec![("browser".into(), "Firefox".into())],
        ..Default::default()
    };
    NewEvent {
        org_id: org.clone(),
        service_id: service.clone(),
        event_id: event.event_id.clone(),
        kind: EventKind::Error,
        received_at: at,
        timestamp: at,
        level: Level::Error,
        trace_id: None,
        release: event.release.clone(),
        environment: event.environment.clone(),
        transaction_name: None,
        duration_ms: None,
        tags: vec![
            ("browser".into(), "Firefox".into()),
            ("release".into(), "shop@2.1.0".into()),
            ("environment".into(), "production".into()),
        ],
        payload: CompressedPayload::compress(&serde_json::to_vec(&event).unwrap()).unwrap(),
        incident: Some(IncidentSeed {
            fingerprint: fingerprint.into(),
            grouping_version: 1,
            title: format!("{ty}: {value}"),
            culprit: "shop/cart.py in cart_total".into(),
            error_class: if quiet {
                ErrorClass::Client4xx
            } else {
                ErrorClass::UnhandledException
            },
            error_type: ty.into(),
            message: value.into(),
            severity: "error".into(),
            quiet,
            min_occurrences: 1,
            trigger_route: Some("/cart".into()),
        }),
    }
}

impl Fixture {
    async fn request(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            location,
            cookies,
            html: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.request(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.request(request.body(Body::from(body)).unwrap()).await
    }

    /// Logs in through the form and returns the session cookie and the session's CSRF token.
    async fn login(&self, email: &str) -> (String, String) {
        let form = self.get("/login", None).await;
        assert_eq!(form.status, StatusCode::OK);
        let login_cookie = cookie_pair(&form.cookies, "sentinel_login_csrf");
        let token = csrf_of(&form.html);
        let answer = self
            .post(
                "/login",
                Some(&login_cookie),
                &[
                    ("csrf", &token),
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/incidents"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
        assert_eq!(answer.location.as_deref(), Some("/incidents"));
        let session = cookie_pair(&answer.cookies, "sentinel_session");
        let page = self.get("/incidents", Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        (session, csrf_of(&page.html))
    }

    async fn status_of(&self, id: &IncidentId) -> IncidentStatus {
        self.store
            .get_incident(&self.org_a, id)
            .await
            .unwrap()
            .status
    }
}

fn cookie_pair(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn pages_need_a_login(store: Store) {
    let f = fixture(store).await;
    for uri in [
        "/incidents",
        &format!("/incidents/{}", f.incident_a.as_str()),
        "/settings/services",
    ] {
        let answer = f.get(uri, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{uri}");
        assert!(
            answer.location.unwrap().starts_with("/login?next=%2F"),
            "{uri}"
        );
    }
    let bogus = f
        .get("/incidents", Some("sentinel_session=not-a-session"))
        .await;
    assert_eq!(bogus.status, StatusCode::SEE_OTHER);
}

async fn login_checks_the_password_and_the_form_token(store: Store) {
    let f = fixture(store).await;
    let form = f.get("/login", None).await;
    let login_cookie = cookie_pair(&form.cookies, "sentinel_login_csrf");
    let token = csrf_of(&form.html);
    let wrong = f
        .post(
            "/login",
            Some(&login_cookie),
            &[
                ("csrf", &token),
                ("email", "alice@example.com"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Wrong e-mail or password"));
    assert!(!wrong
        .cookies
        .iter()
        .any(|c| c.starts_with("sentinel_session=")));
    // No token, or a token without its cookie (a post from another site): refused.
    let missing = f
        .post(
            "/login",
            Some(&login_cookie),
            &[("email", "alice@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let cross_site = f
        .post(
            "/login",
            None,
            &[
                ("csrf", &token),
                ("email", "alice@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    // An outside `next` is not followed.
    let answer = f
        .post(
            "/login",
            Some(&login_cookie),
            &[
                ("csrf", &token),
                ("email", "alice@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/incidents"));
}

async fn the_list_shows_this_organizations_incidents_only(store: Store) {
    let f = fixture(store).await;
    let (session, _) = f.login("alice@example.com").await;
    let page = f.get("/incidents", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .html
        .contains("ZeroDivisionError: division by zero in cart total"));
    assert!(page
        .html
        .contains(&format!("/incidents/{}", f.incident_a.as_str())));
    assert!(
        !page.html.contains("globex secret ledger"),
        "another organization's incident leaked"
    );
    assert!(
        !page.html.contains("billing"),
        "another organization's service leaked"
    );
    // Quiet incidents are hidden unless asked for.
    assert!(!page.html.contains("quiet 404 on /favicon.ico"));
    let with_quiet = f.get("/incidents?quiet=1", Some(&session)).await;
    assert!(with_quiet.html.contains("quiet 404 on /favicon.ico"));
    // Chips count, rows carry a sparkline with the events of the last 24 h, times are <time>.
    assert!(
        page.html.contains("Open<span class=\"n\">1</span>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("3 events in the last 24 hours"));
    assert!(page.html.contains("<time datetime=\""));
    // Filters narrow the list.
    let none = f.get("/incidents?q=no-such-text", Some(&session)).await;
    assert!(none.html.contains("No incidents match"));
    let by_service = f
        .get(
            &format!(
                "/incidents?service={}&environment=production&sort=count&window=14d",
                f.service_a.as_str()
            ),
            Some(&session),
        )
        .await;
    assert!(by_service.html.contains("ZeroDivisionError"));
    assert!(by_service.html.contains("in the last 14 days"));
    let resolved = f.get("/incidents?status=resolved", Some(&session)).await;
    assert!(!resolved.html.contains("ZeroDivisionError"));
    let bad = f.get("/incidents?cursor=garbage", Some(&session)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn the_incident_page_shows_the_latest_event(store: Store) {
    let f = fixture(store).await;
    let (session, _) = f.login("alice@example.com").await;
    let page = f
        .get(
            &format!("/incidents/{}", f.incident_a.as_str()),
            Some(&session),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = &page.html;
    for expected in [
        "ZeroDivisionError: division by zero in cart total",
        "shop/cart.py:42",
        "frame app",
        "    return sum(prices) / len(items)",
        "site-packages/flask/app.py:880",
        "generic (unhandled)",
        "SELECT * FROM carts",
        "POST https://shop.example.com/cart",
        "shopper@example.com",
        "shop@2.1.0",
        "production",
        "Firefox",
        "3 events in the last 14 days",
        "value=\"resolved\"",
        "value=\"ignored\"",
        "Older ›",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    // Only allowed transitions are offered: a detected incident cannot be "reopened".
    assert!(!html.contains("name=\"to\" value=\"detected\""));
    // Another organization's incident is not found from this session.
    let foreign = f
        .get(
            &format!("/incidents/{}", f.incident_b.as_str()),
            Some(&session),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(!foreign.html.contains("globex secret ledger"));
    // The navigator walks to an older event.
    let older = html
        .split("href=\"")
        .find(|s| s.contains("?event="))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let older_page = f.get(&older, Some(&session)).await;
    assert_eq!(older_page.status, StatusCode::OK);
    assert!(older_page.html.contains("Newer"));
}

async fn status_forms_need_the_csrf_token(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    let uri = format!("/incidents/{}/status", f.incident_a.as_str());
    let missing = f.post(&uri, Some(&session), &[("to", "resolved")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = f
        .post(
            &uri,
            Some(&session),
            &[("csrf", "forged"), ("to", "resolved")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(f.status_of(&f.incident_a).await, IncidentStatus::Detected);
    let done = f
        .post(&uri, Some(&session), &[("csrf", &csrf), ("to", "resolved")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(f.status_of(&f.incident_a).await, IncidentStatus::Resolved);
    // Resolved twice is not a transition.
    let again = f
        .post(&uri, Some(&session), &[("csrf", &csrf), ("to", "resolved")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let page = f
        .get(
            &format!("/incidents/{}", f.incident_a.as_str()),
            Some(&session),
        )
        .await;
    assert!(
        page.html.contains("name=\"to\" value=\"detected\""),
        "a resolved incident can be reopened"
    );
    // The other organization's incident cannot be changed from here.
    let foreign = f
        .post(
            &format!("/incidents/{}/status", f.incident_b.as_str()),
            Some(&session),
            &[("csrf", &csrf), ("to", "resolved")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let _ = f.quiet_a;
}

async fn a_viewer_sees_no_forms_and_cannot_post(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("vic@example.com").await;
    let page = f
        .get(
            &format!("/incidents/{}", f.incident_a.as_str()),
            Some(&session),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.html.contains("/status\""),
        "a viewer is offered a status form"
    );
    let services = f.get("/settings/services", Some(&session)).await;
    assert!(services.html.contains("checkout"));
    assert!(
        !services.html.contains("action=\"/settings/services/"),
        "a viewer is offered the settings form"
    );
    let members = f.get("/settings/members", Some(&session)).await;
    assert!(!members.html.contains("/role\""));
    // With a valid token, every change is still refused.
    let status = f
        .post(
            &format!("/incidents/{}/status", f.incident_a.as_str()),
            Some(&session),
            &[("csrf", &csrf), ("to", "resolved")],
        )
        .await;
    assert_eq!(status.status, StatusCode::FORBIDDEN);
    assert_eq!(f.status_of(&f.incident_a).await, IncidentStatus::Detected);
    let settings = f
        .post(
            &format!("/settings/services/{}", f.service_a.as_str()),
            Some(&session),
            &[("csrf", &csrf), ("min_occurrences", "5")],
        )
        .await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);
    let keys = f.get("/settings/api-keys", Some(&session)).await;
    assert_eq!(keys.status, StatusCode::FORBIDDEN);
    let create = f
        .post(
            "/settings/api-keys",
            Some(&session),
            &[("csrf", &csrf), ("name", "x"), ("role", "viewer")],
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert!(f.store.list_api_keys(&f.org_a).await.unwrap().is_empty());
    // A member may change incidents but not settings.
    let (member, member_csrf) = f.login("bob@example.com").await;
    let settings = f
        .post(
            &format!("/settings/services/{}", f.service_a.as_str()),
            Some(&member),
            &[("csrf", &member_csrf), ("min_occurrences", "5")],
        )
        .await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);
}

async fn api_keys_show_their_secret_once_and_can_be_revoked(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    let created = f
        .post(
            "/settings/api-keys",
            Some(&session),
            &[("csrf", &csrf), ("name", "deploy hook"), ("role", "member")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.html);
    let start = created.html.find("id=\"new-key\">").unwrap() + "id=\"new-key\">".len();
    let secret = created.html[start..].split('<').next().unwrap().to_string();
    assert!(secret.starts_with("snt_"), "{secret}");
    let listed = f.get("/settings/api-keys", Some(&session)).await;
    assert!(listed.html.contains("deploy hook"));
    assert!(!listed.html.contains(&secret), "the secret is shown again");
    let keys = f.store.list_api_keys(&f.org_a).await.unwrap();
    assert_eq!(keys.len(), 1);
    let revoke_uri = format!("/settings/api-keys/{}/revoke", keys[0].id.as_str());
    assert_eq!(
        f.post(&revoke_uri, Some(&session), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let revoked = f
        .post(&revoke_uri, Some(&session), &[("csrf", &csrf)])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(f.store.list_api_keys(&f.org_a).await.unwrap()[0]
        .revoked_at
        .is_some());
}

async fn services_show_dsns_snippets_and_save_settings(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    let page = f.get("/settings/services", Some(&session)).await;
    assert!(page
        .html
        .contains("http://0123456789abcdef0123456789abcdef@127.0.0.1:8080/"));
    for sdk in ["Python", "JavaScript", "Rust", "Go", "Java", ".NET"] {
        assert!(
            page.html.contains(&format!("<summary>{sdk}</summary>")),
            "{sdk}"
        );
    }
    assert!(!page.html.contains("billing"));
    let uri = format!("/settings/services/{}", f.service_a.as_str());
    let saved = f
        .post(
            &uri,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("enabled", "1"),
                ("min_occurrences", "7"),
                ("class", "server_5xx"),
                ("class", "crash"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let service = f
        .store
        .get_service(&f.org_a, &f.service_a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(service.min_occurrences, 7);
    assert!(service.error_class_filter.admits(ErrorClass::Crash));
    assert!(!service
        .error_class_filter
        .admits(ErrorClass::UnhandledException));
    let invalid = f
        .post(
            &uri,
            Some(&session),
            &[("csrf", &csrf), ("min_occurrences", "0")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
}

async fn members_roles_and_switching_organization(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    let members = f.get("/settings/members", Some(&session)).await;
    assert!(members.html.contains("vic@example.com"));
    let vic = f
        .store
        .find_user_by_email("vic@example.com")
        .await
        .unwrap()
        .unwrap();
    let changed = f
        .post(
            &format!("/settings/members/{}/role", vic.id.as_str()),
            Some(&session),
            &[("csrf", &csrf), ("role", "member")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        f.store.member_role(&f.org_a, &vic.id).await.unwrap(),
        Some(Role::Member)
    );

    // Alice belongs to two organizations: the switcher lists both and moves her session.
    let page = f.get("/incidents", Some(&session)).await;
    assert!(page.html.contains("action=\"/switch-org\""));
    assert!(page.html.contains(">Globex</option>"));
    let forged = f
        .post("/switch-org", Some(&session), &[("org", "globex")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let switched = f
        .post(
            "/switch-org",
            Some(&session),
            &[("csrf", &csrf), ("org", "globex")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let globex = cookie_pair(&switched.cookies, "sentinel_session");
    let list = f.get("/incidents", Some(&globex)).await;
    assert!(list.html.contains("globex secret ledger"));
    assert!(!list.html.contains("ZeroDivisionError"));
    // The old session ended with the switch.
    assert_eq!(
        f.get("/incidents", Some(&session)).await.status,
        StatusCode::SEE_OTHER
    );
    // Not a member: refused.
    let (vic_session, vic_csrf) = f.login("vic@example.com").await;
    let refused = f
        .post(
            "/switch-org",
            Some(&vic_session),
            &[("csrf", &vic_csrf), ("org", "globex")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn logging_out_ends_the_session(store: Store) {
    let f = fixture(store).await;
    let (session, csrf) = f.login("alice@example.com").await;
    assert_eq!(
        f.post("/logout", Some(&session), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let out = f.post("/logout", Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(
        f.get("/incidents", Some(&session)).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn services_show_their_log_files_with_offsets_and_counts(store: Store) {
    let f = fixture(store).await;
    let config = sentinel_core::log_source::LogSourceConfig {
        path: "/var/log/checkout/*.log".into(),
        format: sentinel_core::log_source::LogFormat::Text,
        fields: Default::default(),
        poll_interval_ms: 30_000,
        enabled: true,
    };
    let source = f
        .store
        .create_log_source(&f.org_a, &f.service_a, &config, NOW)
        .await
        .unwrap();
    let state = sentinel_store::log_sources::LogFileState {
        source_id: source.id.clone(),
        file_key: "1:2".into(),
        path: "/var/log/checkout/app.log".into(),
        head: String::new(),
        offset: 98_765,
        lines: 1_234,
        errors: 17,
        malformed: 3,
    };
    f.store
        .save_log_file_state(&f.org_a, &state, NOW)
        .await
        .unwrap();
    let (session, _) = f.login("vic@example.com").await;
    let page = f.get("/settings/services", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "/var/log/checkout/*.log",
        "every 30 s",
        "/var/log/checkout/app.log",
        "98765",
        "1234",
        "<td>17</td>",
        "<td>3</td>",
    ] {
        assert!(page.html.contains(text), "{text} is not on the page");
    }
}

sentinel_store::store_tests!(
    pages_need_a_login,
    login_checks_the_password_and_the_form_token,
    the_list_shows_this_organizations_incidents_only,
    the_incident_page_shows_the_latest_event,
    status_forms_need_the_csrf_token,
    a_viewer_sees_no_forms_and_cannot_post,
    api_keys_show_their_secret_once_and_can_be_revoked,
    services_show_dsns_snippets_and_save_settings,
    members_roles_and_switching_organization,
    logging_out_ends_the_session,
    services_show_their_log_files_with_offsets_and_counts,
);
