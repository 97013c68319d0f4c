//! What the trials say: p(t) at a t, averaged over a grid step, and latency quantiles, all
//! read off the sorted per-trial values (O(log trials) per point).

use super::model::Trials;
use reports::LatencySummary;
use reports::latency::round3;

impl Trials {
    /// Trials run.
    pub fn len(&self) -> usize {
        self.t_star.len()
    }

    /// True when no trial ran.
    pub fn is_empty(&self) -> bool {
        self.t_star.is_empty()
    }

    /// p(t): the share of trials whose read starting t ms after commit is consistent.
    pub fn p_at(&self, t: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.t_star.partition_point(|&x| x <= t) as f64 / self.len() as f64
    }

    /// The mean of p(t) for t uniform on `[from, from + step)` (step > 0): each trial counts
    /// the share of the step at or after its t*.
    pub fn p_over(&self, from: f64, step: f64, prefix: &[f64]) -> f64 {
        debug_assert!(step > 0.0 && prefix.len() == self.finite() + 1);
        if self.is_empty() {
            return 0.0;
        }
        let to = from + step;
        let full = self.t_star.partition_point(|&x| x <= from);
        let part_end = self.t_star.partition_point(|&x| x < to);
        // t* in (from, to) are finite: each counts (to − t*) / step.
        let (cnt, sum) = ((part_end - full) as f64, prefix[part_end] - prefix[full]);
        (full as f64 + (cnt * to - sum) / step) / self.len() as f64
    }

    /// Prefix sums of the finite t* (for [`Trials::p_over`]): `prefix[i]` = Σ t*[..i].
    pub fn prefix(&self) -> Vec<f64> {
        let mut acc = 0.0;
        std::iter::once(0.0)
            .chain(self.t_star[..self.finite()].iter().map(|&x| {
                acc += x;
                acc
            }))
            .collect()
    }

    /// How many t* are finite (they sort before the infinite ones; none is −∞).
    fn finite(&self) -> usize {
        self.t_star.partition_point(|x| x.is_finite())
    }
}

/// The nearest-rank quantile `q` of sorted `v` (0 when empty).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// The report's latency summary of sorted latencies `v` (ms).
pub fn summary(v: &[f64]) -> LatencySummary {
    if v.is_empty() {
        return LatencySummary::default();
    }
    LatencySummary {
        count: v.len() as u64,
        mean: round3(v.iter().sum::<f64>() / v.len() as f64),
        p50: round3(quantile(v, 0.5)),
        p90: round3(quantile(v, 0.9)),
        p99: round3(quantile(v, 0.99)),
        p999: round3(quantile(v, 0.999)),
        max: round3(v[v.len() - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trials(t_star: &[f64]) -> Trials {
        let mut t = t_star.to_vec();
        t.sort_by(f64::total_cmp);
        Trials { t_star: t, ..Default::default() }
    }

    #[test]
    fn p_at_t_is_the_share_of_thresholds_at_or_below_t() {
        let t = trials(&[-1.0, 0.0, 2.0, f64::INFINITY]);
        assert_eq!([t.p_at(-2.0), t.p_at(0.0), t.p_at(1.9), t.p_at(2.0), t.p_at(1e300)], [0.0, 0.5, 0.5, 0.75, 0.75]);
    }

    #[test]
    fn a_step_averages_p_over_its_width() {
        // Thresholds 0.25 and 0.5 inside [0, 1): consistent for 3/4 and 1/2 of the step.
        let t = trials(&[0.25, 0.5, -3.0, 7.0, f64::INFINITY]);
        let prefix = t.prefix();
        let p = t.p_over(0.0, 1.0, &prefix);
        assert!((p - (1.0 + 0.75 + 0.5) / 5.0).abs() < 1e-12, "{p}");
        // A step with no threshold inside equals p at its start.
        assert!((t.p_over(1.0, 1.0, &prefix) - t.p_at(1.0)).abs() < 1e-12);
        // Averages of many fine steps approach the point values.
        let fine = t.p_over(0.5, 1e-9, &prefix);
        assert!((fine - t.p_at(0.5)).abs() < 1e-6, "{fine}");
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(
            [quantile(&v, 0.5), quantile(&v, 0.999), quantile(&v, 1.0), quantile(&v, 0.0)],
            [500.0, 999.0, 1000.0, 1.0]
        );
        let s = summary(&v);
        assert_eq!((s.count, s.p50, s.p999, s.max, s.mean), (1000, 500.0, 999.0, 1000.0, 500.5));
    }
}
