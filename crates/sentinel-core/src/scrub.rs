//! Removal of secrets from events before anything is stored.
//!
//! SDKs send whatever the application had at hand: request headers with session cookies,
//! form bodies with passwords, local variables holding API keys. A [`Scrubber`] replaces
//! such values with `"[Filtered]"` in two ways:
//! - by key: any map entry, header, query parameter or tag whose name says it is secret
//!   (`password`, `token`, `api_key`, `authorization`, `cookie`, `secret`, …) loses its value;
//! - by value: text anywhere (messages, exception values, breadcrumbs, bodies, …) loses
//!   `key=value` secrets, bearer and basic credentials, well-known API key shapes, private
//!   key blocks, passwords in URLs and card numbers (digit runs that pass the Luhn check).
//!
//! Organisations can add their own value patterns ([`Scrubber::with_patterns`]).
//! The user's id is kept: it is how people find the users an incident hit. Source context
//! lines of frames are kept too: they are the application's code, not its data.

use crate::event::{DataMap, Event};
use regex::{Captures, Regex, RegexBuilder};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// What a removed value is replaced with.
pub const FILTERED: &str = "[Filtered]";

/// Fragments of key names (compared lowercase, without `-`, `_`, `.` and spaces) that mark a
/// value as secret.
const SECRET_KEY_FRAGMENTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "authentication",
    "cookie",
    "sessionid",
    "credentials",
    "creditcard",
    "cardnumber",
    "ccnumber",
    "csrf",
    "xsrf",
];

/// Whole key names that are secret but too short to match as fragments.
const SECRET_KEY_NAMES: &[&str] = &[
    "pwd", "pass", "auth", "session", "ssn", "cvv", "cvc", "pin", "jwt", "card", "sid",
];

/// Names inside text (`name=value`, `"name": "value"`) whose value is secret.
const KEY_VALUE_NAMES: &str = r"password|passwd|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|authorization|cookie|session[_\-]?id|sessid|credentials|credit[_\-]?card|card[_\-]?number|cvv";

fn builtin_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let pattern = [
            r"(?P<privkey>-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|\z))".to_string(),
            r"(?P<urlcred>://[^/\s:@]+:)[^/\s@]+@".to_string(),
            r"(?P<bearer>(?i:(?-u:\b)(?:bearer|basic|digest)\s+))(?P<credential>[A-Za-z0-9\-._~+/]{8,}=*)".to_string(),
            format!(
                r#"(?P<kvkey>["']?[A-Za-z0-9_.\-]*(?i:{KEY_VALUE_NAMES})[A-Za-z0-9_.\-]*["']?\s*[=:]\s*)(?P<kvval>(?:(?i:bearer|basic|digest|token)\s+)?(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s&,;"'<>{{}}\[\]]+))"#
            ),
            concat!(
                r"(?P<apikey>(?-u:\b)(?:sk|pk|rk)_(?:live|test)_[0-9A-Za-z]{10,}",
                r"|(?-u:\b)sk-[A-Za-z0-9_\-]{20,}",
                r"|(?-u:\b)AKIA[0-9A-Z]{16}(?-u:\b)",
                r"|(?-u:\b)gh[opsur]_[A-Za-z0-9]{30,}",
                r"|(?-u:\b)github_pat_[A-Za-z0-9_]{20,}",
                r"|(?-u:\b)xox[abprs]-[A-Za-z0-9\-]{10,}",
                r"|(?-u:\b)AIza[0-9A-Za-z_\-]{35}",
                r"|(?-u:\b)glpat-[A-Za-z0-9_\-]{20,}",
                r"|(?-u:\b)eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]+)"
            )
            .to_string(),
            r"(?P<card>(?-u:\b)[2-6][0-9]{3}(?:[ \-]?[0-9]){9,15}(?-u:\b))".to_string(),
        ]
        .join("|");
        Regex::new(&pattern).ok()
    })
    .as_ref()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScrubError {
    #[error("invalid scrubbing pattern {pattern:?}: {reason}")]
    InvalidPattern { pattern: String, reason: String },
}

/// Removes secrets from events. Cheap to clone; build one per organisation and reuse it.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    extra: Arc<Vec<Regex>>,
}

/// Organisation patterns are compiled with this size bound so one cannot exhaust memory.
const MAX_PATTERN_SIZE: usize = 1 << 20;

