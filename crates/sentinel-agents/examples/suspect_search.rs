//! Times the git half of the suspect-commit search on a real clone:
//!
//! ```sh
//! cargo run --release -p sentinel-agents --example suspect_search -- CLONE FRAME_PATH LINE [RUNS]
//! ```
//!
//! FRAME_PATH is the path as an SDK would report it (e.g. `/build/curl/lib/url.c`); it is
//! mapped by suffix against the tree, then the line is blamed at the commit current now.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sentinel_agents::{locate, revision_for, FrameRef};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [clone, path, line, rest @ ..] = args.as_slice() else {
        eprintln!("usage: suspect_search CLONE FRAME_PATH LINE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = rest.first().map(|r| r.parse().unwrap()).unwrap_or(20);
    let repo = sentinel_git::Repo::open(clone).expect("open the clone");
    let branch = repo.default_branch().expect("default branch");
    let frames = [
        // A library frame that maps nowhere, then the one that raised.
        FrameRef {
            path: "/usr/lib/x86_64-linux-gnu/libc.so.6".into(),
            line: Some(1),
        },
        FrameRef {
            path: path.clone(),
            line: Some(line.parse().unwrap()),
        },
    ];
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut times = Vec::with_capacity(runs);
    let mut found = None;
    for _ in 0..runs {
        let started = Instant::now();
        let revision = revision_for(&repo, None, &branch).unwrap();
        let located = locate(&repo, &revision, now_ms, &frames, &[]).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        found = Some(located);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!("{found:?}");
    println!(
        "runs {runs}: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms",
        pick(0.5),
        pick(0.95),
        times[0],
        times[times.len() - 1]
    );
}
