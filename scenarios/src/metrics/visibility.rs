//! t-visibility (PBS): the probability that a read starting t after a write committed returns it
//! or something newer, per bin of t, with Wilson score 95% intervals.
//!
//! Two curves. Probes: t = probe read invoked − probe write completed; the read is consistent
//! iff it returned the probe's write (nobody else writes a probe key). Ordinary reads: t = read
//! invoked − completion of P*, the latest write of the key acknowledged before the read began;
//! consistent iff the read was fresh (see `staleness`).
//!
//! On a grid the scenario chooses (`outputs.metrics.t_visibility`), both curves are counted
//! again per grid point ([`GridCounter`]: O(points) memory), and for each target probability
//! the report gives the first t from which the curve stays at or above it ([`first_t`]).

use super::VisibilityGridSpec;
use reports::metrics::{GridCurve, GridPoint, TargetT, VisibilityBin, VisibilityCurve, VisibilityGrid, round6};
use sim_core::SimDuration;

/// Lower bin edges of t, in microseconds; the last bin is open.
pub const EDGES_US: [u64; 18] = [
    0, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000,
    5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

pub use reports::interval::{Z95, wilson};

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

/// A grid of t: `points` points `step` apart from `from`, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// The first point's t.
    pub from_ns: u64,
    /// The spacing (at least 1 ns).
    pub step_ns: u64,
    /// How many points.
    pub points: usize,
}

impl Grid {
    /// Parses `"FROM..TO:STEP"` in milliseconds (e.g. `"0..200:1"`: 201 points 0, 1, …, 200):
    /// FROM ≥ 0, TO > FROM, STEP at least 1 ns. Says what is wrong otherwise.
    pub fn parse(text: &str) -> Result<Grid, String> {
        let shape = || format!("expected \"FROM..TO:STEP\" in milliseconds, e.g. \"0..200:1\", got \"{text}\"");
        let (range, step) = text.split_once(':').ok_or_else(shape)?;
        let (from, to) = range.split_once("..").ok_or_else(shape)?;
        let num = |x: &str| x.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(shape);
        let (from, to, step) = (num(from)?, num(to)?, num(step)?);
        if from < 0.0 || to <= from {
            return Err(format!("the grid must run forward from 0 or later, got {from} to {to} ms"));
        }
        if step * 1e6 < 1.0 {
            return Err(format!("the step must be at least 1 ns (0.000001 ms), got {step} ms"));
        }
        let points = ((to - from) / step + 1e-9).floor() + 1.0;
        let points = if points > usize::MAX as f64 { usize::MAX } else { points as usize };
        Ok(Grid { from_ns: (from * 1e6).round() as u64, step_ns: (step * 1e6).round() as u64, points })
    }

    /// The point holding `t`: `Err(true)` before the grid, `Err(false)` past it.
    fn point_of(&self, t: SimDuration) -> Result<usize, bool> {
        let t = t.as_nanos();
        let i = t.checked_sub(self.from_ns).ok_or(true)? / self.step_ns;
        usize::try_from(i).ok().filter(|&i| i < self.points).ok_or(false)
    }

    /// Point i's t, ms.
    fn t_ms(&self, i: usize) -> f64 {
        (self.from_ns + i as u64 * self.step_ns) as f64 / 1e6
    }
}

/// Counts `(t, consistent)` points on a [`Grid`] as they come: O(points) memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridCounter {
    grid: Grid,
    /// Per point: reads, consistent reads.
    counts: Vec<(u64, u64)>,
    before: u64,
    after: u64,
}

impl GridCounter {
    /// An empty curve on `grid`.
    pub fn new(grid: Grid) -> Self {
        GridCounter { grid, counts: vec![(0, 0); grid.points], before: 0, after: 0 }
    }

    /// Counts one read `t` after its write committed, consistent or not.
    pub fn add(&mut self, t: SimDuration, consistent: bool) {
        match self.grid.point_of(t) {
            Ok(i) => {
                let c = &mut self.counts[i];
                c.0 += 1;
                c.1 += u64::from(consistent);
            }
            Err(true) => self.before += 1,
            Err(false) => self.after += 1,
        }
    }

