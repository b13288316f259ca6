//! The dashboard in a real browser (headless Chromium driven over WebDriver): log in, open
//! the incident a real `sentry` SDK event created, resolve it, create an API key, and
//! acknowledge the alert the default new-incident rule raised about it. A screenshot of the
//! incident page is saved to target/test-artifacts/incident.png, one of the alerts page to
//! alerts.png.
//!
//! Skips (and passes) when `chromedriver` is not installed; CI installs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    artifacts_dir, find_chromedriver, log_in, open_browser, start_driver, text_now, wait_for,
};
use common::{eventually, open_store, org_of_key, ServerProcess};
use fantoccini::Locator;
use sentinel_core::incident::IncidentStatus;
use sentinel_store::incidents::IncidentQuery;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const EMAIL: &str = "browser@example.com";
const PASSWORD: &str = "browser-test-password-1";

#[inline(never)]
fn parse_quantity(text: &str) -> u32 {
    match text.parse::<u32>() {
        Ok(n) => n,
        Err(err) => {
            sentry::capture_error(&err);
            0
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_resolves_an_incident_creates_an_api_key_and_acknowledges_an_alert_in_the_browser()
{
    let Some(chromedriver) = find_chromedriver() else {
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let dsn = server.dsn.clone().expect("first start prints the DSN");
    let created = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "owner",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("SENTINEL_USER_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    // A real SDK event makes the incident.
    let mut options = sentry::ClientOptions::new()
        .dsn(dsn.as_str())
        .release("shop@3.0.0");
    options.environment = Some("production".into());
    let client = Arc::new(sentry::Client::from_config(sentry::apply_defaults(options)));
    let hub = Arc::new(sentry::Hub::new(
        Some(client.clone()),
        Arc::new(sentry::Scope::default()),
    ));
    sentry::Hub::run(hub, || {
        sentry::add_breadcrumb(sentry::Breadcrumb {
            message: Some("parsing the basket".into()),
            ..Default::default()
        });
        parse_quantity("three");
    });
    assert!(
        client.flush(Some(Duration::from_secs(20))),
        "the SDK could not deliver"
    );
    let store = open_store(dir.path()).await;
    let (key, _) = server.key_and_project();
    let org = org_of_key(&store, &key).await;
    let incident = eventually(Duration::from_secs(20), "the SDK's incident", || {
        let (store, org) = (store.clone(), org.clone());
        async move {
            let query = IncidentQuery {
                include_quiet: true,
                ..Default::default()
            };
            store
                .list_incidents(&org, &query)
                .await
                .unwrap()
                .items
                .into_iter()
                .next()
        }
    })
    .await;

    let driver = start_driver(&chromedriver);
    let (browser, _profile) = open_browser(&driver).await;
    let base = &server.base_url;

    // Log in through the form; the dashboard lands on the incident list.
    log_in(&browser, base, "/incidents", EMAIL, PASSWORD).await;
    wait_for(&browser, "table.incidents").await;
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/incidents"));

    // Open the incident the SDK created.
    let link = browser
        .find(Locator::Css(&format!(
            "a[href='/incidents/{}']",
            incident.id.as_str()
        )))
        .await
        .unwrap();
    link.click().await.unwrap();
    wait_for(&browser, "#status").await;
    let title = browser
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(title.contains("ParseIntError"), "{title}");
    let source = browser.source().await.unwrap();
    assert!(
        source.contains("parsing the basket"),
        "breadcrumbs are shown"
    );
    // The script turned the UTC time into local time, keeping UTC in the tooltip.
    let time = browser.find(Locator::Css("time")).await.unwrap();
    assert!(time.attr("title").await.unwrap().unwrap().ends_with(" UTC"));

    let png = browser.screenshot().await.unwrap();
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("incident.png"), &png).unwrap();

    // Resolve it with the status action.
    browser
        .find(Locator::Css("button[data-to='resolved']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let badge = text_now(&browser, "#status").await;
        if badge == "resolved" {
            break;
        }
        assert!(Instant::now() < deadline, "the status stayed {badge}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.get_incident(&org, &incident.id).await.unwrap().status,
        IncidentStatus::Resolved
    );

    // Create an API key: its secret is shown once.
    browser
        .goto(&format!("{base}/settings/api-keys"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys("from the browser")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.card button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "#new-key").await;
    let secret = browser
        .find(Locator::Css("#new-key"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(secret.starts_with("snt_"), "{secret}");
    assert_eq!(
        store
            .list_api_keys(&org)
            .await
            .unwrap()
            .iter()
            .filter(|k| k.name == "from the browser")
            .count(),
        1
    );

    // The server's worker ran the default new-incident rule for the SDK's incident; its
    // alert is acknowledged from the alerts page and shows who did it.
    let alert = eventually(Duration::from_secs(30), "the new-incident alert", || {
        let (store, org) = (store.clone(), org.clone());
        let incident = incident.id.as_str().to_string();
        async move {
            store
                .alerts_for_incident(&org, &incident)
                .await
                .unwrap()
                .into_iter()
                .find(|a| a.rule_kind == "new_incident")
        }
    })
    .await;
    assert_eq!(alert.acknowledged_at, None);
    browser.goto(&format!("{base}/alerts")).await.unwrap();
    let row = format!("#alert-{}", alert.id);
    wait_for(&browser, &format!("{row} form button[type=submit]")).await;
    browser
        .find(Locator::Css(&format!("{row} form button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = text_now(&browser, &format!("{row} .acked")).await;
        if shown == format!("by {EMAIL}") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the alert was not shown acknowledged: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        browser
            .find(Locator::Css(&format!("{row} form")))
            .await
            .is_err(),
        "an acknowledged alert still offers the form"
    );
    std::fs::write(
        artifacts.join("alerts.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    let stored = store.get_alert(&org, &alert.id).await.unwrap().unwrap();
    let user = store.find_user_by_email(EMAIL).await.unwrap().unwrap();
    assert_eq!(stored.acknowledged_by, Some(format!("user:{}", user.id)));

    browser.close().await.unwrap();
    drop(driver);
}
