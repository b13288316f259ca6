//! The artifact store by key, in a local folder and in an S3-compatible bucket: `moto_server`
//! (PyPI's `moto[server]`) started on a free loopback port. Without the binary the S3 half
//! is skipped with the reason printed.
#![allow(clippy::unwrap_used)]

use futures::StreamExt;
use sentinel_agents::{ArtifactStore, ArtifactStoreConfig, S3Config};
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn round_trip(store: &ArtifactStore) {
    let body = b"--- a/app/users.py\n+++ b/app/users.py\n".repeat(1_000);
    let key = "org/incident/workflow/patch-1.diff";
    let stored = store.put(key, body.clone().into()).await.unwrap();
    assert_eq!(stored.size, body.len() as i64);
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(&body)));
    assert_eq!(store.get(key).await.unwrap().as_ref(), body.as_slice());
    let mut streamed = Vec::new();
    let mut chunks = store.stream(key).await.unwrap();
    while let Some(chunk) = chunks.next().await {
        streamed.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(streamed, body);
    // Replaced in place.
    store.put(key, b"v2".to_vec().into()).await.unwrap();
    assert_eq!(store.get(key).await.unwrap().as_ref(), b"v2");
    assert!(store
        .get("org/incident/workflow/missing.txt")
        .await
        .is_err());
}

#[tokio::test]
async fn a_local_folder_stores_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("artifacts");
    let store = ArtifactStore::open(&ArtifactStoreConfig::Local(root.clone())).unwrap();
    round_trip(&store).await;
    assert!(root.join("org/incident/workflow/patch-1.diff").is_file());
}

/// Stops the server the test started, by its handle.
struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn http(port: u16, request: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn an_s3_compatible_bucket_stores_by_key() {
    if Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!("skipped: moto_server is not installed (pip install 'moto[server]')");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _moto = Moto(
        Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The bucket, once the server answers (moto does not check signatures).
    let create = format!(
        "PUT /sentinel-artifacts HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(answer) = http(port, &create).await {
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "moto_server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = ArtifactStore::open(&ArtifactStoreConfig::S3(S3Config {
        bucket: "sentinel-artifacts".into(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        prefix: "artifacts/".into(),
        allow_http: true,
    }))
    .unwrap();
    round_trip(&store).await;
    // Under the prefix in the bucket.
    let listing = http(
        port,
        &format!("GET /sentinel-artifacts?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await
    .unwrap();
    assert!(
        listing.contains("<Key>artifacts/org/incident/workflow/patch-1.diff</Key>"),
        "{listing}"
    );
}
