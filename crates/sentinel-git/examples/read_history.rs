//! Reads a repository's whole history with `Repo::log` and prints how many commits it read
//! and how fast: `cargo run --release -p sentinel-git --example read_history -- PATH`.

use sentinel_git::{LogOptions, Repo};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: read_history PATH");
        std::process::exit(2);
    };
    let repo = Repo::open(&path)?;
    let started = Instant::now();
    let (mut commits, mut files, mut added, mut kept) = (0u64, 0u64, 0u64, 0u64);
    for commit in repo.log(LogOptions::default())? {
        let commit = commit?;
        commits += 1;
        files += commit.files.len() as u64;
        added += commit.lines_added();
        kept += commit
            .files
            .iter()
            .map(|f| f.added_lines.len() as u64)
            .sum::<u64>();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("commits: {commits}");
    println!("file changes: {files}, lines added: {added}, line texts kept: {kept}");
    println!(
        "elapsed: {seconds:.2} s, {:.0} commits/s",
        commits as f64 / seconds.max(1e-9)
    );
    // The reader's own peak memory (git's is its own process); Linux only.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            println!(
                "reader peak RSS: {}",
                hwm.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    Ok(())
}
