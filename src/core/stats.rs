//! Percentiles and means, one definition (numpy's default: linear between
//! the closest ranks) for every figure that reports one.

use serde::Serialize;

/// p50, p90, p95 and mean of durations in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// How many values.
    pub count: u64,
}

/// Percentile by linear interpolation between closest ranks (numpy's
/// default): rank `q·(n−1)` of the sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    Some(interpolate(sorted.len(), q, |i| sorted[i]))
}

/// The ranks `q·(n−1)` falls between, and where.
fn rank(n: usize, q: f64) -> (usize, usize, f64) {
    let pos = q * (n - 1) as f64;
    (pos.floor() as usize, pos.ceil() as usize, pos)
}

/// The value at rank `q·(n−1)` of `n` sorted values read by `at`, linear
/// between the closest ranks.
fn interpolate(n: usize, q: f64, at: impl Fn(usize) -> f64) -> f64 {
    let (lo, hi, pos) = rank(n, q);
    at(lo) + (at(hi) - at(lo)) * (pos - lo as f64)
}

impl Spread {
    /// The spread of some durations in µs (reported in seconds). Only the
    /// ranks the percentiles read are put in place (selection, not a full
    /// sort); the mean is exact (an integer sum).
    pub fn of(mut v: Vec<i64>) -> Spread {
        let n = v.len();
        if n == 0 {
            return Spread::default();
        }
        let mut wanted: Vec<usize> = [0.5, 0.9, 0.95]
            .into_iter()
            .flat_map(|q| {
                let (lo, hi, _) = rank(n, q);
                [lo, hi]
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // Everything before `from` is at most everything from it on.
        let mut from = 0;
        for r in wanted {
            v[from..].select_nth_unstable(r - from);
            from = r + 1;
        }
        let secs = |i: usize| v[i] as f64 / 1e6;
        let at = |q: f64| Some(interpolate(n, q, secs));
        let sum: i128 = v.iter().map(|&x| i128::from(x)).sum();
        Spread {
            p50: at(0.5),
            p90: at(0.9),
            p95: at(0.95),
            mean: Some(sum as f64 / 1e6 / n as f64),
            count: n as u64,
        }
    }
}

/// The `q` quantile of a group whose non-null values are `values` (put in
/// partial order) and which also holds `nulls` nulls, as polars' `Linear`
/// quantile works it out: nulls sort first, the position is
/// `(values − 1)·q + nulls`, and the fraction past it interpolates towards
/// the next value — the same linear definition as [`percentile`], ranks
/// counted past the nulls. `None` with no values.
pub fn quantile(values: &mut [f64], nulls: usize, q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let at = (values.len() as f64 - 1.0) * q + nulls as f64;
    let idx = (at as usize).clamp(nulls, nulls + values.len() - 1);
    let top = at.ceil() as usize;
    let (_, lower, rest) = values.select_nth_unstable_by(idx - nulls, f64::total_cmp);
    let lower = *lower;
    if idx == top {
        return Some(lower);
    }
    let upper = rest.iter().copied().min_by(f64::total_cmp)?;
    Some(if lower == upper {
        lower
    } else {
        (at - idx as f64) * (upper - lower) + lower
    })
}

/// The Gini coefficient of some non-negative values: the mean absolute
/// difference between every two, over twice the mean (0: all equal; (n −
/// 1) / n: one holds everything). `None` for no values or a zero sum.
pub fn gini(values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    if values.is_empty() || sum <= 0.0 {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // Σ (2i − n − 1)·x(i) over ranks i = 1..n, over n·Σx.
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    Some(weighted / (n * sum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_hand() {
        // 10, 20, 30, 40: p50 at rank 1.5 = 25; p90 at 2.7 = 37; p95 at
        // 2.85 = 38.5; mean 25.
        let s = Spread::of(vec![40_000_000, 10_000_000, 30_000_000, 20_000_000]);
        assert_eq!(s.p50, Some(25.0));
        assert!((s.p90.unwrap_or(0.0) - 37.0).abs() < 1e-9);
        assert!((s.p95.unwrap_or(0.0) - 38.5).abs() < 1e-9);
        assert_eq!(s.mean, Some(25.0));
        assert_eq!(Spread::of(vec![]).p50, None);
    }

    /// The selection gives what a full sort gives, on lengths around the
    /// ranks' edges and with many ties.
    #[test]
    fn selection_equals_sorting() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in [1usize, 2, 3, 4, 5, 19, 20, 21, 100, 1_001, 4_096] {
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 5_000) as i64 * 1_000_000
                })
                .collect();
            let mut sorted: Vec<f64> = v.iter().map(|&u| u as f64 / 1e6).collect();
            sorted.sort_by(f64::total_cmp);
            let s = Spread::of(v);
            assert_eq!(s.p50, percentile(&sorted, 0.5), "n = {n}");
            assert_eq!(s.p90, percentile(&sorted, 0.9), "n = {n}");
            assert_eq!(s.p95, percentile(&sorted, 0.95), "n = {n}");
            let mean = sorted.iter().sum::<f64>() / n as f64;
            assert!((s.mean.unwrap_or(f64::NAN) - mean).abs() < 1e-9, "n = {n}");
            assert_eq!(s.count, n as u64);
        }
    }

    #[test]
    fn quantiles_interpolate_over_the_values_and_skip_nulls() {
        // 10, 20, 30, 40 (in any order): median at rank 1.5, 25; p90 at
        // rank 2.7, 30 + 0.7·10 = 37. A null sorts first and moves the
        // rank by one, not the value.
        for nulls in [0, 1, 3] {
            let mut v = [40.0, 10.0, 30.0, 20.0];
            assert_eq!(quantile(&mut v, nulls, 0.5), Some(25.0), "{nulls} nulls");
            let p90 = quantile(&mut v, nulls, 0.9).unwrap();
            assert!((p90 - 37.0).abs() < 1e-9, "{nulls} nulls: {p90}");
        }
        // Odd count: the middle value itself; one value: itself; none: none.
        assert_eq!(quantile(&mut [5.0, 1.0, 3.0], 0, 0.5), Some(3.0));
        assert_eq!(quantile(&mut [7.0], 2, 0.9), Some(7.0));
        assert_eq!(quantile(&mut [], 4, 0.5), None);
    }

    /// By hand: (1, 6): |1 − 6| twice over 2·n²·mean = 10 / 28; all equal:
    /// 0; one of four holds all: 3/4.
    #[test]
    fn gini_by_hand() {
        assert!((gini(&[6.0, 1.0]).unwrap() - 10.0 / 28.0).abs() < 1e-12);
        assert_eq!(gini(&[3.0, 3.0, 3.0]), Some(0.0));
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), None);
        assert_eq!(gini(&[0.0, 0.0]), None);
    }
}
