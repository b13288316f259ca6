//! Throughput of the batched event write path (`write_events` + commit) on SQLite, and on
//! PostgreSQL when `SENTINEL_TEST_DATABASE_URL` is set.
//!
//! `cargo bench -p sentinel-store --bench incidents_write`
//!
//! Each iteration commits one batch of realistic events (a 20-frame exception, tags, about
//! 3 KB of JSON each) spread over 50 incidents, as the ingest writer's group commit does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sentinel_core::event::{Event, EventKind, Exception, Frame, Level, Mechanism};
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::ErrorClass;
use sentinel_store::incidents::{write_events, CompressedPayload, IncidentSeed, NewEvent};
use sentinel_store::{Store, Tx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FINGERPRINTS: u64 = 50;
static NEXT_EVENT: AtomicU64 = AtomicU64::new(0);

fn payload(event_id: &str) -> Vec<u8> {
    let frames = (0..20)
        .map(|i| Frame {
            filename: Some(format!("app/handlers/module_{i}.py")),
            function: Some(format!("handle_step_{i}")),
            module: Some(format!("app.handlers.module_{i}")),
            lineno: Some(10 + i),
            in_app: Some(i > 5),
            context_line: Some(format!("    result = compute_{i}(request, payload)")),
            pre_context: vec!["def handle(request):".into(), "    payload = load()".into()],
            post_context: vec!["    return result".into()],
            ..Frame::default()
        })
        .collect();
    let event = Event {
        event_id: event_id.to_string(),
        timestamp_ms: 1_704_067_200_000,
        kind: EventKind::Error,
        platform: "python".into(),
        level: Level::Error,
        release: Some("shop@4.2.0".into()),
        environment: Some("production".into()),
        transaction: Some("/api/orders/:id".into()),
        exceptions: vec![Exception {
            ty: "KeyError".into(),
            value: Some("'customer_id'".into()),
            module: None,
            mechanism: Some(Mechanism {
                ty: "django".into(),
                handled: Some(false),
                synthetic: false,
            }),
            frames,
        }],
        tags: vec![("browser".into(), "Firefox 120".into())],
        ..Event::default()
    };
    serde_json::to_vec(&event).unwrap()
}

fn batch(org: &OrgId, service: &ServiceId, size: usize) -> Vec<NewEvent> {
    (0..size)
        .map(|_| {
            let n = NEXT_EVENT.fetch_add(1, Ordering::Relaxed);
            let event_id = format!("{n:032x}");
            let fingerprint = format!("{:064x}", n % FINGERPRINTS);
            NewEvent {
                org_id: org.clone(),
                service_id: service.clone(),
                payload: CompressedPayload::compress(&payload(&event_id)).expect("compress"),
                event_id,
                kind: EventKind::Error,
                received_at: 1_704_067_200_000 + n as i64,
                timestamp: 1_704_067_200_000 + n as i64,
                level: Level::Error,
                trace_id: Some(format!("{n:032x}")),
                release: Some("shop@4.2.0".into()),
                environment: Some("production".into()),
                transaction_name: Some("/api/orders/:id".into()),
                duration_ms: None,
                tags: vec![
                    ("browser".into(), format!("Firefox {}", n % 7)),
                    ("os".into(), "Linux".into()),
                    ("server_name".into(), format!("web-{}", n % 3)),
                    (
                        "url".into(),
                        format!("https://shop.example/orders/{}", n % 100),
                    ),
                ],
                incident: Some(IncidentSeed {
                    fingerprint,
                    grouping_version: 1,
                    title: "KeyError: 'customer_id'".into(),
                    culprit: "app.handlers.module_19 in handle_step_19".into(),
                    error_class: ErrorClass::UnhandledException,
                    error_type: "KeyError".into(),
                    message: "'customer_id'".into(),
                    severity: "error".into(),
                    quiet: false,
                    min_occurrences: 1,
                    trigger_route: Some("/api/orders/:id".into()),
                }),
            }
        })
        .collect()
}

async fn seed(store: &Store) -> (OrgId, ServiceId) {
    let org = OrgId::generate();
    let service = ServiceId::generate();
    let mut tx = store.begin().await.unwrap();
    let statements = [
        "INSERT INTO organizations (id, slug, name, created_at) VALUES ($1, $1, $1, 0)",
        "INSERT INTO services (id, org_id, number, name, error_class_filter, created_at) \
         VALUES ($2, $1, 1, 'bench', 'server_5xx', 0)",
    ];
    for sql in statements {
        match &mut tx {
            Tx::Sqlite(t) => {
                sqlx::query(sql)
                    .bind(org.as_str())
                    .bind(service.as_str())
                    .execute(&mut **t)
                    .await
                    .unwrap();
            }
            Tx::Postgres(t) => {
                sqlx::query(sql)
                    .bind(org.as_str())
                    .bind(service.as_str())
                    .execute(&mut **t)
                    .await
                    .unwrap();
            }
        }
    }
    tx.commit().await.unwrap();
    (org, service)
}

fn bench_backend(c: &mut Criterion, name: &str, store: &Store, runtime: &tokio::runtime::Runtime) {
    let (org, service) = runtime.block_on(seed(store));
    let mut group = c.benchmark_group(format!("write_events/{name}"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for size in [50_usize, 200, 500] {
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter_custom(|iters| {
                let batches: Vec<_> = (0..iters).map(|_| batch(&org, &service, size)).collect();
                runtime.block_on(async {
                    let start = Instant::now();
                    for events in &batches {
                        let mut tx = store.begin().await.unwrap();
                        write_events(&mut tx, events, 1_704_067_200_000)
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

fn write_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sqlite = runtime.block_on(sentinel_store::testing::sqlite());
    bench_backend(c, "sqlite", &sqlite.store, &runtime);
    if let Some(pg) = runtime.block_on(sentinel_store::testing::postgres()) {
        bench_backend(c, "postgres", &pg.store, &runtime);
    }
}

criterion_group!(benches, write_path);
criterion_main!(benches);
