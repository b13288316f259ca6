//! Realistic Sentry envelopes for load generation.
//!
//! Each envelope is 3–5 KB: an error event with a 10–30 frame stack trace (context lines
//! included, as SDKs send them), tags, a request, contexts and breadcrumbs. About 200 distinct
//! bugs (exception type × call path) are spread over the stream, so the server groups events
//! into a realistic number of incidents. Every request gets a fresh `event_id` (servers
//! de-duplicate by it), written into a fixed slot of a pre-rendered template so the generator
//! spends its time sending, not formatting.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const MODULES: [&str; 12] = [
    "app.api.users",
    "app.api.orders",
    "app.billing.invoices",
    "app.auth.sessions",
    "app.search.index",
    "app.workers.email",
    "app.payments.stripe",
    "app.catalog.products",
    "app.reports.export",
    "app.inventory.stock",
    "app.notifications.push",
    "app.admin.audit",
];
const FUNCTIONS: [&str; 16] = [
    "handle",
    "dispatch",
    "get_user",
    "load_order",
    "charge",
    "render",
    "validate",
    "save",
    "fetch_rows",
    "serialize",
    "authorize",
    "enqueue",
    "compute_total",
    "parse_payload",
    "lookup",
    "apply_discount",
];
const EXCEPTIONS: [(&str, &str); 10] = [
    ("KeyError", "'user_id'"),
    (
        "ValueError",
        "invalid literal for int() with base 10: 'abc'",
    ),
    ("ZeroDivisionError", "division by zero"),
    ("TypeError", "'NoneType' object is not subscriptable"),
    ("AttributeError", "'Order' object has no attribute 'total'"),
    ("TimeoutError", "request to upstream timed out after 30s"),
    ("ConnectionError", "connection refused by 10.0.3.7:5432"),
    ("IndexError", "list index out of range"),
    ("PermissionError", "user 4411 may not access order 99812"),
    ("RuntimeError", "invariant violated: stock below zero"),
];

/// Distinct pre-rendered envelopes per generator; ids make every request unique anyway.
const TEMPLATES: usize = 250;

/// The placeholder every template carries where the event id goes (32 characters).
const ID_SLOT: &str = "ffffffffffffffffffffffffffffffff";

/// Pre-rendered envelopes; [`Envelopes::next`] stamps a fresh id into one.
pub struct Envelopes {
    templates: Vec<(Vec<u8>, Vec<usize>)>,
    counter: u64,
    salt: u64,
}

impl Envelopes {
    /// `distinct_bugs` call paths (the number of incidents the stream should create), drawn
    /// from `bug_seed`. Generators that share a `bug_seed` send the same bugs, so any number of
    /// connections together still make `distinct_bugs` incidents; `stream_seed` picks which
    /// bug each template shows and makes every generator's event ids its own.
    pub fn new(distinct_bugs: usize, bug_seed: u64, stream_seed: u64) -> Self {
        let mut bug_rng = StdRng::seed_from_u64(bug_seed);
        let bugs: Vec<Bug> = (0..distinct_bugs.max(1))
            .map(|i| Bug::random(i, &mut bug_rng))
            .collect();
        let mut rng = StdRng::seed_from_u64(stream_seed);
        let templates = (0..TEMPLATES)
            .map(|i| {
                let bug = &bugs[rng.gen_range(0..bugs.len())];
                let body = render(bug, i, &mut rng);
                let slots = find_all(&body, ID_SLOT.as_bytes());
                (body, slots)
            })
            .collect();
        Self {
            templates,
            counter: 0,
            salt: rng.gen(),
        }
    }

    /// The next envelope to send, with a unique event id.
    pub fn next_envelope(&mut self) -> Vec<u8> {
        self.counter += 1;
        let index = (self.counter as usize) % self.templates.len();
        let (template, slots) = &self.templates[index];
        let mut body = template.clone();
        let id = format!("{:016x}{:016x}", self.salt, self.counter);
        for &at in slots {
            body[at..at + 32].copy_from_slice(id.as_bytes());
        }
        body
    }

    /// Mean size of an envelope in bytes.
    pub fn mean_size(&self) -> usize {
        self.templates.iter().map(|(t, _)| t.len()).sum::<usize>() / self.templates.len().max(1)
    }
}

struct Bug {
    exception: (&'static str, &'static str),
    frames: Vec<(String, String, u32)>,
}

impl Bug {
    fn random(index: usize, rng: &mut StdRng) -> Self {
        let depth = rng.gen_range(10..=30);
        let frames = (0..depth)
            .map(|_| {
                let module = MODULES[rng.gen_range(0..MODULES.len())];
                let function = FUNCTIONS[rng.gen_range(0..FUNCTIONS.len())];
                (
                    module.to_string(),
                    function.to_string(),
                    rng.gen_range(10..900),
                )
            })
            .collect();
        Self {
            exception: EXCEPTIONS[index % EXCEPTIONS.len()],
            frames,
        }
    }
}

