//! Set-up for the workflow tests: an organization whose service maps to a clone the test
//! builds with git (a Python app whose line 4 was added by an AI-assisted commit), an
//! incident whose event raised on that line, a job runtime with the autopsy registered,
//! and waiting on a condition with a deadline.
#![allow(clippy::unwrap_used, dead_code)]

use futures::future::BoxFuture;
use sentinel_agents::{
    ArtifactStore, ArtifactStoreConfig, AutopsyDeps, AutopsyProvider, ProviderError,
};
use sentinel_core::autopsy::{
    AutopsyInput, Category, Culprit, Diagnosis, Disposition, TestCase, TestFramework,
};
use sentinel_core::clock::{ManualClock, Millis, SharedClock};
use sentinel_core::event::{Event, EventKind, Exception, Frame, Level, Mechanism};
use sentinel_core::id::{IncidentId, OrgId, ServiceId};
use sentinel_core::incident::ErrorClass;
use sentinel_jobs::code::CommitReader;
use sentinel_jobs::{JobRuntime, RetryPolicy, RuntimeConfig, RuntimeHandle};
use sentinel_store::code::{NewCodeMapping, NewRepository};
use sentinel_store::incidents::{write_events, CompressedPayload, IncidentSeed, NewEvent};
use sentinel_store::tenancy::{NewOrganization, NewService};
use sentinel_store::testing::TestStore;
use sentinel_store::Store;
use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// 2024-03-01T00:00:00Z: after every commit of the clone.
pub const NOW: Millis = 1_709_251_200_000;

#[macro_export]
macro_rules! workflow_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(sentinel_store::testing::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = sentinel_store::testing::postgres().await else {
                        eprintln!("skipped: {} is not set", sentinel_store::testing::PG_URL_VAR);
                        return;
                    };
                    super::$name(test).await;
                }
            )*
        }
    };
}

pub fn git(dir: &Path, args: &[&str], who: (&str, &str), date: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub const USERS_PY: &str = "def display_name(users, user_id):\n    user = users.get(user_id)\n    # look the user up\n    return user.name.title()\n";

/// A clone with `app/users.py` (its line 4 from an AI-assisted commit) and, when `big`,
/// `app/generated.py` of more than 1 MB. Returns the AI commit's sha.
pub fn build_clone(dir: &Path, big: bool) -> String {
    let ada = ("Ada Human", "ada@example.com");
    git(
        dir,
        &["init", "-q", "-b", "main"],
        ada,
        "2024-01-01T10:00:00+0000",
    );
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/users.py"),
        "def display_name(users, user_id):\n    user = users.get(user_id)\n    # look the user up\n    return ''\n",
    )
    .unwrap();
    if big {
        let line = "VALUE = 'x' * 80  # generated\n";
        std::fs::write(
            dir.join("app/generated.py"),
            line.repeat(1_100_000 / line.len() + 1),
        )
        .unwrap();
    }
    git(dir, &["add", "-A"], ada, "2024-01-01T10:00:00+0000");
    git(
        dir,
        &["commit", "-q", "-m", "users: display names"],
        ada,
        "2024-01-01T10:00:00+0000",
    );
    std::fs::write(dir.join("app/users.py"), USERS_PY).unwrap();
    let bo = ("Bo Builder", "bo@example.com");
    git(dir, &["add", "-A"], bo, "2024-01-02T10:00:00+0000");
    git(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            "users: title-case names\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        ],
        bo,
        "2024-01-02T10:00:00+0000",
    );
    git(dir, &["rev-parse", "HEAD"], bo, "2024-01-02T10:00:00+0000")
}

pub struct Fixture {
    pub store: Store,
    pub clock: ManualClock,
    pub shared: SharedClock,
    pub org: OrgId,
    pub service: ServiceId,
    pub artifacts: ArtifactStore,
    pub artifacts_dir: tempfile::TempDir,
    pub clone: tempfile::TempDir,
    pub ai_commit: String,
}

