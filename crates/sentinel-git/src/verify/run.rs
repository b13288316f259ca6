//! Running a repository's test command: in its own process group with a cleared
//! environment (no proxies, no credentials), killed with the whole group at its timeout,
//! with bounded output.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to run a repository's tests: `argv` in the work tree's root, with only these
/// environment variables (plus `PATH` and a scratch `HOME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCommand {
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// The most bytes of output kept per run.
    pub max_output: usize,
    pub env: Vec<(String, String)>,
}

impl TestCommand {
    /// `argv` with a 60 s timeout and 64 KiB of output; `{test}` in an argument is replaced
    /// by the regression test's path.
    pub fn new(argv: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            timeout: Duration::from_secs(60),
            max_output: 64 * 1024,
            env: Vec::new(),
        }
    }
}

/// What one run of the test command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// `None` when it was killed at the timeout or could not start.
    pub success: Option<bool>,
    pub timed_out: bool,
    /// stdout then stderr, each cut at the limit.
    pub output: String,
}

fn drain(mut from: impl Read + Send + 'static, limit: usize) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        // Keep reading past the limit so the child never blocks on a full pipe.
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            let room = limit.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        kept
    })
}

fn kill_group(pgid: u32) {
    // The test command's children (pytest workers, node) are in its group: end them all.
    // `-s KILL --`: procps' kill reads a bare `-KILL -123` as two signal options.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--"])
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Runs `command` in `dir`, with `test_path` substituted for `{test}`.
pub(crate) fn run(command: &TestCommand, dir: &Path, home: &Path, test_path: &str) -> RunOutcome {
    let Some((program, args)) = command.argv.split_first() else {
        return RunOutcome {
            success: None,
            timed_out: false,
            output: "empty test command".into(),
        };
    };
    let _ = std::fs::create_dir_all(home);
    let mut cmd = Command::new(program);
    cmd.args(args.iter().map(|a| a.replace("{test}", test_path)))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LC_ALL", "C.UTF-8")
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return RunOutcome {
                success: None,
                timed_out: false,
                output: format!("could not start {program}: {e}"),
            }
        }
    };
    let pid = child.id();
    let stdout = child.stdout.take().map(|s| drain(s, command.max_output));
    let stderr = child.stderr.take().map(|s| drain(s, command.max_output));
    let (tx, rx) = mpsc::channel::<std::io::Result<ExitStatus>>();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(command.timeout) {
        Ok(status) => (status.ok(), false),
        Err(_) => {
            tracing::warn!(
                pid,
                timeout_ms = command.timeout.as_millis() as u64,
                "test command timed out; killing its process group"
            );
            kill_group(pid);
            let _ = rx.recv();
            (None, true)
        }
    };
    // Whatever the command left running in its group must not outlive the verification.
    kill_group(pid);
    let _ = waiter.join();
    let mut output = String::new();
    for handle in [stdout, stderr].into_iter().flatten() {
        if let Ok(bytes) = handle.join() {
            output.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    RunOutcome {
        success: if timed_out {
            None
        } else {
            status.map(|s| s.success())
        },
        timed_out,
        output,
    }
}