fn render(bug: &Bug, i: usize, rng: &mut StdRng) -> Vec<u8> {
    let frames: Vec<Value> = bug
        .frames
        .iter()
        .enumerate()
        .map(|(depth, (module, function, line))| {
            let path = module.replace('.', "/");
            let in_app = depth > 2;
            let mut frame = json!({
                "filename": format!("{path}.py"),
                "module": module,
                "function": function,
                "lineno": line + rng.gen_range(0..3),
                "in_app": in_app,
            });
            if in_app {
                frame["context_line"] = json!(format!("    {function}(ctx)"));
            }
            if depth + 3 >= bug.frames.len() {
                frame["pre_context"] = json!([
                    "    ctx = build_context(request)",
                    "    if not ctx:",
                    "        return None"
                ]);
                frame["post_context"] = json!(["    return result", ""]);
                frame["vars"] = json!({"request": "<Request GET /api/v1/orders>", "attempt": 1});
            }
            frame
        })
        .collect();
    let (ty, value) = bug.exception;
    let region = ["eu-west-1", "us-east-1"][i % 2];
    let tier = ["free", "pro", "enterprise"][i % 3];
    let environment = if i.is_multiple_of(5) {
        "staging"
    } else {
        "production"
    };
    let event = json!({
        "event_id": ID_SLOT,
        "timestamp": 1_763_900_000.0 + i as f64,
        "platform": "python",
        "level": "error",
        "server_name": format!("web-{}", i % 7),
        "release": format!("shop@1.{}.0", i % 4),
        "environment": environment,
        "transaction": format!("/api/v1/orders/{{id}}/{}", i % 9),
        "tags": {"region": region, "customer_tier": tier},
        "exception": {"values": [{
            "type": ty,
            "value": value,
            "module": "builtins",
            "mechanism": {"type": "generic", "handled": !i.is_multiple_of(3)},
            "stacktrace": {"frames": frames},
        }]},
        "request": {
            "method": "GET",
            "url": format!("https://shop.example.com/api/v1/orders/{}", 1000 + i),
            "headers": {"User-Agent": "Mozilla/5.0", "Accept": "application/json"},
            "query_string": "page=2&sort=desc",
        },
        "contexts": {
            "runtime": {"name": "CPython", "version": "3.12.4"},
            "os": {"name": "Linux", "version": "6.1"},
            "trace": {"trace_id": format!("{:032x}", i * 7919), "span_id": format!("{:016x}", i * 31)},
        },
        "breadcrumbs": {"values": [
            {"timestamp": 1_763_899_990.0, "category": "http", "message": "GET /api/v1/cart 200", "level": "info"},
            {"timestamp": 1_763_899_995.0, "category": "query", "message": "SELECT * FROM orders WHERE id = %s", "level": "info"},
        ]},
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
    });
    let item = serde_json::to_vec(&event).unwrap_or_default();
    let mut out = Vec::with_capacity(item.len() + 200);
    out.extend_from_slice(
        format!("{{\"event_id\":\"{ID_SLOT}\",\"sent_at\":\"2026-11-23T10:00:00Z\"}}\n").as_bytes(),
    );
    out.extend_from_slice(format!("{{\"type\":\"event\",\"length\":{}}}\n", item.len()).as_bytes());
    out.extend_from_slice(&item);
    out.push(b'\n');
    out
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_realistic_in_size_and_unique_in_id() {
        // 3–5 KB whatever the seeds, as the benchmark's specification asks.
        for (bugs, stream) in [(1, 1), (7, 7), (42, 42), (99, 7_960), (1_234, 5)] {
            let mean = Envelopes::new(200, bugs, stream).mean_size();
            assert!((3_000..=5_000).contains(&mean), "mean envelope size {mean}");
        }
        let mut envelopes = Envelopes::new(200, 7, 7);
        let a = envelopes.next_envelope();
        let b = envelopes.next_envelope();
        let header_a = a.split(|c| *c == b'\n').next().unwrap();
        let header_b = b.split(|c| *c == b'\n').next().unwrap();
        assert_ne!(header_a, header_b);
        assert!(!String::from_utf8_lossy(&a).contains(ID_SLOT));
    }

    /// The call path of an envelope's event: its frames' functions, in order.
    fn call_path(envelope: &[u8]) -> String {
        let item = envelope.split(|c| *c == b'\n').nth(2).unwrap();
        let event: Value = serde_json::from_slice(item).unwrap();
        event["exception"]["values"][0]["stacktrace"]["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{}.{}", f["module"], f["function"]))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn generators_with_one_bug_seed_share_their_bugs_but_not_their_ids() {
        let mut paths = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for stream in 0..4 {
            let mut envelopes = Envelopes::new(5, 42, stream);
            for _ in 0..TEMPLATES {
                let envelope = envelopes.next_envelope();
                paths.insert(call_path(&envelope));
                ids.insert(envelope.split(|c| *c == b'\n').next().unwrap().to_vec());
            }
        }
        assert!(
            paths.len() <= 5,
            "{} distinct call paths from 5 bugs",
            paths.len()
        );
        assert_eq!(ids.len(), 4 * TEMPLATES);
    }
}
