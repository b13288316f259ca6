//! Opaque keyset cursors for the code lists: a sort value and a tie-breaking key, hex
//! encoded so they pass through URLs untouched. Their content is not a contract.

use thiserror::Error;

/// A cursor this build did not hand out (or one for another list).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid cursor")]
pub struct InvalidCursor;

/// Why a list call failed: a cursor it did not hand out, or the store.
#[derive(Debug, Error)]
pub enum ListError {
    #[error(transparent)]
    InvalidCursor(#[from] InvalidCursor),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// Encodes the position after a row whose sort value is `value` and key `key`.
pub(super) fn encode(tag: &str, value: i64, key: &str) -> String {
    hex::encode(format!("{tag}|{value}|{key}"))
}

/// Decodes a cursor made by [`encode`] with the same `tag`.
pub(super) fn decode(tag: &str, text: &str) -> Result<(i64, String), InvalidCursor> {
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
    }
}
