//! Time as an injected dependency.
//!
//! Every timestamp Sentinel writes comes from a [`Clock`], never from SQL's `now()` or a
//! direct call to the system clock, so that both database backends and every test agree on
//! time and tests can move it forward without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Milliseconds in a minute.
pub const MINUTE_MS: Millis = 60_000;

/// The Unix minute `ms` falls in (minutes since the epoch, rounded down).
pub fn unix_minute(ms: Millis) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// Milliseconds in an hour.
pub const HOUR_MS: Millis = 3_600_000;

/// The Unix hour `ms` falls in (hours since the epoch, rounded down).
pub fn unix_hour(ms: Millis) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time in Unix milliseconds.
    fn now_ms(&self) -> Millis;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(start_ms: Millis) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(start_ms)),
        }
    }

    pub fn set(&self, ms: Millis) {
        self.now.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, by_ms: Millis) {
        self.now.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.now.load(Ordering::SeqCst)
    }
}

/// A shareable clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.advance(500);
        assert_eq!(clock.now_ms(), 1_500);
        clock.set(42);
        assert_eq!(clock.now_ms(), 42);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
