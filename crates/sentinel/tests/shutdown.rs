//! Graceful shutdown: once asked to stop, the server accepts no new connections, but a
//! request already in flight still gets its answer.
#![allow(clippy::unwrap_used)]

mod app;

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_answered_after_shutdown_begins() {
    let mut app = app::spawn_app().await;
    let addr = app.server().addr;
    let body = br#"{"email":"nobody@example.com","password":"not this one"}"#;

    // Start a request and hold its body back. `Expect: 100-continue` makes the server say
    // when the handler starts reading the body: from then on the request is in flight.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, 1, "connection closed before 100 Continue");
        interim.push(byte[0]);
    }
    assert!(
        interim.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    let server = app.server.take().unwrap();
    let shutdown = tokio::spawn(server.shutdown());

    // Wait until the listener is gone: new connections are refused.
    let until = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < until,
            "the server kept accepting connections"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !shutdown.is_finished(),
        "shutdown did not wait for the request in flight"
    );

    // Finish the request: it is still answered, in full.
    stream.write_all(body).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("\"code\":\"unauthorized\""), "{answer}");

    tokio::time::timeout(Duration::from_secs(20), shutdown)
        .await
        .unwrap()
        .unwrap();
    app.shutdown().await;
}
