//! Anomaly detections: the pure decisions behind HIGH_ERROR_COUNT, LATENCY_DEGRADATION and
//! SERVICE_STALL. The detections job reads counts, durations and check-ins from the store
//! and asks these functions whether a condition holds right now; opening, deduplicating and
//! auto-resolving the resulting rows is the store's and the job's business.
//!
//! # HIGH_ERROR_COUNT
//! Per service, the error events of the last five minutes are compared with the service's own
//! history: the per-five-minute counts over the previous 24 hours (288 buckets, empty buckets
//! counting as zero). The threshold is `median + k · σ̂` where σ̂ is the standard deviation
//! estimated robustly from the MAD (median absolute deviation, `1.4826 · MAD`), floored by
//! the Poisson noise of the median itself (`√median`) and by 1. Median and MAD ignore a
//! handful of earlier spikes in the history that would drag a mean and standard deviation
//! upwards; the Poisson floor keeps an unusually smooth history from making ordinary noise
//! look like a spike. The threshold never falls below `min_count`, so a quiet service does
//! not alert on three errors. A steady rate, however high, sits at the median and does not fire; a
//! spike fires on the first minute tick whose five-minute window holds enough of it.
//!
//! # LATENCY_DEGRADATION
//! Per service and transaction name, the p95 duration of the last 15 minutes against the p95
//! of the 24 whole hours before them. It fires when both have at least `min_samples`
//! transactions, the recent p95 is at least `factor` times the baseline, and exceeds it by
//! `min_delta_ms`. The recent durations are exact; the baseline comes from a histogram the
//! ingest writer keeps per hour (see [`latency_bucket`]), so a day of transactions is read
//! as a few dozen counts per hour rather than one row per transaction.
//!
//! # SERVICE_STALL
//! See [`monitor`]: cron monitors whose check-ins are missed, late, timed out or failed.

pub mod monitor;

use serde::{Deserialize, Serialize};

/// The open set of detection kinds the built-in detectors raise.
pub mod kinds {
    pub const HIGH_ERROR_COUNT: &str = "HIGH_ERROR_COUNT";
    pub const LATENCY_DEGRADATION: &str = "LATENCY_DEGRADATION";
    pub const SERVICE_STALL: &str = "SERVICE_STALL";
}

/// How a detection is closed by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Acknowledged,
    Dismissed,
    Escalated,
    Fixed,
    /// The condition cleared for long enough (set by the detections job, not by people).
    AutoResolved,
}

