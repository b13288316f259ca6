//! A repository's `OWNER/NAME`, checked the way GitHub allows it, so the API and the command
//! line refuse the same names.

/// A full name that is not `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("full_name must be OWNER/NAME, got {0:?}")]
pub struct InvalidFullName(pub String);

/// The longest owner or name part GitHub allows.
const MAX_PART: usize = 100;

fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= MAX_PART
        && part != "."
        && part != ".."
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `owner/name` with surrounding whitespace removed: letters, digits, `-`, `_` and `.` in
/// each part, exactly one slash.
pub fn parse_full_name(text: &str) -> Result<String, InvalidFullName> {
    let text = text.trim();
    match text.split_once('/') {
        Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok(text.to_string()),
        _ => Err(InvalidFullName(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_are_owner_slash_name() {
        assert_eq!(
            parse_full_name(" acme/shop.api "),
            Ok("acme/shop.api".to_string())
        );
        assert_eq!(parse_full_name("curl/curl"), Ok("curl/curl".to_string()));
        let long = format!("acme/{}", "x".repeat(MAX_PART + 1));
        for bad in [
            "acme",
            "/shop",
            "acme/",
            "acme/shop/x",
            "acme/sh op",
            "../x",
            "a/..",
            "acme/shöp",
            long.as_str(),
        ] {
            assert!(parse_full_name(bad).is_err(), "{bad} accepted");
        }
    }
}
