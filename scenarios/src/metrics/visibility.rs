//! t-visibility (PBS): the probability that a read starting t after a write committed returns it
//! or something newer, per bin of t, with Wilson score 95% intervals.
//!
//! Two curves. Probes: t = probe read invoked − probe write completed; the read is consistent
//! iff it returned the probe's write (nobody else writes a probe key). Ordinary reads: t = read
//! invoked − completion of P*, the latest write of the key acknowledged before the read began;
//! consistent iff the read was fresh (see `staleness`).

use reports::metrics::{VisibilityBin, VisibilityCurve, round6};
use sim_core::SimDuration;

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Lower bin edges of t, in microseconds; the last bin is open.
pub const EDGES_US: [u64; 18] = [
    0, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000,
    5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

pub use reports::interval::wilson;

/// The bin of `t`.
fn bin_of(t: SimDuration) -> usize {
    EDGES_US.partition_point(|&e| e * 1_000 <= t.as_nanos()) - 1
}

/// The curve of `(t, consistent)` points.
pub fn curve(points: &[(SimDuration, bool)]) -> VisibilityCurve {
    let mut c = CurveCounter::default();
    points.iter().for_each(|&(t, ok)| c.add(t, ok));
    c.finish()
}

/// Counts `(t, consistent)` points into the bins as they come: O(bins) memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CurveCounter {
    /// Per bin: points, consistent points.
    counts: [(u64, u64); EDGES_US.len()],
}

impl CurveCounter {
    /// Counts one read `t` after its write committed, consistent or not.
    pub fn add(&mut self, t: SimDuration, consistent: bool) {
        let c = &mut self.counts[bin_of(t)];
        c.0 += 1;
        c.1 += u64::from(consistent);
    }

    /// The curve: the non-empty bins with their Wilson intervals.
    pub fn finish(&self) -> VisibilityCurve {
        let bins = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(i, &(n, ok))| {
                let (lo, hi) = wilson(ok, n, Z95);
                VisibilityBin {
                    from_ms: EDGES_US[i] as f64 / 1e3,
                    to_ms: EDGES_US.get(i + 1).map(|e| *e as f64 / 1e3),
                    reads: n,
                    consistent: ok,
                    p: round6(ok as f64 / n as f64),
                    ci_low: round6(lo),
                    ci_high: round6(hi),
                }
            })
            .collect();
        let reads = self.counts.iter().map(|c| c.0).sum::<u64>();
        let consistent = self.counts.iter().map(|c| c.1).sum::<u64>();
        VisibilityCurve {
            reads,
            consistent,
            p_consistent: (reads > 0).then(|| round6(consistent as f64 / reads as f64)),
            bins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Wilson (1927) / Newcombe (1998) example: 81 of 263 → (0.2553, 0.3662) at 95%.
        let (lo, hi) = wilson(81, 263, Z95);
        assert!((lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4, "{lo} {hi}");
        // All successes: the upper end is 1 and the lower end n / (n + z²).
        let (lo, hi) = wilson(10, 10, Z95);
        assert!((lo - 10.0 / (10.0 + Z95 * Z95)).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12, "{lo} {hi}");
        let (lo, hi) = wilson(0, 10, Z95);
        assert!(lo == 0.0 && (hi - Z95 * Z95 / (10.0 + Z95 * Z95)).abs() < 1e-12, "{lo} {hi}");
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
        // Narrows as n grows.
        let w = |n: u64| {
            let (l, h) = wilson(n / 2, n, Z95);
            h - l
        };
        assert!(w(100) > w(1000) && w(1000) > w(10_000));
    }

    #[test]
    fn points_fall_in_half_open_bins_and_empty_bins_are_left_out() {
        let ms = |x: f64| SimDuration::from_millis_f64(x);
        let pts = [(ms(0.0), false), (ms(0.2), true), (ms(1.0), true), (ms(1.5), true), (ms(120_000.0), true)];
        let c = curve(&pts);
        assert_eq!((c.reads, c.consistent, c.p_consistent), (5, 4, Some(0.8)));
        let edges: Vec<(f64, Option<f64>, u64, u64)> =
            c.bins.iter().map(|b| (b.from_ms, b.to_ms, b.reads, b.consistent)).collect();
        assert_eq!(edges, vec![(0.0, Some(0.25), 2, 1), (1.0, Some(2.0), 2, 2), (60_000.0, None, 1, 1)]);
        assert_eq!(c.bins[0].p, 0.5);
        assert!(c.bins[0].ci_low < 0.5 && c.bins[0].ci_high > 0.5);
        assert_eq!(curve(&[]).p_consistent, None);
    }
}
