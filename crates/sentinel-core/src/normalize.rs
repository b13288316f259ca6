//! Normalisation of free text and code locations for grouping.
//!
//! The same bug produces messages that differ in their variable parts (ids, numbers, e-mail
//! addresses, times) and stack frames that differ in their build artefacts (bundle hashes,
//! closure numbers, memory addresses, install paths). Grouping must see through both, so
//! these functions replace the variable parts with stable placeholders or drop them.

use regex::{Captures, Regex};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

mod code;
pub use code::{normalize_filename, normalize_function, normalize_module, route_template};

/// The variable parts of a message, in the order they are tried at one position: the first
/// alternative that matches wins, so longer and more specific shapes come first.
const MESSAGE_PATTERN: &str = concat!(
    r#"(?P<quoted>"[^"\n]{0,200}"|'[^'\n]{0,200}'|`[^`\n]{0,200}`)"#,
    r#"|(?P<url>(?-u:\b)[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s'"<>]+)"#,
    r"|(?P<email>(?-u:\b)[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})",
    r"|(?P<uuid>(?-u:\b)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?-u:\b))",
    r"|(?P<timestamp>(?-u:\b)[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?)?(?-u:\b)",
    r"|(?-u:\b)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?-u:\b))",
    r"|(?P<ip>(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)|(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4})",
    r"|(?P<hex>(?-u:\b)0[xX][0-9a-fA-F]+(?-u:\b)|(?-u:\b)[0-9a-fA-F]{7,128}(?-u:\b))",
    r"|(?P<num>[0-9]+(?:\.[0-9]+)?)",
);

fn message_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(MESSAGE_PATTERN).ok()).as_ref()
}

/// Replaces the variable parts of a message with placeholders: `<quoted>`, `<url>`,
/// `<email>`, `<uuid>`, `<timestamp>`, `<ip>`, `<hex>` and `<num>`.
///
/// `"User 4711 (bob@example.com) timed out after 30.5s"` becomes
/// `"User <num> (<email>) timed out after <num>s"`. Digits glued to a letter
/// (`utf8`, `E1234`) are kept: they name things rather than count them.
pub fn normalize_message(message: &str) -> String {
    let Some(re) = message_regex() else {
        return message.to_string();
    };
    re.replace_all(message, |caps: &Captures<'_>| replace_part(message, caps))
        .into_owned()
}

fn replace_part(message: &str, caps: &Captures<'_>) -> String {
    let Some(whole) = caps.get(0) else {
        return String::new();
    };
    let text = whole.as_str();
    let keep = || text.to_string();
    let name = [
        "quoted",
        "url",
        "email",
        "uuid",
        "timestamp",
        "ip",
        "hex",
        "num",
    ]
    .into_iter()
    .find(|name| caps.name(name).is_some());
    match name {
        Some("quoted") if text.starts_with('\'') && is_apostrophe(message, whole.start()) => {
            // `can't` is not the start of a quoted value: look at the rest again.
            format!("'{}", normalize_message(&text[1..]))
        }
        Some("ip") => {
            if text.parse::<Ipv4Addr>().is_ok() {
                "<ip>".into()
            } else if text.contains("::") || text.matches(':').count() >= 2 {
                // Only real IPv6 addresses: `std::io::Error` or `12:30` must stay.
                match text.parse::<Ipv6Addr>() {
                    Ok(_) if text.bytes().any(|b| b.is_ascii_digit()) => "<ip>".into(),
                    _ => normalize_digits_only(message, whole.start(), text),
                }
            } else {
                keep()
            }
        }
        Some("hex") => {
            let is_prefixed = text.starts_with("0x") || text.starts_with("0X");
            let has_digit = text.bytes().any(|b| b.is_ascii_digit());
            let has_letter = text.bytes().any(|b| b.is_ascii_alphabetic());
            if is_prefixed || (has_digit && has_letter) {
                "<hex>".into()
            } else if has_digit {
                "<num>".into()
            } else {
                keep()
            }
        }
        Some("num") => {
            let glued_to_letter = message[..whole.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphabetic());
            if glued_to_letter {
                keep()
            } else {
                "<num>".into()
            }
        }
        Some(other) => format!("<{other}>"),
        None => keep(),
    }
}

fn is_apostrophe(message: &str, at: usize) -> bool {
    message[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// A rejected IPv6 candidate may still contain numbers (`12:30`): replace those alone.
fn normalize_digits_only(message: &str, start: usize, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = message[..start].chars().next_back();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let glued = previous.is_some_and(|p| p.is_alphabetic());
            if glued {
                out.push(c);
            } else {
                out.push_str("<num>");
            }
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                if glued {
                    out.push(d);
                }
            }
            previous = Some('0');
        } else {
            out.push(c);
            previous = Some(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_their_variable_parts() {
        assert_eq!(
            normalize_message("User 4711 (bob@example.com) timed out after 30.5s"),
            "User <num> (<email>) timed out after <num>s"
        );
        assert_eq!(
            normalize_message("order 6f1c2a3e-1111-4abc-9def-0123456789ab not found"),
            "order <uuid> not found"
        );
        assert_eq!(
            normalize_message("connect to 10.0.0.12 failed at 2024-05-01T10:00:00Z"),
            "connect to <ip> failed at <timestamp>"
        );
        assert_eq!(
            normalize_message("object at 0x7f3a2b1c not valid, sha deadbeef12"),
            "object at <hex> not valid, sha <hex>"
        );
        assert_eq!(
            normalize_message("key 'user_42' missing in \"cache\""),
            "key <quoted> missing in <quoted>"
        );
        assert_eq!(
            normalize_message("GET https://api.example.com/v1/x?id=3 → 502"),
            "GET <url> → <num>"
        );
        assert_eq!(normalize_message("fe80::1 refused"), "<ip> refused");
        assert_eq!(normalize_message("at 12:30:01 job"), "at <timestamp> job");
    }

    #[test]
    fn names_and_words_survive_message_normalisation() {
        let text = "std::io::Error in utf8 decoder E1234: bad abc::def";
        assert_eq!(normalize_message(text), text);
        assert_eq!(
            normalize_message("retry #3 of job_17"),
            "retry #<num> of job_<num>"
        );
        assert_eq!(
            normalize_message("can't reach server's port 8080"),
            "can't reach server's port <num>"
        );
    }
}
