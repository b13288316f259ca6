//! Building git commands the same way every time: the repository, a fixed environment and
//! configuration, no pager, no prompts.

use crate::error::{truncate_stderr, GitError};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Environment that would point git at another repository than the one asked for.
const INHERITED_REPOSITORY_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
];

/// Configuration every command runs with: output that parses the same everywhere, and
/// bounded memory. By default git maps pack files in windows of up to 1 GiB and keeps a
/// 96 MB delta-base cache, so a `git log -p` over a 200 MB pack grew to 290 MB resident;
/// with these limits it stays near 140 MB at no measurable cost in time (BENCHMARKS.md,
/// "Repository scan").
const CONFIG: &[&str] = &[
    "core.quotepath=off",
    "color.ui=never",
    "log.showSignature=false",
    "core.packedGitWindowSize=16m",
    "core.packedGitLimit=64m",
    "core.deltaBaseCacheLimit=48m",
];

/// `git --no-pager -C dir -c core.quotepath=off ...` with a predictable environment; the
/// caller adds the subcommand and its arguments.
pub(crate) fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--no-pager").arg("-C").arg(dir);
    for pair in CONFIG {
        cmd.arg("-c").arg(pair);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    for name in INHERITED_REPOSITORY_ENV {
        cmd.env_remove(name);
    }
    cmd
}

/// The command line for error messages: `git` and the subcommand's arguments.
pub(crate) fn describe(cmd: &Command) -> String {
    let args: Vec<&OsStr> = cmd.get_args().collect();
    // Skip `--no-pager -C dir` and the `-c key=value` pairs.
    let shown = args.get(3 + 2 * CONFIG.len()..).unwrap_or(&args[..]);
    let mut out = String::from("git");
    for arg in shown {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    out
}

/// Runs a short command to completion and collects its output.
pub(crate) fn output(cmd: &mut Command) -> Result<Output, GitError> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(GitError::Spawn)
}

/// The error for a command that exited unsuccessfully.
pub(crate) fn failed(cmd: &Command, output: &Output) -> GitError {
    GitError::Failed {
        command: describe(cmd),
        status: output.status.to_string(),
        stderr: truncate_stderr(&output.stderr),
    }
}
