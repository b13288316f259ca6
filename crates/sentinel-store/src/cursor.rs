//! Opaque keyset cursors shared by every paged list of the store. A cursor names the last row
//! of a page by its sort value and a tie-breaking key, so the next page starts right after it
//! however many rows were inserted meanwhile. It is hex so that it passes through URLs
//! untouched; its content is not a contract. Each list tags its cursors, so one list's cursor
//! is refused by another.

use thiserror::Error;

/// A cursor that this build did not hand out (or one for another list or sort order).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid cursor")]
pub struct InvalidCursor;

/// Encodes the position after a row whose sort value is `value` and key `key`.
pub(crate) fn encode(tag: &str, value: i64, key: &str) -> String {
    hex::encode(format!("{tag}|{value}|{key}"))
}

/// Decodes a cursor made by [`encode`] with the same `tag`.
pub(crate) fn decode(tag: &str, text: &str) -> Result<(i64, String), InvalidCursor> {
    let bytes = hex::decode(text).map_err(|_| InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
    let mut parts = text.splitn(3, '|');
    let (Some(found), Some(value), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(InvalidCursor);
    };
    if found != tag || key.is_empty() {
        return Err(InvalidCursor);
    }
    let value = value.parse().map_err(|_| InvalidCursor)?;
    Ok((value, key.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_lists() {
        let text = encode("f", -3, "01ABC|x");
        assert_eq!(decode("f", &text).unwrap(), (-3, "01ABC|x".to_string()));
        assert_eq!(decode("h", &text), Err(InvalidCursor));
        assert_eq!(decode("f", "zz"), Err(InvalidCursor));
        assert_eq!(decode("f", &hex::encode("f|1|")), Err(InvalidCursor));
        assert_eq!(decode("f", &hex::encode("f|x|id")), Err(InvalidCursor));
    }
}
