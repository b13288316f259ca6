//! Code locations and routes without their build- and request-specific parts: bundle hashes,
//! install paths, closure numbers, memory addresses, ids in URL paths.

/// The part of a code location that is stable between builds and installs: the file's base
/// name, lowercased, without URL origin, query string or bundle hash
/// (`https://cdn.example.com/static/js/main.3f2a1b9c.chunk.js?v=2` → `main.chunk.js`).
pub fn normalize_filename(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let base = path
        .rsplit(['/', '\\'])
        .find(|segment| !segment.is_empty())
        .unwrap_or("");
    let mut out = String::with_capacity(base.len());
    for (i, part) in base.split('.').enumerate() {
        // `index-BxR3k9aZ.js` (vite) keeps its name and loses the hash after the dash.
        let part = strip_dash_hash(part);
        if i > 0 && is_build_hash(part) {
            continue;
        }
        if !out.is_empty() || i > 0 {
            out.push('.');
        }
        for c in part.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn strip_dash_hash(part: &str) -> &str {
    match part.rsplit_once('-') {
        Some((name, tail)) if !name.is_empty() && is_build_hash(tail) => name,
        _ => part,
    }
}

/// Bundlers name outputs after content hashes: 6+ hex characters, or 8+ characters mixing
/// letters and digits.
fn is_build_hash(part: &str) -> bool {
    let len = part.len();
    if len < 6 {
        return false;
    }
    let has_digit = part.bytes().any(|b| b.is_ascii_digit());
    if part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return has_digit;
    }
    len >= 8
        && has_digit
        && part.bytes().any(|b| b.is_ascii_alphabetic())
        && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A module or class name without generated parts: Java lambda classes
/// (`Foo$$Lambda$12/0x0000000801234` → `Foo$$Lambda`), proxy numbers
/// (`GeneratedMethodAccessor123` → `GeneratedMethodAccessor`) and memory addresses.
pub fn normalize_module(module: &str) -> String {
    let module = match module.find("$$Lambda") {
        Some(at) => &module[..at + "$$Lambda".len()],
        None => module,
    };
    let module = module.split("/0x").next().unwrap_or(module);
    strip_generated_numbers(module)
}

/// A function name without the parts that change from build to build: closure and lambda
/// numbers (`{closure#0}`, `lambda$main$3`, `<Main>b__0_1`, `handler.func2`), Rust symbol
/// hashes (`::h0123456789abcdef`), memory addresses and anonymous placeholders
/// (`<anonymous>`, `?`, `<lambda>` all become `<anonymous>`).
pub fn normalize_function(function: &str) -> String {
    let function = function.trim();
    match function {
        "" | "?" | "<anonymous>" | "<lambda>" | "anonymous" | "<unknown>" | "[native code]" => {
            return "<anonymous>".into()
        }
        _ => {}
    }
    // Rust legacy mangling appends `::h` and 16 hex digits.
    let function = match function.rsplit_once("::h") {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => function,
    };
    // Java: `lambda$handle$3` → `lambda$handle`.
    let function = match function.strip_prefix("lambda$") {
        Some(rest) => match rest.rsplit_once('$') {
            Some((name, n)) if n.bytes().all(|b| b.is_ascii_digit()) => {
                return format!("lambda${name}");
            }
            _ => function,
        },
        None => function,
    };
    strip_generated_numbers(function)
}

/// Removes digit runs that compilers number anonymous things with: after `#` (`{closure#0}`),
/// `$` (`$1`), `__` (`b__0_1`), `.func` / `func` at the end (`main.func1`), `fn__`, `0x`
/// addresses, and `__1234_5678` template suffixes.
fn strip_generated_numbers(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Memory address.
        if b == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) && is_boundary(bytes, i) {
            let mut j = i + 2;
            while j < bytes.len() && bytes[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j > i + 2 {
                out.push_str("<addr>");
                i = j;
                continue;
            }
        }
        if b.is_ascii_digit() && generated_number_context(&out) {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'_') {
                j += 1;
            }
            i = j;
            continue;
        }
        // Copy one whole character (names may be non-ASCII).
        let ch_len = utf8_len(b);
        let end = (i + ch_len).min(bytes.len());
        out.push_str(name.get(i..end).unwrap_or(""));
        i = end;
    }
    out
}

