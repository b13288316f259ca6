//! An event's normalised JSON, compressed once at the edge.
//!
//! The ingest handlers compress each event before handing it to the writer, so the work
//! runs on all cores in parallel rather than inside the single writer's transaction.

use std::cell::RefCell;

/// zstd level 1: most of the size win of higher levels on JSON, at a fraction of the time.
const PAYLOAD_LEVEL: i32 = 1;

/// Why a payload could not be compressed.
#[derive(Debug, thiserror::Error)]
#[error("compress event payload: {0}")]
pub struct PayloadError(#[from] std::io::Error);

/// An event's normalised JSON, zstd-compressed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedPayload(Vec<u8>);

thread_local! {
    /// One zstd context per thread, reused: making one per event costs more than compressing
    /// a small event.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
}

impl CompressedPayload {
    /// Compresses `json` on the calling thread.
    pub fn compress(json: &[u8]) -> Result<Self, PayloadError> {
        COMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            let compressor = match slot.as_mut() {
                Some(compressor) => compressor,
                None => slot.insert(zstd::bulk::Compressor::new(PAYLOAD_LEVEL)?),
            };
            Ok(Self(compressor.compress(json)?))
        })
    }

    /// How many bytes are stored (for benchmarks and size reports).
    pub fn stored_len(&self) -> usize {
        self.0.len()
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}
