//! Each rule of the catalogue on the wordings it is for, and on near misses it must leave.

use super::{classify, Observed};
use crate::autopsy::heuristic::finding::Subject;
use crate::autopsy::{Category, Language};

fn seen<'a>(ty: &'a str, msg: &'a str, line: &'a str) -> Observed<'a> {
    Observed {
        exception_type: ty,
        message: msg,
        mechanism: None,
        focus: Some(line),
        http_status: None,
    }
}

fn category(language: Language, ty: &str, msg: &str, line: &str) -> Option<Category> {
    classify(language, &seen(ty, msg, line)).map(|f| f.category)
}

fn subject(language: Language, ty: &str, msg: &str, line: &str) -> Option<Subject> {
    classify(language, &seen(ty, msg, line)).and_then(|f| f.subject)
}

#[test]
fn python_catalogue() {
    use Category::*;
    let py = Language::Python;
    let cases: &[(&str, &str, &str, Category)] = &[
        (
            "KeyError",
            "'email'",
            "    return user['email']",
            MissingKey,
        ),
        (
            "KeyError",
            "'API_KEY'",
            "    key = os.environ['API_KEY']",
            MissingConfig,
        ),
        (
            "AttributeError",
            "'NoneType' object has no attribute 'name'",
            "    return user.name",
            NullAccess,
        ),
        (
            "TypeError",
            "'NoneType' object is not subscriptable",
            "    return row[0]",
            NullAccess,
        ),
        (
            "IndexError",
            "list index out of range",
            "    return items[len(items)]",
            IndexOutOfRange,
        ),
        (
            "ZeroDivisionError",
            "division by zero",
            "    return total / count",
            DivisionByZero,
        ),
        (
            "TypeError",
            "unsupported operand type(s) for +: 'int' and 'str'",
            "    return base + extra",
            TypeMismatch,
        ),
        (
            "AttributeError",
            "'str' object has no attribute 'get'",
            "    return payload.get('a')",
            TypeMismatch,
        ),
        (
            "json.decoder.JSONDecodeError",
            "Expecting value: line 1 column 1 (char 0)",
            "    data = json.loads(body)",
            ParseError,
        ),
        (
            "ValueError",
            "invalid literal for int() with base 10: 'abc'",
            "    n = int(raw)",
            ParseError,
        ),
        (
            "ConnectionRefusedError",
            "[Errno 111] Connection refused",
            "    sock.connect(addr)",
            DependencyUnavailable,
        ),
        (
            "HTTPError",
            "HTTP Error 503: Service Unavailable",
            "    urlopen(url)",
            Upstream5xx,
        ),
        (
            "RuntimeError",
            "environment variable DATABASE_URL is not set",
            "    raise RuntimeError(msg)",
            MissingConfig,
        ),
    ];
    for (ty, msg, line, expected) in cases {
        assert_eq!(category(py, ty, msg, line), Some(*expected), "{ty}: {msg}");
    }
}

#[test]
fn python_subjects_name_the_expression() {
    let py = Language::Python;
    assert_eq!(
        subject(
            py,
            "KeyError",
            "'email'",
            r#"    return prefix + user["email"].lower()"#
        ),
        Some(Subject::Subscript {
            container: "user".into(),
            key: r#""email""#.into()
        })
    );
    assert_eq!(
        subject(
            py,
            "AttributeError",
            "'NoneType' object has no attribute 'lower'",
            "    return find(uid).lower()"
        ),
        Some(Subject::Receiver {
            receiver: "find(uid)".into(),
            member: "lower".into()
        })
    );
    assert_eq!(
        subject(
            py,
            "ZeroDivisionError",
            "division by zero",
            "    return sum(xs) / len(xs)"
        ),
        Some(Subject::Divisor("len(xs)".into()))
    );
    assert_eq!(
        subject(
            py,
            "TypeError",
            "unsupported operand type(s) for +: 'int' and 'str'",
            "    return base + extra"
        ),
        Some(Subject::Coerce {
            name: "extra".into(),
            into: "int".into()
        })
    );
    assert_eq!(
        subject(
            py,
            "TypeError",
            "can only concatenate str (not \"int\") to str",
            "    return label + count"
        ),
        Some(Subject::Coerce {
            name: "count".into(),
            into: "str".into()
        })
    );
}

#[test]
fn python_near_misses_are_left_alone() {
    let py = Language::Python;
    assert_eq!(
        category(
            py,
            "ValueError",
            "too many values to unpack",
            "    a, b = xs"
        ),
        None
    );
    assert_eq!(
        category(
            py,
            "PermissionError",
            "[Errno 13] Permission denied: '/x'",
            "    open(p)"
        ),
        None
    );
    assert_eq!(
        category(
            py,
            "RuntimeError",
            "user 500 not found",
            "    raise RuntimeError(m)"
        ),
        None
    );
    // A key error whose key is not on the line still names the category, without a subject.
    assert_eq!(
        subject(py, "KeyError", "'email'", "    return lookup(user)"),
        None
    );
}

