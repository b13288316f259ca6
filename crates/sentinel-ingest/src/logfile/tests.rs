use super::*;
use sentinel_core::log_source::LogFormat;

fn reader(format: LogFormat, platform: &str) -> LogReader {
    LogReader {
        format,
        fields: FieldMapping::default(),
        platform: platform.into(),
    }
}

fn origin() -> ChunkOrigin<'static> {
    ChunkOrigin {
        seed: b"source:file",
        offset: 0,
        received_ms: 1_000,
    }
}

const PY_TRACE: &str = "Traceback (most recent call last):\n  File \"/app/billing/charge.py\", line 42, in charge\n    total = amount / count\nZeroDivisionError: division by zero";

#[test]
fn json_error_lines_become_events_and_others_are_only_counted() {
    let line = serde_json::json!({
        "timestamp": "2026-12-01T10:00:00.250Z",
        "level": "error",
        "message": "charge failed",
        "exception": PY_TRACE,
        "trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736",
        "order": 17,
    });
    let chunk = format!(
        "{}\n{{\"level\":\"info\",\"message\":\"ok\"}}\n\n{{\"level\":50,\"msg\":\"pino\"}}\n",
        line
    );
    let read = reader(LogFormat::JsonLines, "python").read_chunk(chunk.as_bytes(), origin(), false);
    assert_eq!(
        (read.lines, read.malformed, read.consumed),
        (4, 0, chunk.len())
    );
    assert_eq!(read.events.len(), 2);
    let event = &read.events[0];
    assert_eq!(event.timestamp_ms, 1_796_119_200_250);
    assert_eq!(
        event.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    let exception = event.main_exception().expect("the traceback");
    assert_eq!(exception.ty, "ZeroDivisionError");
    assert_eq!(exception.value.as_deref(), Some("division by zero"));
    assert_eq!(exception.frames.len(), 1);
    assert_eq!(event.extra.get("order"), Some(&serde_json::json!(17)));
    assert_eq!(
        read.events[1]
            .message
            .as_ref()
            .map(|m| m.formatted.as_str()),
        Some("pino")
    );
    assert_eq!(read.events[1].timestamp_ms, 1_000);
    assert_eq!(read.events[0].event_id.len(), 32);
}

#[test]
fn malformed_and_non_utf8_json_lines_are_counted_and_skipped() {
    let mut chunk = b"{not json\n{\"level\":\"error\",\"message\":\"caf".to_vec();
    chunk.extend_from_slice(&[0xff, 0xfe]);
    chunk.extend_from_slice(b"\"}\n{\"level\":\"error\",\"message\":\"after\"}\n");
    let read = reader(LogFormat::JsonLines, "node").read_chunk(&chunk, origin(), false);
    assert_eq!((read.lines, read.malformed), (3, 2));
    assert_eq!(read.events.len(), 1);
}

#[test]
fn a_line_without_its_newline_waits_for_the_next_read() {
    let whole = b"{\"level\":\"error\",\"message\":\"first\"}\n{\"level\":\"error\",\"mess";
    let read = reader(LogFormat::JsonLines, "node").read_chunk(whole, origin(), true);
    assert_eq!(read.events.len(), 1);
    assert_eq!(read.consumed, 36);
    assert_eq!(read.lines, 1);
}

#[test]
fn ids_are_stable_for_the_same_bytes_at_the_same_offset() {
    let chunk = b"{\"level\":\"error\",\"message\":\"x\"}\n";
    let r = reader(LogFormat::JsonLines, "node");
    let a = r.read_chunk(chunk, origin(), false);
    let b = r.read_chunk(chunk, origin(), false);
    let moved = r.read_chunk(
        chunk,
        ChunkOrigin {
            offset: 10,
            ..origin()
        },
        false,
    );
    assert_eq!(a.events[0].event_id, b.events[0].event_id);
    assert_ne!(a.events[0].event_id, moved.events[0].event_id);
}

#[test]
fn text_records_keep_their_python_java_and_node_tracebacks() {
    let chunk = format!(
        "2026-12-01 10:00:00,123 INFO app: started\n\
         2026-12-01 10:00:01,000 ERROR billing: charge failed\n{PY_TRACE}\n\
         2026-12-01 10:00:02.000 ERROR [main] c.a.Worker - job failed\n\
         java.lang.IllegalStateException: no queue\n\tat com.acme.Worker.run(Worker.java:12)\n\tat java.lang.Thread.run(Thread.java:833)\n\
         2026-12-01T10:00:03.000Z ERROR request failed\n\
         TypeError: x is not a function\n    at handler (/app/src/routes.js:10:5)\n\
         2026-12-01 10:00:04 WARN slow\n"
    );
    let read = reader(LogFormat::Text, "python").read_chunk(chunk.as_bytes(), origin(), false);
    // The last record is held back: the file may still be writing its traceback.
    assert_eq!(read.events.len(), 3);
    assert!(read.consumed < chunk.len());
    let types: Vec<_> = read
        .events
        .iter()
        .map(|e| e.main_exception().map(|x| x.ty.clone()).unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "ZeroDivisionError",
            "java.lang.IllegalStateException",
            "TypeError"
        ]
    );
    assert_eq!(
        read.events[0]
            .message
            .as_ref()
            .map(|m| m.formatted.as_str()),
        Some("billing: charge failed")
    );
    assert_eq!(read.events[0].timestamp_ms, 1_796_119_201_000);
    assert!(read.events.iter().all(|e| !e
        .main_exception()
        .map(|x| x.frames.is_empty())
        .unwrap_or(true)));
    let flushed = reader(LogFormat::Text, "python").read_chunk(chunk.as_bytes(), origin(), true);
    assert_eq!(flushed.consumed, chunk.len());
    assert_eq!(flushed.lines, 14);
}

#[test]
fn text_lines_that_are_not_utf8_are_read_lossily() {
    let mut chunk = b"2026-12-01 10:00:00 ERROR caf".to_vec();
    chunk.extend_from_slice(&[0xff]);
    chunk.extend_from_slice(b" failed\n");
    let read = reader(LogFormat::Text, "python").read_chunk(&chunk, origin(), true);
    assert_eq!(read.events.len(), 1);
    assert_eq!(read.malformed, 0);
}