    /// The curve: the points with reads, their Wilson intervals, and the first t of each target.
    pub fn finish(&self, targets: &[f64]) -> GridCurve {
        let points: Vec<GridPoint> = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(i, &(n, ok))| {
                let (lo, hi) = wilson(ok, n, Z95);
                let p = round6(ok as f64 / n as f64);
                GridPoint {
                    t_ms: self.grid.t_ms(i),
                    reads: n,
                    consistent: ok,
                    p,
                    ci_low: round6(lo),
                    ci_high: round6(hi),
                }
            })
            .collect();
        let first_t = targets
            .iter()
            .map(|&target| TargetT {
                target,
                t_ms: first_t(&points, target, |p| p.p),
                t_ms_low: first_t(&points, target, |p| p.ci_high),
                t_ms_high: first_t(&points, target, |p| p.ci_low),
            })
            .collect();
        GridCurve { points, before: self.before, after: self.after, first_t }
    }
}

/// The report's grid section from the probe and ordinary-read curves counted on `spec`.
pub fn grid_section(spec: &VisibilityGridSpec, probes: &GridCounter, reads: &GridCounter) -> VisibilityGrid {
    let g = spec.grid;
    VisibilityGrid {
        from_ms: g.t_ms(0),
        to_ms: g.t_ms(g.points.saturating_sub(1)),
        step_ms: g.step_ns as f64 / 1e6,
        targets: spec.targets.clone(),
        probes: probes.finish(&spec.targets),
        reads: reads.finish(&spec.targets),
    }
}

/// The t of the first point from which `value` stays at or above `target` through the last
/// point; `None` when the last point is below it (or there are no points).
pub fn first_t(points: &[GridPoint], target: f64, value: impl Fn(&GridPoint) -> f64) -> Option<f64> {
    points.iter().rev().take_while(|p| value(p) >= target).last().map(|p| p.t_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_parse_and_refuse_what_cannot_be_one() {
        assert_eq!(Grid::parse("0..200:1"), Ok(Grid { from_ns: 0, step_ns: 1_000_000, points: 201 }));
        assert_eq!(Grid::parse("1..2:0.25"), Ok(Grid { from_ns: 1_000_000, step_ns: 250_000, points: 5 }));
        assert_eq!(Grid::parse("0..1:0.3").map(|g| g.points), Ok(4), "the last point is at or below TO");
        for bad in ["0..200", "0-200:1", "a..2:1", "0..inf:1", "5..5:1", "-1..2:1", "0..1:0", "0..1:1e-7"] {
            assert!(Grid::parse(bad).is_err(), "{bad}");
        }
        assert!(Grid::parse("5..1:1").unwrap_err().contains("forward"));
    }

    #[test]
    fn grid_points_count_reads_in_their_step_and_outside_reads_aside() {
        let ms = |x: f64| SimDuration::from_millis_f64(x);
        let mut c = GridCounter::new(Grid::parse("1..3:1").unwrap());
        for (t, ok) in [(0.5, false), (1.0, false), (1.9, true), (2.0, true), (3.99, true), (4.0, true)] {
            c.add(ms(t), ok);
        }
        let curve = c.finish(&[0.9]);
        let pts: Vec<(f64, u64, u64)> = curve.points.iter().map(|p| (p.t_ms, p.reads, p.consistent)).collect();
        assert_eq!(pts, vec![(1.0, 2, 1), (2.0, 1, 1), (3.0, 1, 1)]);
        assert_eq!((curve.before, curve.after), (1, 1));
        assert!(curve.points[0].ci_low < 0.5 && curve.points[0].ci_high > 0.5);
    }

    #[test]
    fn the_first_t_is_where_the_curve_stays_at_or_above_the_target() {
        let pt =
            |t_ms: f64, p: f64, ci_low: f64, ci_high: f64| GridPoint { t_ms, p, ci_low, ci_high, ..Default::default() };
        // Dips below 0.99 at t=2 after reaching it at t=1: the curve *stays* above from t=3.
        let pts = [
            pt(0.0, 0.5, 0.4, 0.6),
            pt(1.0, 0.99, 0.95, 0.999),
            pt(2.0, 0.98, 0.97, 0.995),
            pt(3.0, 0.995, 0.98, 1.0),
            pt(4.0, 1.0, 0.991, 1.0),
        ];
        assert_eq!(first_t(&pts, 0.99, |p| p.p), Some(3.0));
        assert_eq!(first_t(&pts, 0.99, |p| p.ci_high), Some(1.0), "the upper band reaches it first");
        assert_eq!(first_t(&pts, 0.99, |p| p.ci_low), Some(4.0), "the lower band last");
        assert_eq!(first_t(&pts, 0.999, |p| p.ci_low), None, "never established");
        assert_eq!(first_t(&[], 0.5, |p| p.p), None);
    }

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
