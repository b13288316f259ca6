//! The built `sentinel` binary: first and second start, configuration errors, database
//! errors at start, and the one-shot commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// The binary, run in `dir`, with no configuration from the test's own environment.
fn sentinel(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sentinel"));
    command.current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars() {
        if key.starts_with("SENTINEL__") {
            command.env_remove(key);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A `sentinel serve` child whose stdout and stderr lines are collected as they come.
struct Served {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let mut child = sentinel(dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// The address from the "sentinel started" log line.
    fn wait_started(&mut self) -> String {
        let started = wait_for(|| {
            self.stderr
                .lock()
                .unwrap()
                .iter()
                .find(|line| line.contains("sentinel started"))
                .cloned()
        });
        let event: serde_json::Value = serde_json::from_str(&started).unwrap();
        event["addr"].as_str().unwrap().to_string()
    }

    fn stdout_text(&self) -> String {
        self.stdout.lock().unwrap().join("\n")
    }

    /// SIGTERM, then wait for a clean exit.
    fn terminate(mut self) -> (bool, String, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = wait_for(|| self.child.try_wait().unwrap());
        // The reader threads end with the pipes; give them the deadline to drain.
        wait_for(|| {
            self.stderr
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains("sentinel stopped"))
                .then_some(())
        });
        (
            status.success(),
            self.stdout_text(),
            self.stderr.lock().unwrap().join("\n"),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Polls `check` until it yields a value, failing the test after [`DEADLINE`].
fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < until,
            "condition not reached within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn line_value(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map(|v| v.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_the_dsn_and_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Served::start(dir.path());
    let addr = first.wait_started();
    let printed = wait_for(|| {
        let text = first.stdout_text();
        text.contains("DSN: ").then_some(text)
    });
    let dsn = line_value(&printed, "DSN: ").unwrap();
    let password = line_value(&printed, "Admin password: ").unwrap();
    let email = line_value(&printed, "Admin e-mail: ").unwrap();
    assert!(
        dsn.starts_with("http://") && dsn.ends_with(&format!("@{addr}/1")),
        "{dsn}"
    );
    assert!(password.len() >= 16);
    assert!(dir.path().join("sentinel-data/sentinel.db").is_file());
    let (clean, out, err) = first.terminate();
    assert!(clean, "first run did not exit cleanly: {err}");
    assert_eq!(out.matches("DSN: ").count(), 1, "{out}");
    // Secrets go to stdout once and never into the logs.
    assert!(!err.contains(&password));

    let mut second = Served::start(dir.path());
    let addr = second.wait_started();
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    // The password printed by the first start logs in to the second.
    let login = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let (clean, out, err) = second.terminate();
    assert!(clean, "second run did not exit cleanly: {err}");
    assert!(!out.contains("DSN: "), "{out}");
    assert!(!out.contains("password"), "{out}");
    assert!(err.contains("sentinel stopped"));
}

#[test]
fn an_unknown_config_key_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sentinel.toml"),
        "[server]\nlisten_adress = \"127.0.0.1:9999\"\n",
    )
    .unwrap();
    let output = run(sentinel(dir.path()).arg("serve"));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("listen_adress"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("sentinel-data").exists());

    let clean_dir = tempfile::tempdir().unwrap();
    let env_typo = run(sentinel(clean_dir.path())
        .arg("migrate")
        .env("SENTINEL__DATABASE__MAX_CONECTIONS", "3"));
    assert!(!env_typo.status.success());
    assert!(
        stderr(&env_typo).contains("max_conections"),
        "{}",
        stderr(&env_typo)
    );
}

#[test]
fn a_bad_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sentinel(dir.path())
        .arg("migrate")
        .env("SENTINEL__SERVER__LISTEN", "not-an-address"));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("server.listen"),
        "{}",
        stderr(&output)
    );

    let role = run(sentinel(dir.path())
        .arg("migrate")
        .env("SENTINEL__SERVER__ROLE", "janitor"));
    assert!(!role.status.success());
    assert!(stderr(&role).contains("server.role"), "{}", stderr(&role));

    let url = run(sentinel(dir.path())
        .arg("migrate")
        .env("SENTINEL__DATABASE__URL", "mysql://root:pw@localhost/x"));
    assert!(!url.status.success());
    assert!(stderr(&url).contains("database.url"), "{}", stderr(&url));
    assert!(!stderr(&url).contains(":pw@"));
}

#[test]
fn a_missing_or_corrupt_config_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(sentinel(dir.path()).args(["migrate", "--config", "nope.toml"]));
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("nope.toml"),
        "{}",
        stderr(&missing)
    );
    assert!(stderr(&missing).contains("does not exist"));

    std::fs::write(dir.path().join("broken.toml"), "[server\nlisten = ").unwrap();
    let corrupt = run(sentinel(dir.path()).args(["migrate", "--config", "broken.toml"]));
    assert!(!corrupt.status.success());
    assert!(
        stderr(&corrupt).contains("broken.toml"),
        "{}",
        stderr(&corrupt)
    );
}

