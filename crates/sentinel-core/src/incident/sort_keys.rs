//! Coarse sort keys for incident lists.
//!
//! Every new event changes an incident's `last_seen` and `occurrence_count`. Indexes that
//! held those two values had to be rewritten on every event: in the ingest benchmark they
//! were about a third of the writer's time on SQLite, and on PostgreSQL they ruled out
//! heap-only updates. So the list indexes hold coarse keys instead, which change rarely:
//! the minute of `last_seen`, and a two-digit scale of the count. Each key never decreases
//! as its value grows, so ordering by (key, value) is the same order as by value alone, and
//! a list walks the coarse index and sorts only within one key.
//!
//! The stored keys must always equal these functions of the stored values: the writer
//! rewrites a key whenever its function changes, and migration 0009 computes the same
//! functions in SQL (a store test holds both to agreeing).

use crate::clock::{unix_minute, Millis};

/// The minute `last_seen` falls in (Unix minutes).
pub fn last_seen_minute(last_seen: Millis) -> i64 {
    unix_minute(last_seen)
}

/// The number of decimal digits times ten plus the leading digit: 0 → 10, 7 → 17,
/// 10 → 21, 99 → 29, 100 → 31, 4,200 → 44. About nine steps per power of ten, so a
/// busy incident moves in its count index a few dozen times over millions of events.
///
/// Negative counts (never stored) are treated as zero.
pub fn count_scale(count: i64) -> i64 {
    let count = count.max(0);
    let digits = count.checked_ilog10().map_or(1, |log| log + 1);
    let leading = count / 10_i64.pow(digits - 1);
    i64::from(digits) * 10 + leading
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_scale_orders_like_the_count() {
        assert_eq!(count_scale(0), 10);
        assert_eq!(count_scale(1), 11);
        assert_eq!(count_scale(9), 19);
        assert_eq!(count_scale(10), 21);
        assert_eq!(count_scale(19), 21);
        assert_eq!(count_scale(20), 22);
        assert_eq!(count_scale(99), 29);
        assert_eq!(count_scale(100), 31);
        assert_eq!(count_scale(4_200), 44);
        assert_eq!(count_scale(i64::MAX), 199);
        assert_eq!(count_scale(-5), 10);
        let mut previous = count_scale(0);
        for count in (0..200_000).step_by(7) {
            let scale = count_scale(count);
            assert!(scale >= previous, "scale fell at {count}");
            previous = scale;
        }
    }

    #[test]
    fn minutes_split_at_the_minute() {
        assert_eq!(last_seen_minute(0), 0);
        assert_eq!(last_seen_minute(59_999), 0);
        assert_eq!(last_seen_minute(60_000), 1);
        assert_eq!(last_seen_minute(1_700_000_000_000), 28_333_333);
        assert_eq!(last_seen_minute(-1), -1);
    }
}
