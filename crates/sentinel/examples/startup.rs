//! Time from `sentinel serve` to a green `/readyz`, on an empty data directory (first
//! start: create the SQLite file, migrate, set up the default organization with an Argon2id
//! password hash) and on an existing one.
//!
//! ```text
//! cargo build --release -p sentinel
//! cargo run --release -p sentinel --example startup -- [RUNS] [BINARY]
//! ```
//!
//! Each run spawns the binary on a free loopback port, polls `/readyz` every millisecond
//! over plain TCP, records the elapsed time at the first 200, then stops the server with
//! SIGTERM and waits for it to exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map_or(10, |n| n.parse().expect("RUNS is a number"));
    let binary = args.next().map_or_else(default_binary, PathBuf::from);
    assert!(
        binary.is_file(),
        "{} not found: build it first",
        binary.display()
    );

    let mut empty = Vec::new();
    let mut existing = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        empty.push(time_to_ready(&binary, dir.path()));
        existing.push(time_to_ready(&binary, dir.path()));
    }
    println!("binary: {}", binary.display());
    report("empty data directory (first start)", &mut empty);
    report("existing data directory", &mut existing);
}

fn default_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/release/examples/startup → target/release/sentinel
    exe.parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("sentinel"))
        .unwrap()
}

fn time_to_ready(binary: &Path, dir: &Path) -> Duration {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = Instant::now();
    let mut child = Command::new(binary)
        .current_dir(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = start + Duration::from_secs(30);
    let elapsed = loop {
        if ready(port) {
            break start.elapsed();
        }
        assert!(Instant::now() < deadline, "not ready within 30 s");
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        std::thread::sleep(Duration::from_millis(1));
    };
    stop(&mut child);
    elapsed
}

fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: runs {} | min {:.1} ms | median {:.1} ms | max {:.1} ms",
        times.len(),
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    );
}
