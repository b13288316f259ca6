//! Finding the expression a fault is about on one source line, without parsing the
//! language: the receiver of a member access, the container and key of a subscript, the
//! divisor of a division. The scanners understand brackets and string literals well enough
//! for the single lines a stack frame points at, in Python, JavaScript and Rust alike.

/// A subscript `container[inner]` found on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscript {
    pub container: String,
    pub inner: String,
    /// Byte offset of the container's first character.
    pub start: usize,
    /// Byte offset just past the closing `]`.
    pub end: usize,
}

/// A member access `receiver.member` (or `receiver?.member`) found on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub receiver: String,
    /// Byte offset of the `.` (or of `?` in `?.`).
    pub dot: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Byte ranges of string literals (`'…'`, `"…"`, `` `…` ``) on the line, so scanners skip
/// brackets and dots inside them. A Rust lifetime or char is treated like a short string.
fn string_spans(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'#' && !line.trim_start().starts_with("#[") && !line.contains("//") {
            // A Python comment: the rest of the line is not code.
            spans.push((i, bytes.len()));
            break;
        }
        if b == b'"' || b == b'\'' || b == b'`' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            spans.push((start, (i + 1).min(bytes.len())));
        }
        i += 1;
    }
    spans
}

fn in_spans(spans: &[(usize, usize)], at: usize) -> bool {
    spans.iter().any(|&(s, e)| at >= s && at < e)
}

