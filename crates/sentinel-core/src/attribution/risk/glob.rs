//! Path patterns, gitignore-like, translated to regular expressions.
//!
//! - `*` is any run of characters within one path segment, `?` one such character;
//! - `**` is any run of segments: `**/x` is `x` at any depth, `a/**` everything under `a`;
//! - `{a,b}` is either alternative (not nested);
//! - a pattern with no `/` is a name: it matches any segment of the path, a directory
//!   (`tests` covers `crates/x/tests/a.rs`) or the file name (`*_test.go`);
//! - a pattern with a `/` is anchored at the repository root; it matches the path or a
//!   directory above it (`src/auth` covers `src/auth/login.rs`). A leading `/` anchors a name;
//!   a trailing `/` is ignored.
//!
//! Matching ignores case: `Auth/` and `auth/` are the same kind of code.

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("the pattern is empty")]
    Empty,
    #[error("a `{{` is never closed")]
    UnclosedBrace,
    #[error("a `}}` has no `{{`")]
    UnopenedBrace,
    #[error("`{{…}}` cannot be nested")]
    NestedBrace,
}

/// The regular expression (source text) a pattern stands for.
pub(crate) fn to_regex(pattern: &str) -> Result<String, GlobError> {
    let trimmed = pattern.trim();
    let rooted = trimmed.starts_with('/');
    let body = trimmed.trim_matches('/');
    if body.is_empty() {
        return Err(GlobError::Empty);
    }
    let translated = translate(body)?;
    Ok(if rooted || body.contains('/') {
        format!("(?i)^{translated}(?:/.*)?$")
    } else {
        format!("(?i)(?:^|/){translated}(?:/|$)")
    })
}

fn translate(body: &str) -> Result<String, GlobError> {
    let mut out = String::with_capacity(body.len() * 2);
    let mut in_brace = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    out.push_str("(?:.*/)?");
                } else {
                    out.push_str(".*");
                }
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '{' if in_brace => return Err(GlobError::NestedBrace),
            '{' => {
                in_brace = true;
                out.push_str("(?:");
            }
            '}' if !in_brace => return Err(GlobError::UnopenedBrace),
            '}' => {
                in_brace = false;
                out.push(')');
            }
            ',' if in_brace => out.push('|'),
            other => out.push_str(&regex::escape(other.encode_utf8(&mut [0; 4]))),
        }
    }
    if in_brace {
        return Err(GlobError::UnclosedBrace);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn matches(pattern: &str, path: &str) -> bool {
        let source = to_regex(pattern).unwrap_or_default();
        Regex::new(&source).is_ok_and(|re| re.is_match(path))
    }

    #[test]
    fn a_name_matches_any_segment() {
        assert!(matches("tests", "crates/store/tests/suite.rs"));
        assert!(matches("tests", "tests"));
        assert!(!matches("tests", "src/contests.rs"));
        assert!(matches("*_test.go", "pkg/api/handler_test.go"));
        assert!(!matches("*_test.go", "pkg/api/handler_test.go.orig"));
        assert!(matches("*crypt*", "src/Encryption/aes.rs"));
        assert!(!matches("*crypt*", "src/script.sh"));
    }

    #[test]
    fn a_path_is_anchored_at_the_root() {
        assert!(matches("src/auth", "src/auth/login.rs"));
        assert!(!matches("src/auth", "lib/src/auth/login.rs"));
        assert!(!matches("src/auth", "src/authors.rs"));
        assert!(matches("/Makefile", "Makefile"));
        assert!(!matches("/Makefile", "sub/Makefile"));
        assert!(matches("docs/", "docs/intro.md"));
    }

    #[test]
    fn stars_and_braces() {
        assert!(matches("src/*.rs", "src/main.rs"));
        assert!(!matches("src/*.rs", "src/bin/main.rs"));
        assert!(matches("src/**/*.rs", "src/main.rs"));
        assert!(matches("src/**/*.rs", "src/bin/deep/main.rs"));
        assert!(matches("**/billing/**", "services/billing/invoice.py"));
        assert!(matches("billing/**", "billing/a/b.py"));
        assert!(matches("*.{yml,yaml}", ".github/workflows/ci.yml"));
        assert!(matches("*.{yml,yaml}", "deploy/app.yaml"));
        assert!(!matches("*.{yml,yaml}", "deploy/app.toml"));
        assert!(matches("v?.txt", "v1.txt"));
        assert!(matches("a+b.txt", "a+b.txt"));
        assert!(!matches("a.txt", "abtxt"));
    }

    #[test]
    fn case_is_ignored() {
        assert!(matches("auth", "src/Auth/Login.java"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert_eq!(to_regex(""), Err(GlobError::Empty));
        assert_eq!(to_regex(" / "), Err(GlobError::Empty));
        assert_eq!(to_regex("*.{a,b"), Err(GlobError::UnclosedBrace));
        assert_eq!(to_regex("a}"), Err(GlobError::UnopenedBrace));
        assert_eq!(to_regex("{a,{b}}"), Err(GlobError::NestedBrace));
    }
}