#[test]
fn an_unreachable_database_stops_start_up_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let output = run(sentinel(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg("postgres://sentinel:hunter2@127.0.0.1:1/sentinel")
        .env("SENTINEL__DATABASE__ACQUIRE_TIMEOUT_MS", "2000"));
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("cannot reach the database"), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = run(sentinel(dir.path()).arg("migrate"));
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let options = sentinel_store::StoreOptions::sqlite_in(&dir.path().join("sentinel-data"));
    let lock = sentinel_store::testing::hold_sqlite_write_lock(&options)
        .await
        .unwrap();
    let output = run(sentinel(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SENTINEL__DATABASE__BUSY_TIMEOUT_MS", "200"));
    drop(lock);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("locked"), "{}", stderr(&output));
}

#[test]
fn one_shot_commands_manage_users_projects_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = run(sentinel(dir.path()).arg("migrate"));
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    assert!(stdout(&migrated).contains("up to date"));

    // Nothing to add users to before the first start.
    let early = run(sentinel(dir.path()).args(["user", "create", "--email", "a@b.c"]));
    assert!(!early.status.success());
    assert!(
        stderr(&early).contains("sentinel serve"),
        "{}",
        stderr(&early)
    );

    // The first start is cut short; it leaves the default organization behind.
    let mut served = Served::start(dir.path());
    served.wait_started();
    let (clean, _, err) = served.terminate();
    assert!(clean, "{err}");

    let user = run(sentinel(dir.path()).args([
        "user",
        "create",
        "--email",
        "Dev@Example.com",
        "--role",
        "viewer",
    ]));
    assert!(user.status.success(), "{}", stderr(&user));
    let out = stdout(&user);
    assert!(out.contains("dev@example.com"), "{out}");
    assert!(
        line_value(&out, "Password: ").is_some_and(|p| p.len() >= 16),
        "{out}"
    );
    let again = run(sentinel(dir.path()).args(["user", "create", "--email", "dev@example.com"]));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already a member"),
        "{}",
        stderr(&again)
    );

    let project = run(sentinel(dir.path()).args(["project", "create", "billing"]));
    assert!(project.status.success(), "{}", stderr(&project));
    let dsn = line_value(&stdout(&project), "DSN: ").unwrap();
    assert!(dsn.ends_with("@127.0.0.1:8080/2"), "{dsn}");

    let key =
        run(sentinel(dir.path()).args(["apikey", "create", "--role", "admin", "--name", "deploy"]));
    assert!(key.status.success(), "{}", stderr(&key));
    let secret = stdout(&key)
        .lines()
        .find(|l| l.starts_with("snt_"))
        .unwrap()
        .to_string();
    assert!(secret.len() > 20);
    let bad_role = run(sentinel(dir.path()).args(["apikey", "create", "--role", "root"]));
    assert!(!bad_role.status.success());
}

#[test]
fn tail_reads_a_log_file_once_into_the_service() {
    let dir = tempfile::tempdir().unwrap();
    // The first start leaves the default organization behind.
    let mut served = Served::start(dir.path());
    served.wait_started();
    let (clean, _, err) = served.terminate();
    assert!(clean, "{err}");
    let project = run(sentinel(dir.path()).args(["project", "create", "billing"]));
    assert!(project.status.success(), "{}", stderr(&project));
    std::fs::write(
        dir.path().join("app.log"),
        "{\"level\":\"error\",\"message\":\"charge failed\",\"exception\":{\"type\":\"ValueError\",\"message\":\"bad\"}}\n\
         {\"level\":\"info\",\"message\":\"ok\"}\n\
         {not json\n\
         {\"level\":\"fatal\",\"message\":\"out of memory\"}\n",
    )
    .unwrap();
    let tail = run(sentinel(dir.path()).args(["tail", "app.log", "--service", "billing"]));
    assert!(tail.status.success(), "{}", stderr(&tail));
    let out = stdout(&tail);
    assert!(
        out.contains("4 lines read, 2 error events for billing, 1 malformed"),
        "{out}"
    );
    let unknown = run(sentinel(dir.path()).args(["tail", "app.log", "--service", "nope"]));
    assert!(!unknown.status.success());
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let help = run(sentinel(dir.path()).arg("--help"));
    assert!(help.status.success());
    let text = stdout(&help);
    for word in [
        "serve",
        "migrate",
        "user",
        "project",
        "apikey",
        "--database-url",
        "--config",
    ] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
    let serve_help = run(sentinel(dir.path()).args(["serve", "--help"]));
    assert!(stdout(&serve_help).contains("--role"));
}
