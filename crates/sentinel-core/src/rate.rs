//! A token bucket for per-key rate limits, driven by the injected clock.
//!
//! A DSN key with a limit of N events per minute holds up to N tokens, refilled continuously.
//! When a request finds the bucket empty it is told how long to wait for the next token, which
//! becomes the `Retry-After` an SDK backs off by.

use crate::clock::Millis;

#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    refill_per_ms: f64,
    updated_at: Millis,
}

/// The answer of [`TokenBucket::take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Try again after this many whole seconds (at least 1).
    Limited {
        retry_after_secs: u64,
    },
}

impl TokenBucket {
    /// A full bucket allowing `per_minute` takes a minute on average.
    pub fn per_minute(per_minute: u32, now: Millis) -> Self {
        let capacity = f64::from(per_minute.max(1));
        Self {
            capacity,
            tokens: capacity,
            refill_per_ms: capacity / 60_000.0,
            updated_at: now,
        }
    }

    /// Takes `n` tokens if there are that many.
    pub fn take(&mut self, n: u32, now: Millis) -> Admission {
        let elapsed = (now - self.updated_at).max(0) as f64;
        self.tokens = (self.tokens + elapsed * self.refill_per_ms).min(self.capacity);
        self.updated_at = now.max(self.updated_at);
        let wanted = f64::from(n);
        if self.tokens >= wanted {
            self.tokens -= wanted;
            return Admission::Admitted;
        }
        let missing = wanted.min(self.capacity) - self.tokens;
        let wait_ms = missing / self.refill_per_ms;
        Admission::Limited {
            retry_after_secs: ((wait_ms / 1000.0).ceil() as u64).max(1),
        }
    }

    /// Whether this bucket was built for the given limit (limits can change at run time).
    pub fn has_limit(&self, per_minute: u32) -> bool {
        (self.capacity - f64::from(per_minute.max(1))).abs() < f64::EPSILON
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_capacity_then_limits_with_a_retry_hint() {
        let mut bucket = TokenBucket::per_minute(3, 0);
        for _ in 0..3 {
            assert_eq!(bucket.take(1, 0), Admission::Admitted);
        }
        assert_eq!(
            bucket.take(1, 0),
            Admission::Limited {
                retry_after_secs: 20
            }
        );
    }

    #[test]
    fn refills_with_time() {
        let mut bucket = TokenBucket::per_minute(60, 0);
        for _ in 0..60 {
            assert_eq!(bucket.take(1, 0), Admission::Admitted);
        }
        assert!(matches!(bucket.take(1, 0), Admission::Limited { .. }));
        assert_eq!(bucket.take(1, 1_000), Admission::Admitted);
        assert!(matches!(
            bucket.take(1, 1_000),
            Admission::Limited {
                retry_after_secs: 1
            }
        ));
    }

    #[test]
    fn never_holds_more_than_capacity() {
        let mut bucket = TokenBucket::per_minute(2, 0);
        assert_eq!(bucket.take(2, 3_600_000), Admission::Admitted);
        assert!(matches!(
            bucket.take(1, 3_600_000),
            Admission::Limited { .. }
        ));
    }
}