fn is_boundary(bytes: &[u8], i: usize) -> bool {
    i == 0 || !bytes[i - 1].is_ascii_alphanumeric()
}

fn generated_number_context(before: &str) -> bool {
    before.ends_with('#')
        || before.ends_with('$')
        || before.ends_with("__")
        || before.ends_with(".func")
        || before.ends_with("GeneratedMethodAccessor")
        || before.ends_with("GeneratedConstructorAccessor")
        || before.ends_with("GeneratedSerializationConstructorAccessor")
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// A URL path as a route template: numeric, UUID and hex segments become `:id`, and the
/// query string is dropped (`/api/users/42/orders?x=1` → `/api/users/:id/orders`).
pub fn route_template(route: &str) -> String {
    let route = route.split(['?', '#']).next().unwrap_or(route);
    route
        .split('/')
        .map(|segment| {
            let digits = segment.bytes().filter(u8::is_ascii_digit).count();
            let is_id = !segment.is_empty()
                && (segment.bytes().all(|b| b.is_ascii_digit())
                    || (segment.len() >= 8
                        && digits > 0
                        && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')));
            if is_id {
                ":id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_bundle_hashes() {
        assert_eq!(
            normalize_filename("https://cdn.example.com/static/js/main.3f2a1b9c.chunk.js?v=2"),
            "main.chunk.js"
        );
        assert_eq!(
            normalize_filename("/srv/app/releases/42/app/Views.py"),
            "views.py"
        );
        assert_eq!(
            normalize_filename("C:\\build\\src\\Program.cs"),
            "program.cs"
        );
        assert_eq!(normalize_filename("assets/index-BxR3k9aZ.js"), "index.js");
        assert_eq!(normalize_filename("app:///vendor.a1b2c3.js"), "vendor.js");
        assert_eq!(normalize_filename("dist/bundle.js"), "bundle.js");
        assert_eq!(normalize_filename("lib/decoder.rb"), "decoder.rb");
    }

    #[test]
    fn functions_lose_generated_ids() {
        assert_eq!(
            normalize_function("app::run::{closure#0}"),
            "app::run::{closure#}"
        );
        assert_eq!(
            normalize_function("app::run::{closure#3}"),
            "app::run::{closure#}"
        );
        assert_eq!(normalize_function("lambda$handle$3"), "lambda$handle");
        assert_eq!(normalize_function("<lambda>"), "<anonymous>");
        assert_eq!(normalize_function("?"), "<anonymous>");
        assert_eq!(
            normalize_function("main.handler.func2"),
            "main.handler.func"
        );
        assert_eq!(normalize_function("<Main>b__0_1"), "<Main>b__");
        assert_eq!(
            normalize_function("core::panicking::panic::h0123456789abcdef"),
            "core::panicking::panic"
        );
        assert_eq!(normalize_function("handle_v2"), "handle_v2");
        assert_eq!(
            normalize_module("com.example.Foo$$Lambda$12/0x0000000801234"),
            "com.example.Foo$$Lambda"
        );
        assert_eq!(
            normalize_module("jdk.internal.reflect.GeneratedMethodAccessor123"),
            "jdk.internal.reflect.GeneratedMethodAccessor"
        );
        assert_eq!(normalize_module("Foo$1"), "Foo$");
    }

    #[test]
    fn routes_become_templates() {
        assert_eq!(
            route_template("/api/users/42/orders?x=1"),
            "/api/users/:id/orders"
        );
        assert_eq!(
            route_template("/o/6f1c2a3e-1111-4abc-9def-0123456789ab"),
            "/o/:id"
        );
        assert_eq!(route_template("/api/users/:id"), "/api/users/:id");
        assert_eq!(route_template("/v2/health"), "/v2/health");
    }
}
