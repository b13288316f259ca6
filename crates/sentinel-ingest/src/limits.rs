//! Size limits at the edge, the same as Sentry's so that SDKs behave as they do there.
//!
//! Anything over a limit is answered with 413, never dropped silently.

/// Largest request body accepted before decompression (an envelope or a store payload).
pub const MAX_ENVELOPE_COMPRESSED: usize = 20 * 1024 * 1024;

/// Largest body after decompression; decoding stops as soon as it is passed.
pub const MAX_DECOMPRESSED: usize = 100 * 1024 * 1024;

/// Largest single event or transaction item (and store payload).
pub const MAX_EVENT_ITEM: usize = 1024 * 1024;

/// Largest check-in item.
pub const MAX_CHECK_IN_ITEM: usize = 100 * 1024;
