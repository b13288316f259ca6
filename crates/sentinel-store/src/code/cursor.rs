//! The code lists' errors. Their cursors use the store's shared codec (`crate::cursor`).

pub use crate::cursor::InvalidCursor;
pub(super) use crate::cursor::{decode, encode};
use thiserror::Error;

/// Why a list call failed: a cursor it did not hand out, or the store.
#[derive(Debug, Error)]
pub enum ListError {
    #[error(transparent)]
    InvalidCursor(#[from] InvalidCursor),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}
