//! Paths as git prints them in patch headers: plain, or C-quoted (`"a\tb"`) when they hold
//! control characters, quotes or backslashes (non-ASCII stays plain with `core.quotepath=off`).

/// Reads a C-quoted string starting at `s[0] == b'"'`: its bytes and what follows the closing
/// quote. `None` when it is not terminated.
fn parse_quoted(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => return Some((out, &s[i + 1..])),
            b'\\' => {
                let escaped = *s.get(i + 1)?;
                i += 2;
                let byte = match escaped {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'0'..=b'7' => {
                        let digits = s.get(i - 1..i + 2)?;
                        i += 2;
                        let mut value: u32 = 0;
                        for &d in digits {
                            if !(b'0'..=b'7').contains(&d) {
                                return None;
                            }
                            value = value * 8 + u32::from(d - b'0');
                        }
                        u8::try_from(value).ok()?
                    }
                    other => other,
                };
                out.push(byte);
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    None
}

/// A path as printed after `rename from ` and the like: C-quoted or plain.
pub(crate) fn unquote(s: &[u8]) -> String {
    if s.first() == Some(&b'"') {
        if let Some((bytes, rest)) = parse_quoted(s) {
            if rest.is_empty() {
                return String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
    String::from_utf8_lossy(s).into_owned()
}

fn strip(prefix: &[u8], path: &[u8]) -> Option<String> {
    path.strip_prefix(prefix)
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// The old and new paths of `diff --git a/OLD b/NEW` (given what follows `diff --git `).
/// Unquoted paths with spaces are split where both sides are equal; a rename's sides differ,
/// and its `rename from`/`rename to` lines give the exact paths.
pub(crate) fn diff_git_paths(rest: &[u8]) -> Option<(String, String)> {
    if rest.first() == Some(&b'"') {
        let (old, after) = parse_quoted(rest)?;
        let after = after.strip_prefix(b" ")?;
        let new = if after.first() == Some(&b'"') {
            let (new, tail) = parse_quoted(after)?;
            if !tail.is_empty() {
                return None;
            }
            new
        } else {
            after.to_vec()
        };
        return Some((strip(b"a/", &old)?, strip(b"b/", &new)?));
    }
    let n = rest.len();
    if n >= 7 && n % 2 == 1 {
        let half = n / 2;
        let (old, new) = (&rest[..half], &rest[half + 1..]);
        if rest[half] == b' '
            && old.starts_with(b"a/")
            && new.starts_with(b"b/")
            && old[2..] == new[2..]
        {
            return Some((strip(b"a/", old)?, strip(b"b/", new)?));
        }
    }
    if rest.last() == Some(&b'"') {
        if let Some(at) = rest.windows(4).rposition(|w| w == b" \"b/") {
            let (new, tail) = parse_quoted(&rest[at + 1..])?;
            if tail.is_empty() {
                return Some((strip(b"a/", &rest[..at])?, strip(b"b/", &new)?));
            }
        }
    }
    let at = rest.windows(3).position(|w| w == b" b/")?;
    Some((strip(b"a/", &rest[..at])?, strip(b"b/", &rest[at + 1..])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_string(), b.to_string()))
    }

    #[test]
    fn unquotes_c_escapes_and_octal_utf8() {
        assert_eq!(unquote(b"plain name.txt"), "plain name.txt");
        assert_eq!(unquote(br#""t\tab \"q\" \\""#), "t\tab \"q\" \\");
        assert_eq!(unquote(br#""caf\303\251""#), "café");
        // A broken quote is taken literally rather than lost.
        assert_eq!(unquote(br#""open"#), "\"open");
    }

    #[test]
    fn splits_equal_sides_even_with_spaces() {
        assert_eq!(
            diff_git_paths(b"a/x y.txt b/x y.txt"),
            pair("x y.txt", "x y.txt")
        );
        assert_eq!(diff_git_paths(b"a/b b/c b/b b/c"), pair("b b/c", "b b/c"));
        assert_eq!(
            diff_git_paths("a/ü.rs b/ü.rs".as_bytes()),
            pair("ü.rs", "ü.rs")
        );
    }

    #[test]
    fn reads_quoted_and_mixed_sides() {
        assert_eq!(
            diff_git_paths(br#""a/t\tab" "b/t\tab""#),
            pair("t\tab", "t\tab")
        );
        assert_eq!(
            diff_git_paths(br#"a/x y.txt "b/t\tab.txt""#),
            pair("x y.txt", "t\tab.txt")
        );
        assert_eq!(
            diff_git_paths(br#""a/t\tab" b/plain"#),
            pair("t\tab", "plain")
        );
    }

    #[test]
    fn splits_a_rename_at_the_first_b_prefix() {
        assert_eq!(
            diff_git_paths(b"a/old.rs b/new.rs"),
            pair("old.rs", "new.rs")
        );
        assert_eq!(diff_git_paths(b"nonsense"), None);
    }
}