impl Resolution {
    pub const ALL: [Resolution; 5] = [
        Resolution::Acknowledged,
        Resolution::Dismissed,
        Resolution::Escalated,
        Resolution::Fixed,
        Resolution::AutoResolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Dismissed => "dismissed",
            Self::Escalated => "escalated",
            Self::Fixed => "fixed",
            Self::AutoResolved => "auto_resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Settings of the built-in detectors. `Default` is what production runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectionSettings {
    /// Width of one error-count bucket and of the window being judged.
    pub error_bucket_ms: i64,
    /// How much history forms the baseline.
    pub baseline_ms: i64,
    /// How many robust standard deviations above the median a spike starts.
    pub error_mad_k: f64,
    /// A window needs at least this many errors to be a spike.
    pub error_min_count: i64,
    pub latency_window_ms: i64,
    pub latency_min_samples: usize,
    pub latency_factor: f64,
    pub latency_min_delta_ms: f64,
    /// An open detection whose condition has not held for this long resolves itself.
    pub clear_after_ms: i64,
}

impl Default for DetectionSettings {
    fn default() -> Self {
        Self {
            error_bucket_ms: 5 * 60_000,
            baseline_ms: 24 * 60 * 60_000,
            error_mad_k: 5.0,
            error_min_count: 10,
            latency_window_ms: 15 * 60_000,
            latency_min_samples: 20,
            latency_factor: 1.5,
            latency_min_delta_ms: 100.0,
            clear_after_ms: 15 * 60_000,
        }
    }
}

/// A condition that holds now, with the numbers that show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub value: f64,
    pub threshold: f64,
    pub baseline: f64,
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// The nearest-rank percentile `p` (0..=1) of `values` (0 for none).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// HIGH_ERROR_COUNT: whether `current` errors in the judged window is far above the
/// baseline buckets (see the module doc).
pub fn error_spike(
    baseline: &[i64],
    current: i64,
    settings: &DetectionSettings,
) -> Option<Finding> {
    let values: Vec<f64> = baseline.iter().map(|c| *c as f64).collect();
    let med = median(&values);
    let deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    let spread = (1.4826 * median(&deviations)).max(med.sqrt()).max(1.0);
    let threshold = (med + settings.error_mad_k * spread).max(settings.error_min_count as f64);
    (current as f64 >= threshold).then_some(Finding {
        value: current as f64,
        threshold,
        baseline: med,
    })
}

/// The histogram bucket of a duration: its whole milliseconds to two significant digits,
/// as `digits · 100 + leading two digits` (`digits · 100 + value` under 100 ms). Buckets
/// order as durations do, are exact below 100 ms, and are at most a tenth of their value
/// wide above, so a bucket's middle ([`latency_bucket_ms`]) is within 5% of every duration
/// in it. The stores' migration computes the same from `duration_ms` in SQL (whole
/// milliseconds rounded down, then `length` and `substr` of its text).
pub fn latency_bucket(duration_ms: f64) -> i64 {
    // `as` saturates: NaN and negatives become 0.
    let whole = duration_ms as i64;
    let whole = whole.max(0);
    let digits = whole.checked_ilog10().map_or(1, |log| log + 1);
    let lead = if digits <= 2 {
        whole
    } else {
        whole / 10_i64.pow(digits - 2)
    };
    i64::from(digits) * 100 + lead
}

/// The middle of a [`latency_bucket`], in milliseconds.
pub fn latency_bucket_ms(bucket: i64) -> f64 {
    let digits = u32::try_from(bucket / 100).unwrap_or(1).clamp(1, 19);
    let lead = (bucket % 100) as f64;
    if digits <= 2 {
        return lead;
    }
    let step = 10_f64.powi(digits as i32 - 2);
    lead * step + step / 2.0
}

/// The nearest-rank percentile `p` (0..=1) of a histogram of `(bucket, count)` pairs, as
/// its bucket's middle (0 for none).
pub fn bucket_percentile(buckets: &[(i64, i64)], p: f64) -> f64 {
    let mut sorted: Vec<(i64, i64)> = buckets.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return 0.0;
    }
    let rank = ((p.clamp(0.0, 1.0) * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for (bucket, count) in &sorted {
        seen += count;
        if seen >= rank {
            return latency_bucket_ms(*bucket);
        }
    }
    0.0
}

/// LATENCY_DEGRADATION: whether the recent p95 is far above the baseline p95. `baseline`
/// is a histogram of `(bucket, count)` (see [`latency_bucket`]); `recent`, durations.
pub fn latency_degradation(
    baseline: &[(i64, i64)],
    recent: &[f64],
    settings: &DetectionSettings,
) -> Option<Finding> {
    let samples: i64 = baseline.iter().map(|(_, n)| n).sum();
    let enough = i64::try_from(settings.latency_min_samples).unwrap_or(i64::MAX);
    if samples < enough || recent.len() < settings.latency_min_samples {
        return None;
    }
    let base = bucket_percentile(baseline, 0.95);
    let now = percentile(recent, 0.95);
    let threshold = (base * settings.latency_factor).max(base + settings.latency_min_delta_ms);
    (now >= threshold).then_some(Finding {
        value: now,
        threshold,
        baseline: base,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentile() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.95), 95.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn steady_high_rate_is_not_a_spike_but_a_jump_is() {
        let s = DetectionSettings::default();
        let baseline: Vec<i64> = (0..288).map(|i| 200 + (i % 7) - 3).collect();
        assert!(error_spike(&baseline, 205, &s).is_none());
        assert!(error_spike(&baseline, 250, &s).is_none());
        let found = error_spike(&baseline, 400, &s).unwrap();
        assert_eq!(found.baseline, 200.0);
    }

    #[test]
    fn a_few_past_spikes_do_not_raise_the_threshold() {
        let s = DetectionSettings::default();
        let mut baseline = vec![2_i64; 288];
        for b in baseline.iter_mut().take(10) {
            *b = 500;
        }
        assert!(error_spike(&baseline, 50, &s).is_some());
    }

    #[test]
    fn quiet_services_need_the_minimum_count() {
        let s = DetectionSettings::default();
        let baseline = vec![0_i64; 288];
        assert!(error_spike(&baseline, 9, &s).is_none());
        assert!(error_spike(&baseline, 10, &s).is_some());
    }

    #[test]
    fn latency_needs_samples_and_a_real_increase() {
        let s = DetectionSettings::default();
        let baseline = [(latency_bucket(200.0), 100)];
        assert!(latency_degradation(&[(latency_bucket(200.0), 19)], &[900.0; 30], &s).is_none());
        assert!(latency_degradation(&baseline, &[900.0; 5], &s).is_none());
        assert!(latency_degradation(&baseline, &[250.0; 30], &s).is_none());
        let found = latency_degradation(&baseline, &[900.0; 30], &s).unwrap();
        assert_eq!(found.value, 900.0);
        assert_eq!(found.baseline, 205.0);
    }

    #[test]
    fn latency_buckets_keep_two_significant_digits() {
        let cases = [
            (0.0, 100),
            (-3.0, 100),
            (f64::NAN, 100),
            (7.9, 107),
            (42.0, 242),
            (99.99, 299),
            (100.0, 310),
            (109.9, 310),
            (110.0, 311),
            (999.0, 399),
            (1_000.0, 410),
            (61_234.5, 561),
        ];
        for (ms, bucket) in cases {
            assert_eq!(latency_bucket(ms), bucket, "{ms}");
        }
        assert_eq!(latency_bucket_ms(242), 42.0);
        assert_eq!(latency_bucket_ms(310), 105.0);
        assert_eq!(latency_bucket_ms(561), 61_500.0);
        // Ordered as durations are, and each middle within 5% of what falls in its bucket.
        let mut previous = latency_bucket(0.0);
        for step in 1..200_000 {
            let ms = f64::from(step) * 0.37;
            let bucket = latency_bucket(ms);
            assert!(bucket >= previous, "{ms}");
            previous = bucket;
            let middle = latency_bucket_ms(bucket);
            assert!(
                (middle - ms.floor()).abs() <= 0.05 * ms.floor().max(1.0),
                "{ms}"
            );
        }
    }

    #[test]
    fn bucket_percentiles_rank_by_count() {
        assert_eq!(bucket_percentile(&[], 0.95), 0.0);
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let mut histogram: Vec<(i64, i64)> = Vec::new();
        for v in &values {
            match histogram.iter_mut().find(|(b, _)| *b == latency_bucket(*v)) {
                Some((_, n)) => *n += 1,
                None => histogram.push((latency_bucket(*v), 1)),
            }
        }
        histogram.reverse();
        assert_eq!(
            bucket_percentile(&histogram, 0.95),
            percentile(&values, 0.95)
        );
        assert_eq!(bucket_percentile(&[(310, 3), (242, 97)], 0.95), 42.0);
        assert_eq!(bucket_percentile(&[(310, 6), (242, 94)], 0.95), 105.0);
    }
}
