//! The bugs the demo reports, and Sentry JSON for them as an SDK would send it.

use serde_json::{json, Value};

/// One frame of a demo stack trace.
pub struct DemoFrame {
    pub file: &'static str,
    pub function: &'static str,
    pub line: u32,
    pub in_app: bool,
    pub code: &'static str,
}

/// A bug: every occurrence has the same type and stack, so they group into one incident.
pub struct Bug {
    pub platform: &'static str,
    pub ty: &'static str,
    /// `{n}` is replaced by a varying number, as real messages vary.
    pub message: &'static str,
    pub route: &'static str,
    pub frames: &'static [DemoFrame],
}

const fn frame(
    file: &'static str,
    function: &'static str,
    line: u32,
    in_app: bool,
    code: &'static str,
) -> DemoFrame {
    DemoFrame {
        file,
        function,
        line,
        in_app,
        code,
    }
}

/// The catalogue, by service: checkout (Python), search (Node), worker (Python).
pub const BUGS: &[Bug] = &[
    Bug {
        platform: "python",
        ty: "ZeroDivisionError",
        message: "division by zero",
        route: "/cart/total",
        frames: &[
            frame(
                "flask/app.py",
                "dispatch_request",
                880,
                false,
                "return self.view_functions[rule.endpoint](**view_args)",
            ),
            frame(
                "shop/views/cart.py",
                "cart_total",
                58,
                true,
                "average = total / len(items)",
            ),
        ],
    },
    Bug {
        platform: "python",
        ty: "KeyError",
        message: "'sku-{n}'",
        route: "/checkout",
        frames: &[
            frame(
                "flask/app.py",
                "dispatch_request",
                880,
                false,
                "return self.view_functions[rule.endpoint](**view_args)",
            ),
            frame(
                "shop/views/checkout.py",
                "place_order",
                112,
                true,
                "price = catalogue[item.sku]",
            ),
            frame(
                "shop/pricing.py",
                "price_of",
                31,
                true,
                "return PRICES[sku] * quantity",
            ),
        ],
    },
    Bug {
        platform: "python",
        ty: "PaymentDeclined",
        message: "card declined for order {n}",
        route: "/checkout/pay",
        frames: &[frame(
            "shop/payments/gateway.py",
            "charge",
            77,
            true,
            "raise PaymentDeclined(f\"card declined for order {order.id}\")",
        )],
    },
    Bug {
        platform: "node",
        ty: "TypeError",
        message: "Cannot read properties of undefined (reading 'hits')",
        route: "/search",
        frames: &[
            frame(
                "node_modules/express/lib/router/layer.js",
                "handle",
                95,
                false,
                "fn(req, res, next);",
            ),
            frame(
                "src/search/handler.js",
                "search",
                42,
                true,
                "const total = response.body.hits.total;",
            ),
        ],
    },
    Bug {
        platform: "node",
        ty: "TimeoutError",
        message: "query timed out after {n} ms",
        route: "/search/suggest",
        frames: &[frame(
            "src/search/client.js",
            "query",
            18,
            true,
            "throw new TimeoutError(`query timed out after ${ms} ms`);",
        )],
    },
    Bug {
        platform: "python",
        ty: "ConnectionResetError",
        message: "[Errno 104] Connection reset by peer",
        route: "",
        frames: &[
            frame(
                "celery/app/trace.py",
                "trace_task",
                451,
                false,
                "R = retval = fun(*args, **kwargs)",
            ),
            frame(
                "worker/tasks/emails.py",
                "send_receipt",
                23,
                true,
                "smtp.send_message(message)",
            ),
        ],
    },
];

/// The service each bug of [`BUGS`] belongs to (index into the demo's service list).
pub fn service_of(bug: usize) -> usize {
    match BUGS[bug].platform {
        "node" => 1,
        _ if BUGS[bug].route.is_empty() => 2,
        _ => 0,
    }
}

/// A Sentry event for `bug`, occurrence `n`.
pub fn bug_event(bug: &Bug, n: u64, now_secs: f64, release: &str) -> Value {
    let frames: Vec<Value> = bug
        .frames
        .iter()
        .map(|f| {
            json!({
                "filename": f.file,
                "function": f.function,
                "lineno": f.line,
                "in_app": f.in_app,
                "pre_context": ["", "    # demo"],
                "context_line": f.code,
                "post_context": [""],
            })
        })
        .collect();
    let mut event = json!({
        "event_id": random_event_id(),
        "timestamp": now_secs,
        "platform": bug.platform,
        "level": "error",
        "release": release,
        "environment": if n.is_multiple_of(5) { "staging" } else { "production" },
        "server_name": format!("web-{}", n % 3 + 1),
        "exception": {"values": [{
            "type": bug.ty,
            "value": bug.message.replace("{n}", &(1000 + n * 7).to_string()),
            "mechanism": {"type": "generic", "handled": false},
            "stacktrace": {"frames": frames},
        }]},
        "breadcrumbs": {"values": [
            {"timestamp": now_secs - 2.0, "category": "http", "message": format!("GET {}", if bug.route.is_empty() { "/" } else { bug.route })},
            {"timestamp": now_secs - 1.0, "category": "query", "message": "SELECT id, total FROM orders WHERE user_id = %s"},
        ]},
        "user": {"id": format!("user-{}", n % 17), "email": format!("customer{}@example.com", n % 17)},
        "tags": {"browser": if n.is_multiple_of(2) { "Firefox" } else { "Chrome" }},
    });
    if !bug.route.is_empty() {
        event["transaction"] = json!(bug.route);
        event["request"] = json!({
            "url": format!("https://shop.example.com{}", bug.route),
            "method": "POST",
            "headers": {"User-Agent": "Mozilla/5.0 (demo)"},
        });
    }
    event
}

/// A one-off error with a stack of its own, so it does not group with anything.
pub fn one_off_event(n: u64, now_secs: f64) -> Value {
    json!({
        "event_id": random_event_id(),
        "timestamp": now_secs,
        "platform": "python",
        "level": "error",
        "environment": "production",
        "exception": {"values": [{
            "type": format!("DemoError{n}"),
            "value": format!("a one-off failure #{n}"),
            "stacktrace": {"frames": [{
                "filename": format!("shop/jobs/job_{n}.py"),
                "function": format!("run_job_{n}"),
                "lineno": 10 + n,
                "in_app": true,
            }]},
        }]},
    })
}

/// A check-in of the demo's cron monitor.
pub fn check_in(id: &str, status: &str, duration_secs: Option<f64>) -> Value {
    let mut value = json!({
        "check_in_id": id,
        "monitor_slug": "nightly-report",
        "status": status,
        "environment": "production",
        "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "checkin_margin": 5, "max_runtime": 30},
    });
    if let Some(duration) = duration_secs {
        value["duration"] = json!(duration);
    }
    value
}

/// 32 lowercase hex characters, as SDKs make them.
pub fn random_event_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
