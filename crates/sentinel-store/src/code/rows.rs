//! Reading the code tables' stored text back into domain values.

use crate::StoreError;
use serde::de::DeserializeOwned;

/// Decodes JSON this crate wrote.
pub(crate) fn parse_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("{what}: {err}")))
}

/// Encodes a value as JSON text for a column.
pub(crate) fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|err| StoreError::Corrupt(format!("{what}: {err}")))
}
