//! Code pages benchmark: the commit page and the repository overview (dashboard pages and
//! their API reads), timed through the router (no network) over a SQLite database seeded
//! once with 100,000 attributed commits and 1,000,000 per-file attribution rows (plus one
//! commit event each) through the store's batch functions.
//!
//! ```text
//! cargo run --release -p sentinel --example code_pages -- [DATA_DIR] [REQUESTS]
//! ```
//! DATA_DIR defaults to target/code-pages-bench; it is seeded only when it holds no
//! benchmark repository yet. Each of the timed reads is requested REQUESTS times
//! (default 400), interleaved.

use anyhow::{anyhow, Context};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_core::code::{
    CodeEvent, CodeEventDetails, Commit, CommitRef, FileChange, FileStatus, GitStamp, Person,
};
use sentinel_core::role::Role;
use sentinel_store::code::{NewCodeEvent, NewRepository};
use sentinel_store::tenancy::{NewOrganization, NewUser};
use sentinel_store::{Store, StoreOptions};
use sentinel_web::auth::session::start_session;
use sentinel_web::state::WebSettings;
use sentinel_web::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

const ORG_SLUG: &str = "code-bench";
const USER_EMAIL: &str = "code-bench@example.com";
const REPO: &str = "bench/monolith";
const COMMITS: usize = 100_000;
const FILES_PER_COMMIT: usize = 10;
const PATHS: usize = 5_000;
const BATCH: usize = 500;
/// The seeded history ends here (2026-09-21), and the benchmark's clock stands here, so the
/// default 30-day overview covers the same commits on every run.
const END: i64 = 1_790_000_000_000;
const SPAN: i64 = 3 * 365 * 86_400_000;

/// A small deterministic generator: the same database on every seeding.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A path of a tier mix like an application's: auth, billing and crypto (T3/T4) among
/// routes, utilities (T2), tests and docs (T1).
fn path(i: usize) -> String {
    match i % 20 {
        0 | 1 => format!("src/auth/handler_{i}.rs"),
        2 | 3 => format!("src/billing/invoice_{i}.rs"),
        4 => format!("src/crypto/cipher_{i}.rs"),
        5..=7 => format!("tests/case_{i}.rs"),
        8 | 9 => format!("docs/page_{i}.md"),
        _ => format!("src/app/module_{}/file_{i}.rs", i % 37),
    }
}

