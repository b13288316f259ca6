//! Grouping cost per event: fingerprinting a realistic 20-frame exception event, plus the
//! message path and scrubbing for comparison.
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sentinel_core::event::{Event, Exception, Frame, Mechanism, Message};
use sentinel_core::fingerprint::fingerprint;
use sentinel_core::scrub::Scrubber;
use serde_json::json;

/// A Django request failing deep in application code: 12 framework frames, 8 in-app.
fn twenty_frame_event() -> Event {
    let mut frames = Vec::new();
    for i in 0..20 {
        let in_app = i >= 12;
        let module = if in_app {
            format!("shop.billing.step{i}")
        } else {
            format!("django.core.handlers.layer{i}")
        };
        frames.push(Frame {
            filename: Some(format!("{}.py", module.replace('.', "/"))),
            abs_path: Some(format!(
                "/srv/app/releases/20240501/{}.py",
                module.replace('.', "/")
            )),
            function: Some(if i == 19 {
                "charge_card".into()
            } else {
                format!("handle_{i}")
            }),
            module: Some(module),
            lineno: Some(40 + i),
            in_app: Some(in_app),
            context_line: Some("    total = amount / quantity".into()),
            pre_context: vec!["def handle(request):".into(); 5],
            post_context: vec!["    return total".into(); 5],
            vars: [
                ("amount".to_string(), json!(100)),
                ("quantity".to_string(), json!(0)),
            ]
            .into_iter()
            .collect(),
            ..Frame::default()
        });
    }
    Event {
        event_id: "9ec79c33ec9942ab8353589fcb2e04dc".into(),
        timestamp_ms: 1_714_557_600_000,
        platform: "python".into(),
        transaction: Some("/api/orders/{id}/pay".into()),
        release: Some("shop@1.2.3".into()),
        exceptions: vec![Exception {
            ty: "ZeroDivisionError".into(),
            value: Some("division by zero".into()),
            module: None,
            mechanism: Some(Mechanism {
                ty: "django".into(),
                handled: Some(false),
                synthetic: false,
            }),
            frames,
        }],
        tags: vec![
            ("browser".into(), "Firefox 126".into()),
            ("url".into(), "/api/orders/42/pay".into()),
        ],
        ..Event::default()
    }
}

fn message_event() -> Event {
    Event {
        message: Some(Message {
            formatted: "Payment 8f14e45f-ceea-467f-a0e6-3b2c1d2e9f10 for user 4711 failed after 3 retries at 2024-05-01T10:00:00Z from 10.0.0.12".into(),
            template: None,
            params: vec![],
        }),
        ..Event::default()
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("grouping");
    group.throughput(Throughput::Elements(1));
    let exception = twenty_frame_event();
    group.bench_function("fingerprint_20_frames", |b| {
        b.iter(|| fingerprint(black_box(&exception), black_box("shop")))
    });
    let message = message_event();
    group.bench_function("fingerprint_message", |b| {
        b.iter(|| fingerprint(black_box(&message), black_box("shop")))
    });
    let scrubber = Scrubber::default();
    group.bench_function("scrub_20_frames", |b| {
        b.iter_batched(
            || exception.clone(),
            |mut event| {
                scrubber.scrub(&mut event);
                event
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(grouping, benches);
criterion_main!(grouping);
