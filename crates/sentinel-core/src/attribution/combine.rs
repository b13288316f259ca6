//! Diminishing returns: how several signals add up to one confidence.
//!
//! Signals are sorted strongest first and the i-th (from 0) counts for half as much as the
//! one before it: `1 − Π (1 − wᵢ · 0.5ⁱ)`. One signal gives its own weight, more signals
//! only ever raise the result, and it never reaches past 1: two 0.9 signals give
//! 1 − (1 − 0.9)(1 − 0.45) = 0.945.

/// Combines signal weights into one confidence in 0–1. Weights outside 0–1 are clamped and
/// zero weights (notes, not evidence) do not count.
pub fn combine(weights: impl IntoIterator<Item = f64>) -> f64 {
    let mut weights: Vec<f64> = weights
        .into_iter()
        .filter(|w| w.is_finite())
        .map(|w| w.clamp(0.0, 1.0))
        .filter(|w| *w > 0.0)
        .collect();
    weights.sort_by(|a, b| b.total_cmp(a));
    let mut remaining_doubt = 1.0;
    let mut discount = 1.0;
    for weight in weights {
        remaining_doubt *= 1.0 - weight * discount;
        discount *= 0.5;
    }
    1.0 - remaining_doubt
}

/// What each weight counted for in [`combine`], in the order given: `wᵢ · 0.5ⁱ` by its rank
/// among the weights (strongest first), 0 for a weight that does not count. Ties keep their
/// order. `1 − Π (1 − cᵢ)` over the result is `combine` of the same weights; this is how a
/// page shows a confidence signal by signal.
pub fn contributions(weights: &[f64]) -> Vec<f64> {
    let usable = |w: f64| w.is_finite() && w > 0.0;
    let mut ranked: Vec<usize> = (0..weights.len()).filter(|&i| usable(weights[i])).collect();
    ranked.sort_by(|&a, &b| {
        weights[b]
            .clamp(0.0, 1.0)
            .total_cmp(&weights[a].clamp(0.0, 1.0))
    });
    let mut counted = vec![0.0; weights.len()];
    let mut discount = 1.0;
    for index in ranked {
        counted[index] = weights[index].clamp(0.0, 1.0) * discount;
        discount *= 0.5;
    }
    counted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributions_multiply_back_to_the_combined_confidence() {
        let weights = [0.3, 0.7, 0.0, 0.6, f64::NAN];
        let counted = contributions(&weights);
        assert!(close(counted[1], 0.7));
        assert!(close(counted[3], 0.3));
        assert!(close(counted[0], 0.075));
        assert_eq!(counted[2], 0.0);
        assert_eq!(counted[4], 0.0);
        let product: f64 = counted.iter().map(|c| 1.0 - c).product();
        assert!(close(1.0 - product, combine(weights)));
        assert!(contributions(&[]).is_empty());
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn no_signal_is_no_confidence() {
        assert_eq!(combine([]), 0.0);
        assert_eq!(combine([0.0, 0.0]), 0.0);
    }

    #[test]
    fn one_signal_is_its_own_weight() {
        assert!(close(combine([0.7]), 0.7));
        assert!(close(combine([0.3]), 0.3));
    }

    #[test]
    fn two_strong_signals_give_about_095() {
        assert!(close(combine([0.9, 0.9]), 1.0 - 0.1 * 0.55));
        assert!(close(combine([0.9, 0.9]), 0.945));
    }

    #[test]
    fn signals_are_sorted_strongest_first_whatever_their_order() {
        // 0.7, 0.6·½, 0.3·¼
        let expected = 1.0 - (1.0 - 0.7) * (1.0 - 0.3) * (1.0 - 0.075);
        assert!(close(combine([0.3, 0.7, 0.6]), expected));
        assert!(close(combine([0.6, 0.3, 0.7]), expected));
    }

    #[test]
    fn more_signals_never_lower_it_and_it_stays_below_one() {
        let mut weights = Vec::new();
        let mut previous = 0.0;
        for _ in 0..40 {
            weights.push(1.0);
            let now = combine(weights.iter().copied());
            assert!(now >= previous);
            assert!(now <= 1.0);
            previous = now;
        }
        assert!(close(combine([1.0]), 1.0));
        assert!(close(combine([2.0, -1.0, f64::NAN]), 1.0));
    }

    #[test]
    fn a_declared_signal_keeps_confidence_at_least_its_weight() {
        assert!(combine([0.95, 0.3, 0.1]) >= 0.95);
    }
}