impl Fixture {
    /// `clone`: link the service to a repository with this clone (`false`: a repository
    /// without one). `big`: the clone also holds a file over 1 MB.
    pub async fn new(test: &TestStore, clone: bool, big: bool) -> Self {
        let store = test.store.clone();
        let clock = ManualClock::new(NOW);
        let shared: SharedClock = Arc::new(clock.clone());
        let org = store
            .create_organization(
                &NewOrganization {
                    slug: format!("acme-{}", ulid::Ulid::new()).to_lowercase(),
                    name: "Acme".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let service = store
            .create_service(
                &org.id,
                &NewService {
                    name: "shop".into(),
                    platform: "python".into(),
                },
                NOW,
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ai_commit = build_clone(dir.path(), big);
        let repository = store
            .create_repository(
                &org.id,
                &NewRepository {
                    full_name: "acme/shop".into(),
                    default_branch: "main".into(),
                    clone_path: clone.then(|| dir.path().to_string_lossy().into_owned()),
                    ..NewRepository::default()
                },
                NOW,
            )
            .await
            .unwrap();
        store
            .create_code_mapping(
                &org.id,
                &NewCodeMapping {
                    service_id: service.id.clone(),
                    repository_id: repository.id,
                    stack_root: "/srv/shop/".into(),
                    source_root: String::new(),
                    branch: None,
                },
                NOW,
            )
            .await
            .unwrap();
        let artifacts_dir = tempfile::tempdir().unwrap();
        let artifacts =
            ArtifactStore::open(&ArtifactStoreConfig::Local(artifacts_dir.path().into())).unwrap();
        Self {
            store,
            clock,
            shared,
            org: org.id,
            service: service.id,
            artifacts,
            artifacts_dir,
            clone: dir,
            ai_commit,
        }
    }

    /// An incident whose one event raised `AttributeError` in `frame_path` at `line`
    /// (without SDK context lines, so the snapshot comes from the clone).
    pub async fn incident(&self, fingerprint: &str, frame_path: &str, line: u32) -> IncidentId {
        let event = Event {
            event_id: ulid::Ulid::new().to_string(),
            timestamp_ms: NOW - 1_000,
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
                        abs_path: Some("/usr/lib/python3.11/runpy.py".into()),
                        function: Some("_run_code".into()),
                        lineno: Some(86),
                        in_app: Some(false),
                        ..Frame::default()
                    },
                    Frame {
                        abs_path: Some(frame_path.into()),
                        function: Some("display_name".into()),
                        lineno: Some(line),
                        in_app: Some(true),
                        ..Frame::default()
                    },
                ],
                ..Exception::default()
            }],
            ..Event::default()
        };
        let new = NewEvent {
            org_id: self.org.clone(),
            service_id: self.service.clone(),
            event_id: event.event_id.clone(),
            kind: EventKind::Error,
            received_at: NOW - 1_000,
            timestamp: NOW - 1_000,
            level: Level::Error,
            trace_id: None,
            release: None,
            environment: Some("production".into()),
            transaction_name: None,
            duration_ms: None,
            tags: Vec::new(),
            payload: CompressedPayload::compress(&serde_json::to_vec(&event).unwrap()).unwrap(),
            incident: Some(IncidentSeed {
                fingerprint: fingerprint.into(),
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
        let mut tx = self.store.begin().await.unwrap();
        let outcomes = write_events(&mut tx, &[new], NOW - 1_000).await.unwrap();
        tx.commit().await.unwrap();
        outcomes[0].incident_id.clone().unwrap()
    }

    pub fn deps(&self) -> AutopsyDeps {
        AutopsyDeps::new(CommitReader::default(), self.artifacts.clone())
    }
}

/// A runtime with quick cadences running the autopsy's kinds (and nothing else).
pub fn runtime(
    store: &Store,
    clock: SharedClock,
    deps: AutopsyDeps,
    worker: &str,
) -> RuntimeHandle {
    runtime_leased(store, clock, deps, worker, Duration::from_secs(30))
}

/// [`runtime`] with leases of `lease`: long ones let a test move the clock on to retries
/// without the reaper taking back a step that is still running.
pub fn runtime_leased(
    store: &Store,
    clock: SharedClock,
    deps: AutopsyDeps,
    worker: &str,
    lease: Duration,
) -> RuntimeHandle {
    let config = RuntimeConfig {
        worker_id: worker.to_string(),
        concurrency: 8,
        claim_batch: 8,
        lease,
        heartbeat: None,
        poll_interval: Duration::from_millis(20),
        claim_cooldown: Duration::from_millis(5),
        reap_interval: Duration::from_millis(20),
        schedule_tick: Duration::from_millis(20),
        retry: RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(4),
        },
    };
    let mut runtime = JobRuntime::new(store.clone(), clock, config);
    sentinel_agents::register(&mut runtime, deps);
    // The AI-attribution alert the tracing step raises is the alerting suite's business.
    runtime.register(sentinel_jobs::handler_fn(
        sentinel_jobs::kinds::AI_ATTRIBUTED_KIND,
        |_ctx| async { Ok(()) },
    ));
    runtime.start()
}

/// Polls `check` until it answers `Some`; panics with `what` after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The incident's latest workflow once it has ended; panics after 30 s.
pub async fn finished(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
) -> sentinel_store::autopsy::Workflow {
    eventually("the workflow to finish", Duration::from_secs(30), || {
        let (store, org, incident) = (store.clone(), org.clone(), incident.clone());
        async move {
            store
                .latest_workflow(&org, &incident)
                .await
                .unwrap()
                .filter(|w| w.status.is_terminal())
        }
    })
    .await
}

/// A provider with a full answer: a test and a patch for `app/users.py:4`.
#[derive(Debug, Clone, Copy)]
pub struct CannedProvider;

pub fn canned_diagnosis() -> Diagnosis {
    Diagnosis {
        category: Category::NullAccess,
        disposition: Disposition::Identified,
        root_cause: "user is None at app/users.py:4 when user_id is unknown".into(),
        culprit: Some(Culprit {
            path: "app/users.py".into(),
            line: 4,
        }),
        confidence: 0.9,
        test_case: Some(TestCase {
            framework: TestFramework::Pytest,
            path: "tests/test_users_regression.py".into(),
            content: "def test_unknown_user():\n    assert display_name({}, 1) == ''\n".into(),
        }),
        patch_diff: Some("--- a/app/users.py\n+++ b/app/users.py\n@@ -1,4 +1,6 @@\n def display_name(users, user_id):\n     user = users.get(user_id)\n+    if user is None:\n+        return ''\n     # look the user up\n     return user.name.title()\n".into()),
        ai_fix_prompt: "Guard `user` in app/users.py:4".into(),
        manual_steps: vec!["Return early when the user is unknown".into()],
    }
}

impl AutopsyProvider for CannedProvider {
    fn name(&self) -> &str {
        "canned"
    }

    fn diagnose<'a>(
        &'a self,
        _input: &'a AutopsyInput,
    ) -> BoxFuture<'a, Result<Diagnosis, ProviderError>> {
        Box::pin(async { Ok(canned_diagnosis()) })
    }
}