#[test]
fn javascript_catalogue() {
    use Category::*;
    let js = Language::JavaScript;
    let cases: &[(&str, &str, &str, Category)] = &[
        (
            "TypeError",
            "Cannot read properties of undefined (reading 'email')",
            "  return user.profile.email;",
            NullAccess,
        ),
        (
            "TypeError",
            "Cannot read properties of null (reading 'id')",
            "  const id = session.user.id;",
            NullAccess,
        ),
        (
            "TypeError",
            "Cannot read property 'name' of undefined",
            "  return items[i].name;",
            IndexOutOfRange,
        ),
        (
            "TypeError",
            "Cannot read properties of undefined (reading 'host')",
            "  return config[\"db\"].host;",
            MissingKey,
        ),
        (
            "TypeError",
            "Cannot read properties of undefined (reading 'split')",
            "  const hosts = process.env.REDIS_HOSTS.split(\",\");",
            MissingConfig,
        ),
        (
            "TypeError",
            "undefined is not an object (evaluating 'user.name')",
            "  return user.name;",
            NullAccess,
        ),
        (
            "TypeError",
            "name.toUpperCase is not a function",
            "  return name.toUpperCase();",
            TypeMismatch,
        ),
        (
            "SyntaxError",
            "Unexpected token < in JSON at position 0",
            "  const data = JSON.parse(body);",
            ParseError,
        ),
        (
            "SyntaxError",
            "Unexpected end of JSON input",
            "  return JSON.parse(text);",
            ParseError,
        ),
        (
            "RangeError",
            "Division by zero",
            "  return total / count;",
            DivisionByZero,
        ),
        (
            "Error",
            "connect ECONNREFUSED 127.0.0.1:6379",
            "  await client.connect();",
            DependencyUnavailable,
        ),
        (
            "TypeError",
            "fetch failed",
            "  const res = await fetch(url);",
            DependencyUnavailable,
        ),
        (
            "Error",
            "Request failed with status code 502",
            "  const res = await axios.get(url);",
            Upstream5xx,
        ),
        (
            "Error",
            "Missing required environment variable STRIPE_KEY",
            "  throw new Error(msg);",
            MissingConfig,
        ),
    ];
    for (ty, msg, line, expected) in cases {
        assert_eq!(category(js, ty, msg, line), Some(*expected), "{ty}: {msg}");
    }
}

#[test]
fn javascript_unhandled_rejections_need_the_mechanism() {
    let js = Language::JavaScript;
    let mut observed = seen(
        "Error",
        "quota exceeded",
        "  throw new Error(\"quota exceeded\");",
    );
    assert_eq!(classify(js, &observed).map(|f| f.category), None);
    observed.mechanism = Some("auto.node.onunhandledrejection");
    assert_eq!(
        classify(js, &observed).map(|f| f.category),
        Some(Category::UnhandledRejection)
    );
    // A specific cause wins over the mechanism.
    observed.message = "connect ECONNREFUSED 10.0.0.1:5432";
    assert_eq!(
        classify(js, &observed).map(|f| f.category),
        Some(Category::DependencyUnavailable)
    );
}

#[test]
fn javascript_near_misses_are_left_alone() {
    let js = Language::JavaScript;
    assert_eq!(
        category(js, "ReferenceError", "foo is not defined", "  foo();"),
        None
    );
    assert_eq!(
        category(js, "Error", "invalid password", "  throw new Error(m);"),
        None
    );
    assert_eq!(
        category(
            js,
            "SyntaxError",
            "Invalid regular expression: /(/",
            "  new RegExp(p);"
        ),
        None
    );
}

#[test]
fn rust_catalogue() {
    use Category::*;
    let rs = Language::Rust;
    let cases: &[(&str, &str, Category)] = &[
        ("called `Option::unwrap()` on a `None` value", "    let user = users.get(&id).unwrap();", NullAccess),
        ("index out of bounds: the len is 3 but the index is 3", "    let last = xs[xs.len()];", IndexOutOfRange),
        ("attempt to divide by zero", "    total / count", DivisionByZero),
        ("called `Result::unwrap()` on an `Err` value: NotPresent", "    let url = std::env::var(\"DATABASE_URL\").unwrap();", MissingConfig),
        ("called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }", "    let n: u32 = raw.parse().unwrap();", ParseError),
        ("called `Result::unwrap()` on an `Err` value: Os { code: 111, kind: ConnectionRefused, message: \"Connection refused\" }", "    let s = TcpStream::connect(addr).unwrap();", DependencyUnavailable),
    ];
    for (msg, line, expected) in cases {
        assert_eq!(category(rs, "panic", msg, line), Some(*expected), "{msg}");
    }
    assert_eq!(
        subject(
            rs,
            "panic",
            "called `Option::unwrap()` on a `None` value",
            "    let user = users.get(&id).unwrap();"
        ),
        Some(Subject::Unwrap {
            receiver: "users.get(&id)".into()
        })
    );
    assert_eq!(
        subject(
            rs,
            "panic",
            "called `Result::unwrap()` on an `Err` value: NotPresent",
            "    let url = env::var(\"DATABASE_URL\").unwrap();"
        ),
        Some(Subject::Setting {
            name: "DATABASE_URL".into(),
            read: "env::var(\"DATABASE_URL\")".into()
        })
    );
}

#[test]
fn rust_near_misses_are_left_alone() {
    let rs = Language::Rust;
    assert_eq!(
        category(rs, "panic", "explicit panic", "    panic!()"),
        None
    );
    assert_eq!(
        category(
            rs,
            "panic",
            "called `Result::unwrap()` on an `Err` value: Custom",
            "    x.unwrap()"
        ),
        Some(Category::Unknown)
    );
}
