//! Times the autopsy of a typical incident with the heuristic provider, the clone present and
//! no tests run: the six steps as jobs on a SQLite store, from the start of the workflow to
//! its completion.
//!
//! ```sh
//! cargo run --release -p sentinel-agents --example autopsy_workflow -- [RUNS] [COMMITS]
//! ```
//!
//! The clone is a Python service of 200 files and COMMITS commits (default 2,000), the bug's
//! line added by the last one; each run is a new incident raised on that line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel_agents::{start_workflow, ArtifactStore, ArtifactStoreConfig, AutopsyDeps};
use sentinel_core::clock::{SharedClock, SystemClock};
use sentinel_core::event::{Event, EventKind, Exception, Frame, Level, Mechanism};
use sentinel_core::incident::ErrorClass;
use sentinel_core::workflow::WorkflowStatus;
use sentinel_jobs::code::CommitReader;
use sentinel_jobs::{JobRuntime, RuntimeConfig};
use sentinel_store::code::{NewCodeMapping, NewRepository};
use sentinel_store::incidents::{write_events, CompressedPayload, IncidentSeed, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::{Store, StoreOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A history written with `git fast-import`: COMMITS commits over 200 files, then the bug.
fn build_clone(dir: &Path, commits: usize) {
    let run = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    };
    run(&["init", "-q", "-b", "main"]);
    let mut script = String::new();
    let start = 1_700_000_000i64;
    for n in 0..commits {
        let file = n % 200;
        let body = format!(
            "def handler_{file}(request):\n    # revision {n}\n    return request.args.get('id')\n"
        );
        script.push_str(&format!(
            "commit refs/heads/main\nauthor Dev <dev@example.com> {} +0000\ncommitter Dev <dev@example.com> {} +0000\ndata 14\nchange {n:>7}\n",
            start + n as i64 * 60,
            start + n as i64 * 60
        ));
        script.push_str(&format!(
            "M 100644 inline app/handlers/h{file}.py\ndata {}\n{body}\n",
            body.len()
        ));
    }
    let users = "def display_name(users, user_id):\n    user = users.get(user_id)\n    # look the user up\n    return user.name.title()\n";
    let at = start + commits as i64 * 60;
    let message = "users: title-case names\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";
    script.push_str(&format!(
        "commit refs/heads/main\nauthor Bo <bo@example.com> {at} +0000\ncommitter Bo <bo@example.com> {at} +0000\ndata {}\n{message}\nM 100644 inline app/users.py\ndata {}\n{users}\n",
        message.len(),
        users.len()
    ));
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    run(&["checkout", "-q", "main"]);
}

fn event(n: usize, at: i64) -> Event {
    Event {
        event_id: format!("{n:032x}"),
        timestamp_ms: at,
        kind: EventKind::Error,
        platform: "python".into(),
        exceptions: vec![Exception {
            ty: "AttributeError".into(),
            value: Some("'NoneType' object has no attribute 'name'".into()),
            mechanism: Some(Mechanism {
                ty: "excepthook".into(),
                handled: Some(false),
                ..Mechanism::default()
            }),
            frames: vec![
                Frame {
                    abs_path: Some("/srv/shop/app/handlers/h7.py".into()),
                    function: Some("handler_7".into()),
                    lineno: Some(3),
                    in_app: Some(true),
                    ..Frame::default()
                },
                Frame {
                    abs_path: Some("/srv/shop/app/users.py".into()),
                    function: Some("display_name".into()),
                    lineno: Some(4),
                    in_app: Some(true),
                    ..Frame::default()
                },
            ],
            ..Exception::default()
        }],
        ..Event::default()
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let runs = args.first().copied().unwrap_or(30);
    let commits = args.get(1).copied().unwrap_or(2_000);
    let data = tempfile::tempdir().unwrap();
    let clone = tempfile::tempdir().unwrap();
    let built = Instant::now();
    build_clone(clone.path(), commits);
    eprintln!(
        "clone of {commits} commits built in {:.1} s",
        built.elapsed().as_secs_f64()
    );

    let store = Store::open(&StoreOptions::sqlite_in(data.path()))
        .await
        .unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let now = clock.now_ms();
    let org = store
        .create_organization(
            &NewOrganization {
                slug: "acme".into(),
                name: "Acme".into(),
            },
            now,
        )
        .await
        .unwrap()
        .id;
    let service = store
        .create_service(
            &org,
            &NewService {
                name: "shop".into(),
                platform: "python".into(),
            },
            now,
        )
        .await
        .unwrap()
        .id;
    let repository = store
        .create_repository(
            &org,
            &NewRepository {
                full_name: "acme/shop".into(),
                default_branch: "main".into(),
                clone_path: Some(clone.path().to_string_lossy().into_owned()),
                ..NewRepository::default()
            },
            now,
        )
        .await
        .unwrap();
    store
        .create_code_mapping(
            &org,
            &NewCodeMapping {
                service_id: service.clone(),
                repository_id: repository.id,
                stack_root: "/srv/shop/".into(),
                source_root: String::new(),
                branch: None,
            },
            now,
        )
        .await
        .unwrap();
    let artifacts =
        ArtifactStore::open(&ArtifactStoreConfig::Local(data.path().join("artifacts"))).unwrap();
    let mut runtime = JobRuntime::new(store.clone(), clock.clone(), RuntimeConfig::default());
    sentinel_agents::register(
        &mut runtime,
        AutopsyDeps::new(CommitReader::default(), artifacts),
    );
    runtime.register(sentinel_jobs::handler_fn(
        sentinel_jobs::kinds::AI_ATTRIBUTED_KIND,
        |_ctx| async { Ok(()) },
    ));
    let handle = runtime.start();
    let waker = handle.waker();

    let mut times = Vec::new();
    for n in 0..runs {
        let at = clock.now_ms();
        let event = event(n, at);
        let new = NewEvent {
            org_id: org.clone(),
            service_id: service.clone(),
            event_id: event.event_id.clone(),
            kind: EventKind::Error,
            received_at: at,
            timestamp: at,
            level: Level::Error,
            trace_id: None,
            release: None,
            environment: None,
            transaction_name: None,
            duration_ms: None,
            tags: Vec::new(),
            payload: CompressedPayload::compress(&serde_json::to_vec(&event).unwrap()).unwrap(),
            incident: Some(IncidentSeed {
                fingerprint: format!("fp-{n}"),
                grouping_version: 1,
                title: "AttributeError: 'NoneType' object has no attribute 'name'".into(),
                culprit: "app.users in display_name".into(),
                error_class: ErrorClass::UnhandledException,
                error_type: "AttributeError".into(),
                message: "'NoneType' object has no attribute 'name'".into(),
                severity: "error".into(),
                quiet: false,
                min_occurrences: 1,
                trigger_route: None,
            }),
        };
        let mut tx = store.begin().await.unwrap();
        let incident = write_events(&mut tx, &[new], at).await.unwrap()[0]
            .incident_id
            .clone()
            .unwrap();
        tx.commit().await.unwrap();

        let started = Instant::now();
        let workflow = start_workflow(&store, &org, &incident, clock.now_ms())
            .await
            .unwrap();
        waker.wake();
        loop {
            let current = store
                .get_workflow(&org, &workflow.id)
                .await
                .unwrap()
                .unwrap();
            if current.status.is_terminal() {
                assert_eq!(current.status, WorkflowStatus::Completed, "{current:?}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(started.elapsed().as_secs_f64() * 1_000.0);
        if n == 0 {
            let runs = store.list_agent_runs(&org, &workflow.id).await.unwrap();
            for run in runs {
                eprintln!(
                    "  {:<10} {:<8} {:>5} ms {}",
                    run.step.as_str(),
                    run.status.as_str(),
                    run.duration_ms.unwrap_or(0),
                    run.error.unwrap_or_default()
                );
            }
        }
    }
    handle.shutdown(Duration::from_secs(5)).await;
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "autopsy workflow, heuristic provider, clone of {} commits, {runs} runs: median {:.0} ms, p90 {:.0} ms, max {:.0} ms",
        commits + 1,
        pick(0.5),
        pick(0.9),
        pick(1.0)
    );
}