fn commit(n: usize, rng: &mut Rng) -> Commit {
    let at = END - SPAN + (n as i64) * (SPAN / COMMITS as i64);
    let (author, message) = match rng.below(10) {
        0..=2 => (
            Person {
                name: format!("Dev {}", n % 40),
                email: format!("dev{}@example.com", n % 40),
                login: None,
            },
            format!("Change {n}\n\nCo-Authored-By: Claude <noreply@anthropic.com>"),
        ),
        3 => (
            Person {
                name: "Cursor Agent".into(),
                email: "cursoragent@cursor.com".into(),
                login: None,
            },
            format!("Change {n}"),
        ),
        _ => (
            Person {
                name: format!("Dev {}", n % 40),
                email: format!("dev{}@example.com", n % 40),
                login: None,
            },
            format!("Change {n}"),
        ),
    };
    let stamp = GitStamp {
        person: author,
        at_ms: at,
        utc_offset_minutes: 60,
    };
    let mut paths: Vec<usize> = Vec::with_capacity(FILES_PER_COMMIT);
    while paths.len() < FILES_PER_COMMIT {
        let p = rng.below(PATHS);
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    Commit {
        sha: format!("{:040x}", (n as u128) * 0x9e37_79b9_7f4a_7c15_u128),
        parents: vec!["0".repeat(40)],
        author: stamp.clone(),
        committer: stamp,
        message,
        files: paths
            .into_iter()
            .map(|p| FileChange {
                path: path(p),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: 1 + rng.below(200) as u32,
                lines_deleted: rng.below(50) as u32,
                binary: false,
                added_lines: Vec::new(),
            })
            .collect(),
    }
}

fn event(commit: &Commit) -> NewCodeEvent {
    NewCodeEvent::new(
        CodeEvent {
            occurred_at: commit.author.at_ms,
            actor: commit.author.person.email.clone(),
            details: CodeEventDetails::Commit(CommitRef {
                sha: commit.sha.clone(),
                branch: Some("main".into()),
                distinct: true,
                forced: false,
                message: commit.message.clone(),
                author: commit.author.clone(),
                committer: commit.committer.person.clone(),
                url: None,
            }),
        },
        None,
    )
}

async fn seed(store: &Store) -> anyhow::Result<()> {
    let org = store
        .create_organization(
            &NewOrganization {
                slug: ORG_SLUG.into(),
                name: "Code bench".into(),
            },
            END,
        )
        .await?;
    let user = store
        .create_user(
            &NewUser {
                email: USER_EMAIL.into(),
                name: "Bench".into(),
                password_hash: "not-used".into(),
            },
            END,
        )
        .await?;
    store
        .add_member(&org.id, &user.id, Role::Owner, END)
        .await?;
    let repo = store
        .create_repository(
            &org.id,
            &NewRepository {
                full_name: REPO.into(),
                default_branch: "main".into(),
                ..NewRepository::default()
            },
            END - SPAN,
        )
        .await?;
    let rules = RiskRules::default();
    let mut rng = Rng(0x5eed_c0de_1234_5678);
    let started = Instant::now();
    for first in (0..COMMITS).step_by(BATCH) {
        let commits: Vec<Commit> = (first..first + BATCH)
            .map(|n| commit(n, &mut rng))
            .collect();
        let attributions: Vec<_> = commits
            .iter()
            .map(|c| attribute(c, &AttributionContext::default(), &rules))
            .collect();
        let batch: Vec<_> = commits.iter().zip(attributions.iter()).collect();
        store
            .record_attributions(&org.id, &repo.id, &batch, END)
            .await?;
        let events: Vec<NewCodeEvent> = commits.iter().map(event).collect();
        store
            .insert_code_events(&org.id, &repo.id, &events, END)
            .await?;
        if (first / BATCH).is_multiple_of(20) {
            println!("  {first} commits in {:.0?}", started.elapsed());
        }
    }
    println!(
        "seeded {COMMITS} commits, {} attribution rows, in {:.1?}",
        COMMITS * FILES_PER_COMMIT,
        started.elapsed()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/code-pages-bench".into()),
    );
    let requests: usize = args
        .next()
        .map_or(Ok(400), |n| n.parse())
        .context("REQUESTS")?;
    std::fs::create_dir_all(&dir)?;
    let store = Store::open(&StoreOptions::sqlite_in(&dir)).await?;
    if store.get_organization_by_slug(ORG_SLUG).await?.is_none() {
        println!("seeding {} (once) ...", dir.display());
        seed(&store).await?;
    }
    let org = store
        .get_organization_by_slug(ORG_SLUG)
        .await?
        .ok_or_else(|| anyhow!("no seeded organization"))?;
    let user = store
        .find_user_by_email(USER_EMAIL)
        .await?
        .ok_or_else(|| anyhow!("no seeded user"))?;
    let repo = store
        .get_repository_by_full_name(&org.id, REPO)
        .await?
        .ok_or_else(|| anyhow!("no seeded repository"))?;
    let clock: SharedClock = Arc::new(ManualClock::new(END));
    let state = AppState::new(store.clone(), clock, WebSettings::default());
    let session = start_session(&state, &user.id, &org.id).await?;
    let cookie = format!("{}={}", session.cookie.name(), session.cookie.value());
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

    let id = repo.id.as_str().to_string();
    let sha = |rng: &mut Rng| {
        let n = rng.below(COMMITS);
        format!("{:040x}", (n as u128) * 0x9e37_79b9_7f4a_7c15_u128)
    };
    type Target = (&'static str, Box<dyn Fn(&mut Rng) -> String>);
    let fixed =
        |path: String| -> Box<dyn Fn(&mut Rng) -> String> { Box::new(move |_| path.clone()) };
    let page_of = id.clone();
    let api_of = id.clone();
    let targets: Vec<Target> = vec![
        (
            "commit page",
            Box::new(move |rng| format!("/repositories/{page_of}/commits/{}", sha(rng))),
        ),
        (
            "commit API",
            Box::new(move |rng| format!("/api/v1/repositories/{api_of}/commits/{}", sha(rng))),
        ),
        ("overview page 30 d", fixed(format!("/repositories/{id}"))),
        (
            "overview page 1 y",
            fixed(format!("/repositories/{id}?range=1y")),
        ),
        (
            "overview page all",
            fixed(format!("/repositories/{id}?range=all")),
        ),
        (
            "overview API 30 d",
            fixed(format!("/api/v1/repositories/{id}/overview")),
        ),
        (
            "overview API all",
            fixed(format!("/api/v1/repositories/{id}/overview?from=0")),
        ),
    ];
    let mut rng = Rng(0xbe9c_4a11);
    // Warm the page cache and the connection pools.
    for (_, uri) in &targets {
        for _ in 0..5 {
            get(uri(&mut rng)).await?;
        }
    }
    let mut histograms: Vec<(Histogram<u64>, usize)> = Vec::new();
    for _ in &targets {
        histograms.push((Histogram::<u64>::new(3)?, 0));
    }
    for _ in 0..requests {
        for ((_, uri), (histogram, largest)) in targets.iter().zip(histograms.iter_mut()) {
            let (elapsed, bytes) = get(uri(&mut rng)).await?;
            histogram.record(elapsed.as_micros() as u64)?;
            *largest = (*largest).max(bytes);
        }
    }
    for ((name, _), (h, largest)) in targets.iter().zip(&histograms) {
        println!(
            "{name:>18}: n={} p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms (largest {} KB)",
            h.len(),
            h.value_at_quantile(0.50) as f64 / 1000.0,
            h.value_at_quantile(0.95) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            h.max() as f64 / 1000.0,
            largest / 1024,
        );
    }
    store.close().await;
    Ok(())
}
