//! Shared fixtures: a notification with hostile content, transports with short timeouts.

use std::sync::Arc;
use std::time::Duration;

use sentinel_core::clock::{ManualClock, SharedClock};
use sentinel_integrations::{
    Field, HttpOptions, HttpTransport, Notification, NotificationKind, Severity,
};

/// 2023-11-14T22:13:20Z, a whole second so Retry-After dates compare exactly.
pub const NOW_MS: i64 = 1_700_000_000_000;
pub const LINK: &str = "https://sentinel.test/incidents/01HF00000000000000000000AB";

pub fn clock() -> ManualClock {
    ManualClock::new(NOW_MS)
}

pub fn shared(clock: &ManualClock) -> SharedClock {
    Arc::new(clock.clone())
}

pub fn transport(clock: &ManualClock) -> HttpTransport {
    transport_with_timeout(clock, Duration::from_secs(5))
}

pub fn transport_with_timeout(clock: &ManualClock, request_timeout: Duration) -> HttpTransport {
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout,
    };
    HttpTransport::new(&options, shared(clock)).unwrap()
}

pub fn notification() -> Notification {
    Notification {
        kind: NotificationKind::Trigger,
        title: "TypeError: <script>alert(\"x\")</script> & 'friends' in checkout".to_owned(),
        summary: "Cannot read properties of undefined (reading 'id')\n  at pay (cart.ts:42)"
            .to_owned(),
        severity: Severity::Critical,
        link: Some(LINK.to_owned()),
        service: "checkout".to_owned(),
        environment: Some("production".to_owned()),
        class: Some("unhandled_exception".to_owned()),
        fields: vec![
            Field::new("release", "1.4.2"),
            Field::new("occurrences", "17"),
        ],
        dedup_key: "incident:01HF00000000000000000000AB".to_owned(),
        occurred_at: NOW_MS - 60_000,
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Fails the test if a delivery outlives its client's own limits by far.
pub async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("delivery finished within 30 s")
}