/// Where the primary expression ending just before `end` starts: identifiers joined by
/// `.`/`?.`/`::`, with balanced call and subscript groups (`a.b(c)[d]`).
pub(crate) fn expression_start(line: &str, end: usize) -> usize {
    let bytes = line.as_bytes();
    let spans = string_spans(line);
    let mut i = end;
    loop {
        if i == 0 {
            return 0;
        }
        let b = bytes[i - 1];
        if b == b')' || b == b']' {
            let open = if b == b')' { b'(' } else { b'[' };
            let mut depth = 0usize;
            let mut j = i;
            while j > 0 {
                j -= 1;
                if in_spans(&spans, j) {
                    continue;
                }
                if bytes[j] == b {
                    depth += 1;
                } else if bytes[j] == open {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            if depth != 0 {
                return i;
            }
            i = j;
            continue;
        }
        if b == b'"' || b == b'\'' {
            // A string literal as the start of a chain: `"a,b".split(…)`.
            if let Some(&(s, _)) = spans.iter().find(|&&(_, e)| e == i) {
                return s;
            }
            return i;
        }
        if is_ident_byte(b) {
            while i > 0 && is_ident_byte(bytes[i - 1]) {
                i -= 1;
            }
            // Keep walking through `.`, `?.` and `::` joins.
            if i >= 1 && bytes[i - 1] == b'.' {
                if i >= 2 && bytes[i - 2] == b'?' {
                    i -= 2;
                } else {
                    i -= 1;
                }
                continue;
            }
            if i >= 2 && bytes[i - 1] == b':' && bytes[i - 2] == b':' {
                i -= 2;
                continue;
            }
            return i;
        }
        return i;
    }
}

/// Where the primary expression starting at `start` ends: an identifier chain, a literal or
/// a parenthesised group, with the calls and subscripts that follow it.
pub(crate) fn expression_end(line: &str, start: usize) -> usize {
    let bytes = line.as_bytes();
    let mut i = start;
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let begin = i;
    loop {
        if i >= bytes.len() {
            return i;
        }
        let b = bytes[i];
        if b == b'(' || b == b'[' {
            match closing(line, i) {
                Some(close) => i = close + 1,
                None => return i,
            }
            continue;
        }
        if is_ident_byte(b) {
            while i < bytes.len() && is_ident_byte(bytes[i]) {
                i += 1;
            }
            continue;
        }
        if (b == b'.' && i > begin) || (b == b'?' && bytes.get(i + 1) == Some(&b'.')) {
            i += if b == b'?' { 2 } else { 1 };
            continue;
        }
        return i;
    }
}

/// The index of the bracket closing the one at `open`.
pub(crate) fn closing(line: &str, open: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let spans = string_spans(line);
    let (o, c) = match bytes.get(open)? {
        b'(' => (b'(', b')'),
        b'[' => (b'[', b']'),
        b'{' => (b'{', b'}'),
        _ => return None,
    };
    let mut depth = 0usize;
    for (j, &b) in bytes.iter().enumerate().skip(open) {
        if in_spans(&spans, j) {
            continue;
        }
        if b == o {
            depth += 1;
        } else if b == c {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// Every subscript `x[…]` on the line, leftmost first (list literals are not subscripts).
pub(crate) fn subscripts(line: &str) -> Vec<Subscript> {
    let spans = string_spans(line);
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'[' || in_spans(&spans, i) || i == 0 {
            continue;
        }
        let prev = bytes[i - 1];
        if !(is_ident_byte(prev) || prev == b')' || prev == b']') {
            continue;
        }
        let start = expression_start(line, i);
        let Some(close) = closing(line, i) else {
            continue;
        };
        let container = line[start..i].trim().to_string();
        if container.is_empty() || is_keyword(&container) {
            continue;
        }
        found.push(Subscript {
            container,
            inner: line[i + 1..close].trim().to_string(),
            start,
            end: close + 1,
        });
    }
    found
}

/// Every access of `.member` on the line, leftmost first.
pub(crate) fn member_accesses(line: &str, member: &str) -> Vec<Member> {
    let spans = string_spans(line);
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(rel) = line[from..].find(member) {
        let at = from + rel;
        from = at + member.len();
        let after = bytes.get(at + member.len()).copied();
        if at == 0 || bytes[at - 1] != b'.' || in_spans(&spans, at) {
            continue;
        }
        if after.is_some_and(is_ident_byte) {
            continue;
        }
        let dot = if at >= 2 && bytes[at - 2] == b'?' {
            at - 2
        } else {
            at - 1
        };
        let start = expression_start(line, dot);
        let receiver = line[start..dot].trim().to_string();
        if !receiver.is_empty() {
            found.push(Member { receiver, dot });
        }
    }
    found
}

/// The divisor of the first `/`, `//` or `%` on the line that is not inside a string or a
/// comment; `None` when there is none.
pub(crate) fn divisor(line: &str) -> Option<String> {
    let spans = string_spans(line);
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (b == b'/' || b == b'%') && !in_spans(&spans, i) {
            if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
                // `//` is Python's floor division, or a JS/Rust comment.
                let before = line[..i].trim();
                let c_like =
                    before.is_empty() || line.trim_end().ends_with(';') || line.contains('{');
                if c_like {
                    return None;
                }
                i += 1;
            }
            let mut start = i + 1;
            if bytes.get(start) == Some(&b'=') {
                start += 1;
            }
            let end = expression_end(line, start);
            let text = line[start..end].trim();
            if !text.is_empty() {
                return Some(text.to_string());
            }
        }
        i += 1;
    }
    None
}

/// The string a literal denotes, for `'x'`, `"x"` and `` `x` ``; `None` for anything else.
pub(crate) fn string_literal(text: &str) -> Option<&str> {
    let text = text.trim();
    let first = text.chars().next()?;
    if text.len() >= 2 && matches!(first, '\'' | '"' | '`') && text.ends_with(first) {
        return Some(&text[1..text.len() - 1]);
    }
    None
}

/// Whether the text is a plain identifier (`count`, `_total`).
pub(crate) fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && !text.as_bytes()[0].is_ascii_digit()
        && text.bytes().all(is_ident_byte)
        && !is_keyword(text)
}

fn is_keyword(text: &str) -> bool {
    matches!(
        text,
        "return" | "in" | "not" | "and" | "or" | "if" | "else" | "await" | "yield" | "of"
    )
}

/// The leading whitespace of a line.
pub(crate) fn indentation(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscripts_name_container_and_key() {
        let found = subscripts(r#"    return prefix + user["email"].lower()"#);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].container, "user");
        assert_eq!(found[0].inner, r#""email""#);
        let nested = subscripts("total = rows[i + 1][col] // 2");
        assert_eq!(nested[0].container, "rows");
        assert_eq!(nested[0].inner, "i + 1");
        assert_eq!(nested[1].container, "rows[i + 1]");
    }

    #[test]
    fn list_literals_and_strings_are_not_subscripts() {
        assert!(subscripts(r#"x = [1, 2] + "a[b]""#).is_empty());
    }

    #[test]
    fn member_receivers_follow_chains_and_calls() {
        let found = member_accesses(
            "  return prefix + user.profile.email.toLowerCase();",
            "email",
        );
        assert_eq!(found[0].receiver, "user.profile");
        let call = member_accesses("const n = getUser(id)?.name.trim();", "trim");
        assert_eq!(call[0].receiver, "getUser(id)?.name");
        assert!(member_accesses("const emails = 1;", "email").is_empty());
    }

    #[test]
    fn divisor_is_the_operand_after_the_operator() {
        assert_eq!(
            divisor("    return total / len(items)").as_deref(),
            Some("len(items)")
        );
        assert_eq!(divisor("avg = s // count").as_deref(), Some("count"));
        assert_eq!(divisor("let r = a % b.len();").as_deref(), Some("b.len()"));
        assert_eq!(divisor("x = 'a/b'"), None);
        assert_eq!(divisor("  // a comment / b"), None);
    }

    #[test]
    fn literals_and_identifiers() {
        assert_eq!(string_literal("'email'"), Some("email"));
        assert_eq!(string_literal("key"), None);
        assert!(is_identifier("_count2"));
        assert!(!is_identifier("a.b"));
        assert!(!is_identifier("2x"));
    }
}
