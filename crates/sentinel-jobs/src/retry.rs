//! When a failed job runs again: exponential backoff with jitter, capped.

use rand::Rng;
use sentinel_core::clock::Millis;
use std::time::Duration;

/// Backoff for retryable failures: the n-th failure waits about `base · 2ⁿ⁻¹`, never more
/// than `cap`, with the upper half of that delay randomised so a burst of failures (an
/// outage of the service they call) does not come back as a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the delay after failed attempt `attempt` (1-based), in ms.
    pub fn ceiling_ms(&self, attempt: i32) -> Millis {
        let base = millis(self.base).max(1);
        let cap = millis(self.cap).max(base);
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 62)).unwrap_or(62);
        base.checked_mul(1_i64 << doublings.min(62))
            .unwrap_or(cap)
            .min(cap)
    }

    /// The delay after failed attempt `attempt`: uniform in `[ceiling/2, ceiling]`.
    pub fn delay_ms(&self, attempt: i32, rng: &mut impl Rng) -> Millis {
        let ceiling = self.ceiling_ms(attempt);
        let floor = ceiling / 2;
        rng.gen_range(floor..=ceiling)
    }
}

pub(crate) fn millis(d: Duration) -> Millis {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ceiling_doubles_then_stops_at_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1_000),
        };
        let ceilings: Vec<_> = (1..=6).map(|a| policy.ceiling_ms(a)).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(policy.ceiling_ms(i32::MAX), 1_000);
        assert_eq!(policy.ceiling_ms(0), 100);
    }

    #[test]
    fn delay_is_jittered_within_the_upper_half() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<_> = (0..200).map(|_| policy.delay_ms(3, &mut rng)).collect();
        assert!(delays.iter().all(|d| (2_000..=4_000).contains(d)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 50, "jitter spreads retries");
    }
}