impl Scrubber {
    /// The built-in rules plus the organisation's own value patterns (regular expressions);
    /// every match of them in any text is replaced with `"[Filtered]"`.
    pub fn with_patterns(extra: &[String]) -> Result<Scrubber, ScrubError> {
        let compiled = extra
            .iter()
            .filter(|pattern| !pattern.trim().is_empty())
            .map(|pattern| {
                RegexBuilder::new(pattern)
                    .size_limit(MAX_PATTERN_SIZE)
                    .build()
                    .map_err(|e| ScrubError::InvalidPattern {
                        pattern: pattern.clone(),
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scrubber {
            extra: Arc::new(compiled),
        })
    }

    /// Scrubs every place of the event that can carry a secret.
    pub fn scrub(&self, event: &mut Event) {
        if let Some(message) = &mut event.message {
            self.text(&mut message.formatted);
            if let Some(template) = &mut message.template {
                self.text(template);
            }
            message.params.iter_mut().for_each(|p| self.value(p));
        }
        for exception in &mut event.exceptions {
            if let Some(value) = &mut exception.value {
                self.text(value);
            }
            // Source context lines are code, not runtime data: scrubbing them would garble
            // the code autopsies read (`password = form["password"]`), and what they show is
            // in the repository anyway.
            for frame in &mut exception.frames {
                self.map(&mut frame.vars);
            }
        }
        if let Some(request) = &mut event.request {
            if let Some(url) = &mut request.url {
                self.text(url);
            }
            self.pairs(&mut request.headers);
            self.pairs(&mut request.query);
            if let Some(data) = &mut request.data {
                self.value(data);
            }
            // Every cookie is a credential of some kind; only the names stay.
            for (_, value) in &mut request.cookies {
                *value = FILTERED.into();
            }
            self.map(&mut request.env);
        }
        for crumb in &mut event.breadcrumbs {
            if let Some(message) = &mut crumb.message {
                self.text(message);
            }
            self.map(&mut crumb.data);
        }
        self.map(&mut event.extra);
        self.map(&mut event.contexts);
        self.pairs(&mut event.tags);
        if let Some(user) = &mut event.user {
            for field in [&mut user.email, &mut user.username, &mut user.ip_address]
                .into_iter()
                .flatten()
            {
                self.text(field);
            }
            self.map(&mut user.other);
        }
    }

    /// Scrubs one piece of text in place.
    pub fn text(&self, text: &mut String) {
        // Nothing shorter than `pwd=x` can hold a secret; most tag values are short.
        if text.len() < 5 {
            return;
        }
        if let Some(re) = builtin_regex() {
            if let std::borrow::Cow::Owned(replaced) = re.replace_all(text, replace_builtin) {
                *text = replaced;
            }
        }
        for re in self.extra.iter() {
            if let std::borrow::Cow::Owned(replaced) = re.replace_all(text, FILTERED) {
                *text = replaced;
            }
        }
    }

    fn pairs(&self, pairs: &mut [(String, String)]) {
        for (key, value) in pairs {
            if is_secret_key(key) {
                *value = FILTERED.into();
            } else {
                self.text(value);
            }
        }
    }

    fn map(&self, map: &mut DataMap) {
        for (key, value) in map.iter_mut() {
            self.entry(key, value);
        }
    }

    fn entry(&self, key: &str, value: &mut Value) {
        if is_secret_key(key) && !value.is_null() {
            *value = Value::String(FILTERED.into());
        } else {
            self.value(value);
        }
    }

    /// Scrubs a JSON value in place: secret keys at any depth, patterns in every string.
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(text) => self.text(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.value(item)),
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    self.entry(key, value);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Whether a key names a secret (`X-Api-Key`, `db_password`, `Set-Cookie`, `csrftoken`, …).
pub fn is_secret_key(key: &str) -> bool {
    let compact: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEY_NAMES.contains(&compact.as_str())
        || SECRET_KEY_FRAGMENTS
            .iter()
            .any(|fragment| compact.contains(fragment))
}

fn replace_builtin(caps: &Captures<'_>) -> String {
    let whole = caps.get(0).map_or("", |m| m.as_str());
    if let Some(key) = caps.name("kvkey") {
        let value = caps.name("kvval").map_or("", |m| m.as_str());
        let quote = match value.chars().next() {
            Some(q @ ('"' | '\'')) => q.to_string(),
            _ => String::new(),
        };
        return format!("{}{quote}{FILTERED}{quote}", key.as_str());
    }
    if let Some(prefix) = caps.name("urlcred") {
        return format!("{}{FILTERED}@", prefix.as_str());
    }
    if let Some(scheme) = caps.name("bearer") {
        let credential = caps.name("credential").map_or("", |m| m.as_str());
        let is_bearer = scheme.as_str().trim().eq_ignore_ascii_case("bearer");
        // "basic authentication" in prose is not a credential; encoded ones have digits.
        let looks_encoded = credential
            .bytes()
            .any(|b| b.is_ascii_digit() || matches!(b, b'=' | b'+' | b'/'));
        if is_bearer || looks_encoded {
            return format!("{}{FILTERED}", scheme.as_str());
        }
        return whole.to_string();
    }
    if caps.name("card").is_some() {
        return if passes_luhn(whole) {
            FILTERED.into()
        } else {
            whole.to_string()
        };
    }
    FILTERED.into()
}

/// The Luhn checksum that every payment card number satisfies.
fn passes_luhn(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(text: &str) -> String {
        let mut text = text.to_string();
        Scrubber::default().text(&mut text);
        text
    }

    #[test]
    fn secrets_in_text_are_filtered_and_the_rest_kept() {
        assert_eq!(
            scrubbed("login password=hunter2 user=bob"),
            "login password=[Filtered] user=bob"
        );
        assert_eq!(
            scrubbed(r#"{"api_key": "abc123", "n": 1}"#),
            r#"{"api_key": "[Filtered]", "n": 1}"#
        );
        assert_eq!(
            scrubbed("Authorization: Bearer abcdef123456"),
            "Authorization: [Filtered]"
        );
        assert_eq!(
            scrubbed("sent Bearer abcdef123456"),
            "sent Bearer [Filtered]"
        );
        assert_eq!(
            scrubbed("uses basic authentication"),
            "uses basic authentication"
        );
        assert_eq!(
            scrubbed("paid with 4111 1111 1111 1111 at 17:00"),
            "paid with [Filtered] at 17:00"
        );
        // Not a card number: fails the Luhn check.
        assert_eq!(scrubbed("order 4111111111111112"), "order 4111111111111112");
        assert_eq!(
            scrubbed("postgres://app:s3cr3t@db:5432/x"),
            "postgres://app:[Filtered]@db:5432/x"
        );
        assert_eq!(
            scrubbed("key AKIAABCDEFGHIJKLMNOP used"),
            "key [Filtered] used"
        );
        assert_eq!(
            scrubbed("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- ok"),
            "[Filtered] ok"
        );
        assert_eq!(scrubbed("nothing to see here"), "nothing to see here");
    }

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "password",
            "DB_PASSWORD",
            "X-Api-Key",
            "Set-Cookie",
            "csrftoken",
            "authorization",
            "client_secret",
            "pwd",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["user", "author", "path", "status_code", "passenger"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn nested_values_are_scrubbed_by_key_and_pattern() {
        let mut value = serde_json::json!({
            "form": {"password": "p", "name": "bob", "tokens": [1, 2]},
            "note": "token=abc",
            "list": ["cookie: a=b"]
        });
        Scrubber::default().value(&mut value);
        assert_eq!(value["form"]["password"], FILTERED);
        assert_eq!(value["form"]["name"], "bob");
        assert_eq!(value["form"]["tokens"], FILTERED);
        assert_eq!(value["note"], "token=[Filtered]");
        assert_eq!(value["list"][0], "cookie: [Filtered]");
    }

    #[test]
    fn organisation_patterns_apply_and_invalid_ones_are_refused() {
        let scrubber = Scrubber::with_patterns(&[r"EMP-\d{6}".to_string()]);
        let Ok(scrubber) = scrubber else {
            panic!("valid pattern refused");
        };
        let mut text = "employee EMP-123456 failed".to_string();
        scrubber.text(&mut text);
        assert_eq!(text, "employee [Filtered] failed");
        assert!(matches!(
            Scrubber::with_patterns(&["(unclosed".to_string()]),
            Err(ScrubError::InvalidPattern { .. })
        ));
    }
}
