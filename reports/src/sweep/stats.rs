//! Order-independent aggregation of one metric over seeds, and its 95% Student-t interval.
//!
//! Values are accumulated as exact fixed-point integers (micro-units, the precision reports
//! round ratios to), so the sum, the sum of squares and therefore the mean, standard deviation
//! and interval are the same bits whatever order runs finish in and however many threads ran
//! them. Memory is three integers per (combination, metric), whatever the number of seeds.

use serde::{Deserialize, Serialize};

/// Fixed-point scale: values are kept in millionths.
const SCALE: f64 = 1e6;

/// A running sum of one metric's values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accumulator {
    n: u64,
    sum: i128,
    sum_sq: i128,
}

impl Accumulator {
    /// Adds one value (rounded to 6 decimals, the precision of the reports' ratios).
    pub fn add(&mut self, x: f64) {
        let q = (x * SCALE).round() as i128;
        self.n += 1;
        self.sum += q;
        self.sum_sq += q * q;
    }

    /// The number of values added.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean, standard deviation and 95% Student-t interval; `None` when nothing was added.
    pub fn stat(&self) -> Option<Stat> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as i128;
        let mean = self.sum as f64 / self.n as f64 / SCALE;
        if self.n == 1 {
            return Some(Stat { n: self.n, mean, sd: None, ci_low: None, ci_high: None });
        }
        // n·Σx² − (Σx)² is exact in integers, so the variance cannot go negative by rounding.
        let num = n * self.sum_sq - self.sum * self.sum;
        let var = num as f64 / (n * (n - 1)) as f64 / (SCALE * SCALE);
        let sd = var.max(0.0).sqrt();
        let half = t975(self.n - 1) * sd / (self.n as f64).sqrt();
        Some(Stat { n: self.n, mean, sd: Some(sd), ci_low: Some(mean - half), ci_high: Some(mean + half) })
    }
}

/// One metric of one combination, over its seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Runs that gave a value (a metric with nothing to measure in a run, e.g. the stale-read
    /// ratio of a run without reads, is left out, not counted as 0).
    pub n: u64,
    /// Mean over those runs.
    pub mean: f64,
    /// Sample standard deviation; `None` for a single run.
    pub sd: Option<f64>,
    /// Lower end of the 95% Student-t interval of the mean; `None` for a single run.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% Student-t interval of the mean; `None` for a single run.
    pub ci_high: Option<f64>,
}

/// Two-sided 95% quantile of Student's t (its 0.975 quantile) with `df` degrees of freedom.
///
/// Exact to 6 decimals from a table up to 30 degrees of freedom, then the Cornish–Fisher
/// expansion in 1/df (error below 1e-5 beyond 30).
pub fn t975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
        2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873,
        2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let v = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            z + g1 / v + g2 / (v * v) + g3 / (v * v * v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_published_values_past_the_table() {
        // R: qt(0.975, c(31, 40, 100, 1000))
        for (df, want) in [(31, 2.039513), (40, 2.021075), (100, 1.983972), (1000, 1.962339)] {
            assert!((t975(df) - want).abs() < 1e-5, "df {df}: {} vs {want}", t975(df));
        }
    }

    #[test]
    fn mean_sd_and_interval_of_a_known_sample() {
        let mut a = Accumulator::default();
        for x in [1.0, 2.0, 3.0, 4.0] {
            a.add(x);
        }
        let s = a.stat().expect("four values");
        assert_eq!((s.n, s.mean), (4, 2.5));
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((s.sd.unwrap() - sd).abs() < 1e-12);
        let half = 3.182446 * sd / 2.0;
        assert!((s.ci_low.unwrap() - (2.5 - half)).abs() < 1e-9);
        assert!((s.ci_high.unwrap() - (2.5 + half)).abs() < 1e-9);
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_of_values() {
        let xs = [0.123457, 1e-6, 987.654, 0.5, 0.333333, 12.25];
        let mut fwd = Accumulator::default();
        let mut rev = Accumulator::default();
        xs.iter().for_each(|&x| fwd.add(x));
        xs.iter().rev().for_each(|&x| rev.add(x));
        assert_eq!(fwd, rev);
        assert_eq!(fwd.stat().map(|s| s.mean.to_bits()), rev.stat().map(|s| s.mean.to_bits()));
    }

    #[test]
    fn one_value_has_no_interval_and_none_has_no_stat() {
        let mut a = Accumulator::default();
        assert_eq!(a.stat(), None);
        a.add(0.25);
        assert_eq!(a.stat(), Some(Stat { n: 1, mean: 0.25, sd: None, ci_low: None, ci_high: None }));
    }
}
