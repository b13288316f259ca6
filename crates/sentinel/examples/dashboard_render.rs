//! Dashboard render benchmark: the incident list and the incident page, timed through the
//! router (no network) over a SQLite database seeded once with 10,000 incidents and
//! 1,000,000 events by `sentinel::demo::seed`.
//!
//! ```text
//! cargo run --release -p sentinel --example dashboard_render -- [DATA_DIR] [REQUESTS]
//! ```
//! DATA_DIR defaults to target/dashboard-bench; it is seeded only when it holds no seeded
//! organization yet. REQUESTS (default 400) are split evenly between the two pages.

use anyhow::{anyhow, Context};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use sentinel::demo::seed::{seed, SeedOptions, SEED_ORG_SLUG, SEED_USER_EMAIL};
use sentinel_core::clock::{SharedClock, SystemClock};
use sentinel_store::incidents::{IncidentQuery, IncidentSort};
use sentinel_store::{Store, StoreOptions};
use sentinel_web::auth::session::start_session;
use sentinel_web::state::WebSettings;
use sentinel_web::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/dashboard-bench".into()),
    );
    let requests: usize = args
        .next()
        .map_or(Ok(400), |n| n.parse())
        .context("REQUESTS")?;
    std::fs::create_dir_all(&dir)?;
    let store = Store::open(&StoreOptions::sqlite_in(&dir)).await?;
    let clock: SharedClock = Arc::new(SystemClock);
    let now = clock.now_ms();

    if store
        .get_organization_by_slug(SEED_ORG_SLUG)
        .await?
        .is_none()
    {
        println!("seeding {} (once) ...", dir.display());
        let report = seed(
            &store,
            now,
            &SeedOptions {
                incidents: 10_000,
                events: 1_000_000,
            },
        )
        .await?;
        print!("{}", report.summary());
    }
    let org = store
        .get_organization_by_slug(SEED_ORG_SLUG)
        .await?
        .ok_or_else(|| anyhow!("no seeded organization"))?;
    let user = store
        .find_user_by_email(SEED_USER_EMAIL)
        .await?
        .ok_or_else(|| anyhow!("no seeded user"))?;
    let state = AppState::new(store.clone(), clock, WebSettings::default());
    let session = start_session(&state, &user.id, &org.id).await?;
    let cookie = format!("{}={}", session.cookie.name(), session.cookie.value());

    // Incident pages to open: the busiest (their latest events and rollups are the
    // largest) and a spread of ordinary ones.
    let mut ids = Vec::new();
    for sort in [
        IncidentSort::Count,
        IncidentSort::LastSeen,
        IncidentSort::FirstSeen,
    ] {
        let query = IncidentQuery {
            sort,
            limit: 100,
            status: None,
            include_quiet: true,
            ..Default::default()
        };
        ids.extend(
            store
                .list_incidents(&org.id, &query)
                .await?
                .items
                .into_iter()
                .map(|i| i.id),
        );
    }
    let lists = [
        "/incidents".to_string(),
        "/incidents?status=all&sort=count".to_string(),
        "/incidents?status=open&window=14d&sort=first_seen".to_string(),
        "/incidents?status=resolved&environment=production".to_string(),
        "/incidents?q=timeout&quiet=1".to_string(),
    ];

    let app = sentinel_web::router(state);
    let get = |uri: String| {
        let app = app.clone();
        let cookie = cookie.clone();
        async move {
            let request = Request::get(&uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())?;
            let started = Instant::now();
            let response = app.oneshot(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            let elapsed = started.elapsed();
            if status != StatusCode::OK {
                return Err(anyhow!("{uri}: {status}"));
            }
            Ok::<_, anyhow::Error>((elapsed, body.len()))
        }
    };

    // Warm the page cache and the connection pool.
    for uri in lists.iter().cloned().chain(
        ids.iter()
            .take(20)
            .map(|id| format!("/incidents/{}", id.as_str())),
    ) {
        get(uri).await?;
    }
    let mut list_times = Histogram::<u64>::new(3)?;
    let mut page_times = Histogram::<u64>::new(3)?;
    let (mut list_bytes, mut page_bytes) = (0usize, 0usize);
    for i in 0..requests / 2 {
        let (elapsed, bytes) = get(lists[i % lists.len()].clone()).await?;
        list_times.record(elapsed.as_micros() as u64)?;
        list_bytes = list_bytes.max(bytes);
        let id = &ids[(i * 7) % ids.len()];
        let (elapsed, bytes) = get(format!("/incidents/{}", id.as_str())).await?;
        page_times.record(elapsed.as_micros() as u64)?;
        page_bytes = page_bytes.max(bytes);
    }
    for (name, histogram, bytes) in [
        ("incident list", &list_times, list_bytes),
        ("incident page", &page_times, page_bytes),
    ] {
        println!(
            "{name:>13}: n={} p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms (largest page {} KB)",
            histogram.len(),
            histogram.value_at_quantile(0.50) as f64 / 1000.0,
            histogram.value_at_quantile(0.95) as f64 / 1000.0,
            histogram.value_at_quantile(0.99) as f64 / 1000.0,
            histogram.max() as f64 / 1000.0,
            bytes / 1024,
        );
    }
    app_shutdown(store).await;
    Ok(())
}

async fn app_shutdown(store: Store) {
    store.close().await;
}
